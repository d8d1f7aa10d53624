/* pubsub_sub.c — the Pub/Sub subscriber: pull, hand each message to the sink, and
 * acknowledge it once MongoDB has it.
 *
 * Receive threads (`pullers`, each with one pull request at a time) pull up to `pull`
 * messages per request, waiting on the server while there are none, and hand the
 * messages over. The ack thread sends
 * what the sink settled: `acknowledge` for the inserted ones, and `modifyAckDeadline`
 * with 0 s for the ones whose insert failed (the server delivers them again at once);
 * and, once a second, extends the deadline of deliveries still outstanding after half
 * the subscription's ack deadline (a slow insert), so that they are not delivered a
 * second time meanwhile. A message delivered again anyway (a sink died, a deadline
 * passed) is counted by the sink as a duplicate if it was inserted. A pull answered 404
 * by the emulator (restarted: it keeps nothing) creates the topic and the subscription
 * again (ob_ps_recreate). */
#include "pubsub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json.h"

#define PULL_TIMEOUT_MS 30000L
#define EMPTY_PULL_PAUSE_MS 50 /* the emulator: after a pull that brought nothing */
#define ACK_BATCH 1000

struct ps_delivery {
    ob_delivery base;
    char *ack_id;
    int64_t received_ns;
    ps_delivery *prev, *next;  /* the outstanding list */
    char *bytes;
};

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    return atomic_load(&((ps_subscriber *)arg)->stop) ? 1 : 0; /* 1 aborts the pull */
}

/* --- the outstanding list (lock held) ---------------------------------------------------- */

static void outstanding_add(ps_subscriber *sb, ps_delivery *d)
{
    d->next = NULL;
    d->prev = sb->outstanding_tail;
    if (sb->outstanding_tail)
        sb->outstanding_tail->next = d;
    else
        sb->outstanding = d;
    sb->outstanding_tail = d;
}

static void outstanding_remove(ps_subscriber *sb, ps_delivery *d)
{
    if (d->prev)
        d->prev->next = d->next;
    else
        sb->outstanding = d->next;
    if (d->next)
        d->next->prev = d->prev;
    else
        sb->outstanding_tail = d->prev;
}

static int push_id(char ***list, size_t *n, size_t *cap, char *id)
{
    if (*n == *cap) {
        size_t c = *cap ? *cap * 2 : 1024;
        char **grown = realloc(*list, c * sizeof *grown);
        if (!grown)
            return -1;
        *list = grown;
        *cap = c;
    }
    (*list)[(*n)++] = id;
    return 0;
}

/* --- requests ------------------------------------------------------------------------- */

/* POSTs {"ackIds":[...]} (+ extra fields) to subscriptions/S:verb; ids[0..n). */
static void post_ids(ps_broker *pb, const char *verb, char **ids, size_t n, const char *extra)
{
    char path[700];
    snprintf(path, sizeof path, "projects/%s/subscriptions/%s:%s", pb->s.project, pb->s.subscription, verb);
    for (size_t from = 0; from < n; from += ACK_BATCH) {
        size_t to = n - from > ACK_BATCH ? from + ACK_BATCH : n;
        ps_buf body = {0};
        int rc = ob_ps_buf_str(&body, "{\"ackIds\":[");
        for (size_t i = from; i < to && rc == 0; i++)
            rc = ob_ps_buf_str(&body, i > from ? ",\"" : "\"") || ob_ps_buf_str(&body, ids[i]) ||
                 ob_ps_buf_str(&body, "\"");
        rc = rc || ob_ps_buf_str(&body, "]") || ob_ps_buf_str(&body, extra) || ob_ps_buf_str(&body, "}");
        ps_request r;
        ob_err err;
        if (rc == 0 && ob_ps_request_init(&r, &pb->s, pb->auth, "POST", path, &body, 10000, &err) == 0) {
            long status = ob_ps_request_run(&r, &err);
            if (status != 200) {
                char why[400];
                if (status)
                    ob_ps_http_error(status, &r.resp, why, sizeof why);
                else
                    snprintf(why, sizeof why, "%.380s", err.msg);
                /* not fatal: the messages come again after their deadline */
                fprintf(stderr, "outbreak: pubsub: %s failed: %s\n", verb, why);
            }
            ob_ps_request_cleanup(&r);
        }
        ob_ps_buf_free(&body);
    }
}

static void free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

/* The ack thread: acknowledges, hands back, extends deadlines. */
static void *acker_main(void *arg)
{
    ps_broker *pb = arg;
    ps_subscriber *sb = &pb->sub;
    int64_t next_extend = ob_mono_ns() + OB_NS_PER_S;
    for (;;) {
        pthread_mutex_lock(&sb->lock);
        if (!sb->nacks_ok && !sb->nacks_bad && !atomic_load(&sb->stop)) {
            int64_t until = ob_real_ns() + OB_NS_PER_S;
            struct timespec ts = {.tv_sec = until / OB_NS_PER_S, .tv_nsec = until % OB_NS_PER_S};
            pthread_cond_timedwait(&sb->wake, &sb->lock, &ts);
        }
        char **ok = sb->acks, **bad = sb->nacks;
        size_t nok = sb->nacks_ok, nbad = sb->nacks_bad;
        sb->acks = sb->nacks = NULL;
        sb->nacks_ok = sb->nacks_bad = sb->cap_ok = sb->cap_bad = 0;
        /* deliveries outstanding for more than half the deadline get more time */
        char **slow = NULL;
        size_t nslow = 0, cap_slow = 0;
        int64_t now = ob_mono_ns();
        if (now >= next_extend) {
            next_extend = now + OB_NS_PER_S;
            int64_t old = now - pb->s.ack_deadline * OB_NS_PER_S / 2;
            for (ps_delivery *d = sb->outstanding; d && d->received_ns < old; d = d->next) {
                char *id = strdup(d->ack_id);
                if (!id || push_id(&slow, &nslow, &cap_slow, id) != 0) {
                    free(id);
                    break;
                }
                d->received_ns = now; /* extended from now */
            }
            sb->extended += (long)nslow;
        }
        bool stopping = atomic_load(&sb->stop);
        pthread_mutex_unlock(&sb->lock);
        if (nok)
            post_ids(pb, "acknowledge", ok, nok, "");
        if (nbad)
            post_ids(pb, "modifyAckDeadline", bad, nbad, ",\"ackDeadlineSeconds\":0");
        if (nslow) {
            char extra[64];
            snprintf(extra, sizeof extra, ",\"ackDeadlineSeconds\":%ld", pb->s.ack_deadline);
            post_ids(pb, "modifyAckDeadline", slow, nslow, extra);
        }
        free_ids(ok, nok);
        free_ids(bad, nbad);
        free_ids(slow, nslow);
        if (stopping && !nok && !nbad)
            return NULL;
    }
}

/* One message of a pull (ob_ps_read_pull): to the outstanding list, then to the sink. */
static void on_received(void *arg, char *ack_id, char *data, size_t len)
{
    ps_subscriber *sb = arg;
    ps_delivery *d = calloc(1, sizeof *d);
    if (!d) { /* it comes again after its ack deadline */
        free(ack_id);
        free(data);
        return;
    }
    d->ack_id = ack_id;
    d->bytes = data;
    d->base.data = data;
    d->base.len = len;
    d->base.handle = d;
    d->received_ns = ob_mono_ns();
    pthread_mutex_lock(&sb->lock);
    outstanding_add(sb, d);
    pthread_mutex_unlock(&sb->lock);
    sb->deliver(sb->deliver_arg, &d->base);
}

/* Pulls once and hands what came to the sink; returns how many came.
 *
 * The emulator holds a pull until messages come, longer than PULL_TIMEOUT_MS when none
 * do; messages it hands to a pull that the client has just given up on stay with that
 * dead pull until their ack deadline, and were seen not to come again at all (the
 * compose test: 2 of 1000 acked records never delivered). So against the emulator a
 * pull returns at once (returnImmediately, which the emulator honours) and an empty one
 * waits EMPTY_PULL_PAUSE_MS before the next: no pull is ever abandoned. */
static int pull_once(ps_broker *pb, ps_request *r, char *path)
{
    ps_subscriber *sb = &pb->sub;
    char text[128];
    ps_buf body = {0};
    snprintf(text, sizeof text, "{\"maxMessages\":%ld%s}", pb->s.pull,
             pb->s.emulator ? ",\"returnImmediately\":true" : "");
    ob_err err;
    if (ob_ps_buf_str(&body, text) != 0 ||
        ob_ps_request_init(r, &pb->s, pb->auth, "POST", path, &body, PULL_TIMEOUT_MS, &err) != 0) {
        ob_ps_buf_free(&body);
        ob_sleep_until_mono(ob_mono_ns() + 500 * OB_NS_PER_MS);
        return 0;
    }
    curl_easy_setopt(r->easy, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(r->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(r->easy, CURLOPT_XFERINFODATA, sb);
    long status = ob_ps_request_run(r, &err);
    if (status != 200) {
        if (!atomic_load(&sb->stop)) {
            char why[400];
            if (status)
                ob_ps_http_error(status, &r->resp, why, sizeof why);
            else
                snprintf(why, sizeof why, "%.380s", err.msg);
            fprintf(stderr, "outbreak: pubsub: pull from %s failed: %s (retrying)\n", pb->s.subscription, why);
            ob_err rerr;
            /* a restarted emulator has neither the topic nor the subscription */
            if (status == 404 && pb->s.emulator && ob_ps_recreate(&pb->s, pb->auth, true, &rerr) < 0)
                fprintf(stderr, "outbreak: %s\n", rerr.msg);
            ob_sleep_until_mono(ob_mono_ns() + 500 * OB_NS_PER_MS);
        }
        ob_ps_request_cleanup(r);
        ob_ps_buf_free(&body);
        return 0;
    }
    int got = ob_ps_read_pull(r->resp.data, r->resp.len, on_received, sb);
    ob_ps_request_cleanup(r);
    ob_ps_buf_free(&body);
    return got;
}

static void *reader_main(void *arg)
{
    ps_broker *pb = arg;
    char path[700];
    snprintf(path, sizeof path, "projects/%s/subscriptions/%s:pull", pb->s.project, pb->s.subscription);
    ps_request r;
    while (!atomic_load(&pb->sub.stop))
        if (pull_once(pb, &r, path) == 0 && pb->s.emulator)
            ob_sleep_until_mono(ob_mono_ns() + EMPTY_PULL_PAUSE_MS * OB_NS_PER_MS);
    return NULL;
}

int ob_ps_sub_init(ps_broker *pb, ob_err *err)
{
    return ob_ps_ensure(&pb->s, pb->auth, true, err); /* the lock was made at open */
}

int ob_ps_sub_subscribe(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err)
{
    ps_broker *pb = (ps_broker *)b;
    ps_subscriber *sb = &pb->sub;
    sb->deliver = deliver;
    sb->deliver_arg = arg;
    if (pthread_create(&sb->acker, NULL, acker_main, pb) != 0)
        return ob_err_set(err, "pubsub: cannot start the ack thread");
    sb->acker_started = true;
    for (long i = 0; i < pb->s.pullers; i++) {
        if (pthread_create(&sb->readers[sb->nreaders], NULL, reader_main, pb) != 0)
            return ob_err_set(err, "pubsub: cannot start a receive thread");
        sb->nreaders++;
    }
    return 0;
}

void ob_ps_sub_settle(ob_broker *b, ob_delivery *dl, bool ok)
{
    ps_broker *pb = (ps_broker *)b;
    ps_subscriber *sb = &pb->sub;
    ps_delivery *d = dl->handle;
    pthread_mutex_lock(&sb->lock);
    outstanding_remove(sb, d);
    int rc = ok ? push_id(&sb->acks, &sb->nacks_ok, &sb->cap_ok, d->ack_id)
                : push_id(&sb->nacks, &sb->nacks_bad, &sb->cap_bad, d->ack_id);
    if (rc != 0)
        free(d->ack_id); /* not acknowledged: it comes again after its deadline */
    pthread_cond_signal(&sb->wake);
    pthread_mutex_unlock(&sb->lock);
    free(d->bytes);
    free(d);
}

void ob_ps_sub_close(ps_broker *pb)
{
    ps_subscriber *sb = &pb->sub;
    atomic_store(&sb->stop, true);
    for (int i = 0; i < sb->nreaders; i++)
        pthread_join(sb->readers[i], NULL);
    sb->nreaders = 0;
    if (sb->acker_started) {
        pthread_mutex_lock(&sb->lock);
        pthread_cond_signal(&sb->wake);
        pthread_mutex_unlock(&sb->lock);
        pthread_join(sb->acker, NULL); /* it sends what was settled last, then ends */
    }
    /* deliveries never settled: the server delivers them again after their deadline */
    while (sb->outstanding) {
        ps_delivery *d = sb->outstanding;
        outstanding_remove(sb, d);
        free(d->ack_id);
        free(d->bytes);
        free(d);
    }
    free_ids(sb->acks, sb->nacks_ok);
    free_ids(sb->nacks, sb->nacks_bad);
    pthread_cond_destroy(&sb->wake);
    pthread_mutex_destroy(&sb->lock);
}
