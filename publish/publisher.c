/* publisher.c — the in-flight ring and the ack path shared by the load generator's
 * workers and the gateway (see publisher.h). */
#include "publisher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* A record in flight, at token & mask. `busy` hands the slot from the sending thread to
 * the ack thread and back. */
typedef struct slot {
    int64_t intended_mono;
    int64_t sent_mono;
    void *ctx;
    atomic_bool busy;
} slot;

struct ob_publisher {
    ob_broker *broker;
    slot *ring;
    uint64_t mask;
    uint64_t next_token;
    ob_pub_done_fn *on_done;
    void *done_arg;
    ob_pub_stats stats;
    ob_pub_stats warmup_stats; /* counters only: no histograms */
    /* the first measured token: the warm-up's end (UINT64_MAX while it lasts; 1 without
     * one). Written once by the owner before the send of that token, read on the ack
     * path, which an ack of a later token reaches only after that send. */
    _Atomic uint64_t measure_from;
};

/* The statistics a token counts in: the warm-up's or the measured ones. */
static inline ob_pub_stats *stats_of(ob_publisher *p, uint64_t token)
{
    return token < atomic_load_explicit(&p->measure_from, memory_order_acquire) ? &p->warmup_stats : &p->stats;
}

/* Adds to a counter that only one thread writes (others may read it): a relaxed load and
 * store, without the cost of a locked read-modify-write. */
static inline void bump(atomic_llong *c, long long n)
{
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + n, memory_order_relaxed);
}

static void note_failure(ob_pub_stats *st, const char *msg)
{
    /* compared as stored: a long message is kept cut, and must match its cut self */
    char cut[sizeof st->failures[0].msg];
    snprintf(cut, sizeof cut, "%s", msg && *msg ? msg : "unknown error");
    for (int i = 0; i < st->nfailure_kinds; i++)
        if (strcmp(st->failures[i].msg, cut) == 0) {
            st->failures[i].count++;
            return;
        }
    int i = st->nfailure_kinds < OB_MAX_FAILURE_KINDS ? st->nfailure_kinds++ : OB_MAX_FAILURE_KINDS - 1;
    if (i == OB_MAX_FAILURE_KINDS - 1 && st->failures[i].count)
        snprintf(cut, sizeof cut, "other errors");
    snprintf(st->failures[i].msg, sizeof st->failures[i].msg, "%s", cut);
    st->failures[i].count++;
}

static void complete(ob_publisher *p, uint64_t token, bool ok, const char *errmsg, ob_err_kind kind,
                     int64_t now)
{
    slot *s = &p->ring[token & p->mask];
    void *ctx = s->ctx;
    ob_pub_stats *st = stats_of(p, token);
    if (ok) {
        if (st->publish) {
            ob_hist_record(st->publish, now - s->intended_mono);
            ob_hist_record(st->publish_raw, now - s->sent_mono);
        }
        bump(&st->acked, 1); /* positive acks come from the adapter's one ack path */
    } else {
        if (!errmsg || !*errmsg)
            errmsg = "no acknowledgement";
        note_failure(st, errmsg);
        atomic_fetch_add_explicit(&st->failed, 1, memory_order_relaxed);
    }
    atomic_store_explicit(&s->busy, false, memory_order_release);
    if (p->on_done)
        p->on_done(p->done_arg, token, ctx, ok, errmsg, kind, now);
}

/* The adapter's ack callback. */
static void on_ack(void *arg, uint64_t token, bool ok, const char *errmsg, int64_t now)
{
    complete(arg, token, ok, errmsg, OB_ERR_UNAVAILABLE, now);
}

uint64_t ob_publisher_next_token(const ob_publisher *p)
{
    return p->next_token;
}

bool ob_publisher_ready(const ob_publisher *p)
{
    return !atomic_load_explicit(&p->ring[p->next_token & p->mask].busy, memory_order_acquire);
}

long long ob_publisher_inflight(const ob_publisher *p)
{
    /* acked/failed before sent: never negative */
    const ob_pub_stats *w = &p->warmup_stats, *m = &p->stats;
    long long done = atomic_load_explicit(&w->acked, memory_order_relaxed) +
                     atomic_load_explicit(&w->failed, memory_order_relaxed) +
                     atomic_load_explicit(&m->acked, memory_order_relaxed) +
                     atomic_load_explicit(&m->failed, memory_order_relaxed);
    return atomic_load_explicit(&w->sent, memory_order_relaxed) + atomic_load_explicit(&m->sent, memory_order_relaxed) -
           done;
}

/* Takes the next token's slot (free: checked by the caller). */
static uint64_t take_slot(ob_publisher *p, int64_t intended, int64_t now, void *ctx, size_t len)
{
    uint64_t token = p->next_token++;
    slot *s = &p->ring[token & p->mask];
    s->intended_mono = intended;
    s->sent_mono = now;
    s->ctx = ctx;
    atomic_store_explicit(&s->busy, true, memory_order_relaxed);
    ob_pub_stats *st = stats_of(p, token);
    bump(&st->sent, 1);
    bump(&st->bytes, (long long)len);
    return token;
}

int ob_publisher_send(ob_publisher *p, const char *data, size_t len, const char *key, int64_t intended,
                      int64_t now, void *ctx, ob_err *err)
{
    if (!ob_publisher_ready(p))
        return 1;
    uint64_t token = take_slot(p, intended, now, ctx, len);
    ob_msg m = {.data = data, .len = len, .key = key, .token = token};
    ob_err e;
    if (ob_broker_publish(p->broker, &m, &e) != 0) {
        /* failed now: no ack will come; account for it here */
        complete(p, token, false, e.msg, e.kind, ob_mono_ns());
        if (err)
            *err = e;
        return -1;
    }
    return 0;
}

void ob_publisher_fail_next(ob_publisher *p, int64_t intended, int64_t now, void *ctx, const char *errmsg)
{
    uint64_t token = take_slot(p, intended, now, ctx, 0);
    complete(p, token, false, errmsg, OB_ERR_USAGE, now);
}

bool ob_publisher_poll(ob_publisher *p, int64_t until_mono)
{
    return ob_broker_poll(p->broker, until_mono);
}

int ob_publisher_flush(ob_publisher *p, int timeout_ms)
{
    return ob_broker_flush(p->broker, timeout_ms > 0 ? timeout_ms : 1);
}

ob_pub_stats *ob_publisher_stats(ob_publisher *p)
{
    return &p->stats;
}

ob_pub_stats *ob_publisher_warmup_stats(ob_publisher *p)
{
    return &p->warmup_stats;
}

void ob_publisher_measure(ob_publisher *p)
{
    if (atomic_load_explicit(&p->measure_from, memory_order_relaxed) == UINT64_MAX) {
        ob_broker_measure_from(p->broker, p->next_token);
        atomic_store_explicit(&p->measure_from, p->next_token, memory_order_release);
    }
}

const char *ob_publisher_way(const ob_publisher *p)
{
    return ob_broker_way(p->broker);
}

bool ob_publisher_acks_on_own_threads(const ob_publisher *p)
{
    return ob_broker_acks_on_own_threads(p->broker);
}

int ob_publisher_loop_fd(ob_publisher *p, uint64_t *attached)
{
    return ob_broker_loop_fd(p->broker, attached);
}

void ob_publisher_durability(ob_publisher *p, ob_durability *d)
{
    ob_broker_durability(p->broker, d);
}

int ob_publisher_open(ob_publisher **out, const char *url, const ob_publisher_opts *o, ob_err *err)
{
    *out = NULL;
    if (o->window < 1 || (o->window & (o->window - 1)) != 0)
        return ob_err_setk(err, OB_ERR_USAGE, "the in-flight window must be a power of two, not %ld",
                           o->window);
    ob_publisher *p = calloc(1, sizeof *p);
    if (!p)
        return ob_err_set(err, "out of memory");
    p->next_token = 1;
    atomic_init(&p->measure_from, o->warmup ? UINT64_MAX : 1);
    p->mask = (uint64_t)o->window - 1;
    p->on_done = o->on_done;
    p->done_arg = o->done_arg;
    p->ring = calloc((size_t)o->window, sizeof *p->ring);
    p->stats.publish = ob_hist_new();
    p->stats.publish_raw = ob_hist_new();
    if (!p->ring || !p->stats.publish || !p->stats.publish_raw) {
        ob_err_set(err, "out of memory");
        goto fail;
    }
    ob_broker_opts bo = {
        .role = OB_ROLE_PUBLISHER,
        .client_name = o->client_name,
        .connect_timeout_ms = o->connect_timeout_ms,
        .on_ack = on_ack,
        .ack_arg = p,
        .paced_rate = o->paced_rate,
        .paced_tick_ns = o->paced_tick_ns,
        .paced_open = o->paced_open,
        .warmup = o->warmup,
        .loop_driven = o->loop_driven,
    };
    if (ob_broker_open(&p->broker, url, &bo, err) != 0)
        goto fail;
    *out = p;
    return 0;
fail:
    ob_publisher_close(p);
    return -1;
}

void ob_publisher_close(ob_publisher *p)
{
    if (!p)
        return;
    ob_broker_close(p->broker);
    ob_hist_free(p->stats.publish);
    ob_hist_free(p->stats.publish_raw);
    free(p->ring);
    free(p);
}
