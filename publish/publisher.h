/* publisher.h — one broker connection used to publish, with the in-flight ring and the
 * ack handling that the load generator's workers and the gateway share.
 *
 * Every publish gets a token, the publisher's own sequence number from 1; the ring,
 * indexed by token & (window - 1), remembers for each record in flight when it was
 * meant to go (intended) and when it went (sent), and the caller's context (a user
 * number, a request). An ack becomes two latencies (ack − intended: coordinated
 * omission corrected; ack − sent), a count, and one call of the caller's on_done with
 * that context. A slot is busy from the send until its ack: at most `window` records
 * are in flight.
 *
 * Threads: send, poll, flush and close belong to one thread (the broker handle's owner,
 * broker.h); on_done runs where the adapter delivers acks (that thread, or the client
 * library's own: NATS), never twice at a time. The counters are atomics and the
 * histograms are copy-safe (histogram.h), so any thread may read the statistics live;
 * `failures` only after the owner has finished. */
#ifndef OB_PUBLISHER_H
#define OB_PUBLISHER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker.h"
#include "histogram.h"

#define OB_MAX_FAILURE_KINDS 16

typedef struct ob_failure_kind {
    char msg[256];
    int64_t count;
} ob_failure_kind;

typedef struct ob_pub_stats {
    atomic_llong sent;   /* publish attempts */
    atomic_llong acked;  /* positive broker acks */
    atomic_llong failed; /* publish errors, negative acks, acks missing at the end */
    atomic_llong bytes;  /* payload bytes of the publish attempts */
    ob_hist *publish;     /* ack − intended send (ns) */
    ob_hist *publish_raw; /* ack − actual send (ns) */
    /* written by the ack path only; read after the owner has flushed */
    ob_failure_kind failures[OB_MAX_FAILURE_KINDS];
    int nfailure_kinds;
} ob_pub_stats;

typedef struct ob_publisher ob_publisher;

/* Called once per send that returned 0 or -1 (see ob_publisher_send), after the
 * statistics were updated and the slot freed: `ctx` is what the send carried, ok the
 * broker's answer, errmsg why not (never NULL when !ok), kind what sort of failure
 * (OB_ERR_UNAVAILABLE for a broker's negative or missing ack), now the instant
 * (CLOCK_MONOTONIC ns). */
typedef void ob_pub_done_fn(void *arg, uint64_t token, void *ctx, bool ok, const char *errmsg,
                            ob_err_kind kind, int64_t now);

typedef struct ob_publisher_opts {
    long window;              /* records in flight at most; a power of two >= 1 */
    const char *client_name;  /* shows in the broker's connection list */
    int connect_timeout_ms;   /* 0: the registry's default */
    ob_pub_done_fn *on_done;  /* may be NULL */
    void *done_arg;
    double paced_rate;        /* records/s this publisher is paced at (0: full speed or
                               * unknown): ob_broker_opts' hint */
    int64_t paced_tick_ns;    /* the records due within this step go together (--tick; 0:
                               * each at its time): ob_broker_opts' hint */
    bool paced_open;          /* the open model (a schedule, no user waiting for an ack):
                               * ob_broker_opts' hint */
    bool warmup;              /* the first sends are a warm-up: counted apart (see
                               * ob_publisher_warmup_stats) until ob_publisher_measure */
    bool loop_driven;         /* the caller's event loop watches ob_publisher_loop_fd and
                               * polls when it is readable: ob_broker_opts' loop_driven */
} ob_publisher_opts;

/* Opens the broker of `url` as a publisher. The error names the address, with the
 * adapter's kind; *out is NULL then. */
int ob_publisher_open(ob_publisher **out, const char *url, const ob_publisher_opts *o, ob_err *err);
/* NULL-safe; closes the broker (records still in flight get no on_done: flush first). */
void ob_publisher_close(ob_publisher *p);

/* The token the next send will get. Owner thread. */
uint64_t ob_publisher_next_token(const ob_publisher *p);
/* True if the next send has a free slot. Owner thread. */
bool ob_publisher_ready(const ob_publisher *p);
/* Records in flight (sent − acked − failed), from any thread. */
long long ob_publisher_inflight(const ob_publisher *p);

/* Publishes data[0..len) (key: the partitioning hint, may be NULL) under the next token,
 * meant to go at `intended`, going at `now` (CLOCK_MONOTONIC ns), carrying ctx.
 * Returns 1 without sending when the slot is still busy (the window is full: poll and
 * retry); 0 when sent (on_done follows); -1 when it failed at once, with err filled and
 * on_done already called. Owner thread. */
int ob_publisher_send(ob_publisher *p, const char *data, size_t len, const char *key, int64_t intended,
                      int64_t now, void *ctx, ob_err *err);
/* Counts a record that could not be sent under the next token (it could not be encoded)
 * as sent and failed with errmsg, calling on_done; the token is used up. Owner thread. */
void ob_publisher_fail_next(ob_publisher *p, int64_t intended, int64_t now, void *ctx, const char *errmsg);

/* ob_broker_poll: lets the adapter make progress on acks until until_mono; true if it
 * waited (the caller need not sleep). Owner thread. */
bool ob_publisher_poll(ob_publisher *p, int64_t until_mono);
/* ob_broker_flush: waits for every ack up to timeout_ms (at least 1); what has none by
 * then is reported failed. Returns how many. Owner thread. */
int ob_publisher_flush(ob_publisher *p, int timeout_ms);

/* The live statistics (see the threads note above): of the measured sends, those from
 * ob_publisher_measure on when the publisher was opened with `warmup`. */
ob_pub_stats *ob_publisher_stats(ob_publisher *p);
/* Opened with `warmup`: the sends before ob_publisher_measure are the warm-up. Their
 * sends, acks, failures and bytes are counted here, whenever their acks come, and in no
 * histogram; ob_publisher_stats never sees them. Without `warmup`: all zero. */
ob_pub_stats *ob_publisher_warmup_stats(ob_publisher *p);
/* Ends the warm-up: the next send and every one after it are measured. Owner thread;
 * once (later calls change nothing). */
void ob_publisher_measure(ob_publisher *p);
/* The middleware's name (the record's `way`). */
const char *ob_publisher_way(const ob_publisher *p);
/* True if acks come on the client library's own threads and poll returns at once
 * (broker.h: acks_on_own_threads): a thread with other work to do (the gateway's event
 * loop) can publish and poll between its own waits. */
bool ob_publisher_acks_on_own_threads(const ob_publisher *p);
/* ob_broker_loop_fd: opened loop_driven, the socket whose readability means acks for
 * ob_publisher_poll to read, and a number that changes when the socket is replaced; -1
 * when acks come on the library's threads. Any thread. */
int ob_publisher_loop_fd(ob_publisher *p, uint64_t *attached);
/* The broker's durability settings, into *d (release with ob_durability_free). */
void ob_publisher_durability(ob_publisher *p, ob_durability *d);

#endif
