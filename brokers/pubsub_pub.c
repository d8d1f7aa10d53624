/* pubsub_pub.c — the Pub/Sub publisher: records gathered into publish requests (up to
 * `batch` messages or `max_bytes`, or until the batch is `linger` ms old), several
 * requests in flight on one curl multi handle (connections reused), and the message ids
 * the server answers with as the acks: a request answered 200 with one id per message
 * acks all of its records at the time the answer arrived.
 *
 * A request that fails on the network, or with 429 or 5xx, is sent again after a backoff
 * (100 ms doubling, at most 5 s) up to `retries` attempts; then, or on any other 4xx,
 * its records fail with the server's message. Against the emulator a 404 means that it
 * restarted (it keeps nothing): the topic is created again (ob_ps_recreate) and the
 * request is sent again, as a retry. Everything runs on the publishing thread:
 * requests make progress inside publish, poll (which waits on the sockets until the
 * caller's deadline) and flush. */
#include "pubsub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>

#include "clock.h"
#include "json.h"

#define BACKOFF_MIN_NS (100 * OB_NS_PER_MS)
#define BACKOFF_MAX_NS (5 * OB_NS_PER_S)
#define REQUEST_TIMEOUT_MS 30000L

static void batch_free(ps_batch *b)
{
    if (!b)
        return;
    ob_ps_request_cleanup(&b->req);
    ob_ps_buf_free(&b->body);
    free(b->tokens);
    free(b);
}

/* Answers every record of the batch and frees it. */
static void answer_batch(ps_broker *pb, ps_batch *b, bool ok, const char *why, int64_t now)
{
    for (size_t i = 0; i < b->n; i++)
        pb->base.on_ack(pb->base.ack_arg, b->tokens[i], ok, ok ? NULL : why, now);
    pb->pub.nbatches_out--;
    batch_free(b);
}

static ps_batch *batch_new(void)
{
    ps_batch *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    if (ob_ps_buf_str(&b->body, "{\"messages\":[") != 0) {
        free(b);
        return NULL;
    }
    b->opened_ns = ob_mono_ns();
    return b;
}

/* Starts (or restarts) the batch's request on the multi handle. */
static int launch(ps_broker *pb, ps_batch *b, ob_err *err)
{
    char path[700];
    snprintf(path, sizeof path, "projects/%s/topics/%s:publish", pb->s.project, pb->s.topic);
    ob_ps_request_cleanup(&b->req);
    if (ob_ps_request_init(&b->req, &pb->s, pb->auth, "POST", path, &b->body, REQUEST_TIMEOUT_MS, err) != 0)
        return -1;
    curl_easy_setopt(b->req.easy, CURLOPT_PRIVATE, (char *)b);
    if (curl_multi_add_handle(pb->pub.multi, b->req.easy) != CURLM_OK)
        return ob_err_set(err, "pubsub: cannot start a request");
    b->attempts++;
    b->next = pb->pub.flying;
    pb->pub.flying = b;
    pb->pub.nflying++;
    return 0;
}

/* Closes the open batch and sends it. */
static void send_open(ps_broker *pb)
{
    ps_batch *b = pb->pub.open;
    if (!b || b->n == 0)
        return;
    pb->pub.open = NULL;
    pb->pub.nbatches_out++;
    ob_err err;
    if (ob_ps_buf_str(&b->body, "]}") != 0 || launch(pb, b, &err) != 0)
        answer_batch(pb, b, false, "pubsub: cannot send the publish request", ob_mono_ns());
}

static void unlink_flying(ps_publisher *p, ps_batch *b)
{
    for (ps_batch **q = &p->flying; *q; q = &(*q)->next)
        if (*q == b) {
            *q = b->next;
            p->nflying--;
            return;
        }
}

/* A request finished: acks, a retry later, or failures. */
static void finished(ps_broker *pb, ps_batch *b, CURLcode result, int64_t now)
{
    ps_publisher *p = &pb->pub;
    curl_multi_remove_handle(p->multi, b->req.easy);
    unlink_flying(p, b);
    long status = 0;
    if (result == CURLE_OK)
        curl_easy_getinfo(b->req.easy, CURLINFO_RESPONSE_CODE, &status);
    if (status == 200) {
        long ids = ob_ps_count_ids(b->req.resp.data, b->req.resp.len);
        if (ids == (long)b->n)
            answer_batch(pb, b, true, NULL, now);
        else
            answer_batch(pb, b, false, "pubsub: the publish response lacks message ids", now);
        return;
    }
    char why[800], text[400];
    if (status == 0)
        snprintf(text, sizeof text, "%s", b->req.error[0] ? b->req.error : curl_easy_strerror(result));
    else
        ob_ps_http_error(status, &b->req.resp, text, sizeof text);
    /* a restarted emulator has no topic: made again (with the subscription the run saw
     * at open), the request is sent again; records the emulator took before it died are
     * lost with it (the run counts them lost) */
    bool recreated = false;
    if (status == 404 && pb->s.emulator && b->attempts < pb->s.retries) {
        ob_err rerr;
        recreated = ob_ps_recreate(&pb->s, pb->auth, pb->s.subscription_known, &rerr) >= 0;
        if (!recreated)
            fprintf(stderr, "outbreak: %s\n", rerr.msg);
    }
    if ((recreated || ob_ps_retryable(status)) && b->attempts < pb->s.retries) {
        int64_t backoff = BACKOFF_MIN_NS << (b->attempts - 1 < 6 ? b->attempts - 1 : 6);
        b->retry_at = now + (backoff < BACKOFF_MAX_NS ? backoff : BACKOFF_MAX_NS);
        b->next = p->waiting;
        p->waiting = b;
        return;
    }
    snprintf(why, sizeof why, "pubsub: publish to %s: %s", pb->s.topic, text);
    answer_batch(pb, b, false, why, now);
}

/* Sends what is due (an old enough open batch, retries whose time came), moves the
 * requests along, and handles the finished ones. Does not wait. */
static void progress(ps_broker *pb)
{
    ps_publisher *p = &pb->pub;
    int64_t now = ob_mono_ns();
    if (p->open && p->open->n > 0 && now - p->open->opened_ns >= pb->s.linger_ms * OB_NS_PER_MS &&
        p->nflying < pb->s.inflight)
        send_open(pb);
    for (ps_batch **q = &p->waiting; *q;) {
        ps_batch *b = *q;
        if (b->retry_at > now || p->nflying >= pb->s.inflight) {
            q = &b->next;
            continue;
        }
        *q = b->next;
        ob_err err;
        if (launch(pb, b, &err) != 0)
            answer_batch(pb, b, false, "pubsub: cannot send the publish request again", now);
    }
    int running;
    curl_multi_perform(p->multi, &running);
    CURLMsg *msg;
    int left;
    int64_t at = 0;
    while ((msg = curl_multi_info_read(p->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        if (!at)
            at = ob_mono_ns(); /* one clock reading for the answers that came together */
        char *priv = NULL;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
        finished(pb, (ps_batch *)priv, msg->data.result, at);
    }
}

/* The next moment something is due: the open batch's linger, a retry. */
static int64_t next_due(const ps_broker *pb, int64_t until)
{
    const ps_publisher *p = &pb->pub;
    if (p->open && p->open->n > 0) {
        int64_t t = p->open->opened_ns + pb->s.linger_ms * OB_NS_PER_MS;
        if (t < until)
            until = t;
    }
    for (const ps_batch *b = p->waiting; b; b = b->next)
        if (b->retry_at < until)
            until = b->retry_at;
    return until;
}

/* Waits for socket activity until `until` (or something due), then makes progress. */
static void wait_and_progress(ps_broker *pb, int64_t until)
{
    int64_t left = next_due(pb, until) - ob_mono_ns();
    /* curl's own timers (connects, retransmits) come first */
    long curl_ms = -1;
    curl_multi_timeout(pb->pub.multi, &curl_ms);
    if (curl_ms >= 0 && curl_ms * OB_NS_PER_MS < left)
        left = curl_ms * OB_NS_PER_MS;
    if (left > 0) {
        /* curl_multi_poll() counts whole milliseconds (and spins below one): wait on the
         * sockets with pselect() and nanoseconds instead */
        fd_set rd, wr, ex;
        int maxfd = -1;
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        FD_ZERO(&ex);
        curl_multi_fdset(pb->pub.multi, &rd, &wr, &ex, &maxfd);
        struct timespec ts = {.tv_sec = (time_t)(left / OB_NS_PER_S), .tv_nsec = (long)(left % OB_NS_PER_S)};
        if (maxfd >= 0)
            pselect(maxfd + 1, &rd, &wr, &ex, &ts, NULL);
        else
            ob_sleep_until_mono(ob_mono_ns() + left);
    }
    progress(pb);
}

int ob_ps_pub_init(ps_broker *pb, ob_err *err)
{
    if (ob_ps_ensure(&pb->s, pb->auth, false, err) != 0)
        return -1;
    ob_ps_look_up_subscription(&pb->s, pb->auth);
    pb->pub.multi = curl_multi_init();
    if (!pb->pub.multi)
        return ob_err_set(err, "pubsub: out of memory");
    curl_multi_setopt(pb->pub.multi, CURLMOPT_MAX_HOST_CONNECTIONS, pb->s.inflight);
    return 0;
}

int ob_ps_pub_publish(ob_broker *bk, const ob_msg *m, ob_err *err)
{
    ps_broker *pb = (ps_broker *)bk;
    ps_publisher *p = &pb->pub;
    if (!p->open && !(p->open = batch_new()))
        return ob_err_set(err, "pubsub: out of memory");
    ps_batch *b = p->open;
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        uint64_t *grown = realloc(b->tokens, cap * sizeof *grown);
        if (!grown)
            return ob_err_set(err, "pubsub: out of memory");
        b->tokens = grown;
        b->cap = cap;
    }
    size_t mark = b->body.len;
    int rc = ob_ps_buf_str(&b->body, b->n ? ",{\"data\":\"" : "{\"data\":\"") ||
             ob_ps_buf_base64(&b->body, m->data, m->len) || ob_ps_buf_str(&b->body, "\"");
    if (rc == 0 && m->key) {
        char key[300];
        rc = ob_json_write_string(key, sizeof key, m->key) < 0 ||
             ob_ps_buf_str(&b->body, ",\"attributes\":{\"location\":") || ob_ps_buf_str(&b->body, key) ||
             ob_ps_buf_str(&b->body, "}");
    }
    if (rc != 0 || ob_ps_buf_str(&b->body, "}") != 0) {
        b->body.len = mark;
        return ob_err_set(err, "pubsub: out of memory");
    }
    b->tokens[b->n++] = m->token;
    if ((long)b->n >= pb->s.batch || (long)b->body.len >= pb->s.max_bytes - 4096) {
        /* full: send it, waiting for a free request slot (back-pressure) */
        while (p->nflying >= pb->s.inflight)
            wait_and_progress(pb, ob_mono_ns() + 100 * OB_NS_PER_MS);
        send_open(pb);
    }
    progress(pb);
    return 0;
}

bool ob_ps_pub_poll(ob_broker *bk, int64_t until_mono)
{
    ps_broker *pb = (ps_broker *)bk;
    if (!pb->pub.open && pb->pub.nbatches_out == 0)
        return false;
    wait_and_progress(pb, until_mono);
    return true;
}

int ob_ps_pub_flush(ob_broker *bk, int timeout_ms)
{
    ps_broker *pb = (ps_broker *)bk;
    ps_publisher *p = &pb->pub;
    if (pb->base.role != OB_ROLE_PUBLISHER)
        return 0;
    int64_t deadline = ob_mono_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 1) * OB_NS_PER_MS;
    while ((p->open && p->open->n > 0) || p->nbatches_out > 0) {
        if (p->open && p->open->n > 0 && p->nflying < pb->s.inflight)
            send_open(pb);
        if (ob_mono_ns() >= deadline)
            break;
        int64_t step = ob_mono_ns() + 100 * OB_NS_PER_MS;
        wait_and_progress(pb, step < deadline ? step : deadline);
    }
    /* what is left fails */
    int failed = 0;
    int64_t now = ob_mono_ns();
    const char *why = "pubsub: no answer to the publish request before the timeout";
    if (p->open) {
        failed += (int)p->open->n;
        p->nbatches_out++;
        answer_batch(pb, p->open, false, why, now);
        p->open = NULL;
    }
    while (p->flying) {
        ps_batch *b = p->flying;
        curl_multi_remove_handle(p->multi, b->req.easy);
        unlink_flying(p, b);
        failed += (int)b->n;
        answer_batch(pb, b, false, why, now);
    }
    while (p->waiting) {
        ps_batch *b = p->waiting;
        p->waiting = b->next;
        failed += (int)b->n;
        answer_batch(pb, b, false, why, now);
    }
    return failed;
}

void ob_ps_pub_close(ps_broker *pb)
{
    ps_publisher *p = &pb->pub;
    batch_free(p->open);
    while (p->flying) {
        ps_batch *b = p->flying;
        p->flying = b->next;
        if (p->multi)
            curl_multi_remove_handle(p->multi, b->req.easy);
        batch_free(b);
    }
    while (p->waiting) {
        ps_batch *b = p->waiting;
        p->waiting = b->next;
        batch_free(b);
    }
    if (p->multi)
        curl_multi_cleanup(p->multi);
    p->multi = NULL;
}
