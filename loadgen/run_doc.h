/* run_doc.h — a worker's figures as text and back: what one `outbreak run --workers N`
 * process stores in its MongoDB document (store.h's workers and worker_series) so that
 * `outbreak merge` can rebuild the run's result exactly: every count, the histograms
 * serialised bucket by bucket (ob_hist_encode), the load it was given, the durability
 * settings, and its per-second series with each second's publish histogram.
 *
 * The text is JSON (one object; docs/scale-out.md lists its fields), version 1. */
#ifndef OB_RUN_DOC_H
#define OB_RUN_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "histogram.h"
#include "run.h"

/* A worker's figures read back: `r` as ob_run_result holds them (r.opts points at
 * `opts`, r.durability is owned, the histograms are owned and never NULL but e2e,
 * which is NULL when unknown; r.series is NULL: the series comes in points). */
typedef struct ob_run_doc {
    ob_run_result r;
    ob_run_opts opts;
    char way[32];
    char records[512]; /* opts.records points here when there was a records file */
    char cause[240];
    bool final;        /* written at the end (not a progress report) */
} ob_run_doc;

/* The text of r (malloc'd, NULL when out of memory); final says whether it is the end. */
char *ob_run_doc_encode(const ob_run_result *r, bool final);
/* Reads the text into *d (free with ob_run_doc_free, also after a failure). Returns 0,
 * or -1 with err naming what is wrong. */
int ob_run_doc_decode(const char *text, ob_run_doc *d, ob_err *err);
void ob_run_doc_free(ob_run_doc *d);

/* One second of a worker's series as stored: counts of that second, its publish
 * histogram (from the intended send time), the run's end-to-end p99 as sampled. */
typedef struct ob_doc_point {
    double t; /* seconds since the common start, at the end of the interval */
    int64_t users, sent, acked, failed;
    double e2e_p99_ms; /* -1: unknown */
    ob_hist *publish;  /* the interval's */
} ob_doc_point;

/* Appends one point to a chunk's text (*text malloc'd, grown; start with NULL).
 * Returns 0 or -1 when out of memory. */
int ob_doc_points_append(char **text, const ob_series_point *p, const ob_hist *interval);
/* Calls fn for each point of a chunk's text (p->publish valid during the call only).
 * Returns 0, or -1 with err when the text is malformed or fn returned -1. */
int ob_doc_points_each(const char *text, int (*fn)(void *arg, const ob_doc_point *p), void *arg, ob_err *err);

#endif
