/* cohort.h — the load generators of one run meeting in MongoDB (`outbreak run --workers
 * N`, docs/scale-out.md): no master process; each worker claims its slot, says when it
 * is connected, and they start together at a wall-clock time they agree on (or at
 * --start-at). While running, each stores its figures every second (so a worker that
 * is killed leaves what it had done) and its series with each second's publish
 * histogram; at the end its final figures (loadgen/run_doc.h has the text).
 *
 * Used by the run engine on its controlling thread, with the engine's store. */
#ifndef OB_COHORT_H
#define OB_COHORT_H

#include <signal.h>
#include <stdint.h>

#include "err.h"
#include "histogram.h"
#include "options.h"
#include "run.h"
#include "store.h"

typedef struct ob_cohort ob_cohort;

/* Takes the slot o->worker (>= 0), or claims the first free one of o->workers; stores
 * the worker's document (state "connecting"). Fails when every slot is taken or
 * MongoDB cannot be written. */
int ob_cohort_join(ob_cohort **out, ob_store *store, const ob_run_opts *o, uint32_t process, ob_err *err);
/* The slot: 0..workers-1. */
int ob_cohort_index(const ob_cohort *c);

/* The worker is connected ("ready"). Then the start: o->start_at_ns if given; else,
 * once every worker of the run is ready, two seconds after the latest of them became
 * ready, on a whole second (every worker computes the same instant from the same
 * documents). Waits at most o->start_timeout_ns for the others, polling every 100 ms:
 * past it, fails naming the workers that are missing (kind OB_ERR_TIMEOUT). An
 * interruption fails too. On success *start_real_ns is the start (CLOCK_REALTIME). */
int ob_cohort_await_start(ob_cohort *c, volatile sig_atomic_t *interrupted, int64_t *start_real_ns, ob_err *err);

/* Once a second while the run goes: the figures so far (state "running"), and the
 * point just sampled with the second's publish histogram into the series. A failure
 * to write is said on stderr once and the run goes on. */
void ob_cohort_progress(ob_cohort *c, const ob_run_result *r, const ob_series_point *last,
                        const ob_hist *interval_publish);
/* While the run waits for its sinks: the figures again (state "draining"), so the
 * worker is seen alive. Best effort, as progress. */
void ob_cohort_beat(ob_cohort *c, const ob_run_result *r);
/* Once a second during a warm-up (--warmup): the same (state "warming_up"). */
void ob_cohort_warming(ob_cohort *c, const ob_run_result *r);
/* Appends a point to the series without storing the figures (the last, partial second). */
void ob_cohort_point(ob_cohort *c, const ob_series_point *last, const ob_hist *interval_publish);

/* The end: the final figures, state "finished" or "interrupted", the series' last
 * chunk. Returns 0, or -1 with err. */
int ob_cohort_finish(ob_cohort *c, const ob_run_result *r, bool interrupted, ob_err *err);
/* The worker could not run: state "failed" with the reason (best effort). */
void ob_cohort_fail(ob_cohort *c, const char *reason);

/* NULL-safe. */
void ob_cohort_free(ob_cohort *c);

#endif
