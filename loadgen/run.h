/* run.h — the engine of `outbreak run`: loads the records, connects the workers and the
 * store, runs the load, samples the measurements every second into a series, stops,
 * waits for the sinks to drain and fills in what the run measured (ob_run_result). It
 * prints nothing but progress lines on stderr; the command (cmd/run.c) and the reports
 * (report/) decide what to show.
 *
 * Figures that could not be measured are -1 (counts) or NULL (histograms) here and
 * `null` in JSON, never 0.
 *
 * persisted, duplicates, lost and unconfirmed are this process's: the records of its
 * own producers (several `outbreak run` processes may share a run id); the end-to-end
 * histogram and the series' persisted counts are the run id's, over every process. */
#ifndef OB_RUN_H
#define OB_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "histogram.h"
#include "options.h"
#include "worker.h"

/* One second of the run. Counts are for that second; percentiles too. */
typedef struct ob_series_point {
    double t; /* seconds since the start, at the end of the interval */
    int64_t users, sent, acked, failed;
    int64_t persisted;                          /* -1: unknown */
    int64_t total_sent, total_acked, total_failed;
    double publish_pct_ms[OB_PERCENTILE_COUNT]; /* interval, from intended send */
    double total_median_ms, total_mean_ms, total_min_ms, total_max_ms; /* cumulative */
    double e2e_p99_ms;                          /* interval; -1: unknown */
} ob_series_point;

typedef struct ob_run_result {
    const ob_run_opts *opts;
    const char *way;        /* the middleware: the records' `way` */
    char url[256];          /* the broker URL as shown: password masked */
    ob_durability durability; /* the adapter's settings in force (the summary's "durability") */
    const char *mode;       /* durability.mode, the adapter's name for its settings */
    bool broker_acks;       /* durability.broker_ack; false: the middleware has no ack */
    const char *ack_meaning; /* durability.acked_means: what acked means without an ack */
    double duration_s;      /* sending phase */
    int64_t t0_real_ns;     /* start, CLOCK_REALTIME */
    double persist_s;       /* start until the sink had persisted what it would (drain end) */
    int64_t users;          /* closed model: users at the end; open model: 0 */
    int64_t sent, acked, failed;
    int64_t bytes_sent;
    int64_t persisted, duplicates, invalid, lost; /* -1: unknown (no --mongo) */
    int64_t unconfirmed;    /* acked, not persisted when the drain ended, the sinks still
                               working: -1 unknown (no --mongo) */
    const char *persisted_source; /* "sink_stats" or "mongodb_count"; NULL: unknown */
    uint32_t process;       /* this process's part of the producer ids (record.h) */
    int sinks;
    ob_hist *publish, *publish_raw, *send_delay;
    ob_hist *e2e; /* NULL: unknown */
    ob_failure_kind failures[OB_MAX_FAILURE_KINDS];
    int nfailure_kinds;
    double loadgen_cpu_s, loadgen_peak_rss_mb;
    ob_series_point *series;
    size_t nseries;
} ob_run_result;

typedef struct ob_run ob_run;

/* `outbreak run`'s exit status when nothing failed or was lost but some acked records
 * were still unconfirmed at the end (1: failed or lost, 2: usage). */
#define OB_RUN_EXIT_UNCONFIRMED 3

/* Called once a second on the controlling thread with the point just added. */
typedef void ob_run_tick_fn(void *arg, const ob_run_result *r, const ob_series_point *last);

/* Loads the records, creates the workers (connecting the broker) and opens the store
 * (if opts->mongo). `opts` must outlive the run. On failure err says why: a records
 * file that cannot be read is a usage error. */
int ob_run_open(ob_run **out, const ob_run_opts *opts, ob_err *err);

/* What the run measured so far (complete after ob_run_execute returned). Valid until
 * ob_run_free. */
ob_run_result *ob_run_result_of(ob_run *run);

/* Number of records loaded or generated. */
size_t ob_run_record_count(const ob_run *run);

/* Runs the load until the run time is over, --once is done or *interrupted is set
 * (then it stops sending and drains), then waits for the sinks (with a store) and
 * completes the result. tick (may be NULL) is called every second. Returns 0, or -1 with
 * err set when the workers could not start. */
int ob_run_execute(ob_run *run, ob_run_tick_fn *tick, void *arg, volatile sig_atomic_t *interrupted,
                   ob_err *err);

/* NULL-safe. */
void ob_run_free(ob_run *run);

#endif
