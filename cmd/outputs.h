/* outputs.h — what `outbreak run` and `outbreak merge` write once a result is complete:
 * the summary on stdout, k6's thresholds evaluated on it (their table, and into the
 * JSON), the JSON summary (--json), Locust's CSVs (--csv), the HTML report (--html), and
 * the summary stored in MongoDB's runs collection (with --mongo). */
#ifndef OB_OUTPUTS_H
#define OB_OUTPUTS_H

#include "err.h"
#include "options.h"
#include "run.h"
#include "threshold.h"

typedef struct ob_outputs {
    const char *command;          /* "run", "merge": the HTML report's parameters */
    const ob_run_opts *opts;      /* the load (the HTML report's parameters) */
    const char *json_path, *csv_prefix, *html_path; /* NULL: not asked for */
    const char *mongo;            /* NULL: not stored */
    const ob_threshold_set *thresholds;
    const char *summary_id;       /* the runs document's _id */
    int argc;                     /* the command line, for the HTML report */
    char **argv;
} ob_outputs;

/* Writes them all for r. *thresholds_failed gets the number of thresholds that failed
 * (0 without any). Returns 0, or -1 with err (a file that cannot be written). A summary
 * that cannot be stored is said on stderr and is not an error. */
int ob_write_outputs(const ob_outputs *out, const ob_run_result *r, int *thresholds_failed, ob_err *err);

#endif
