/* report.h — what a run measured, and the ways it is printed: the console table every
 * 2 s (Locust's layout), the final summary, the JSON summary (docs/measurement.md, a contract
 * other tools read) and Locust's CSV files.
 *
 * Figures that could not be measured are -1 (counts) or NULL (histograms) here and
 * `null` in JSON, never 0. */
#ifndef OB_REPORT_H
#define OB_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "run.h"

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
