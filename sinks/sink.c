/* sink.c — the sink's run loop (sink.h): the broker's receive thread pushes deliveries
 * into a bounded queue (blocking when it is full: that is the back-pressure); one writer
 * (the calling thread) takes up to --batch of them, lingering up to --linger ms to fill
 * a batch, decodes them, inserts them with one unordered bulk insert and only then
 * settles each: ok if inserted or already there (duplicate), !ok (redelivery) if
 * MongoDB refused it or could not be reached. Per-run counts and end-to-end histograms
 * live on the writer thread and are upserted into sink_stats every --stats-interval,
 * split by the producer's process part (one share per `outbreak run` process); a
 * heartbeat with the sink's totals over all runs goes into `sinks` at the same pace,
 * changed or not, and a last one saying "stopped" when it stops.
 *
 * SIGINT/SIGTERM are blocked in the process and taken by a small thread with sigwait:
 * the first stops the sink (batch in hand finished, queued deliveries nacked, stats
 * written), a second one exits at once. */
#include "sink.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "clock.h"
#include "prom.h"
#include "url.h"

#define MAX_WAIT_MS 100          /* the writer looks at the clock at least this often */
#define PROGRESS_EVERY_NS (10 * OB_NS_PER_S)
#define RECOUNT_CHECK_NS (10 * OB_NS_PER_S) /* how often to look for dead sinks to recount */
#define DASH_EVERY_NS OB_NS_PER_S /* the dash is written at most this often */
#define INVALID_LOGGED 5         /* invalid deliveries logged in full */
#define ERROR_LOG_EVERY_NS (5 * OB_NS_PER_S)
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

/* The bounded queue between the receive thread and the writer. */
typedef struct queue {
    pthread_mutex_t lock;
    pthread_cond_t not_empty;
    pthread_cond_t not_full;
    ob_delivery **ring;
    size_t cap, head, count;
    size_t wake_at; /* a lingering writer wants to wake when count reaches this */
    bool stop;
} queue;

/* One run's counts, as this sink instance saw them (cumulative for its lifetime). */
typedef struct run_stats {
    char run[OB_RUN_CAP];
    int64_t persisted, duplicates, invalid;
    int64_t unsure; /* in inserts that failed as a whole, not delivered again (store.h) */
    int64_t last_persisted_ns; /* CLOCK_REALTIME of this instance's latest insert */
    ob_per_second by_second;   /* this instance's inserts per epoch second */
    ob_hist *e2e;
    ob_process_count *procs; /* persisted and duplicates per producer process */
    size_t nprocs, cap_procs;
    size_t last_proc; /* index of the share used last (valid when nprocs > 0) */
    ob_dash *dash;    /* the data dashboard's counts of what this sink id inserted */
    int64_t dash_saved_ns; /* monotonic time the dash was last written (0: never) */
    bool dash_dirty;       /* the dash changed since it was last written */
    bool dirty; /* changed since the last sink_stats upsert */
} run_stats;

typedef struct sink {
    const ob_sink_config *cfg;
    ob_broker *broker;
    ob_store *store;
    const char *way;
    queue q;

    run_stats **runs;
    size_t nruns, cap_runs;
    run_stats *last_run;

    /* totals over all runs */
    int64_t persisted, duplicates, invalid, nacked;
    int64_t inserts, insert_docs, insert_ns; /* bulk inserts answered: count, documents, time */
    int64_t started_ns; /* CLOCK_REALTIME, for the heartbeat */
    int invalid_logged;
    int64_t last_error_log_ns;
    int backoff_ms;

    /* per-batch buffers, --batch long */
    ob_delivery **batch;
    ob_record *recs;
    ob_meta *metas;
    ob_store_rec *srecs;
    ob_insert_result *results;
    size_t *pos;        /* valid record j came from batch[pos[j]] */
    run_stats **rstats; /* run of valid record j */
    long *pidx; /* index of valid record j's process share in its run's procs */
} sink;

/* The thread that waits for SIGINT/SIGTERM. */
typedef struct sigwatch {
    sigset_t set;
    queue *q;
    pthread_t thread;
    bool done; /* under q->lock: the sink is finished, the next signal is ours */
} sigwatch;

/* ---- queue ---- */

static int queue_init(queue *q, size_t cap, size_t batch)
{
    pthread_condattr_t ca;
    memset(q, 0, sizeof *q);
    q->ring = calloc(cap, sizeof *q->ring);
    if (!q->ring)
        return -1;
    q->cap = cap;
    q->wake_at = batch < cap ? batch : cap;
    pthread_mutex_init(&q->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&q->not_empty, &ca);
    pthread_cond_init(&q->not_full, &ca);
    pthread_condattr_destroy(&ca);
    return 0;
}

static void queue_destroy(queue *q)
{
    if (!q->ring)
        return;
    pthread_mutex_destroy(&q->lock);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q->ring);
    q->ring = NULL;
}

/* Waits on `c` until the monotonic instant `deadline_ns`; returns ETIMEDOUT after it. */
static int wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t deadline_ns)
{
    struct timespec ts = {.tv_sec = deadline_ns / OB_NS_PER_S,
                          .tv_nsec = deadline_ns % OB_NS_PER_S};
    return pthread_cond_timedwait(c, m, &ts);
}

/* Sets the stop flag and wakes everyone waiting on the queue. */
static void queue_stop(queue *q)
{
    pthread_mutex_lock(&q->lock);
    q->stop = true;
    pthread_cond_broadcast(&q->not_empty);
    pthread_cond_broadcast(&q->not_full);
    pthread_mutex_unlock(&q->lock);
}

static bool queue_stopped(queue *q)
{
    pthread_mutex_lock(&q->lock);
    bool stop = q->stop;
    pthread_mutex_unlock(&q->lock);
    return stop;
}

static size_t pop_locked(queue *q, ob_delivery **out, size_t max)
{
    size_t n = q->count < max ? q->count : max;
    bool was_full = q->count == q->cap;
    for (size_t i = 0; i < n; i++) {
        out[i] = q->ring[q->head];
        q->head = (q->head + 1) % q->cap;
    }
    q->count -= n;
    if (n && was_full)
        pthread_cond_broadcast(&q->not_full);
    return n;
}

/* Takes up to `max` deliveries: waits up to wait_ms for the first, then up to linger_ms
 * for the batch to fill. Returns 0 if nothing came or the sink is stopping. */
static size_t queue_take(queue *q, ob_delivery **out, size_t max, int linger_ms, int wait_ms)
{
    pthread_mutex_lock(&q->lock);
    int64_t deadline = ob_mono_ns() + wait_ms * OB_NS_PER_MS;
    while (q->count == 0 && !q->stop)
        if (wait_until(&q->not_empty, &q->lock, deadline) == ETIMEDOUT)
            break;
    if (q->count > 0 && q->count < max && linger_ms > 0 && !q->stop) {
        deadline = ob_mono_ns() + linger_ms * OB_NS_PER_MS;
        while (q->count < max && !q->stop)
            if (wait_until(&q->not_empty, &q->lock, deadline) == ETIMEDOUT)
                break;
    }
    size_t n = q->stop ? 0 : pop_locked(q, out, max);
    pthread_mutex_unlock(&q->lock);
    return n;
}

/* Waits up to ms, or less if the sink is stopped meanwhile. */
static void queue_sleep(queue *q, int ms)
{
    pthread_mutex_lock(&q->lock);
    int64_t deadline = ob_mono_ns() + ms * OB_NS_PER_MS;
    while (!q->stop && ob_mono_ns() < deadline)
        wait_until(&q->not_full, &q->lock, deadline);
    pthread_mutex_unlock(&q->lock);
}

/* ob_deliver_fn, on the broker's receive thread: blocks while the queue is full. Once
 * the sink is stopping, deliveries are rejected at once for redelivery. */
static void on_delivery(void *arg, ob_delivery *d)
{
    sink *s = arg;
    queue *q = &s->q;
    pthread_mutex_lock(&q->lock);
    while (q->count == q->cap && !q->stop)
        pthread_cond_wait(&q->not_full, &q->lock);
    if (q->stop) {
        pthread_mutex_unlock(&q->lock);
        ob_broker_settle(s->broker, d, false);
        return;
    }
    q->ring[(q->head + q->count) % q->cap] = d;
    q->count++;
    if (q->count == 1 || q->count == q->wake_at)
        pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

/* ---- signals ---- */

static void *signal_thread(void *arg)
{
    sigwatch *w = arg;
    for (int n = 0;; n++) {
        int sig = 0;
        sigwait(&w->set, &sig);
        pthread_mutex_lock(&w->q->lock);
        bool done = w->done;
        pthread_mutex_unlock(&w->q->lock);
        if (done)
            return NULL;
        if (n > 0) {
            fprintf(stderr, "outbreak sink: second signal, exiting now (unsettled deliveries "
                            "will be redelivered)\n");
            _exit(1);
        }
        fprintf(stderr, "outbreak sink: %s, stopping\n", sig == SIGINT ? "interrupted" : "terminated");
        queue_stop(w->q);
    }
}

static int sigwatch_start(sigwatch *w, queue *q, sigset_t *old)
{
    memset(w, 0, sizeof *w);
    w->q = q;
    sigemptyset(&w->set);
    sigaddset(&w->set, SIGINT);
    sigaddset(&w->set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &w->set, old);
    if (pthread_create(&w->thread, NULL, signal_thread, w) != 0) {
        pthread_sigmask(SIG_SETMASK, old, NULL);
        return -1;
    }
    return 0;
}

static void sigwatch_stop(sigwatch *w, const sigset_t *old)
{
    pthread_mutex_lock(&w->q->lock);
    w->done = true;
    pthread_mutex_unlock(&w->q->lock);
    pthread_kill(w->thread, SIGTERM);
    pthread_join(w->thread, NULL);
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* ---- per-run stats ---- */

/* The stats of `run`, created on first use. A new entry starts from the sink_stats
 * document an earlier instance with the same --id left (a restart goes on counting
 * instead of overwriting). NULL with err if that cannot be read or memory runs out. */
static run_stats *run_get(sink *s, const char *run, ob_err *err)
{
    if (s->last_run && strcmp(s->last_run->run, run) == 0)
        return s->last_run;
    for (size_t i = 0; i < s->nruns; i++)
        if (strcmp(s->runs[i]->run, run) == 0)
            return s->last_run = s->runs[i];
    if (s->nruns == s->cap_runs) {
        size_t cap = s->cap_runs ? 2 * s->cap_runs : 8;
        run_stats **runs = realloc(s->runs, cap * sizeof *runs);
        if (!runs)
            goto oom;
        s->runs = runs;
        s->cap_runs = cap;
    }
    run_stats *r = calloc(1, sizeof *r);
    if (!r)
        goto oom;
    r->e2e = ob_hist_new();
    r->dash = calloc(1, sizeof *r->dash);
    if (!r->e2e || !r->dash) {
        ob_hist_free(r->e2e);
        free(r->dash);
        free(r);
        goto oom;
    }
    snprintf(r->run, sizeof r->run, "%s", run);
    ob_sink_totals saved;
    if (ob_store_get_sink_stats(s->store, run, s->cfg->id, &saved, r->e2e, &r->procs, &r->nprocs, err) < 0 ||
        ob_store_get_sink_dash(s->store, run, s->cfg->id, r->dash, err) < 0) {
        ob_hist_free(r->e2e);
        free(r->procs);
        free(r->dash);
        free(r);
        return NULL;
    }
    r->persisted = saved.persisted;
    r->duplicates = saved.duplicates;
    r->invalid = saved.invalid;
    r->unsure = saved.unsure;
    r->cap_procs = r->nprocs;
    s->runs[s->nruns++] = r;
    return s->last_run = r;
oom:
    ob_err_set(err, "out of memory for the statistics of run %s", run);
    return NULL;
}

/* The index of the share of `process` in run r's procs, created on first use (an index,
 * not a pointer: a new share may move the array); -1 when out of memory. */
static long process_index(run_stats *r, uint32_t process)
{
    if (r->last_proc < r->nprocs && r->procs[r->last_proc].process == process)
        return (long)r->last_proc;
    for (size_t i = 0; i < r->nprocs; i++)
        if (r->procs[i].process == process)
            return (long)(r->last_proc = i);
    if (r->nprocs == r->cap_procs) {
        size_t cap = r->cap_procs ? 2 * r->cap_procs : 4;
        ob_process_count *p = realloc(r->procs, cap * sizeof *p);
        if (!p)
            return -1;
        r->procs = p;
        r->cap_procs = cap;
    }
    r->procs[r->nprocs] = (ob_process_count){.process = process};
    return (long)(r->last_proc = r->nprocs++);
}

static void write_beat(sink *s, bool stopped)
{
    size_t queued;
    pthread_mutex_lock(&s->q.lock);
    queued = s->q.count;
    pthread_mutex_unlock(&s->q.lock);
    ob_sink_beat b = {.sink = s->cfg->id,
                      .way = s->way,
                      .stopped = stopped,
                      .started_ns = s->started_ns,
                      .interval_ms = s->cfg->stats_interval_ms,
                      .persisted = s->persisted,
                      .duplicates = s->duplicates,
                      .invalid = s->invalid,
                      .nacked = s->nacked,
                      .queued = (int64_t)queued};
    ob_err err;
    if (ob_store_put_sink_beat(s->store, &b, &err) != 0) {
        int64_t now = ob_mono_ns();
        if (now - s->last_error_log_ns >= ERROR_LOG_EVERY_NS) {
            s->last_error_log_ns = now;
            fprintf(stderr, "outbreak sink: %s (will retry)\n", err.msg);
        }
    }
}

/* Writes the sink_stats of every run whose counts changed; the dash (~10 KB) at most once
 * every DASH_EVERY_NS, and always when `final`. */
static void write_stats(sink *s, bool final)
{
    int64_t now = ob_mono_ns();
    for (size_t i = 0; i < s->nruns; i++) {
        run_stats *r = s->runs[i];
        bool with_dash = r->dash_dirty && (final || now - r->dash_saved_ns >= DASH_EVERY_NS);
        if (!r->dirty && !with_dash)
            continue;
        ob_sink_stats st = {.run = r->run,
                            .sink = s->cfg->id,
                            .way = s->way,
                            .persisted = r->persisted,
                            .duplicates = r->duplicates,
                            .invalid = r->invalid,
                            .unsure = r->unsure,
                            .processes = r->procs,
                            .nprocesses = r->nprocs,
                            .last_persisted_ns = r->last_persisted_ns,
                            .by_second = &r->by_second,
                            .e2e = r->e2e,
                            .dash = with_dash ? r->dash : NULL};
        ob_err err;
        if (ob_store_put_sink_stats(s->store, &st, &err) == 0) {
            r->dirty = false;
            if (with_dash) {
                r->dash_dirty = false;
                r->dash_saved_ns = now;
            }
        } else {
            int64_t now = ob_mono_ns();
            if (now - s->last_error_log_ns >= ERROR_LOG_EVERY_NS) {
                s->last_error_log_ns = now;
                fprintf(stderr, "outbreak sink: %s (will retry)\n", err.msg);
            }
            return;
        }
    }
}

/* ---- batches ---- */

/* A delivery that can never be stored: counted, logged (the first few), acked. */
static void drop_invalid(sink *s, ob_delivery *d, const char *run, const char *why)
{
    s->invalid++;
    if (run) {
        ob_err err;
        run_stats *r = run_get(s, run, &err);
        if (r) {
            r->invalid++;
            r->dirty = true;
        }
    }
    if (s->invalid_logged < INVALID_LOGGED) {
        s->invalid_logged++;
        int len = d->len > 80 ? 80 : (int)d->len;
        fprintf(stderr, "outbreak sink: dropping invalid delivery: %s: %.*s%s\n", why, len,
                d->data, d->len > 80 ? "..." : "");
        if (s->invalid_logged == INVALID_LOGGED)
            fprintf(stderr, "outbreak sink: (further invalid deliveries are counted, not logged)\n");
    }
    ob_broker_settle(s->broker, d, true);
}

static void log_error(sink *s, const char *what)
{
    int64_t now = ob_mono_ns();
    if (now - s->last_error_log_ns < ERROR_LOG_EVERY_NS)
        return;
    s->last_error_log_ns = now;
    fprintf(stderr, "outbreak sink: %s\n", what);
}

static void process_batch(sink *s, size_t n)
{
    size_t nvalid = 0;
    for (size_t i = 0; i < n; i++) {
        ob_delivery *d = s->batch[i];
        ob_record *r = &s->recs[nvalid];
        ob_meta *m = &s->metas[nvalid];
        bool has_meta = false;
        ob_err err;
        memset(m, 0, sizeof *m);
        if (ob_record_decode(d->data, d->len, r, m, &has_meta, &err) != 0) {
            drop_invalid(s, d, NULL, err.msg);
            continue;
        }
        if (!has_meta) {
            drop_invalid(s, d, ob_run_id_valid(m->run) ? m->run : NULL,
                         "no run/producer/seq/sent_ns metadata");
            continue;
        }
        const char *why = ob_store_record_problem(r, m);
        if (why) {
            drop_invalid(s, d, ob_run_id_valid(m->run) ? m->run : NULL, why);
            continue;
        }
        s->rstats[nvalid] = run_get(s, m->run, &err);
        s->pidx[nvalid] = s->rstats[nvalid] ? process_index(s->rstats[nvalid], OB_PRODUCER_PROCESS(m->producer)) : -1;
        if (s->rstats[nvalid] && s->pidx[nvalid] < 0)
            ob_err_set(&err, "out of memory for the statistics of run %s", m->run);
        if (s->pidx[nvalid] < 0) {
            char line[sizeof err.msg + 128];
            snprintf(line, sizeof line, "%s; delivery %s", err.msg, ob_broker_rejected_means(s->broker));
            log_error(s, line);
            s->nacked++;
            ob_broker_settle(s->broker, d, false);
            continue;
        }
        s->srecs[nvalid] = (ob_store_rec){.r = r, .m = m};
        s->pos[nvalid] = i;
        nvalid++;
    }
    if (nvalid == 0)
        return;

    ob_err err;
    err.msg[0] = '\0';
    int64_t insert_t0 = ob_mono_ns();
    int rc = ob_store_insert_records(s->store, s->srecs, nvalid, s->way, s->results, &err);
    int64_t acked_ns = ob_real_ns();
    if (rc == 0) {
        s->inserts++;
        s->insert_docs += (int64_t)nvalid;
        s->insert_ns += ob_mono_ns() - insert_t0;
    }
    if (rc != 0) {
        /* MongoDB may have stored them all the same (a connection cut mid-insert): where
         * they come again, the insert then finds them there (duplicates); where they do
         * not, the run must ask MongoDB (store.h, unsure) */
        bool again = ob_broker_redelivers(s->broker);
        for (size_t j = 0; j < nvalid; j++) {
            if (!again) {
                s->rstats[j]->unsure++;
                s->rstats[j]->dirty = true;
            }
            ob_broker_settle(s->broker, s->batch[s->pos[j]], false);
        }
        s->nacked += (int64_t)nvalid;
        s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : BACKOFF_MIN_MS;
        if (s->backoff_ms > BACKOFF_MAX_MS)
            s->backoff_ms = BACKOFF_MAX_MS;
        char line[sizeof err.msg + 160];
        snprintf(line, sizeof line, "%s; %zu deliveries %s, retrying in %d ms", err.msg, nvalid,
                 ob_broker_rejected_means(s->broker), s->backoff_ms);
        log_error(s, line);
        queue_sleep(&s->q, s->backoff_ms);
        return;
    }
    s->backoff_ms = 0;
    if (err.msg[0])
        log_error(s, err.msg); /* some documents failed: they are nacked below */
    for (size_t j = 0; j < nvalid; j++) {
        run_stats *r = s->rstats[j];
        ob_delivery *d = s->batch[s->pos[j]];
        switch (s->results[j]) {
        case OB_INSERT_OK:
            r->persisted++;
            r->procs[s->pidx[j]].persisted++;
            s->persisted++;
            ob_hist_record(r->e2e, acked_ns - s->metas[j].sent_ns);
            r->last_persisted_ns = acked_ns;
            ob_per_second_add(&r->by_second, acked_ns / OB_NS_PER_S, 1); /* past the span: dropped */
            ob_dash_add(r->dash, s->srecs[j].r, s->way, r->run, ob_store_last_insert_ms(s->store));
            r->dash_dirty = true;
            r->dirty = true;
            ob_broker_settle(s->broker, d, true);
            break;
        case OB_INSERT_DUPLICATE:
            r->duplicates++;
            r->procs[s->pidx[j]].duplicates++;
            s->duplicates++;
            r->dirty = true;
            ob_broker_settle(s->broker, d, true);
            break;
        case OB_INSERT_FAILED:
            s->nacked++;
            ob_broker_settle(s->broker, d, false);
            break;
        }
    }
}

/* ---- setup and the loop ---- */

/* The URL with its password replaced by "***", for messages. */
static int alloc_buffers(sink *s, size_t n)
{
    s->batch = calloc(n, sizeof *s->batch);
    s->recs = calloc(n, sizeof *s->recs);
    s->metas = calloc(n, sizeof *s->metas);
    s->srecs = calloc(n, sizeof *s->srecs);
    s->results = calloc(n, sizeof *s->results);
    s->pos = calloc(n, sizeof *s->pos);
    s->rstats = calloc(n, sizeof *s->rstats);
    s->pidx = calloc(n, sizeof *s->pidx);
    return s->batch && s->recs && s->metas && s->srecs && s->results && s->pos && s->rstats &&
                   s->pidx
               ? 0
               : -1;
}

static void free_sink(sink *s)
{
    for (size_t i = 0; i < s->nruns; i++) {
        ob_hist_free(s->runs[i]->e2e);
        ob_per_second_free(&s->runs[i]->by_second);
        free(s->runs[i]->procs);
        free(s->runs[i]->dash);
        free(s->runs[i]);
    }
    free(s->runs);
    free(s->batch);
    free(s->recs);
    free(s->metas);
    free(s->srecs);
    free(s->results);
    free(s->pos);
    free(s->rstats);
    free(s->pidx);
    queue_destroy(&s->q);
}

/* The figures in Prometheus' text format, handed to cfg->metrics (sink.h). */
static void publish_metrics(sink *s)
{
    if (!s->cfg->metrics)
        return;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    char base[512];
    ob_prom_labels(base, sizeof base,
                   (const char *[]){"role", "sink", "middleware", s->way, "instance", s->cfg->id, NULL});
    static const struct {
        const char *name, *help;
    } per_run[] = {
        {"outbreak_records_persisted_total", "Records this sink inserted into MongoDB."},
        {"outbreak_records_duplicates_total", "Redelivered records this sink found already stored."},
        {"outbreak_records_invalid_total", "Deliveries that were not a valid record (dropped)."},
    };
    for (size_t k = 0; k < sizeof per_run / sizeof per_run[0]; k++) {
        ob_prom_family(f, per_run[k].name, "counter", per_run[k].help);
        for (size_t i = 0; i < s->nruns; i++) {
            const run_stats *r = s->runs[i];
            char labels[768];
            ob_prom_labels_add(labels, sizeof labels, base, "run", r->run);
            ob_prom_int(f, per_run[k].name, labels,
                        k == 0 ? r->persisted : k == 1 ? r->duplicates : r->invalid);
        }
    }
    ob_prom_family(f, "outbreak_e2e_latency_seconds", "histogram",
                   "End-to-end latency: intended send time to MongoDB's acknowledgement of the insert.");
    for (size_t i = 0; i < s->nruns; i++) {
        char labels[768];
        ob_prom_labels_add(labels, sizeof labels, base, "run", s->runs[i]->run);
        ob_prom_histogram(f, "outbreak_e2e_latency_seconds", labels, s->runs[i]->e2e);
    }
    ob_prom_family(f, "outbreak_sink_rejected_total", "counter", "Deliveries not stored, rejected (redelivered where the middleware can).");
    ob_prom_int(f, "outbreak_sink_rejected_total", base, s->nacked);
    ob_prom_family(f, "outbreak_sink_inserts_total", "counter", "Bulk inserts MongoDB answered.");
    ob_prom_int(f, "outbreak_sink_inserts_total", base, s->inserts);
    ob_prom_family(f, "outbreak_sink_insert_seconds_total", "counter", "Time spent waiting for the bulk inserts.");
    ob_prom_double(f, "outbreak_sink_insert_seconds_total", base, (double)s->insert_ns / 1e9);
    pthread_mutex_lock(&s->q.lock);
    size_t queued = s->q.count;
    pthread_mutex_unlock(&s->q.lock);
    ob_prom_family(f, "outbreak_sink_queued", "gauge", "Deliveries received and waiting for an insert.");
    ob_prom_int(f, "outbreak_sink_queued", base, (int64_t)queued);
    ob_prom_process(f, base);
    if (fclose(f) == 0)
        s->cfg->metrics(s->cfg->metrics_arg, text, len);
    free(text);
}

static void print_totals(const sink *s, const char *prefix, double rate)
{
    char inserts[96] = "";
    if (s->inserts > 0)
        snprintf(inserts, sizeof inserts, "; inserts of %.0f documents in %.1f ms on average",
                 (double)s->insert_docs / (double)s->inserts,
                 (double)s->insert_ns / (double)s->inserts / OB_NS_PER_MS);
    fprintf(stderr,
            "outbreak sink: %s%lld persisted (%.0f/s), %lld duplicates, %lld invalid, "
            "%lld %s, %zu run%s%s\n",
            prefix, (long long)s->persisted, rate, (long long)s->duplicates,
            (long long)s->invalid, (long long)s->nacked, ob_broker_rejected_means(s->broker), s->nruns, s->nruns == 1 ? "" : "s", inserts);
}

/* Rejects (for redelivery) whatever is still queued; the sink is stopped, so the
 * receive thread adds nothing more. */
static void nack_queued(sink *s)
{
    for (;;) {
        pthread_mutex_lock(&s->q.lock);
        size_t n = pop_locked(&s->q, s->batch, (size_t)s->cfg->batch);
        pthread_mutex_unlock(&s->q.lock);
        if (n == 0)
            return;
        for (size_t i = 0; i < n; i++)
            ob_broker_settle(s->broker, s->batch[i], false);
    }
}

/* Recounts the sinks of `way` that died without saving their last counts (store.h:
 * ob_store_dead_sinks, ob_store_recount_sink), so that the dashboard's sums stay equal to
 * the records. `own`: at start, before consuming, only a sink of this sink's own id
 * that still says running (this is its restart: its counts must be whole before this
 * one adds to them); NULL: the others, the recounter's (below). A dead sink is seen once
 * its heartbeat is 3 intervals plus 2 s old. */
static void recount_dead_sinks(ob_store *store, const char *way, const char *own, const atomic_bool *stop)
{
    char **ids;
    size_t n;
    ob_err err;
    if (ob_store_dead_sinks(store, way, own, &ids, &n, &err) != 0) {
        fprintf(stderr, "outbreak sink: %s\n", err.msg);
        return;
    }
    for (size_t i = 0; i < n && !(stop && atomic_load(stop)); i++) {
        if (own && strcmp(ids[i], own) != 0)
            continue;
        int64_t t0 = ob_mono_ns(), records;
        if (ob_store_recount_sink(store, ids[i], stop, &records, &err) != 0) {
            if (!(stop && atomic_load(stop)))
                fprintf(stderr, "outbreak sink: %s\n", err.msg);
            break;
        }
        fprintf(stderr,
                "outbreak sink: recounted sink %s, which stopped without saving its counts: "
                "%lld records in %.1f s\n",
                ids[i], (long long)records, (double)(ob_mono_ns() - t0) / OB_NS_PER_S);
    }
    ob_store_free_ids(ids, n);
}

/* The recounter: a thread with a MongoDB connection of its own that looks for dead
 * sinks to recount at its start and then every RECOUNT_CHECK_NS. A recount scans the
 * records collection (minutes for millions of records on FerretDB): on the consuming
 * thread it held up the inserts, so every record's end-to-end latency, meanwhile. It
 * keeps copies of what it needs: a sink that stops while the database still scans
 * leaves it behind (detached; it frees itself if it ever ends) rather than wait. */
typedef struct recounter {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake; /* on CLOCK_MONOTONIC: the stop, and the thread's end */
    atomic_bool stop;
    bool done, detached; /* under lock */
    char way[32], url[1024];
} recounter;

#define RECOUNTER_STOP_WAIT_NS (2 * OB_NS_PER_S)

static void recounter_free(recounter *r)
{
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* Waits on r->wake until `until` (monotonic ns) or a signal; r->lock held. */
static void recounter_wait(recounter *r, int64_t until)
{
    struct timespec ts = {.tv_sec = until / OB_NS_PER_S, .tv_nsec = until % OB_NS_PER_S};
    pthread_cond_timedwait(&r->wake, &r->lock, &ts);
}

static void *recounter_main(void *arg)
{
    recounter *r = arg;
    ob_store *store = NULL;
    ob_err err;
    pthread_mutex_lock(&r->lock);
    while (!atomic_load(&r->stop)) {
        pthread_mutex_unlock(&r->lock);
        if (!store && ob_store_open(&store, r->url, &err) != 0) {
            fprintf(stderr, "outbreak sink: recounting dead sinks: %s\n", err.msg);
            store = NULL;
        }
        if (store)
            recount_dead_sinks(store, r->way, NULL, &r->stop);
        pthread_mutex_lock(&r->lock);
        int64_t until = ob_mono_ns() + RECOUNT_CHECK_NS;
        while (!atomic_load(&r->stop) && ob_mono_ns() < until)
            recounter_wait(r, until);
    }
    r->done = true;
    bool detached = r->detached;
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->lock);
    ob_store_close(store);
    if (detached)
        recounter_free(r);
    return NULL;
}

static recounter *recounter_start(const sink *s)
{
    recounter *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    atomic_init(&r->stop, false);
    snprintf(r->way, sizeof r->way, "%s", s->way);
    snprintf(r->url, sizeof r->url, "%s", s->cfg->mongo_url);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&r->wake, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&r->lock, NULL);
    if (pthread_create(&r->thread, NULL, recounter_main, r) != 0) {
        recounter_free(r);
        return NULL;
    }
    return r;
}

/* Stops the recounter: a recount in progress ends at its next record; one whose scan the
 * database has not answered within RECOUNTER_STOP_WAIT_NS is left behind. */
static void recounter_stop(recounter *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    atomic_store(&r->stop, true);
    pthread_cond_broadcast(&r->wake);
    int64_t until = ob_mono_ns() + RECOUNTER_STOP_WAIT_NS;
    while (!r->done && ob_mono_ns() < until)
        recounter_wait(r, until);
    bool done = r->done;
    r->detached = !done;
    pthread_mutex_unlock(&r->lock);
    if (done) {
        pthread_join(r->thread, NULL);
        recounter_free(r);
    } else {
        pthread_detach(r->thread);
        fprintf(stderr, "outbreak sink: not waiting for a recount whose scan MongoDB has not answered yet "
                        "(a sink of this middleware that runs later does it)\n");
    }
}

static void run_loop(sink *s)
{
    const ob_sink_config *cfg = s->cfg;
    int64_t start = ob_mono_ns();
    int64_t next_stats = start + cfg->stats_interval_ms * OB_NS_PER_MS;
    int64_t next_progress = start + PROGRESS_EVERY_NS;
    int64_t last_persisted = 0, last_progress = start;
    while (!queue_stopped(&s->q)) {
        size_t n = queue_take(&s->q, s->batch, (size_t)cfg->batch, cfg->linger_ms, MAX_WAIT_MS);
        if (n)
            process_batch(s, n);
        int64_t now = ob_mono_ns();
        if (now >= next_stats) {
            write_stats(s, false);
            write_beat(s, false);
            publish_metrics(s);
            next_stats = now + cfg->stats_interval_ms * OB_NS_PER_MS;
        }
        if (now >= next_progress) {
            double secs = (double)(now - last_progress) / OB_NS_PER_S;
            print_totals(s, "", (double)(s->persisted - last_persisted) / secs);
            last_persisted = s->persisted;
            last_progress = now;
            next_progress = now + PROGRESS_EVERY_NS;
        }
    }
    nack_queued(s);
    write_stats(s, true);
    write_beat(s, true);
    publish_metrics(s);
    double secs = (double)(ob_mono_ns() - start) / OB_NS_PER_S;
    print_totals(s, "stopped: ", secs > 0 ? (double)s->persisted / secs : 0.0);
}

int ob_sink_run(const ob_sink_config *cfg)
{
    sink s;
    sigwatch w;
    sigset_t old;
    ob_err err;
    int rc = 1;
    bool watching = false;
    char burl[1024], murl[1024];
    recounter *rec = NULL;

    memset(&s, 0, sizeof s);
    s.cfg = cfg;
    s.started_ns = ob_real_ns();
    if (queue_init(&s.q, (size_t)cfg->queue, (size_t)cfg->batch) != 0 ||
        alloc_buffers(&s, (size_t)cfg->batch) != 0) {
        fprintf(stderr, "outbreak sink: out of memory\n");
        goto fail;
    }
    /* Before any thread exists, so that every thread (the broker's too) blocks them. */
    if (sigwatch_start(&w, &s.q, &old) != 0) {
        fprintf(stderr, "outbreak sink: cannot start the signal thread\n");
        goto fail;
    }
    watching = true;
    if (ob_store_open(&s.store, cfg->mongo_url, &err) != 0) {
        fprintf(stderr, "outbreak sink: %s\n", err.msg);
        goto fail;
    }
    ob_broker_opts bopts = {.role = OB_ROLE_SUBSCRIBER,
                            .client_name = cfg->id,
                            .connect_timeout_ms = 3000};
    if (ob_broker_open(&s.broker, cfg->broker_url, &bopts, &err) != 0) {
        fprintf(stderr, "outbreak sink: %s\n", err.msg);
        rc = ob_err_exit_code(&err);
        goto fail;
    }
    s.way = ob_broker_way(s.broker);
    ob_store_set_writer(s.store, cfg->id);
    recount_dead_sinks(s.store, s.way, cfg->id, NULL); /* before consuming: this id's own counts */
    ob_url_redacted(cfg->broker_url, burl, sizeof burl);
    ob_url_redacted(cfg->mongo_url, murl, sizeof murl);
    fprintf(stderr, "outbreak sink: %s -> %s, batch %d, id %s\n", burl, murl, cfg->batch,
            cfg->id);
    if (ob_broker_subscribe(s.broker, on_delivery, &s, &err) != 0) {
        fprintf(stderr, "outbreak sink: %s\n", err.msg);
        rc = ob_err_exit_code(&err); /* 2: a middleware that cannot be read from */
        goto fail;
    }
    write_beat(&s, false); /* seen at once by a run that waits for its records */
    if (!(rec = recounter_start(&s)))
        fprintf(stderr, "outbreak sink: cannot start the thread that recounts dead sinks\n");
    if (cfg->ready_fd >= 0) {
        if (write(cfg->ready_fd, "ready\n", 6) != 6)
            fprintf(stderr, "outbreak sink: --ready-fd %d: %s\n", cfg->ready_fd, strerror(errno));
        close(cfg->ready_fd);
    }
    run_loop(&s);
    rc = 0;
fail:
    if (s.q.ring)
        queue_stop(&s.q); /* late deliveries are rejected while the broker closes */
    ob_broker_close(s.broker);
    recounter_stop(rec);
    ob_store_close(s.store);
    if (watching)
        sigwatch_stop(&w, &old);
    free_sink(&s);
    return rc;
}
