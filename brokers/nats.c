/* nats.c — the NATS adapter (cnats): core NATS and JetStream.
 *
 *   nats://host:4222                      core NATS: at-most-once, no broker ack
 *   nats://host:4222?jetstream=1          JetStream: async publish with PubAck, durable
 *                                         pull consumer with explicit acks on the sink side
 *
 * Core NATS has no acknowledgement. What can be measured is the flush round trip: the
 * adapter sends a PING after every `flush_every` messages (or when the publisher idles
 * with messages older than 1 ms) and, when the PONG comes back, reports every message
 * sent before it as acked — the server has read them. So "acked" for core NATS means
 * "received by the server", and publish latency includes up to 1 ms of batching.
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

    /* core publisher: tokens sent since the last flush */
    uint64_t *unflushed;
    size_t nunflushed, cap_unflushed;
    int64_t first_unflushed_ns;

    /* JetStream publisher */
    pthread_mutex_t lock;
    inflight_slot *slots;
    size_t nslots; /* power of two */
    size_t ninflight;

    /* subscriber */
    natsSubscription *sub;
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
        nb->base.on_ack(nb->base.ack_arg, token, ok, why);
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

static int nats_publish(ob_broker *b, const ob_msg *m, ob_err *err)
{
    nats_broker *nb = (nats_broker *)b;
    natsStatus s;
    if (!nb->jetstream) {
        s = natsConnection_Publish(nb->nc, nb->subject, m->data, (int)m->len);
        if (s != NATS_OK)
            return nats_fail(err, "publish to", nb->address, s);
        if (nb->nunflushed == nb->cap_unflushed) {
            size_t cap = nb->cap_unflushed ? nb->cap_unflushed * 2 : 1024;
            uint64_t *p = realloc(nb->unflushed, cap * sizeof *p);
            if (!p)
                return ob_err_set(err, "nats: out of memory");
            nb->unflushed = p;
            nb->cap_unflushed = cap;
        }
        if (nb->nunflushed == 0)
            nb->first_unflushed_ns = ob_mono_ns();
        nb->unflushed[nb->nunflushed++] = m->token;
        if ((long)nb->nunflushed >= nb->flush_every)
            nb->base.ops->flush(b, 5000);
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

static void nats_poll(ob_broker *b)
{
    nats_broker *nb = (nats_broker *)b;
    if (!nb->jetstream && nb->nunflushed > 0 &&
        ob_mono_ns() - nb->first_unflushed_ns >= OB_NS_PER_MS)
        b->ops->flush(b, 5000);
}

static int nats_flush(ob_broker *b, int timeout_ms)
{
    nats_broker *nb = (nats_broker *)b;
    if (nb->role != OB_ROLE_PUBLISHER)
        return 0;
    if (!nb->jetstream) {
        if (nb->nunflushed == 0)
            return 0;
        natsStatus s = natsConnection_FlushTimeout(nb->nc, timeout_ms > 0 ? timeout_ms : 1);
        bool ok = s == NATS_OK;
        const char *why = ok ? NULL : natsStatus_GetText(s);
        size_t n = nb->nunflushed;
        nb->nunflushed = 0;
        for (size_t i = 0; i < n; i++)
            nb->base.on_ack(nb->base.ack_arg, nb->unflushed[i], ok, why);
        return ok ? 0 : (int)n;
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
                nb->base.on_ack(nb->base.ack_arg, token, false, "no PubAck before the timeout");
                failed++;
            }
        }
        natsMsgList_Destroy(&pending);
    }
    return failed;
}

/* --- subscriber --------------------------------------------------------------------- */

static void *reader_main(void *arg)
{
    nats_broker *nb = arg;
    while (!atomic_load(&nb->stop)) {
        if (nb->jetstream) {
            natsMsgList list = {0};
            jsErrCode jerr = 0;
            natsStatus s = natsSubscription_Fetch(&list, nb->sub, (int)nb->batch, 500, &jerr);
            if (s == NATS_OK) {
                for (int i = 0; i < list.Count; i++) {
                    ob_delivery *d = malloc(sizeof *d);
                    if (!d)
                        break; /* left unacked: the broker redelivers */
                    natsMsg *msg = list.Msgs[i];
                    list.Msgs[i] = NULL;
                    d->data = natsMsg_GetData(msg);
                    d->len = (size_t)natsMsg_GetDataLength(msg);
                    d->redelivered = false;
                    d->handle = msg;
                    nb->deliver(nb->deliver_arg, d);
                }
                natsMsgList_Destroy(&list);
            } else if (s != NATS_TIMEOUT) {
                nats_Sleep(100); /* disconnected: cnats reconnects, we retry */
            }
        } else {
            natsMsg *msg = NULL;
            natsStatus s = natsSubscription_NextMsg(&msg, nb->sub, 500);
            if (s == NATS_OK) {
                ob_delivery *d = malloc(sizeof *d);
                if (!d) {
                    natsMsg_Destroy(msg);
                    continue;
                }
                d->data = natsMsg_GetData(msg);
                d->len = (size_t)natsMsg_GetDataLength(msg);
                d->redelivered = false;
                d->handle = msg;
                nb->deliver(nb->deliver_arg, d);
            } else if (s != NATS_TIMEOUT) {
                nats_Sleep(100);
            }
        }
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
    natsMsg *msg = d->handle;
    if (nb->jetstream) {
        if (ok)
            natsMsg_Ack(msg, NULL);
        else
            natsMsg_Nak(msg, NULL);
    }
    natsMsg_Destroy(msg);
    free(d);
}

static void nats_durability(ob_broker *b, char *buf, size_t cap)
{
    nats_broker *nb = (nats_broker *)b;
    if (!nb->jetstream) {
        snprintf(buf, cap,
                 "{\"mode\":\"core\",\"broker_ack\":false,\"delivery\":\"at-most-once\","
                 "\"publish_ack\":\"none: acked = server read it (flush round trip every %ld "
                 "messages or 1 ms)\",\"subject\":\"%s\",\"queue_group\":\"%s\"}",
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
    jsCtx_Destroy(nb->js);
    natsConnection_Destroy(nb->nc);
    pthread_mutex_destroy(&nb->lock);
    free(nb->slots);
    free(nb->unflushed);
    free(nb);
}

static int copy_param(const ob_url *url, const char *key, const char *def, char *dst, size_t cap,
                      ob_err *err)
{
    const char *v = ob_url_param_str(url, key, def);
    if (!*v || strlen(v) >= cap)
        return ob_err_set(err, "nats: option %s must be 1..%zu characters", key, cap - 1);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
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
    ob_url_hostport(url, 4222, nb->address, sizeof nb->address);
    if (ob_url_param_bool(url, "jetstream", false, &nb->jetstream, err) != 0 ||
        copy_param(url, "subject", "outbreak.records", nb->subject, sizeof nb->subject, err) ||
        copy_param(url, "stream", "OUTBREAK", nb->stream, sizeof nb->stream, err) ||
        copy_param(url, "durable", "outbreak-sink", nb->durable, sizeof nb->durable, err) ||
        copy_param(url, "queue", "outbreak-sink", nb->queue, sizeof nb->queue, err) ||
        copy_param(url, "storage", "file", nb->storage, sizeof nb->storage, err) ||
        ob_url_param_int(url, "replicas", 1, 1, 5, &nb->replicas, err) ||
        ob_url_param_int(url, "max_pending", 4096, 1, 1 << 20, &nb->max_pending, err) ||
        ob_url_param_int(url, "flush_every", 256, 1, 1 << 20, &nb->flush_every, err) ||
        ob_url_param_int(url, "batch", 256, 1, 10000, &nb->batch, err) ||
        ob_url_param_int(url, "max_ack_pending", 20000, 1, 1 << 20, &nb->max_ack_pending, err) ||
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
    if (s != NATS_OK) {
        nats_fail(err, "cannot set options for", nb->address, s);
        goto fail;
    }
    s = natsConnection_Connect(&nb->nc, no);
    if (s != NATS_OK) {
        nats_fail(err, "cannot connect to", nb->address, s);
        goto fail;
    }
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
