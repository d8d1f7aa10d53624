/* report.h — what a run measured, and the ways it is printed: the console table every
 * 2 s (Locust's layout), the final summary, the JSON summary (DESIGN.md §4, a contract
 * other tools read) and Locust's CSV files.
 *
 * Figures that could not be measured are -1 (counts) or NULL (histograms) here and
 * `null` in JSON, never 0. */
#ifndef OB_REPORT_H
#define OB_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

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
    const char *way;        /* "nats" */
    char url[256];          /* the broker URL as shown: password masked */
    char mode[32];          /* "jetstream" / "core", from the durability JSON */
    char durability[1024];  /* JSON object */
    bool broker_acks;       /* false: the middleware has no ack (core NATS) */
    char ack_meaning[200];  /* the durability's "acked_means", when there is no ack */
    double duration_s;      /* sending phase */
    int64_t t0_real_ns;     /* start, CLOCK_REALTIME */
    double persist_s;       /* start until the sink had persisted what it would (drain end) */
    int64_t users;          /* closed model: users at the end; open model: 0 */
    int64_t sent, acked, failed;
    int64_t bytes_sent;
    int64_t persisted, duplicates, invalid, lost; /* -1: unknown (no --mongo) */
    int sinks;
    ob_hist *publish, *publish_raw, *send_delay;
    ob_hist *e2e; /* NULL: unknown */
    ob_failure_kind failures[OB_MAX_FAILURE_KINDS];
    int nfailure_kinds;
    double loadgen_cpu_s, loadgen_peak_rss_mb;
    ob_series_point *series;
    size_t nseries;
} ob_run_result;

/* The Locust-style table (header, publish row, e2e row when known). */
void ob_report_table(FILE *f, const ob_run_result *r, const ob_series_point *last);
/* The final summary for humans. */
void ob_report_summary(FILE *f, const ob_run_result *r);
/* The JSON summary. Returns 0 or -1 on a write error. */
int ob_report_json(FILE *f, const ob_run_result *r);
/* PREFIX_stats.csv, PREFIX_stats_history.csv, PREFIX_failures.csv,
 * PREFIX_exceptions.csv. Returns 0 or -1 with err naming the file. */
int ob_report_csv(const char *prefix, const ob_run_result *r, ob_err *err);

#endif
