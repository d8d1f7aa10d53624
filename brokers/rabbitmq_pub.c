/* rabbitmq_pub.c — the RabbitMQ publisher: publisher confirms with a window of
 * unconfirmed publishes, basic.return and basic.nack as failures, reconnects.
 *
 * With confirms on, the channel numbers publishes 1, 2, 3, ... (delivery tags) and the
 * broker answers each with basic.ack or basic.nack, possibly for many at once
 * (multiple=true) and, for quorum queues, not always in order. The ring holds the
 * publisher's token for every tag in [low, next_tag); at most confirm_window of them, and
 * a publish waits (reading confirms) while the window is full. A publish that cannot be
 * routed comes back as basic.return before its ack: the message carries its tag as
 * message-id, so the return marks that tag, and its ack then reports a failure.
 *
 * Everything runs on the publishing thread: confirms are read after each publish
 * (without waiting), in poll (waiting until the caller's deadline, so that an idle
 * publisher sees a confirm the moment it arrives) and in flush.
 *
 * A lost connection fails every unconfirmed publish with the reason (the broker may or
 * may not have them: they count as failed, never as acked). The next publish reconnects,
 * waiting out a backoff of 100 ms doubling to 1 s while the broker stays away; each
 * failed attempt fails the record that made it. */
#include "rabbitmq.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

#define BACKOFF_MIN_NS (100 * OB_NS_PER_MS)
#define BACKOFF_MAX_NS (1 * OB_NS_PER_S)

static uint64_t unconfirmed(const rmq_publisher *p)
{
    return p->next_tag - p->low;
}

/* Reports one tag's answer (once) and moves `low` past the answered tags. */
static void answer(rmq_broker *rb, uint64_t tag, bool ok, const char *why, int64_t now)
{
    rmq_publisher *p = &rb->pub;
    if (tag < p->low || tag >= p->next_tag)
        return;
    rmq_unconfirmed *u = &p->ring[tag & p->mask];
    if (!u->pending)
        return;
    u->pending = false;
    bool good = ok && !u->returned;
    rb->base.on_ack(rb->base.ack_arg, u->token, good, good ? NULL : (u->returned ? u->why : why), now);
    while (p->low < p->next_tag && !p->ring[p->low & p->mask].pending)
        p->low++;
}

static void answer_upto(rmq_broker *rb, uint64_t tag, bool multiple, bool ok, const char *why,
                        int64_t now)
{
    rmq_publisher *p = &rb->pub;
    if (!multiple) {
        answer(rb, tag, ok, why, now);
        return;
    }
    for (uint64_t t = p->low; t <= tag && t < p->next_tag; t++)
        answer(rb, t, ok, why, now);
}

/* The connection is gone: every unconfirmed publish fails with the reason. */
static void lost(rmq_broker *rb, const char *reason)
{
    rmq_publisher *p = &rb->pub;
    char why[700];
    snprintf(p->lost_reason, sizeof p->lost_reason, "%.199s", reason);
    snprintf(why, sizeof why, "rabbitmq: connection to %s lost before the confirm: %s", rb->s.address,
             reason);
    fprintf(stderr, "outbreak: rabbitmq: connection to %s lost: %s; %" PRIu64
                    " publishes unconfirmed, reconnecting\n",
            rb->s.address, reason, unconfirmed(p));
    int64_t now = ob_mono_ns();
    while (p->low < p->next_tag)
        answer(rb, p->low, false, why, now);
    ob_rmq_drop(p->conn);
    p->conn = NULL;
    p->next_tag = p->low = 1;
    p->blocked = false;
    p->retry_at = now; /* the first attempt at once, later ones back off */
}

/* basic.return: the content follows; its message-id is the tag. */
static void returned(rmq_broker *rb, const amqp_frame_t *f)
{
    rmq_publisher *p = &rb->pub;
    const amqp_basic_return_t *r = f->payload.method.decoded;
    char why[96];
    snprintf(why, sizeof why, "rabbitmq: returned unroutable: %.*s (%u)", (int)r->reply_text.len,
             (const char *)r->reply_text.bytes, r->reply_code);
    amqp_message_t msg;
    amqp_rpc_reply_t rr = amqp_read_message(p->conn, f->channel, &msg, 0);
    if (rr.reply_type != AMQP_RESPONSE_NORMAL) {
        char text[200];
        lost(rb, ob_rmq_reply_text(rr, text, sizeof text));
        return;
    }
    char id[24] = "";
    if ((msg.properties._flags & AMQP_BASIC_MESSAGE_ID_FLAG) && msg.properties.message_id.len < sizeof id)
        memcpy(id, msg.properties.message_id.bytes, msg.properties.message_id.len);
    amqp_destroy_message(&msg);
    uint64_t tag = strtoull(id, NULL, 10);
    if (tag >= p->low && tag < p->next_tag && p->ring[tag & p->mask].pending) {
        rmq_unconfirmed *u = &p->ring[tag & p->mask];
        u->returned = true;
        snprintf(u->why, sizeof u->why, "%s", why);
    }
}

static void handle_frame(rmq_broker *rb, const amqp_frame_t *f, int64_t now)
{
    rmq_publisher *p = &rb->pub;
    char reason[300];
    if (f->frame_type != AMQP_FRAME_METHOD)
        return;
    switch (f->payload.method.id) {
    case AMQP_BASIC_ACK_METHOD: {
        const amqp_basic_ack_t *a = f->payload.method.decoded;
        answer_upto(rb, a->delivery_tag, a->multiple, true, NULL, now);
        return;
    }
    case AMQP_BASIC_NACK_METHOD: {
        const amqp_basic_nack_t *n = f->payload.method.decoded;
        answer_upto(rb, n->delivery_tag, n->multiple, false,
                    "rabbitmq: nacked by the broker (basic.nack)", now);
        return;
    }
    case AMQP_BASIC_RETURN_METHOD:
        returned(rb, f);
        return;
    case AMQP_CONNECTION_BLOCKED_METHOD: {
        const amqp_connection_blocked_t *bl = f->payload.method.decoded;
        p->blocked = true;
        fprintf(stderr, "outbreak: rabbitmq: %s blocks publishing: %.*s\n", rb->s.address,
                (int)bl->reason.len, (const char *)bl->reason.bytes);
        return;
    }
    case AMQP_CONNECTION_UNBLOCKED_METHOD:
        p->blocked = false;
        fprintf(stderr, "outbreak: rabbitmq: %s unblocked publishing\n", rb->s.address);
        return;
    default:
        if (ob_rmq_closing_frame(p->conn, f, reason, sizeof reason))
            lost(rb, reason);
    }
}

/* Whether a frame may be read without blocking, waiting until `until` (monotonic ns;
 * 0 = do not wait) for input. rabbitmq-c's own waits count in whole milliseconds and
 * spin below one, so the wait is a ppoll() here, with nanoseconds. */
static bool input_ready(rmq_publisher *p, int64_t until)
{
    if (amqp_frames_enqueued(p->conn) || amqp_data_in_buffer(p->conn))
        return true;
    struct timespec ts = {0, 0};
    if (until > 0) {
        int64_t left = until - ob_mono_ns();
        if (left > 0) {
            ts.tv_sec = (time_t)(left / OB_NS_PER_S);
            ts.tv_nsec = (long)(left % OB_NS_PER_S);
        }
    }
    struct pollfd pfd = {.fd = amqp_get_sockfd(p->conn), .events = POLLIN};
    return ppoll(&pfd, 1, &ts, NULL) > 0;
}

/* Reads the frames that have arrived; waits for the first one until `until` (monotonic
 * ns; 0 = do not wait). Returns the number of frames read. */
static int drain(rmq_broker *rb, int64_t until)
{
    rmq_publisher *p = &rb->pub;
    const struct timeval zero = {0, 0};
    int n = 0;
    int64_t now = 0;
    while (p->conn && input_ready(p, n == 0 ? until : 0)) {
        amqp_frame_t f;
        int rc = amqp_simple_wait_frame_noblock(p->conn, &f, &zero);
        if (rc == AMQP_STATUS_TIMEOUT)
            break; /* part of a frame: the rest comes later */
        if (rc != AMQP_STATUS_OK) {
            lost(rb, amqp_error_string2(rc));
            break;
        }
        if (n++ == 0)
            now = ob_mono_ns(); /* one clock reading per batch of frames */
        handle_frame(rb, &f, now);
    }
    if (p->conn && n > 0)
        amqp_maybe_release_buffers(p->conn);
    return n;
}

/* Connects again if the connection is gone and the backoff allows it. */
static int ensure_connected(rmq_broker *rb, ob_err *err)
{
    rmq_publisher *p = &rb->pub;
    if (p->conn)
        return 0;
    /* wait out the backoff (at most 1 s): while the broker is away a publisher makes one
     * attempt, and one failed record, per backoff step, instead of failing records as
     * fast as it can; under --rate the records it holds back count from their intended
     * time, so the outage shows in the latency too */
    ob_sleep_until_mono(p->retry_at);
    int64_t now = ob_mono_ns();
    ob_err cerr;
    p->conn = ob_rmq_connect(rb, NULL, &cerr);
    if (!p->conn) {
        p->retry_at = now + p->backoff_ns;
        p->backoff_ns = p->backoff_ns * 2 > BACKOFF_MAX_NS ? BACKOFF_MAX_NS : p->backoff_ns * 2;
        const char *why = strncmp(cerr.msg, "rabbitmq: ", 10) == 0 ? cerr.msg + 10 : cerr.msg;
        snprintf(p->lost_reason, sizeof p->lost_reason, "%.199s", why);
        return ob_err_setk(err, cerr.kind, "%s", cerr.msg);
    }
    p->backoff_ns = BACKOFF_MIN_NS;
    p->reconnects++;
    fprintf(stderr, "outbreak: rabbitmq: reconnected to %s\n", rb->s.address);
    return 0;
}

/* Says a queue that holds records from before this run: the sinks take them first, which
 * delays this run's records on their way to MongoDB. */
static void say_backlog(const rmq_broker *rb)
{
    char where[700], remedy[400];
    snprintf(where, sizeof where, "queue \"%s\" at %s", rb->s.queue, rb->s.address);
    snprintf(remedy, sizeof remedy, "a queue of the run's own: queue=NAME; or empty it: rabbitmqctl purge_queue %s",
             rb->s.queue);
    ob_broker_say_backlog("rabbitmq", rb->pub.backlog, where, remedy);
}

int ob_rmq_pub_init(rmq_broker *rb, ob_err *err)
{
    rmq_publisher *p = &rb->pub;
    size_t n = 1;
    while (n < (size_t)rb->s.confirm_window)
        n <<= 1;
    p->ring = calloc(n, sizeof *p->ring);
    if (!p->ring)
        return ob_err_set(err, "rabbitmq: out of memory");
    p->mask = n - 1;
    p->next_tag = p->low = 1;
    p->backoff_ns = BACKOFF_MIN_NS;
    p->backlog = -1;
    p->conn = ob_rmq_connect(rb, &p->backlog, err);
    if (!p->conn)
        return -1;
    say_backlog(rb);
    return 0;
}

int ob_rmq_pub_publish(ob_broker *b, const ob_msg *m, ob_err *err)
{
    rmq_broker *rb = (rmq_broker *)b;
    rmq_publisher *p = &rb->pub;
    const rmq_settings *s = &rb->s;
    /* after a quiet spell, first see whether the broker closed the connection meanwhile
     * (an idle publisher sends no heartbeats): then this record goes on a new one */
    int64_t now = ob_mono_ns();
    if (p->conn && now - p->last_publish_ns > OB_NS_PER_S)
        drain(rb, 0);
    p->last_publish_ns = now;
    if (ensure_connected(rb, err) != 0)
        return -1;
    while (s->confirms && p->conn && unconfirmed(p) >= (uint64_t)s->confirm_window)
        drain(rb, ob_mono_ns() + 100 * OB_NS_PER_MS);
    if (!p->conn)
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "rabbitmq: connection to %s lost: %s", s->address,
                           p->lost_reason);

    amqp_basic_properties_t props;
    props._flags = AMQP_BASIC_DELIVERY_MODE_FLAG;
    props.delivery_mode = s->persistent ? AMQP_DELIVERY_PERSISTENT : AMQP_DELIVERY_NONPERSISTENT;
    char id[24];
    bool track_returns = s->confirms && s->mandatory;
    if (track_returns) {
        props._flags |= AMQP_BASIC_MESSAGE_ID_FLAG;
        props.message_id.len = (size_t)snprintf(id, sizeof id, "%" PRIu64, p->next_tag);
        props.message_id.bytes = id;
    }
    amqp_bytes_t body = {.len = m->len, .bytes = (void *)m->data};
    int rc = amqp_basic_publish(p->conn, RMQ_CHANNEL, amqp_cstring_bytes(s->exchange),
                                amqp_cstring_bytes(s->routing_key), s->mandatory, 0, &props, body);
    if (rc != AMQP_STATUS_OK) {
        lost(rb, amqp_error_string2(rc));
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "rabbitmq: publish to %s failed: %s", s->address,
                           p->lost_reason);
    }
    if (!s->confirms) {
        /* no confirm will come: "acked" means handed to the socket */
        rb->base.on_ack(rb->base.ack_arg, m->token, true, NULL, ob_mono_ns());
    } else {
        rmq_unconfirmed *u = &p->ring[p->next_tag & p->mask];
        u->token = m->token;
        u->pending = true;
        u->returned = false;
        p->next_tag++;
    }
    /* confirms that have arrived, and close or block notices, without waiting */
    drain(rb, 0);
    return 0;
}

/* An idle publisher still has to send heartbeats, or the broker closes the connection
 * after two heartbeat intervals: rabbitmq-c sends them from inside its calls, so one
 * call that does not wait, once a second. */
static void keep_alive(rmq_broker *rb)
{
    rmq_publisher *p = &rb->pub;
    int64_t now = ob_mono_ns();
    if (now - p->last_keepalive_ns < OB_NS_PER_S)
        return;
    p->last_keepalive_ns = now;
    const struct timeval zero = {0, 0};
    amqp_frame_t f;
    int rc = amqp_simple_wait_frame_noblock(p->conn, &f, &zero);
    if (rc == AMQP_STATUS_OK)
        handle_frame(rb, &f, now);
    else if (rc != AMQP_STATUS_TIMEOUT)
        lost(rb, amqp_error_string2(rc));
}

bool ob_rmq_pub_poll(ob_broker *b, int64_t until_mono)
{
    rmq_broker *rb = (rmq_broker *)b;
    rmq_publisher *p = &rb->pub;
    if (!p->conn)
        return false;
    if (unconfirmed(p) == 0) {
        keep_alive(rb);
        return false;
    }
    drain(rb, until_mono);
    return true;
}

int ob_rmq_pub_flush(ob_broker *b, int timeout_ms)
{
    rmq_broker *rb = (rmq_broker *)b;
    rmq_publisher *p = &rb->pub;
    if (rb->base.role != OB_ROLE_PUBLISHER)
        return 0;
    int64_t deadline = ob_mono_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 1) * OB_NS_PER_MS;
    while (p->conn && unconfirmed(p) > 0 && ob_mono_ns() < deadline)
        drain(rb, deadline);
    int failed = 0;
    int64_t now = ob_mono_ns();
    for (uint64_t t = p->low; t < p->next_tag; t++)
        if (p->ring[t & p->mask].pending) {
            answer(rb, t, false, "rabbitmq: no publisher confirm before the timeout", now);
            failed++;
        }
    return failed;
}

void ob_rmq_pub_close(rmq_broker *rb)
{
    ob_rmq_disconnect(rb->pub.conn);
    rb->pub.conn = NULL;
    free(rb->pub.ring);
    rb->pub.ring = NULL;
}
