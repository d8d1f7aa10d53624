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
#include "store.h"
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
    double duration_s;      /* sending phase (after the warm-up) */
    /* --warmup: the load before the measured time, under the run id warmup_run. Its
     * records are in none of the other figures; sent, acked and failed are counted by
     * the publishers whenever the acks came, persisted is the sinks' count of this
     * process's warm-up records when the run ended (-1: unknown). warmup_s 0: none. */
    double warmup_s;
    char warmup_run[OB_RUN_CAP];
    int64_t warmup_sent, warmup_acked, warmup_failed, warmup_persisted;
    int64_t t0_real_ns;     /* start, CLOCK_REALTIME */
    double persist_s;       /* start until the sink had persisted what it would (drain end) */
    int64_t users;          /* closed model: users at the end; open model: 0 */
    /* The load asked for, as ob_run_change_load last changed it (at the start: the
     * options'): closed model target_users and target_spawn_rate (target_rate 0), open
     * model target_rate (--rate max: opts->rate; the others 0). Copied from the run's
     * plan by the controlling thread at every second's sample and at the end: read them
     * in the tick or after ob_run_execute; another thread asks ob_run_targets. */
    /* the open model's rate kept or not (docs/measurement.md, "A rate that is not
     * kept"): NAN / "" in the closed model, with --rate max, or when the rate was
     * changed during the run */
    double rate_target, rate_achieved; /* records/s: asked, and sent over the sending time */
    double behind_s;          /* seconds of the schedule not sent when the sending ended */
    bool rate_kept;           /* achieved >= 95 % of the target */
    double window_full_share; /* the share of the sending time a due record waited for
                                 a free in-flight slot (over the workers) */
    double worker_busy_share; /* the busiest worker thread's CPU over the sending time */
    double publish_blocked_share; /* the largest share of a worker's sending time spent
                                     waiting inside the adapter's publish (its own window
                                     full, or the broker slow to take records): its wall
                                     time less idle, window wait and CPU */
    char rate_cause[240];     /* what the tool can see, with the knob to turn; "" if kept */
    int64_t target_users;
    double target_spawn_rate, target_rate;
    int64_t sent, acked, failed;
    int64_t bytes_sent;
    int64_t persisted, duplicates, invalid, lost; /* -1: unknown (no --mongo) */
    /* the sinks' counts by way (this process's share where they split it), when more
     * than one way holds the run's records or the URL is a relay's (gateways); nways 0:
     * not shown */
    ob_way_persisted persisted_by_way[OB_SINK_WAYS_MAX];
    int nways;
    int64_t run_persisted;  /* the run id's persisted over every process that shares it:
                               the records the e2e histogram is over (more than persisted
                               when other processes send with the run id); -1: unknown */
    int64_t unconfirmed;    /* acked, not persisted when the drain ended, the sinks still
                               working: -1 unknown (no --mongo) */
    const char *persisted_source; /* "sink_stats" or "mongodb_count"; NULL: unknown */
    uint32_t process;       /* this process's part of the producer ids (record.h) */
    int sinks;
    ob_hist *publish, *publish_raw, *send_delay;
    ob_hist *e2e; /* NULL: unknown */
    ob_failure_kind failures[OB_MAX_FAILURE_KINDS];
    int nfailure_kinds;
    double loadgen_cpu_s, loadgen_peak_rss_mb; /* CPU: from the measured time's start (the
                                                  warm-up's is left out); RSS: the peak */
    ob_series_point *series;
    size_t nseries;
    /* a merged result (`outbreak merge`): the workers that finished, and the JSON
     * object the summary's "workers" holds (NULL for a single process's result) */
    long workers_finished;
    const char *workers_json;
} ob_run_result;

/* Fills r's persisted_by_way from the sinks' totals (NULL: unknown, none shown): shown
 * when more than one way holds the run's records, or always for a relay; each way's
 * process_persisted is this process's share, or the way's count where the sinks did
 * not split it. */
void ob_run_take_ways(ob_run_result *r, const ob_sink_totals *tot, bool relay);

typedef struct ob_run ob_run;

/* `outbreak run`'s exit status when nothing failed or was lost but some acked records
 * were still unconfirmed at the end (1: failed or lost, 2: usage). */
#define OB_RUN_EXIT_UNCONFIRMED 3

/* `outbreak run`'s exit status for a finished result: OB_EXIT_THRESHOLD (99) when a
 * threshold failed (k6's: it decides), 1 when a record failed or was lost,
 * OB_RUN_EXIT_UNCONFIRMED when none was but some acked records were unconfirmed, else 0.
 * The web UI's --autoquit and `outbreak merge` exit with it too. */
int ob_run_exit_status(const ob_run_result *r, int thresholds_failed);

/* Called once a second on the controlling thread with the point just added; during a
 * warm-up (--warmup) once a second with last NULL, the result's users and warm-up
 * counts brought up to date (its other figures are still those of nothing measured). */
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

/* A change of the load while ob_run_execute runs; a field < 0 is left as it is. */
typedef struct ob_run_change {
    long users;        /* closed model: the number of users (>= 1) */
    double spawn_rate; /* closed model: users started (or stopped) per second (> 0) */
    double rate;       /* open model: records per second (> 0) */
} ob_run_change;

/* Thread-safe; callable from any thread while ob_run_execute is sending. Returns 0, or -1
 * with err: OB_ERR_USAGE for a field that does not fit the run's model (users or
 * spawn_rate in the open model, rate in the closed model, any change of --rate max, a
 * value out of range), OB_ERR_REJECTED when the run is not sending (not started yet, or
 * its sending phase is over).
 *
 * As Locust's edit of a running test: more users start at the spawn rate (the new one if
 * given) from the change on, the first of them at once; fewer users: those beyond the
 * count stop after their current record (one waiting for its ack gets it; sent = acked +
 * failed still holds), those waiting to send again at once. The worker stats' `users`
 * (the series' users) are the users active at each instant. A spawn rate alone applies
 * to the users not started yet. The open model goes on from the change's instant at the
 * new rate with continuous intended send times (no burst for the time before, no gap);
 * latencies still count from the intended times. The workers follow a change within
 * about 20 ms (the open model) or at once (the closed model). A change with every field
 * < 0 changes nothing and returns 0 while the run is sending. */
int ob_run_change_load(ob_run *run, const ob_run_change *ch, ob_err *err);

/* The load in force now, from any thread: users and spawn_rate in the closed model
 * (rate -1), rate in the open model (users and spawn_rate -1). */
void ob_run_targets(ob_run *run, ob_run_change *out);

/* True while the run sends its warm-up (--warmup): started, and the measured time not
 * begun yet. Any thread. */
bool ob_run_warming_up(ob_run *run);

/* NULL-safe. */
void ob_run_free(ob_run *run);

#endif
