/* merge.h — `outbreak merge`: the result of a run made by several load generators
 * (`outbreak run --workers N`), rebuilt exactly from what each stored in MongoDB
 * (loadgen/cohort.h, loadgen/run_doc.h):
 *
 *   - counts summed; the histograms merged bucket by bucket, so every percentile is that
 *     of one histogram of all the samples;
 *   - the per-second series added second by second (the workers started together);
 *   - persisted, duplicates and the end-to-end histogram read again from the sinks'
 *     statistics now (per worker: the records of its producer ids), so lost is decided
 *     against the database for all the workers' acks at once;
 *   - every worker accounted for: finished, interrupted, failed (it said why), killed
 *     (its document stopped beating: its last figures are used, its lost cannot be
 *     established), or missing (never claimed its slot). */
#ifndef OB_MERGE_H
#define OB_MERGE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "options.h"
#include "run.h"
#include "store.h"

typedef struct ob_merge_worker {
    int index;
    char state[16];  /* finished, interrupted, failed, killed, missing, or still going
                        (connecting, ready, running, draining) */
    char host[64];
    int64_t pid;
    uint32_t process;
    int64_t sent, acked, failed;   /* -1: unknown (missing, or no figures) */
    int64_t persisted, duplicates; /* its records in MongoDB by the sinks' counts, or by
                                      MongoDB's count where those leave a gap; -1 unknown */
    bool counted;                  /* persisted is MongoDB's count of its records */
    int64_t lost, unconfirmed;     /* -1: cannot be established (not finished) */
    char reason[256];              /* failed: why */
} ob_merge_worker;

typedef struct ob_merge {
    ob_run_result r; /* the merged result: r.opts points at opts; r.workers_json set */
    ob_run_opts opts;
    int expected;    /* --workers of the run */
    int finished;    /* finished or interrupted: their figures are final */
    ob_merge_worker *workers; /* expected entries, by index */
    char *workers_json;
    char way[32];
} ob_merge;

/* MongoDB's count of a worker's records, asked when the sinks' counts leave a gap (a scan
 * on FerretDB), is given this long in all, over every worker of the merge. */
#define OB_MERGE_COUNT_MS 30000

/* A worker silent for longer than this (3 of its 1 s updates, and margin) is killed. */
#define OB_MERGE_SILENT_NS (8 * 1000000000LL)

/* Reads the workers of `run` and merges their results. With wait_ns > 0 it first
 * waits (polling every second) until every worker has finished, failed or stopped
 * beating, at most wait_ns; an interruption stops the wait. Fails (err) when the run has
 * no worker documents, or MongoDB cannot be read. */
int ob_merge_run(ob_store *s, const char *run, int64_t wait_ns, volatile sig_atomic_t *interrupted, ob_merge **out,
                 ob_err *err);

/* True when every worker finished (or was interrupted) with final figures. */
bool ob_merge_complete(const ob_merge *m);

/* The workers table (one line each) and what the merge could not establish. */
void ob_merge_print_workers(FILE *f, const ob_merge *m);

/* NULL-safe. */
void ob_merge_free(ob_merge *m);

#endif
