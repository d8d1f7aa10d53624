/* results.h — the results document of `outbreak compare` (DIR/results.json, the input of
 * the HTML report; its shape is in docs/compare.md): the run's parameters, one JSON
 * summary per middleware with the cost that compare measured, and the middlewares that
 * could not run with the reason. */
#ifndef OB_RESULTS_H
#define OB_RESULTS_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "json.h"
#include "options.h"

/* What one middleware's run cost. Figures are -1 where they were not measured. */
typedef struct ob_cost {
    double broker_cpu_s, broker_peak_rss_mb;
    char broker_process[128]; /* "nats-server (pid 12)", "none (...)"; "" = unknown */
    double sink_cpu_s, sink_peak_rss_mb;
    double loadgen_cpu_s, loadgen_peak_rss_mb;
    double db_cpu_s, db_peak_rss_mb;
    char db_process[128];
    int sampled_every_ms;
    bool after_warmup; /* the figures cover the measured time after a warm-up (--warmup),
                          not the whole run */
} ob_cost;

/* The "cost" object of a summary: the figures above plus the derived ones
 * (total_cpu_s, records_per_cpu_s, records_per_loadgen_cpu_s, cpu_ms_per_1000_records,
 * rss_mb_per_1000_records_per_s) for `records` records delivered at `records_per_s`
 * (-1 / NAN when unknown). Returns a malloc'd string, NULL when out of memory. */
char *ob_cost_json(const ob_cost *c, double records, double records_per_s);

typedef struct ob_missing {
    char middleware[32];
    char reason[1400];
} ob_missing;

typedef struct ob_results {
    const char *kind;          /* "compare" or "run" */
    const char *id;
    long long started_real_ns, finished_real_ns;
    const char *params_json;   /* the "params" object's text */
    char **summaries;          /* JSON objects' texts */
    int nsummaries;
    ob_missing *missing;
    int nmissing;
} ob_results;

/* The "workload" object of the parameters: the load model and the records, as
 * `outbreak run` read its flags. */
void ob_workload_json(ob_jw *w, const ob_run_opts *o);

/* "outbreak ARGS..." for the parameters, with the passwords of URLs masked (argv[0] is
 * the subcommand). */
void ob_command_line(char *buf, size_t cap, int argc, char **argv);

/* The "params" object of a results document: the middlewares asked for, the command
 * line (passwords masked), the workload, the MongoDB URL (masked; NULL: none) and
 * whether the sinks were started by someone else. malloc'd; NULL when out of memory. */
char *ob_params_json(const char *const *middlewares, int n, int argc, char **argv, const ob_run_opts *w,
                     const char *mongo, bool external_sinks);

/* Writes the document to f. Returns 0 or -1 on a write error. */
int ob_results_write(FILE *f, const ob_results *r);

/* The "host" object: hostname, CPUs, kernel, memory. */
void ob_host_json(ob_jw *w);

#endif
