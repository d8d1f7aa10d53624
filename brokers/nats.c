/* nats.c — the NATS adapter (cnats): core NATS and JetStream.
 *
 *   nats://host:4222                      core NATS: at-most-once, no broker ack
 *   nats://host:4222?jetstream=1          JetStream: async publish with PubAck, durable
 *                                         pull consumer with explicit acks on the sink side
 *
 * Core NATS has no acknowledgement. What can be measured is a round trip through the
 * server: after every `flush_every` messages, and whenever the publisher idles, the
 * adapter publishes a marker to its own inbox; the server handles a
 * connection's messages in order, so when the marker comes back every message sent
 * before it has been read by the server, and they are reported acked. This is a flush
 * round trip that does not block the publisher. "acked" for core NATS means "received
 * by the server"; under full load, publish latency includes the batching.
 *
 * JetStream: the stream is created if missing. cnats hands the original natsMsg back in
 * the PubAck callback; a small pointer → token table maps it to the publisher's token.
 * Options (URL query): jetstream, subject, stream, storage, replicas, max_pending,
 * flush_every, durable, batch, ack_wait, max_ack_pending, queue. */
#include "broker.h"

#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

extern const ob_broker_ops ob_nats_ops;

static const char *const nats_params[] = {
    "jetstream", "subject", "stream",  "storage",         "replicas", "max_pending",
    "flush_every", "durable", "batch", "max_ack_pending", "ack_wait", "queue",
    NULL,
};

/* Pointer → token table for in-flight JetStream publishes (linear probing with
 * backward-shift deletion; guarded by the handle's mutex). */
typedef struct inflight_slot {
    natsMsg *msg;
    uint64_t token;
} inflight_slot;

/* Core NATS: tokens published before one marker. */
typedef struct core_batch {
    uint64_t id;
    int64_t first_ns;
    size_t n;
    struct core_batch *next;
    uint64_t tokens[];
} core_batch;

typedef struct nats_broker {
    ob_broker base;
    ob_role role;
    natsConnection *nc;
    jsCtx *js;
    bool jetstream;
    char subject[256];
    char stream[128];
    char durable[128];
    char queue[128];
    char storage[16];
    long replicas, max_pending, flush_every, batch, max_ack_pending, ack_wait_ms;
    char address[300];

    /* core publisher: the open batch (publisher thread only), then batches whose marker
     * is on its way (FIFO under `lock`, completed by the marker subscription) */
    core_batch *open_batch;
    core_batch *sent_head, *sent_tail;
    uint64_t next_batch_id;
    natsSubscription *marker_sub;
    char *marker_inbox;
    pthread_cond_t sent_empty;

    /* JetStream publisher */
    pthread_mutex_t lock;
    inflight_slot *slots;
    size_t nslots; /* power of two */
    size_t ninflight;

    /* subscriber */
    natsSubscription *sub;      /* core: the queue subscription; JetStream: binds the consumer */
    natsSubscription *pull_sub; /* JetStream: our own pull requests' inbox */
    char *pull_inbox;
    char next_subject[300];     /* $JS.API.CONSUMER.MSG.NEXT.<stream>.<durable> */
    pthread_t reader;
    bool reader_started;
    atomic_bool stop;
    ob_deliver_fn *deliver;
    void *deliver_arg;
} nats_broker;

static size_t slot_hash(const nats_broker *nb, const natsMsg *m)
{
    uint64_t x = (uint64_t)(uintptr_t)m;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (nb->nslots - 1);
}

/* Caller holds nb->lock. Returns -1 when the table is full. */
static int inflight_put(nats_broker *nb, natsMsg *m, uint64_t token)
{
    if (nb->ninflight + 1 >= nb->nslots / 2)
        return -1;
    size_t i = slot_hash(nb, m);
    while (nb->slots[i].msg)
        i = (i + 1) & (nb->nslots - 1);
    nb->slots[i].msg = m;
    nb->slots[i].token = token;
    nb->ninflight++;
    return 0;
}

/* Caller holds nb->lock. Removes m; returns 0 and its token, or -1 if absent. */
static int inflight_take(nats_broker *nb, const natsMsg *m, uint64_t *token)
{
    size_t mask = nb->nslots - 1, i = slot_hash(nb, m);
    while (nb->slots[i].msg != m) {
        if (!nb->slots[i].msg)
            return -1;
        i = (i + 1) & mask;
    }
    *token = nb->slots[i].token;
    nb->slots[i].msg = NULL;
    nb->ninflight--;
    /* backward-shift: move later entries of the probe run into the hole */
    for (size_t j = (i + 1) & mask; nb->slots[j].msg; j = (j + 1) & mask) {
        size_t home = slot_hash(nb, nb->slots[j].msg);
        bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            nb->slots[i] = nb->slots[j];
            nb->slots[j].msg = NULL;
            i = j;
        }
    }
    return 0;
}

static int nats_fail(ob_err *err, const char *what, const char *address, natsStatus s)
{
    const char *text = natsStatus_GetText(s);
    const char *detail = nats_GetLastError(NULL);
    /* cnats prefixes its detail with "(file.c:line): "; skip that, and skip a detail
     * that only repeats the status text */
    if (detail && *detail == '(' && strstr(detail, "): "))
        detail = strstr(detail, "): ") + 3;
    if (!detail || !*detail || strcmp(detail, text) == 0)
        return ob_err_set(err, "nats: %s %s: %s", what, address, text);
    return ob_err_set(err, "nats: %s %s: %s: %s", what, address, text, detail);
}

/* --- JetStream publisher ------------------------------------------------------------ */

static void js_on_puback(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)js;
    nats_broker *nb = closure;
    uint64_t token;
    pthread_mutex_lock(&nb->lock);
    int found = inflight_take(nb, msg, &token);
    pthread_mutex_unlock(&nb->lock);
    if (found == 0) {
        bool ok = pa != NULL && pae == NULL;
        const char *why = ok ? NULL : (pae && pae->ErrText ? pae->ErrText : "no PubAck");
        nb->base.on_ack(nb->base.ack_arg, token, ok, why, ob_mono_ns());
    }
    natsMsg_Destroy(msg);
}

static int js_ensure_stream(nats_broker *nb, ob_err *err)
{
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, nb->js, nb->stream, NULL, &jerr);
    if (s == NATS_OK) {
        jsStreamInfo_Destroy(si);
        return 0;
    }
    if (s != NATS_NOT_FOUND)
        return nats_fail(err, "cannot look up JetStream stream at", nb->address, s);
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char *subjects[1] = {nb->subject};
    cfg.Name = nb->stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = strcmp(nb->storage, "memory") == 0 ? js_MemoryStorage : js_FileStorage;
    cfg.Replicas = nb->replicas;
    s = js_AddStream(&si, nb->js, &cfg, NULL, &jerr);
    if (s != NATS_OK)
        return nats_fail(err, "cannot create JetStream stream at", nb->address, s);
    jsStreamInfo_Destroy(si);
    return 0;
}

/* --- core publisher: markers ---------------------------------------------------------- */

/* Reports every token of the batches up to `upto` (all if UINT64_MAX) acked or failed. */
static void core_complete(nats_broker *nb, uint64_t upto, bool ok, const char *why)
{
    pthread_mutex_lock(&nb->lock);
    core_batch *done = nb->sent_head, *last = NULL;
    for (core_batch *b = nb->sent_head; b && b->id <= upto; b = b->next)
        last = b;
    if (!last) {
        pthread_mutex_unlock(&nb->lock);
        return;
    }
    nb->sent_head = last->next;
    last->next = NULL;
    if (!nb->sent_head) {
        nb->sent_tail = NULL;
        pthread_cond_broadcast(&nb->sent_empty);
    }
    pthread_mutex_unlock(&nb->lock);
    int64_t now = ob_mono_ns();
    while (done) {
        core_batch *next = done->next;
        for (size_t i = 0; i < done->n; i++)
            nb->base.on_ack(nb->base.ack_arg, done->tokens[i], ok, why, now);
        free(done);
        done = next;
    }
}

static void core_on_marker(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    uint64_t id = 0;
    if (natsMsg_GetDataLength(msg) == (int)sizeof id)
        memcpy(&id, natsMsg_GetData(msg), sizeof id);
    natsMsg_Destroy(msg);
    core_complete(closure, id, true, NULL);
}

/* Closes the open batch and sends its marker. Publisher thread only. */
static void core_send_marker(nats_broker *nb)
{
    core_batch *b = nb->open_batch;
    if (!b || b->n == 0)
        return;
    nb->open_batch = NULL;
    b->id = ++nb->next_batch_id;
    b->next = NULL;
    pthread_mutex_lock(&nb->lock);
    if (nb->sent_tail)
        nb->sent_tail->next = b;
    else
        nb->sent_head = b;
    nb->sent_tail = b;
    pthread_mutex_unlock(&nb->lock);
    /* a marker that cannot be sent shows up as a flush timeout at the end */
    natsConnection_Publish(nb->nc, nb->marker_inbox, &b->id, (int)sizeof b->id);
}

static int core_open_markers(nats_broker *nb, ob_err *err)
{
    natsStatus s = natsInbox_Create((natsInbox **)&nb->marker_inbox);
    if (s == NATS_OK)
        s = natsConnection_Subscribe(&nb->marker_sub, nb->nc, nb->marker_inbox, core_on_marker, nb);
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(nb->marker_sub, -1, -1);
    if (s == NATS_OK)
        s = natsConnection_Flush(nb->nc);
    return s == NATS_OK ? 0 : nats_fail(err, "cannot subscribe to its own inbox on", nb->address, s);
}

static int nats_publish(ob_broker *b, const ob_msg *m, ob_err *err)
{
    nats_broker *nb = (nats_broker *)b;
    natsStatus s;
    if (!nb->jetstream) {
        if (!nb->open_batch) {
            nb->open_batch = malloc(sizeof *nb->open_batch +
                                    (size_t)nb->flush_every * sizeof nb->open_batch->tokens[0]);
            if (!nb->open_batch)
                return ob_err_set(err, "nats: out of memory");
            nb->open_batch->n = 0;
            nb->open_batch->first_ns = ob_mono_ns();
        }
        s = natsConnection_Publish(nb->nc, nb->subject, m->data, (int)m->len);
        if (s != NATS_OK)
            return nats_fail(err, "publish to", nb->address, s);
        nb->open_batch->tokens[nb->open_batch->n++] = m->token;
        if ((long)nb->open_batch->n >= nb->flush_every)
            core_send_marker(nb);
        return 0;
    }
    natsMsg *msg = NULL;
    s = natsMsg_Create(&msg, nb->subject, NULL, m->data, (int)m->len);
    if (s != NATS_OK)
        return nats_fail(err, "cannot create message for", nb->address, s);
    pthread_mutex_lock(&nb->lock);
    int put = inflight_put(nb, msg, m->token);
    pthread_mutex_unlock(&nb->lock);
    if (put != 0) {
        natsMsg_Destroy(msg);
        return ob_err_set(err, "nats: more than %zu JetStream publishes in flight", nb->nslots / 2);
    }
    natsMsg *owned = msg;
    s = js_PublishMsgAsync(nb->js, &owned, NULL);
    if (s != NATS_OK) {
        uint64_t token;
        pthread_mutex_lock(&nb->lock);
        inflight_take(nb, msg, &token);
        pthread_mutex_unlock(&nb->lock);
        natsMsg_Destroy(owned); /* NULL if the library took it */
        return nats_fail(err, "JetStream publish to", nb->address, s);
    }
    return 0;
}

static bool nats_poll(ob_broker *b, int64_t until_mono)
{
    (void)until_mono; /* acks arrive on cnats' threads: nothing to wait for here */
    nats_broker *nb = (nats_broker *)b;
    /* an idle publisher closes its batch at once: markers are cheap and do not block,
     * and at low rates this makes the latency a per-message round trip */
    if (!nb->jetstream && nb->open_batch && nb->open_batch->n > 0)
        core_send_marker(nb);
    return false;
}

static int nats_flush(ob_broker *b, int timeout_ms)
{
    nats_broker *nb = (nats_broker *)b;
    if (nb->role != OB_ROLE_PUBLISHER)
        return 0;
    if (!nb->jetstream) {
        core_send_marker(nb);
        int64_t until = ob_real_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 1) * OB_NS_PER_MS;
        struct timespec ts = {.tv_sec = until / OB_NS_PER_S, .tv_nsec = until % OB_NS_PER_S};
        pthread_mutex_lock(&nb->lock);
        while (nb->sent_head && pthread_cond_timedwait(&nb->sent_empty, &nb->lock, &ts) == 0)
            ;
        size_t missing = 0;
        for (core_batch *q = nb->sent_head; q; q = q->next)
            missing += q->n;
        pthread_mutex_unlock(&nb->lock);
        core_complete(nb, UINT64_MAX, false, "no flush round trip before the timeout");
        return (int)missing;
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = timeout_ms > 0 ? timeout_ms : 1;
    if (js_PublishAsyncComplete(nb->js, &po) == NATS_OK)
        return 0;
    /* Timed out: whatever is still pending is reported failed. */
    natsMsgList pending = {0};
    int failed = 0;
    if (js_PublishAsyncGetPendingList(&pending, nb->js) == NATS_OK) {
        for (int i = 0; i < pending.Count; i++) {
            uint64_t token;
            pthread_mutex_lock(&nb->lock);
            int found = inflight_take(nb, pending.Msgs[i], &token);
            pthread_mutex_unlock(&nb->lock);
            if (found == 0) {
                nb->base.on_ack(nb->base.ack_arg, token, false, "no PubAck before the timeout",
                                ob_mono_ns());
                failed++;
            }
        }
        natsMsgList_Destroy(&pending);
    }
    return failed;
}

/* --- subscriber --------------------------------------------------------------------- */

/* A delivery owns copies of the message's data and ack subject, so the natsMsg is
 * destroyed at once by the receive thread and nothing of cnats' is touched later from
 * the sink's thread (acking a natsMsg from another thread across a reconnect was seen
 * to corrupt the heap with cnats 3.4). Settling publishes +ACK / -NAK to `reply`. */
typedef struct nats_delivery {
    ob_delivery base;
    char *reply; /* NULL for core NATS */
    char bytes[];
} nats_delivery;

/* Copies msg into a new delivery and hands it over; destroys msg. Messages that are not
 * deliveries (no data, or for JetStream no $JS.ACK subject: status messages) are dropped. */
static void deliver_copy(nats_broker *nb, natsMsg *msg)
{
    const char *reply = natsMsg_GetReply(msg);
    int len = natsMsg_GetDataLength(msg);
    if (len <= 0 || (nb->jetstream && (!reply || strncmp(reply, "$JS.ACK.", 8) != 0))) {
        natsMsg_Destroy(msg);
        return;
    }
    size_t rlen = nb->jetstream ? strlen(reply) + 1 : 0;
    nats_delivery *d = malloc(sizeof *d + (size_t)len + 1 + rlen);
    if (!d) { /* left unacked: the broker redelivers */
        natsMsg_Destroy(msg);
        return;
    }
    memcpy(d->bytes, natsMsg_GetData(msg), (size_t)len);
    d->bytes[len] = '\0';
    d->reply = NULL;
    if (rlen) {
        d->reply = d->bytes + len + 1;
        memcpy(d->reply, reply, rlen);
    }
    natsMsg_Destroy(msg);
    d->base.data = d->bytes;
    d->base.len = (size_t)len;
    d->base.redelivered = false;
    d->base.handle = d;
    nb->deliver(nb->deliver_arg, &d->base);
}

/* One pull request of our own to the durable consumer ($JS.API.CONSUMER.MSG.NEXT): up
 * to `batch` messages, the server holding the request open for 500 ms. Not cnats'
 * natsSubscription_Fetch: in cnats 3.4.1 it was seen (under ASan) to return more
 * messages than the array it had allocated, i.e. to write past it, which explains the
 * sink's rare heap corruption. Messages of an earlier request that arrive late are
 * deliveries like any other; a status message (408 request expired, 404 no messages:
 * no $JS.ACK reply subject) ends this request. */
static natsStatus js_pull(nats_broker *nb)
{
    char req[96];
    int n = snprintf(req, sizeof req, "{\"batch\":%ld,\"expires\":500000000}", nb->batch);
    natsStatus s = natsConnection_PublishRequest(nb->nc, nb->next_subject, nb->pull_inbox, req, n);
    if (s != NATS_OK)
        return s;
    int64_t deadline = ob_mono_ns() + OB_NS_PER_S;
    for (long got = 0; got < nb->batch && !atomic_load(&nb->stop);) {
        int64_t left_ms = (deadline - ob_mono_ns()) / OB_NS_PER_MS;
        if (left_ms <= 0)
            break;
        natsMsg *msg = NULL;
        s = natsSubscription_NextMsg(&msg, nb->pull_sub, left_ms);
        if (s == NATS_TIMEOUT)
            return NATS_OK;
        if (s != NATS_OK)
            return s;
        const char *reply = natsMsg_GetReply(msg);
        if (!reply || strncmp(reply, "$JS.ACK.", 8) != 0) {
            natsMsg_Destroy(msg); /* a status: this request is over */
            break;
        }
        deliver_copy(nb, msg);
        got++;
    }
    return NATS_OK;
}

static void *reader_main(void *arg)
{
    nats_broker *nb = arg;
    while (!atomic_load(&nb->stop)) {
        natsStatus s;
        if (nb->jetstream) {
            s = js_pull(nb);
        } else {
            natsMsg *msg = NULL;
            s = natsSubscription_NextMsg(&msg, nb->sub, 500);
            if (s == NATS_OK)
                deliver_copy(nb, msg);
        }
        if (s != NATS_OK && s != NATS_TIMEOUT)
            nats_Sleep(500); /* disconnected: let cnats reconnect before the next fetch */
    }
    return NULL;
}

static int nats_subscribe(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err)
{
    nats_broker *nb = (nats_broker *)b;
    natsStatus s;
    if (nb->jetstream) {
        jsSubOptions so;
        jsErrCode jerr = 0;
        jsSubOptions_Init(&so);
        so.Stream = nb->stream;
        so.Config.AckPolicy = js_AckExplicit;
        so.Config.MaxAckPending = nb->max_ack_pending;
        so.Config.AckWait = nb->ack_wait_ms * OB_NS_PER_MS;
        s = js_PullSubscribe(&nb->sub, nb->js, nb->subject, nb->durable, NULL, &so, &jerr);
        if (s != NATS_OK)
            return nats_fail(err, "cannot create durable consumer on", nb->address, s);
        snprintf(nb->next_subject, sizeof nb->next_subject, "$JS.API.CONSUMER.MSG.NEXT.%s.%s",
                 nb->stream, nb->durable);
        s = natsInbox_Create((natsInbox **)&nb->pull_inbox);
        if (s == NATS_OK)
            s = natsConnection_SubscribeSync(&nb->pull_sub, nb->nc, nb->pull_inbox);
        if (s == NATS_OK)
            s = natsSubscription_SetPendingLimits(nb->pull_sub, -1, -1);
        if (s != NATS_OK)
            return nats_fail(err, "cannot subscribe to its pull inbox on", nb->address, s);
    } else {
        s = natsConnection_QueueSubscribeSync(&nb->sub, nb->nc, nb->subject, nb->queue);
        if (s == NATS_OK)
            s = natsSubscription_SetPendingLimits(nb->sub, -1, -1);
        if (s != NATS_OK)
            return nats_fail(err, "cannot subscribe on", nb->address, s);
    }
    nb->deliver = deliver;
    nb->deliver_arg = arg;
    if (pthread_create(&nb->reader, NULL, reader_main, nb) != 0)
        return ob_err_set(err, "nats: cannot start the receive thread");
    nb->reader_started = true;
    return 0;
}

static void nats_settle(ob_broker *b, ob_delivery *d, bool ok)
{
    nats_broker *nb = (nats_broker *)b;
    nats_delivery *nd = d->handle;
    /* a failed ack publish is left to the broker: it redelivers after ack_wait */
    if (nd->reply)
        natsConnection_PublishString(nb->nc, nd->reply, ok ? "+ACK" : "-NAK");
    free(nd);
}

static void nats_durability(ob_broker *b, char *buf, size_t cap)
{
    nats_broker *nb = (nats_broker *)b;
    if (!nb->jetstream) {
        snprintf(buf, cap,
                 "{\"mode\":\"core\",\"broker_ack\":false,\"delivery\":\"at-most-once\","
                 "\"publish_ack\":\"none\",\"acked_means\":\"the server read it (a marker's "
                 "round trip every %ld messages or when idle)\",\"subject\":\"%s\",\"queue_group\":\"%s\"}",
                 nb->flush_every, nb->subject, nb->queue);
        return;
    }
    snprintf(buf, cap,
             "{\"mode\":\"jetstream\",\"broker_ack\":true,\"delivery\":\"at-least-once\",\"publish_ack\":\"PubAck\","
             "\"stream\":\"%s\",\"subject\":\"%s\",\"storage\":\"%s\",\"replicas\":%ld,"
             "\"max_pending\":%ld,\"consumer\":\"%s\",\"consumer_ack\":\"explicit\","
             "\"max_ack_pending\":%ld,\"ack_wait_ms\":%ld}",
             nb->stream, nb->subject, nb->storage, nb->replicas, nb->max_pending, nb->durable,
             nb->max_ack_pending, nb->ack_wait_ms);
}

static void nats_close(ob_broker *b)
{
    nats_broker *nb = (nats_broker *)b;
    if (!nb)
        return;
    atomic_store(&nb->stop, true);
    if (nb->reader_started)
        pthread_join(nb->reader, NULL);
    natsSubscription_Destroy(nb->sub);
    natsSubscription_Destroy(nb->pull_sub);
    natsInbox_Destroy((natsInbox *)nb->pull_inbox);
    natsSubscription_Destroy(nb->marker_sub);
    jsCtx_Destroy(nb->js);
    natsConnection_Destroy(nb->nc);
    pthread_mutex_destroy(&nb->lock);
    free(nb->slots);
    free(nb->open_batch);
    while (nb->sent_head) {
        core_batch *next = nb->sent_head->next;
        free(nb->sent_head);
        nb->sent_head = next;
    }
    natsInbox_Destroy((natsInbox *)nb->marker_inbox);
    pthread_cond_destroy(&nb->sent_empty);
    free(nb);
}


static void nats_library_init(void)
{
    nats_Open(-1);
}

static int nats_open(ob_broker **out, const ob_url *url, const ob_broker_opts *opts, ob_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    nats_broker *nb = calloc(1, sizeof *nb);
    natsOptions *no = NULL;
    if (!nb)
        return ob_err_set(err, "nats: out of memory");
    nb->base.ops = &ob_nats_ops;
    nb->base.on_ack = opts->on_ack;
    nb->base.ack_arg = opts->ack_arg;
    nb->role = opts->role;
    pthread_mutex_init(&nb->lock, NULL);
    pthread_cond_init(&nb->sent_empty, NULL);
    ob_url_hostport(url, 4222, nb->address, sizeof nb->address);
    if (ob_url_param_bool(url, "jetstream", false, &nb->jetstream, err) != 0 ||
        ob_option_copy("nats", ob_url_param_str(url, "subject", "outbreak.records"), "subject", nb->subject,
                       sizeof nb->subject, false, err) ||
        ob_option_copy("nats", ob_url_param_str(url, "stream", "OUTBREAK"), "stream", nb->stream,
                       sizeof nb->stream, false, err) ||
        ob_option_copy("nats", ob_url_param_str(url, "durable", "outbreak-sink"), "durable", nb->durable,
                       sizeof nb->durable, false, err) ||
        ob_option_copy("nats", ob_url_param_str(url, "queue", "outbreak-sink"), "queue", nb->queue,
                       sizeof nb->queue, false, err) ||
        ob_option_copy("nats", ob_url_param_str(url, "storage", "file"), "storage", nb->storage,
                       sizeof nb->storage, false, err) ||
        ob_url_param_int(url, "replicas", 1, 1, 5, &nb->replicas, err) ||
        ob_url_param_int(url, "max_pending", 4096, 1, 1 << 20, &nb->max_pending, err) ||
        ob_url_param_int(url, "flush_every", 256, 1, 1 << 20, &nb->flush_every, err) ||
        ob_url_param_int(url, "batch", 256, 1, 10000, &nb->batch, err) ||
        ob_url_param_int(url, "max_ack_pending", 4096, 1, 1 << 20, &nb->max_ack_pending, err) ||
        ob_url_param_int(url, "ack_wait", 30000, 100, 3600000, &nb->ack_wait_ms, err))
        goto fail;
    if (strcmp(nb->storage, "file") != 0 && strcmp(nb->storage, "memory") != 0) {
        ob_err_set(err, "nats: storage must be file or memory, not \"%s\"", nb->storage);
        goto fail;
    }
    if (opts->role == OB_ROLE_PUBLISHER && !opts->on_ack) {
        ob_err_set(err, "nats: a publisher needs an ack callback");
        goto fail;
    }
    pthread_once(&once, nats_library_init);

    char server[320];
    snprintf(server, sizeof server, "nats://%s", nb->address);
    int timeout = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 3000;
    natsStatus s = natsOptions_Create(&no);
    if (s == NATS_OK)
        s = natsOptions_SetURL(no, server);
    if (s == NATS_OK && url->user)
        s = natsOptions_SetUserInfo(no, url->user, url->pass ? url->pass : "");
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(no, timeout);
    if (s == NATS_OK)
        s = natsOptions_SetName(no, opts->client_name ? opts->client_name : "outbreak");
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(no, 120);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(no, 250);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectBufSize(no, 64 * 1024 * 1024);
    if (s == NATS_OK) /* a larger socket buffer: fewer writes for a fast publisher */
        s = natsOptions_SetIOBufSize(no, 256 * 1024);
    if (s != NATS_OK) {
        nats_fail(err, "cannot set options for", nb->address, s);
        goto fail;
    }
    s = natsConnection_Connect(&nb->nc, no);
    if (s != NATS_OK) {
        nats_fail(err, "cannot connect to", nb->address, s);
        goto fail;
    }
    if (!nb->jetstream && opts->role == OB_ROLE_PUBLISHER && core_open_markers(nb, err) != 0)
        goto fail;
    if (nb->jetstream) {
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.Wait = timeout;
        if (opts->role == OB_ROLE_PUBLISHER) {
            jo.PublishAsync.MaxPending = nb->max_pending;
            jo.PublishAsync.AckHandler = js_on_puback;
            jo.PublishAsync.AckHandlerClosure = nb;
            jo.PublishAsync.StallWait = 10000;
            nb->nslots = 1;
            while (nb->nslots < (size_t)nb->max_pending * 4)
                nb->nslots <<= 1;
            nb->slots = calloc(nb->nslots, sizeof *nb->slots);
            if (!nb->slots) {
                ob_err_set(err, "nats: out of memory");
                goto fail;
            }
        }
        s = natsConnection_JetStream(&nb->js, nb->nc, &jo);
        if (s != NATS_OK) {
            nats_fail(err, "cannot get a JetStream context on", nb->address, s);
            goto fail;
        }
        if (js_ensure_stream(nb, err) != 0)
            goto fail;
    }
    natsOptions_Destroy(no);
    *out = &nb->base;
    return 0;
fail:
    natsOptions_Destroy(no);
    nats_close(&nb->base);
    return -1;
}

const ob_broker_ops ob_nats_ops = {
    .scheme = "nats",
    .way = "nats",
    .params = nats_params,
    .open = nats_open,
    .publish = nats_publish,
    .poll = nats_poll,
    .flush = nats_flush,
    .subscribe = nats_subscribe,
    .settle = nats_settle,
    .durability = nats_durability,
    .close = nats_close,
};
