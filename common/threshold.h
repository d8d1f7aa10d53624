/* threshold.h — k6's thresholds on outbreak's figures: `--threshold EXPR` in the commands
 * that end with a summary (run, compare), evaluated on the final figures, printed as a
 * table and written into the JSON; any failed threshold makes the exit status 99 (k6's).
 *
 *   EXPR  = [MIDDLEWARE ":"] METRIC OP NUMBER [UNIT]
 *   OP    = "<" | "<=" | ">" | ">=" | "==" | "!="
 *
 * METRIC (docs/measurement.md has each figure):
 *   publish_p50 ... publish_p99.99, publish_max, publish_mean, publish_min
 *   e2e_p50 ... e2e_p99.99, e2e_max, e2e_mean, e2e_min       (latencies: UNIT ms, s or us;
 *                                                             a bare number is ms)
 *   sent, acked, failed, persisted, duplicates, lost, unconfirmed  (counts)
 *   failed_rate, lost_rate     (failed / sent, lost / acked: UNIT % or a fraction)
 *   sent_per_s, acked_per_s, persisted_per_s, rate_achieved          (records per second)
 *   behind_s                   (the open model's schedule not sent: UNIT s or ms)
 *
 * e.g. `publish_p99<50ms`, `e2e_p95<=200ms`, `lost==0`, `failed_rate<0.1%`,
 * `persisted_per_s>=1900`, `kafka:e2e_p99<500ms` (compare: only Kafka's summary).
 *
 * A figure the run could not establish (null in the summary: no --mongo, no ack) fails
 * its threshold and is shown as "unknown": a threshold is a promise about a figure, and
 * an unknown figure keeps none. */
#ifndef OB_THRESHOLD_H
#define OB_THRESHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "json.h"

#define OB_MAX_THRESHOLDS 32
/* k6's exit status when a threshold failed */
#define OB_EXIT_THRESHOLD 99

typedef enum ob_threshold_op { OB_TH_LT, OB_TH_LE, OB_TH_GT, OB_TH_GE, OB_TH_EQ, OB_TH_NE } ob_threshold_op;

typedef struct ob_threshold {
    char text[160];      /* as given */
    char middleware[32]; /* "" : every middleware */
    char metric[32];
    ob_threshold_op op;
    double limit;        /* in the figure's own unit (ms, a count, a fraction, records/s) */
} ob_threshold;

/* Parses one expression. Returns 0, or -1 with err (OB_ERR_USAGE) quoting it and saying
 * what is wrong: `"p99<5": unknown figure "p99" (publish_p50 ..., lost, ...)` (the flag
 * parser puts "--threshold: " before it). */
int ob_threshold_parse(const char *expr, ob_threshold *t, ob_err *err);

/* A flag parser (ob_flag's parse) for a repeatable --threshold: dest is an
 * ob_threshold_set. */
typedef struct ob_threshold_set {
    ob_threshold items[OB_MAX_THRESHOLDS];
    int n;
} ob_threshold_set;
int ob_threshold_flag(const char *value, void *dest, ob_err *err);

/* One threshold evaluated on one middleware's summary. */
typedef struct ob_threshold_result {
    const ob_threshold *t;
    char middleware[32];
    bool known;   /* the figure is in the summary (not null) */
    double value; /* in the figure's unit */
    bool pass;
} ob_threshold_result;

/* Evaluates every threshold of `set` that applies to the summary (JSON text of
 * `outbreak run --json`; its "middleware" decides which apply; `name`, when not NULL,
 * is the middleware's name to match instead) into out[*n...] (room for
 * OB_MAX_THRESHOLDS). Returns the number that failed, or -1 with err when the summary
 * is not JSON. */
int ob_thresholds_eval(const ob_threshold_set *set, const char *summary, size_t len, const char *name,
                       ob_threshold_result *out, int *n, ob_err *err);

/* The table: one line per result (threshold, middleware, value, pass/FAIL) and a last
 * line with how many failed. */
void ob_thresholds_print(FILE *f, const ob_threshold_result *r, int n);

/* [{"threshold", "middleware", "value" (null: unknown), "pass"}] */
void ob_thresholds_json(ob_jw *j, const ob_threshold_result *r, int n);

/* The summary with a top-level "thresholds" member (the array above) added before its
 * closing brace: malloc'd, NULL when out of memory or the text does not end with '}'. */
char *ob_thresholds_into_summary(const char *summary, size_t len, const ob_threshold_result *r, int n);

#endif
