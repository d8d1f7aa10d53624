/* summary.h — reading back a JSON summary that `outbreak run --json` wrote (docs/measurement.md):
 * the figures `outbreak compare` prints and derives the cost figures from, and
 * putting the cost it measured into the summary's "cost" object. */
#ifndef OB_SUMMARY_H
#define OB_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The headline figures of one summary. Counts are -1 and figures NAN when null. */
typedef struct ob_summary_figures {
    char middleware[32], mode[32];
    int64_t sent, acked, failed, persisted, duplicates, lost, unconfirmed;
    double acked_per_s, persisted_per_s;
    double publish_p50_ms, publish_p99_ms, e2e_p50_ms, e2e_p99_ms;
    int64_t started_at_ns;  /* the measured time's start, CLOCK_REALTIME (-1: unknown) */
    double warmup_s;        /* the warm-up's length before it (0: none) */
    double loadgen_cpu_s;   /* the cost object's, measured from started_at_ns (NAN) */
} ob_summary_figures;

/* Reads the figures from a summary's text. Returns 0, or -1 with err giving the line
 * and column when the text is not a JSON object. */
int ob_summary_read(const char *json, size_t len, ob_summary_figures *fig, ob_err *err);

/* A copy of the summary (malloc'd, NUL-terminated, without a trailing newline) whose
 * top-level "cost" object is replaced by `cost_object` (a JSON object's text). NULL
 * with err set when the summary has no "cost" object. */
char *ob_summary_with_cost(const char *json, size_t len, const char *cost_object, ob_err *err);

#endif
