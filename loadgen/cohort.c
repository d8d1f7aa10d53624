/* cohort.c — the load generators of one run meeting in MongoDB (see cohort.h). */
#include "cohort.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "run_doc.h"

#define POLL_NS (100 * OB_NS_PER_MS)
#define SERIES_CHUNK 10      /* points per worker_series document */
#define PROGRESS_INTERVAL_MS 1000

struct ob_cohort {
    ob_store *store;
    const ob_run_opts *opts;
    ob_worker_doc doc;
    int chunk;          /* the series chunk being filled */
    int in_chunk;       /* its points */
    char *points;       /* its text */
    bool write_failed;  /* said once */
};

int ob_cohort_index(const ob_cohort *c)
{
    return c->doc.index;
}

int ob_cohort_join(ob_cohort **out, ob_store *store, const ob_run_opts *o, uint32_t process, ob_err *err)
{
    *out = NULL;
    ob_cohort *c = calloc(1, sizeof *c);
    if (!c)
        return ob_err_set(err, "out of memory");
    c->store = store;
    c->opts = o;
    c->doc.index = (int)o->worker;
    c->doc.workers = (int)o->workers;
    snprintf(c->doc.state, sizeof c->doc.state, "connecting");
    gethostname(c->doc.host, sizeof c->doc.host - 1);
    c->doc.pid = getpid();
    c->doc.process = process;
    c->doc.interval_ms = PROGRESS_INTERVAL_MS;
    if (ob_store_worker_claim(store, o->run_id, &c->doc, err) != 0) {
        free(c);
        return -1;
    }
    *out = c;
    return 0;
}

static int put(ob_cohort *c, const char *state, ob_err *err)
{
    snprintf(c->doc.state, sizeof c->doc.state, "%s", state);
    return ob_store_worker_put(c->store, c->opts->run_id, &c->doc, err);
}

/* The workers missing from docs (no document, or not ready yet), as "1, 3" into buf. */
static void missing_workers(const ob_worker_doc *docs, size_t n, int workers, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < workers && used + 16 < cap; i++) {
        bool ready = false;
        for (size_t k = 0; k < n; k++)
            if (docs[k].index == i && docs[k].ready_ns > 0)
                ready = true;
        if (!ready)
            used += (size_t)snprintf(buf + used, cap - used, "%s%d", used ? ", " : "", i);
    }
}

int ob_cohort_await_start(ob_cohort *c, volatile sig_atomic_t *interrupted, int64_t *start_real_ns, ob_err *err)
{
    const ob_run_opts *o = c->opts;
    c->doc.ready_ns = ob_real_ns();
    if (put(c, "ready", err) != 0)
        return -1;
    if (o->start_at_ns > 0) {
        *start_real_ns = o->start_at_ns;
        if (o->start_at_ns < ob_real_ns() - OB_NS_PER_S)
            return ob_err_setk(err, OB_ERR_USAGE, "--start-at is %.1f s in the past",
                               (double)(ob_real_ns() - o->start_at_ns) / 1e9);
        c->doc.start_ns = *start_real_ns;
        return put(c, "ready", err);
    }
    int64_t deadline = ob_mono_ns() + o->start_timeout_ns, beat = ob_mono_ns();
    bool said = false;
    for (;;) {
        ob_worker_doc *docs = NULL;
        size_t n = 0;
        if (ob_store_worker_list(c->store, o->run_id, &docs, &n, err) != 0)
            return -1;
        int ready = 0;
        int64_t latest = 0;
        for (size_t k = 0; k < n; k++)
            if (docs[k].index >= 0 && docs[k].index < o->workers && docs[k].ready_ns > 0) {
                ready++;
                if (docs[k].ready_ns > latest)
                    latest = docs[k].ready_ns;
            }
        if (ready >= o->workers) {
            ob_store_worker_docs_free(docs, n);
            /* two seconds after the latest, rounded up to a whole second (the sinks
             * count per epoch second, and the series' seconds are then the same
             * seconds): room for a worker whose poll of a busy MongoDB is slow to see
             * the last one come */
            *start_real_ns = (latest / OB_NS_PER_S + 3) * OB_NS_PER_S;
            c->doc.start_ns = *start_real_ns;
            return put(c, "ready", err);
        }
        if (ob_mono_ns() >= deadline || *interrupted) {
            char missing[512];
            missing_workers(docs, n, (int)o->workers, missing, sizeof missing);
            ob_store_worker_docs_free(docs, n);
            if (*interrupted)
                return ob_err_set(err, "interrupted while waiting for workers %s of run %s", missing, o->run_id);
            return ob_err_setk(err, OB_ERR_TIMEOUT, "workers %s of run %s (--workers %ld) did not connect within %.0f s",
                               missing, o->run_id, o->workers, (double)o->start_timeout_ns / 1e9);
        }
        if (!said) {
            fprintf(stderr, "outbreak run: worker %d of %ld: waiting for the others (%d ready)\n", c->doc.index,
                    o->workers, ready);
            said = true;
        }
        if (ob_mono_ns() - beat >= OB_NS_PER_S) { /* seen alive while it waits */
            if (put(c, "ready", err) != 0) {
                ob_store_worker_docs_free(docs, n);
                return -1;
            }
            beat = ob_mono_ns();
        }
        ob_store_worker_docs_free(docs, n);
        ob_sleep_until_mono(ob_mono_ns() + POLL_NS);
    }
}

static void write_failed(ob_cohort *c, const ob_err *err)
{
    if (!c->write_failed)
        fprintf(stderr, "outbreak run: worker %d: %s (the run goes on)\n", c->doc.index, err->msg);
    c->write_failed = true;
}

static void flush_points(ob_cohort *c)
{
    ob_err err;
    if (!c->points)
        return;
    if (ob_store_worker_series_put(c->store, c->opts->run_id, c->doc.index, c->chunk, c->points, &err) != 0)
        write_failed(c, &err);
    if (c->in_chunk >= SERIES_CHUNK) {
        free(c->points);
        c->points = NULL;
        c->in_chunk = 0;
        c->chunk++;
    }
}

void ob_cohort_point(ob_cohort *c, const ob_series_point *last, const ob_hist *interval_publish)
{
    if (!last)
        return;
    if (ob_doc_points_append(&c->points, last, interval_publish) == 0)
        c->in_chunk++;
}

static void put_figures(ob_cohort *c, const ob_run_result *r, const char *state)
{
    ob_err err;
    c->doc.result = ob_run_doc_encode(r, false);
    if (put(c, state, &err) != 0)
        write_failed(c, &err);
    free(c->doc.result);
    c->doc.result = NULL;
}

void ob_cohort_progress(ob_cohort *c, const ob_run_result *r, const ob_series_point *last,
                        const ob_hist *interval_publish)
{
    ob_cohort_point(c, last, interval_publish);
    flush_points(c);
    put_figures(c, r, "running");
}

void ob_cohort_beat(ob_cohort *c, const ob_run_result *r)
{
    put_figures(c, r, "draining");
}

void ob_cohort_warming(ob_cohort *c, const ob_run_result *r)
{
    put_figures(c, r, "warming_up");
}

int ob_cohort_finish(ob_cohort *c, const ob_run_result *r, bool interrupted, ob_err *err)
{
    flush_points(c);
    c->doc.result = ob_run_doc_encode(r, true);
    if (!c->doc.result)
        return ob_err_set(err, "out of memory");
    int rc = put(c, interrupted ? "interrupted" : "finished", err);
    free(c->doc.result);
    c->doc.result = NULL;
    return rc;
}

void ob_cohort_fail(ob_cohort *c, const char *reason)
{
    if (!c)
        return;
    snprintf(c->doc.reason, sizeof c->doc.reason, "%s", reason);
    ob_err err;
    if (put(c, "failed", &err) != 0)
        fprintf(stderr, "outbreak run: worker %d: %s\n", c->doc.index, err.msg);
}

void ob_cohort_free(ob_cohort *c)
{
    if (!c)
        return;
    free(c->points);
    free(c->doc.result);
    free(c);
}
