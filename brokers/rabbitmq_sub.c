/* rabbitmq_sub.c — the RabbitMQ subscriber: a consumer with a prefetch (basic.qos),
 * manual acks sent once the sink has the records in MongoDB, basic.nack with requeue when
 * the insert failed, and reconnection with backoff when the connection drops.
 *
 * The receive thread owns the connection. settle() may be called from any thread: it
 * queues (tag, ok) and wakes the receive thread through an eventfd; the receive thread
 * sends the acks between deliveries. Each connection has a generation number; a
 * settlement for a delivery of an earlier connection is dropped, since the broker
 * requeued that delivery when the connection closed (it comes again, redelivered, and
 * the sink counts the duplicate if it was already inserted). */
#include "rabbitmq.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 1000
#define IDLE_WAIT_MS 200 /* also how often rabbitmq-c gets to send heartbeats */

typedef struct rmq_delivery {
    ob_delivery base;
    uint64_t tag;
    uint64_t generation;
    char bytes[];
} rmq_delivery;

static void lost(rmq_broker *rb, const char *reason)
{
    rmq_subscriber *sb = &rb->sub;
    fprintf(stderr, "outbreak: rabbitmq: connection to %s lost: %s; reconnecting\n", rb->s.address,
            reason);
    ob_rmq_drop(sb->conn);
    sb->conn = NULL;
}

/* Sleeps ms milliseconds, in steps, unless the adapter is stopping. */
static void nap(rmq_subscriber *sb, int ms)
{
    for (int slept = 0; slept < ms && !atomic_load(&sb->stop); slept += 50)
        ob_sleep_until_mono(ob_mono_ns() + 50 * OB_NS_PER_MS);
}

/* Connects again, with backoff, until it works or the adapter stops. */
static void reconnect(rmq_broker *rb)
{
    rmq_subscriber *sb = &rb->sub;
    int backoff = BACKOFF_MIN_MS, attempts = 0;
    char last[sizeof ((ob_err *)0)->msg] = "";
    while (!atomic_load(&sb->stop)) {
        nap(sb, backoff);
        if (atomic_load(&sb->stop))
            return;
        ob_err err;
        attempts++;
        sb->conn = ob_rmq_connect(rb, NULL, &err);
        if (sb->conn) {
            sb->generation++;
            sb->reconnects++;
            fprintf(stderr, "outbreak: rabbitmq: reconnected to %s (attempt %d)\n", rb->s.address,
                    attempts);
            return;
        }
        if (strcmp(last, err.msg) != 0) { /* say each new reason once */
            fprintf(stderr, "outbreak: %s (retrying)\n", err.msg);
            snprintf(last, sizeof last, "%s", err.msg);
        }
        backoff = backoff * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff * 2;
    }
}

/* Sends the queued acks and nacks of this connection's deliveries. */
static void send_settlements(rmq_broker *rb)
{
    rmq_subscriber *sb = &rb->sub;
    pthread_mutex_lock(&sb->lock);
    size_t n = sb->nsettled;
    rmq_settlement *pending = sb->settled;
    sb->settled = NULL;
    sb->nsettled = sb->cap = 0;
    pthread_mutex_unlock(&sb->lock);
    for (size_t i = 0; i < n && sb->conn; i++) {
        if (pending[i].generation != sb->generation)
            continue;
        int rc = pending[i].ok ? amqp_basic_ack(sb->conn, RMQ_CHANNEL, pending[i].tag, 0)
                            : amqp_basic_nack(sb->conn, RMQ_CHANNEL, pending[i].tag, 0, 1);
        if (rc != AMQP_STATUS_OK)
            lost(rb, amqp_error_string2(rc));
    }
    free(pending);
}

/* A method other than basic.deliver arrived: read it and act on it. */
static void other_frame(rmq_broker *rb)
{
    rmq_subscriber *sb = &rb->sub;
    amqp_frame_t f;
    char reason[300];
    int rc = amqp_simple_wait_frame(sb->conn, &f);
    if (rc != AMQP_STATUS_OK) {
        lost(rb, amqp_error_string2(rc));
        return;
    }
    if (ob_rmq_closing_frame(sb->conn, &f, reason, sizeof reason))
        lost(rb, reason);
    else if (f.frame_type == AMQP_FRAME_METHOD && f.payload.method.id == AMQP_BASIC_CANCEL_METHOD)
        lost(rb, "the broker cancelled the consumer (was the queue deleted?)");
}

/* Takes one delivery if one is there (does not wait) and hands it to the sink. */
static void receive_one(rmq_broker *rb)
{
    rmq_subscriber *sb = &rb->sub;
    struct timeval zero = {0, 0};
    amqp_envelope_t env;
    amqp_maybe_release_buffers(sb->conn);
    amqp_rpc_reply_t r = amqp_consume_message(sb->conn, &env, &zero, 0);
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT)
        return;
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION &&
        r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
        other_frame(rb);
        return;
    }
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        char why[300];
        lost(rb, ob_rmq_reply_text(r, why, sizeof why));
        return;
    }
    size_t len = env.message.body.len;
    rmq_delivery *d = malloc(sizeof *d + len + 1);
    if (!d) { /* left unacked: the broker redelivers it after this connection */
        amqp_destroy_envelope(&env);
        return;
    }
    memcpy(d->bytes, env.message.body.bytes, len);
    d->bytes[len] = '\0';
    d->tag = env.delivery_tag;
    d->generation = sb->generation;
    d->base.data = d->bytes;
    d->base.len = len;
    d->base.redelivered = env.redelivered != 0;
    d->base.handle = d;
    amqp_destroy_envelope(&env);
    sb->deliver(sb->deliver_arg, &d->base);
}

static void *reader_main(void *arg)
{
    rmq_broker *rb = arg;
    rmq_subscriber *sb = &rb->sub;
    while (!atomic_load(&sb->stop)) {
        if (!sb->conn) {
            reconnect(rb);
            continue;
        }
        send_settlements(rb);
        if (!sb->conn)
            continue;
        if (!amqp_frames_enqueued(sb->conn) && !amqp_data_in_buffer(sb->conn)) {
            struct pollfd fds[2] = {{.fd = amqp_get_sockfd(sb->conn), .events = POLLIN},
                                    {.fd = sb->wake_fd, .events = POLLIN}};
            if (poll(fds, 2, IDLE_WAIT_MS) < 0 && errno != EINTR)
                nap(sb, 10);
            if (fds[1].revents & POLLIN) {
                uint64_t v;
                if (read(sb->wake_fd, &v, sizeof v) < 0 && errno != EAGAIN)
                    nap(sb, 10);
            }
            /* without input, the zero-wait read below still lets rabbitmq-c send and
             * check heartbeats */
        }
        receive_one(rb);
    }
    return NULL;
}

int ob_rmq_sub_init(rmq_broker *rb, ob_err *err)
{
    rmq_subscriber *sb = &rb->sub;
    pthread_mutex_init(&sb->lock, NULL);
    sb->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (sb->wake_fd < 0)
        return ob_err_set(err, "rabbitmq: cannot create an eventfd: %s", strerror(errno));
    sb->generation = 1;
    sb->conn = ob_rmq_connect(rb, NULL, err);
    return sb->conn ? 0 : -1;
}

int ob_rmq_sub_subscribe(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err)
{
    rmq_broker *rb = (rmq_broker *)b;
    rmq_subscriber *sb = &rb->sub;
    sb->deliver = deliver;
    sb->deliver_arg = arg;
    if (pthread_create(&sb->reader, NULL, reader_main, rb) != 0)
        return ob_err_set(err, "rabbitmq: cannot start the receive thread");
    sb->reader_started = true;
    return 0;
}

void ob_rmq_sub_settle(ob_broker *b, ob_delivery *d, bool ok)
{
    rmq_broker *rb = (rmq_broker *)b;
    rmq_subscriber *sb = &rb->sub;
    rmq_delivery *rd = d->handle;
    bool wake = false;
    pthread_mutex_lock(&sb->lock);
    if (sb->nsettled == sb->cap) {
        size_t cap = sb->cap ? sb->cap * 2 : 1024;
        rmq_settlement *grown = realloc(sb->settled, cap * sizeof *grown);
        if (!grown) { /* not acked: the broker redelivers it after this connection */
            pthread_mutex_unlock(&sb->lock);
            free(rd);
            return;
        }
        sb->settled = grown;
        sb->cap = cap;
    }
    sb->settled[sb->nsettled++] = (rmq_settlement){rd->tag, rd->generation, ok};
    wake = sb->nsettled == 1;
    pthread_mutex_unlock(&sb->lock);
    if (wake) {
        uint64_t one = 1;
        if (write(sb->wake_fd, &one, sizeof one) < 0) {
            /* the counter is full: the receive thread is awake anyway */
        }
    }
    free(rd);
}

void ob_rmq_sub_close(rmq_broker *rb)
{
    rmq_subscriber *sb = &rb->sub;
    atomic_store(&sb->stop, true);
    if (sb->reader_started) {
        uint64_t one = 1;
        if (write(sb->wake_fd, &one, sizeof one) < 0) {
            /* the thread wakes within IDLE_WAIT_MS anyway */
        }
        pthread_join(sb->reader, NULL);
        sb->reader_started = false;
    }
    if (sb->conn)
        send_settlements(rb); /* what the sink settled last */
    ob_rmq_disconnect(sb->conn);
    sb->conn = NULL;
    if (sb->wake_fd > 0)
        close(sb->wake_fd);
    free(sb->settled);
    pthread_mutex_destroy(&sb->lock);
}
