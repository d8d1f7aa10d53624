/* worker.h — one load-generating thread: its own broker connection, its share of the
 * users (closed model) or of the rate (open model), and its own counters and
 * histograms, which the reporter reads without locks (see histogram.h).
 *
 * Every record carries (run, producer = process << 8 | worker id, seq, sent_ns = intended
 * send time); the process part (plan->process) keeps the _ids of processes that share a
 * run id apart (record.h).
 *
 * With a warm-up (--warmup) the records meant to go before plan->t0_mono carry the run
 * id "RUN.warmup" (ob_warmup_run_id) and count in the publisher's warm-up statistics;
 * from the first record meant to go at or after t0_mono on, the run id and the
 * measured statistics. The worker's own figures (send delay, idle, window wait, CPU and
 * wall time) start there too.
 * Publishing goes through the shared publisher (publisher.h), whose token is the seq:
 * its in-flight ring remembers when each record was meant to go and when it went, so an
 * ack becomes two latencies: from the intended time (coordinated omission corrected) and
 * from the actual send. */
#ifndef OB_WORKER_H
#define OB_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker.h"
#include "histogram.h"
#include "options.h"
#include "publisher.h"

/* The pre-encoded body of one record (JSON without the closing brace). */
typedef struct ob_payload {
    char *body;
    size_t len;
    const char *key; /* the record's location: a partitioning key for adapters that use one */
} ob_payload;

/* The load the workers follow, changed while they run (ob_run_change_load): the closed
 * model's users and their start schedule, the open model's rate. User u (global, from 0)
 * starts at spawn_t0 when u < spawn_base, else at spawn_t0 + (u - spawn_base) /
 * spawn_rate; users u >= users stop after their current record. */
typedef struct ob_load {
    long users;         /* closed model: the target number of users */
    double spawn_rate;  /* closed model: users started per second */
    long spawn_base;    /* users below it are due at once (the schedule started them) */
    int64_t spawn_t0;   /* monotonic: when the schedule of the users above spawn_base began */
    double rate;        /* open model: records per second in all */
    int64_t changed;    /* monotonic: the change's instant (t0_mono at the start) */
} ob_load;

/* What all workers share, read-only once they run (but `running` and the load). */
typedef struct ob_plan {
    const ob_run_opts *opts;
    uint32_t process;  /* the process part of the producer ids (record.h), 1..2^24-1 */
    /* the stripes of the schedule: thread t of worker process I (of N) owns stripe
     * lane = I + N * t of lanes = N * threads: the open model's arrivals lane, lane +
     * lanes, ..., the closed model's users likewise, --once's records likewise; the
     * union over every thread of every process is the schedule of one process */
    long worker, workers, lanes;
    const ob_payload *payloads;
    size_t npayloads;
    size_t payload_max; /* the longest payload's len (a worker's send buffer fits it) */
    int64_t t0_mono; /* the start of the measured time on the monotonic clock */
    int64_t t0_real; /* the same instant on CLOCK_REALTIME */
    int64_t start_mono; /* the schedule's origin: the warm-up's start (--warmup), t0_mono
                           without one; the load goes on unbroken across t0_mono */
    int64_t end_mono; /* stop sending at this instant (INT64_MAX: no limit) */
    atomic_bool running; /* cleared by the controller to stop sending */
    /* the load: written under load_lock, then load_gen incremented (release); a worker
     * compares load_gen with the generation it follows once per loop iteration and
     * copies `load` under the lock only when it moved (ob_plan_load) */
    pthread_mutex_t load_lock;
    ob_load load;
    atomic_uint load_gen;
} ob_plan;

/* Copies plan->load into *out under the lock; returns the generation copied. */
unsigned ob_plan_load(ob_plan *plan, ob_load *out);

typedef struct ob_worker ob_worker;

typedef struct ob_worker_stats {
    ob_pub_stats *pub;   /* the publisher's: sent, acked, failed, bytes, publish latencies,
                            failures (read after the worker has joined) */
    atomic_llong users;  /* closed model: active users (started and not stopped) */
    atomic_llong window_wait_ns; /* open model: time a due record waited for a free
                                    in-flight slot (the window full) */
    atomic_llong sending_cpu_ns; /* the thread's CPU time until it stopped sending (from
                                    the warm-up's end) */
    atomic_llong idle_ns;        /* open model: time waiting for records' intended times */
    atomic_llong sending_wall_ns; /* open model: from the thread's start (the warm-up's
                                     end) until it stopped sending; wall − idle − window
                                     wait − CPU is the time it waited inside the
                                     adapter's publish */
    ob_pub_stats *warmup; /* the publisher's warm-up counts (all 0 without --warmup) */
    ob_hist *send_delay; /* actual − intended send (ns) */
} ob_worker_stats;

/* Creates worker `index` (producer id plan->process << OB_PRODUCER_WORKER_BITS | index + 1)
 * and connects its broker. The error names the broker address. */
int ob_worker_create(ob_worker **out, int index, ob_plan *plan, ob_err *err);
/* Starts the thread. */
int ob_worker_start(ob_worker *w, ob_err *err);
/* Joins the thread (which stops sending when plan->running is cleared or its share is
 * done, then flushes its broker for at most the stop timeout). */
void ob_worker_join(ob_worker *w);
/* Wakes the thread if it waits for its users (after a change of plan->load). Any
 * thread. */
void ob_worker_wake(ob_worker *w);
/* True once the thread has stopped sending and flushed its broker. */
bool ob_worker_finished(ob_worker *w);
/* When the thread finished (monotonic ns: its last record sent and its broker flushed);
 * 0 while it has not. */
int64_t ob_worker_finished_mono(ob_worker *w);
/* True once the thread has sent all it was to send (--once: its records; --iterations:
 * its share of them); false while it sends, and for a run bounded by time alone. */
bool ob_worker_share_sent(ob_worker *w);
/* The worker's statistics (live: counters atomic, histograms copy-safe). */
ob_worker_stats *ob_worker_stats_of(ob_worker *w);
/* The middleware's name (the record's `way`). */
const char *ob_worker_way(ob_worker *w);
/* The broker's durability settings, into *d (release with ob_durability_free). */
void ob_worker_durability(ob_worker *w, ob_durability *d);
/* NULL-safe; closes the broker. */
void ob_worker_free(ob_worker *w);

#endif
