/* run.c — the engine of `outbreak run` (see run.h). */
#include "run.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <unistd.h>

#include "clock.h"
#include "cohort.h"
#include "generator.h"
#include "options.h"
#include "records_file.h"
#include "url.h"
#include "store.h"
#include "threshold.h"
#include "worker.h"

/* The bounds of a change (those of -u and --rate, options.c). */
#define OB_RUN_MAX_USERS 1000000L
#define OB_RUN_MAX_RATE 1e9

/* Cumulative figures summed over the workers at one instant. */
typedef struct snapshot {
    int64_t sent, acked, failed, users, bytes;
    ob_hist *publish, *publish_raw, *send_delay;
} snapshot;

struct ob_run {
    ob_run_opts opts;
    ob_records records;
    ob_payload *payloads;
    ob_plan plan;
    ob_worker **workers;
    long nworkers;
    ob_store *store;
    ob_hist *scratch;
    snapshot prev, now;
    ob_hist *e2e_prev, *e2e_now, *interval;
    ob_hist *interval_publish; /* the last second's publish histogram */
    ob_cohort *cohort;         /* --workers: the run's other load generators; NULL alone */
    int64_t last_beat;         /* the cohort's last heartbeat while draining (monotonic) */
    int64_t persisted_prev;
    uint32_t process; /* this process's part of the producer ids (record.h) */
    ob_run_result result;
    double cpu_at_t0; /* the process's CPU seconds when the measured time began */
    size_t series_cap;
    int phase; /* under plan.load_lock: 0 before the sending, 1 sending, 2 over */
    int stage; /* --stages, the closed model: the stage the users follow (-1: none yet) */
};
typedef struct ob_run controller;

static int snapshot_init(snapshot *s)
{
    s->publish = ob_hist_new();
    s->publish_raw = ob_hist_new();
    s->send_delay = ob_hist_new();
    return s->publish && s->publish_raw && s->send_delay ? 0 : -1;
}

static void snapshot_free(snapshot *s)
{
    ob_hist_free(s->publish);
    ob_hist_free(s->publish_raw);
    ob_hist_free(s->send_delay);
}

static void merge_live(ob_hist *dst, const ob_hist *live, ob_hist *scratch)
{
    ob_hist_copy(scratch, live);
    ob_hist_merge(dst, scratch);
}

static void take_snapshot(controller *c, snapshot *s)
{
    s->sent = s->acked = s->failed = s->users = s->bytes = 0;
    ob_hist_reset(s->publish);
    ob_hist_reset(s->publish_raw);
    ob_hist_reset(s->send_delay);
    for (long i = 0; i < c->nworkers; i++) {
        ob_worker_stats *st = ob_worker_stats_of(c->workers[i]);
        /* acked/failed before sent, so that sent >= acked + failed in the snapshot */
        s->acked += atomic_load(&st->pub->acked);
        s->failed += atomic_load(&st->pub->failed);
        s->sent += atomic_load(&st->pub->sent);
        s->users += atomic_load(&st->users);
        s->bytes += atomic_load(&st->pub->bytes);
        merge_live(s->publish, st->pub->publish, c->scratch);
        merge_live(s->publish_raw, st->pub->publish_raw, c->scratch);
        merge_live(s->send_delay, st->send_delay, c->scratch);
    }
}

static void swap_snapshots(controller *c)
{
    snapshot t = c->prev;
    c->prev = c->now;
    c->now = t;
}

/* The warm-up's sent, acked and failed so far (the publishers' warm-up statistics). */
static void warmup_counts(controller *c)
{
    ob_run_result *r = &c->result;
    r->warmup_sent = r->warmup_acked = r->warmup_failed = 0;
    for (long i = 0; i < c->nworkers; i++) {
        const ob_pub_stats *st = ob_worker_stats_of(c->workers[i])->warmup;
        /* acked/failed before sent, so that sent >= acked + failed */
        r->warmup_acked += atomic_load(&st->acked);
        r->warmup_failed += atomic_load(&st->failed);
        r->warmup_sent += atomic_load(&st->sent);
    }
}

/* A new, zeroed point at the end of the series; NULL when out of memory. A run of known
 * length gets room for all of its seconds at once (one point a second, and a few more
 * for the end): no reallocation, and no copy of the series, in the middle of a run. */
static ob_series_point *series_push(controller *c)
{
    ob_run_result *r = &c->result;
    if (r->nseries == c->series_cap) {
        size_t cap = c->series_cap ? c->series_cap * 2 : 64;
        int64_t planned = c->opts.run_time_ns / OB_NS_PER_S + 8;
        if (!c->series_cap && c->opts.run_time_ns > 0 && planned > (int64_t)cap && planned < 7 * 24 * 3600)
            cap = (size_t)planned;
        ob_series_point *p = realloc(r->series, cap * sizeof *p);
        if (!p)
            return NULL;
        r->series = p;
        c->series_cap = cap;
    }
    ob_series_point *p = &r->series[r->nseries++];
    memset(p, 0, sizeof *p);
    return p;
}

/* The result's copy of the load in force (the controlling thread's). */
static void copy_targets(controller *c)
{
    ob_load l;
    ob_plan_load(&c->plan, &l);
    ob_run_result *r = &c->result;
    bool open = c->opts.rate > 0;
    r->target_users = open ? 0 : l.users;
    r->target_spawn_rate = open ? 0 : l.spawn_rate;
    r->target_rate = open ? l.rate : 0;
    if (open && c->opts.stages.n > 0 && c->phase > 0) /* the rate the stages are at */
        r->target_rate = ob_stages_target_at(&c->opts.stages, ob_mono_ns() - c->plan.t0_mono);
}

/* --stages in the closed model: the users of the stage in force at `now` (the open
 * model needs nothing here: its workers compute their schedule from the stages). A ramp
 * up or a hold is set once, when its stage begins, as a spawn schedule from that
 * instant (a user every (to - from) / duration seconds, the first at once, as Locust's
 * spawn rate); a ramp down lowers the users as it goes, at each call (about 20 a
 * second), each user stopping once its share of the stage has passed. */
static void drive_stages(controller *c, int64_t now)
{
    const ob_stages *st = &c->opts.stages;
    if (st->n == 0 || st->rates)
        return;
    ob_plan *p = &c->plan;
    int i = ob_stages_index_at(st, now - p->t0_mono);
    if (i >= st->n)
        return; /* the last stage is over: the run ends */
    long from = (long)ob_stages_start_target(st, i), to = (long)st->s[i].target;
    int64_t begin = p->t0_mono + ob_stages_start_ns(st, i);
    double dur_s = (double)st->s[i].duration_ns / 1e9;
    ob_load *l = &p->load;
    bool changed = false;
    pthread_mutex_lock(&p->load_lock);
    if (i != c->stage && to >= from) {
        l->users = to;
        l->spawn_base = from;
        l->spawn_t0 = begin;
        if (to > from)
            l->spawn_rate = (double)(to - from) / dur_s;
        changed = true;
    }
    if (to < from) {
        double gone = (double)(now - begin) / 1e9 / dur_s * (double)(from - to);
        long left = (long)ceil((double)from - gone);
        left = left < to ? to : left > from ? from : left;
        if (i != c->stage || left < l->users) {
            l->users = left;
            l->spawn_base = left;
            l->spawn_t0 = begin;
            changed = true;
        }
    }
    c->stage = i;
    if (changed) {
        l->changed = now;
        atomic_fetch_add_explicit(&p->load_gen, 1, memory_order_release);
    }
    pthread_mutex_unlock(&p->load_lock);
    for (long k = 0; changed && k < c->nworkers; k++)
        ob_worker_wake(c->workers[k]);
}

/* The run's end within this of the last second's sample: the end is folded into that
 * second's point instead of a sliver of its own, which printed "5.000" twice in the
 * series or a point 50 ms long at 5.050 (the controlling thread looks every 50 ms: a
 * timed run's workers, done just after the tick, were seen at the next look), and drew a
 * rate spike at the charts' end (a few records over a few ms). */
#define FOLD_S 0.1

/* Point *into (the previous one) and the point d after it as one point: d's counts added,
 * its totals and end; the publish interval from into's and d's histograms (the live
 * interval_publish, still into's, gets d's added); the end-to-end p99 and persisted
 * likewise, when into's were measured (else d's cover both: since the last reading). */
static void fold_point(controller *c, ob_series_point *into, const ob_series_point *d, ob_hist *e2e_d)
{
    into->t = d->t;
    into->users = d->users;
    into->sent += d->sent;
    into->acked += d->acked;
    into->failed += d->failed;
    into->total_sent = d->total_sent;
    into->total_acked = d->total_acked;
    into->total_failed = d->total_failed;
    into->total_median_ms = d->total_median_ms;
    into->total_mean_ms = d->total_mean_ms;
    into->total_min_ms = d->total_min_ms;
    into->total_max_ms = d->total_max_ms;
    ob_hist_merge(c->interval_publish, c->scratch);
    int64_t pct[OB_PERCENTILE_COUNT];
    ob_hist_percentiles(c->interval_publish, ob_percentiles, OB_PERCENTILE_COUNT, pct);
    for (int i = 0; i < OB_PERCENTILE_COUNT; i++)
        into->publish_pct_ms[i] = (double)pct[i] / 1e6;
    if (d->persisted < 0) /* not read now: into's stand */
        return;
    if (into->persisted >= 0) {
        into->persisted += d->persisted;
        ob_hist_merge(c->interval, e2e_d);
    } else {
        into->persisted = d->persisted;
        ob_hist_copy(c->interval, e2e_d);
    }
    into->e2e_p99_ms = ob_hist_count(c->interval) > 0 ? (double)ob_hist_percentile(c->interval, 99) / 1e6 : -1;
}

/* One second's series point; also refreshes the sink figures when there is a store.
 * With a cohort, the point goes into the worker's series, and while sending (not
 * `last`) its figures into its document. The last point, at the run's end, is folded
 * into the one before when it comes within FOLD_S of it. */
static void sample(controller *c, double t, bool last)
{
    copy_targets(c);
    swap_snapshots(c);
    take_snapshot(c, &c->now);
    ob_run_result *r = &c->result;
    ob_series_point *into = last && r->nseries > 0 && t - r->series[r->nseries - 1].t < FOLD_S
                            ? &r->series[r->nseries - 1] : NULL;
    ob_hist *e2e_d = into && c->store ? ob_hist_new() : NULL;
    if (into && c->store && !e2e_d)
        into = NULL; /* out of memory: a point of its own */
    ob_series_point d = {0}, *p = into ? &d : series_push(c);
    if (!p)
        return;
    /* the point's publish interval: in scratch when folded (into's stays in
     * interval_publish), else in interval_publish */
    ob_hist *interval_publish = into ? c->scratch : c->interval_publish;
    p->t = t;
    p->users = c->now.users;
    p->sent = c->now.sent - c->prev.sent;
    p->acked = c->now.acked - c->prev.acked;
    p->failed = c->now.failed - c->prev.failed;
    p->total_sent = c->now.sent;
    p->total_acked = c->now.acked;
    p->total_failed = c->now.failed;
    ob_hist_diff(interval_publish, c->now.publish, c->prev.publish);
    int64_t pct[OB_PERCENTILE_COUNT];
    ob_hist_percentiles(interval_publish, ob_percentiles, OB_PERCENTILE_COUNT, pct);
    for (int i = 0; i < OB_PERCENTILE_COUNT; i++)
        p->publish_pct_ms[i] = (double)pct[i] / 1e6;
    p->total_median_ms = (double)ob_hist_percentile(c->now.publish, 50) / 1e6;
    p->total_mean_ms = ob_hist_mean(c->now.publish) / 1e6;
    p->total_min_ms = (double)ob_hist_min(c->now.publish) / 1e6;
    p->total_max_ms = (double)ob_hist_max(c->now.publish) / 1e6;
    p->persisted = -1;
    p->e2e_p99_ms = -1;
    r->sent = c->now.sent;
    r->acked = c->now.acked;
    r->failed = c->now.failed;
    r->users = c->now.users;
    r->bytes_sent = c->now.bytes;
    r->publish = c->now.publish;
    r->publish_raw = c->now.publish_raw;
    r->send_delay = c->now.send_delay;
    if (c->opts.warmup_ns > 0)
        warmup_counts(c); /* acks of the warm-up's last records come in the measured time */
    if (c->store) {
        ob_sink_totals tot;
        ob_err err;
        ob_hist_reset(c->e2e_now);
        if (ob_store_sink_totals(c->store, c->opts.run_id, c->process, &tot, c->e2e_now, &err) == 0) {
            int64_t persisted = tot.process_persisted >= 0 ? tot.process_persisted : tot.persisted;
            p->persisted = persisted - c->persisted_prev;
            c->persisted_prev = persisted;
            ob_hist *e2e_interval = into ? e2e_d : c->interval;
            ob_hist_diff(e2e_interval, c->e2e_now, c->e2e_prev);
            if (ob_hist_count(e2e_interval) > 0)
                p->e2e_p99_ms = (double)ob_hist_percentile(e2e_interval, 99) / 1e6;
            ob_hist *t2 = c->e2e_prev;
            c->e2e_prev = c->e2e_now;
            c->e2e_now = t2;
            r->persisted = persisted;
            r->run_persisted = tot.persisted;
            r->duplicates = tot.process_duplicates >= 0 ? tot.process_duplicates : tot.duplicates;
            r->lost = -1;
            ob_hist_copy(r->e2e, c->e2e_prev);
        }
    }
    if (c->cohort && last) {
        /* the workers' merge adds the points of a second: a folded end is an addition
         * to into's second (already stored), its counts and histogram; the users of that
         * second are into's sample's, so it adds none */
        ob_series_point end = *p;
        if (into) {
            end.t = into->t;
            end.users = 0;
        }
        ob_cohort_point(c->cohort, &end, interval_publish);
    } else if (c->cohort)
        ob_cohort_progress(c->cohort, r, p, interval_publish);
    if (into)
        fold_point(c, into, &d, e2e_d);
    ob_hist_free(e2e_d);
}

static int build_payloads(controller *c, ob_err *err)
{
    const ob_run_opts *o = &c->opts;
    int rc = o->records ? ob_records_load(o->records, &c->records, err)
                        : ob_gen_records(o->seed, (size_t)o->pool, &c->records, err);
    if (rc != 0)
        return ob_err_kind_set(err, OB_ERR_USAGE); /* a records file that cannot be read */
    c->payloads = calloc(c->records.count, sizeof *c->payloads);
    if (!c->payloads)
        return ob_err_set(err, "out of memory");
    /* --record-size: the metadata a record goes with, at a 10-digit producer and a
     * 6-digit sequence number (each record comes within a few bytes of the size: the
     * sequence number's digits); the filler field adds ,"pad":"" around its text */
    long meta = 0;
    if (o->record_size > 0) {
        char m[OB_RUN_CAP + 128];
        int np = ob_record_meta_prefix(o->run_id, UINT32_MAX, m, sizeof m);
        int nt = ob_record_meta_tail(100000, ob_real_ns(), m, sizeof m);
        meta = np > 0 && nt > 0 ? np + nt : 0;
    }
    const long pad_field = (long)sizeof ",\"pad\":\"\"" - 1;
    size_t cap = 2048 + OB_PAD_MAX; /* the five fields escaped, and a filler */
    char *buf = malloc(cap);
    if (!buf)
        return ob_err_set(err, "out of memory");
    rc = 0;
    for (size_t i = 0; i < c->records.count; i++) {
        ob_record *r = &c->records.items[i];
        if (o->record_size > 0) {
            r->pad = 0;
            int natural = ob_record_encode_body(r, buf, cap);
            long pad = o->record_size - (natural + meta + pad_field);
            if (natural >= 0 && natural + meta > o->record_size) {
                rc = ob_err_setk(err, OB_ERR_USAGE, "--record-size %ld is smaller than record %zu (%ld bytes with its "
                                                     "metadata, before any filler)", o->record_size, i + 1,
                                  natural + meta);
                break;
            }
            r->pad = pad > 0 ? (uint32_t)pad : 0; /* within the filler field's 9 bytes: as it is */
        }
        int n = ob_record_encode_body(r, buf, cap);
        if (n < 0) {
            rc = ob_err_setk(err, OB_ERR_USAGE, "record %zu is too large to encode", i + 1);
            break;
        }
        c->payloads[i].body = malloc((size_t)n);
        if (!c->payloads[i].body) {
            rc = ob_err_set(err, "out of memory");
            break;
        }
        memcpy(c->payloads[i].body, buf, (size_t)n);
        c->payloads[i].len = (size_t)n;
        c->payloads[i].key = r->location; /* records outlive the run */
        if ((size_t)n > c->plan.payload_max)
            c->plan.payload_max = (size_t)n;
    }
    free(buf);
    return rc;
}

/* The adapter's durability settings, and the figures the reports take from them. */
static void read_durability_fields(ob_run_result *r)
{
    r->mode = r->durability.mode[0] ? r->durability.mode : "default";
    r->broker_acks = r->durability.broker_ack;
    r->ack_meaning = r->durability.acked_means;
}

static void read_durability(controller *c)
{
    ob_run_result *r = &c->result;
    ob_worker_durability(c->workers[0], &r->durability);
    read_durability_fields(r);
}

/* A relay's durability again once its workers have stopped: it says what the servers
 * behind it said of their answers (an HTTP relay: the ways behind the gateways, what a
 * 2xx through each means, how many answers each gave), over every worker's handle. */
static void relay_durability(controller *c)
{
    ob_run_result *r = &c->result;
    const ob_broker_ops *ops = ob_broker_of_url(r->url);
    if (!ops || !ops->relay || c->nworkers < 1)
        return;
    ob_durability all = {0};
    ob_worker_durability(c->workers[0], &all);
    for (long i = 1; i < c->nworkers; i++) {
        ob_durability d = {0};
        ob_worker_durability(c->workers[i], &d);
        ob_durability_merge(&all, &d);
        ob_durability_free(&d);
    }
    ob_durability_free(&r->durability);
    r->durability = all;
    read_durability_fields(r);
}

#define NO_PROGRESS_NS (10 * OB_NS_PER_S) /* sinks idle this long: they are done */
#define SETTLE_NS (2 * OB_NS_PER_S)       /* for the sinks' statistics to catch up */
#define LAST_COUNT_MS 5000                /* MongoDB's count once the wait is over: at
                                             least this, or what is left of --stop-timeout */

/* The way of the sinks that can hold the run's records: the run's, or NULL (every
 * way's) behind the gateways of a relay (the HTTP load mode). Asked of the URL's
 * adapter: a relay is in no comparison, so not found by its way. */
static const char *sinks_way(const ob_run_result *r)
{
    const ob_broker_ops *ops = ob_broker_of_url(r->url);
    return ops && ops->relay ? NULL : r->way;
}

void ob_run_take_ways(ob_run_result *r, const ob_sink_totals *tot, bool relay)
{
    r->nways = 0;
    if (!tot || (tot->nways < 2 && !relay))
        return;
    r->nways = tot->nways;
    for (int i = 0; i < tot->nways; i++) {
        r->persisted_by_way[i] = tot->ways[i];
        if (r->persisted_by_way[i].process_persisted < 0) /* not split by process: the run's */
            r->persisted_by_way[i].process_persisted = r->persisted_by_way[i].persisted;
    }
}

/* What the drain knows about this process's records at one instant. */
typedef struct drain_view {
    bool ok;              /* the sinks' statistics could be read */
    ob_sink_totals tot;   /* the run's, over every process that shares its id */
    int64_t persisted;    /* this process's records the sinks inserted */
    int64_t duplicates;   /* and the redeliveries of them they found already there */
} drain_view;

/* Reads the sinks' statistics of the run: this process's share when the sinks split
 * their counts by process, the run's otherwise (older sinks); the run's end-to-end
 * histogram into r->e2e only when the read succeeded. */
static void drain_read(controller *c, drain_view *v)
{
    ob_err err;
    ob_hist_reset(c->e2e_now);
    if (ob_store_sink_totals(c->store, c->opts.run_id, c->process, &v->tot, c->e2e_now, &err) != 0) {
        fprintf(stderr, "outbreak run: %s\n", err.msg);
        v->ok = false;
        return;
    }
    v->ok = true;
    bool split = v->tot.process_persisted >= 0;
    v->persisted = split ? v->tot.process_persisted : v->tot.persisted;
    v->duplicates = split ? v->tot.process_duplicates : v->tot.duplicates;
    ob_hist_copy(c->result.e2e, c->e2e_now);
    c->result.run_persisted = v->tot.persisted;
}

/* MongoDB's own count of this process's records, bounded by limit_ms: >= 0, or -1
 * (*timed_out says whether the limit was the reason). */
static int64_t drain_count(controller *c, int limit_ms, bool *timed_out)
{
    ob_err err;
    int64_t n = -1;
    *timed_out = false;
    if (ob_store_count_records(c->store, c->opts.run_id, c->process, limit_ms, &n, &err) != 0) {
        *timed_out = err.kind == OB_ERR_TIMEOUT;
        fprintf(stderr, "outbreak run: %s%s\n", err.msg,
                *timed_out ? " (persisted comes from the sinks' counts)" : "");
        return -1;
    }
    return n;
}

/* Waits for the sinks to persist what the broker acknowledged, then fills persisted,
 * lost and unconfirmed (docs/measurement.md, "The end of a run").
 *
 * The sinks' exact counts (sink_stats, split by process) are read every 250 ms; a run
 * whose records the sinks all inserted ends within a stats interval of the last insert
 * without asking MongoDB anything else: on FerretDB any query on the records collection
 * scans all of it, and its time would grow with the database. MongoDB's own count of
 * this process's records is asked only when the sinks' counts leave a gap: once the
 * sinks have handled (inserted, or found already there) as many records as were acked
 * but inserted fewer (a sink died before it wrote its statistics), bounded by what is
 * left of --stop-timeout; and once more when the wait ends with records missing, bounded
 * by what is left of --stop-timeout but given at least LAST_COUNT_MS.
 *
 * The wait is bounded by --stop-timeout, and ends earlier when for NO_PROGRESS_NS
 * neither this process's records nor the total work of the way's sinks (their
 * heartbeats, over all runs) moved: a sink still working through an older backlog keeps
 * the run waiting. What is missing at the end is `lost` if the sinks were idle, and
 * `unconfirmed` if they were still working. Without an answer from MongoDB's count,
 * missing records are also unconfirmed when a sink of the run died (its last inserts
 * are counted nowhere) or, up to their number, when the sinks reported duplicates (the
 * record is there, but maybe counted already) or unsure records (an insert that failed
 * where the middleware does not deliver again: maybe there, counted nowhere). */
static void drain(controller *c)
{
    ob_run_result *r = &c->result;
    const ob_run_opts *o = &c->opts;
    int64_t start = ob_mono_ns(), deadline = start + o->stop_timeout_ns;
    int64_t last_progress = start, last_print = start, done_at = 0;
    int64_t seen_handled = -1, seen_work = -1;
    int64_t handled_at = 0; /* when persisted + duplicates first reached acked */
    int64_t count = -1, counted_at = 0;
    bool count_timed_out = false, idle = false;
    drain_view v = {0}, last = {0};
    ob_sink_activity act_last = {0};
    const char *sink_way = sinks_way(r);
    for (;;) {
        int64_t now = ob_mono_ns();
        drain_read(c, &v);
        if (v.ok)
            last = v;
        ob_sink_activity act;
        ob_err err;
        bool act_ok = ob_store_sink_activity(c->store, sink_way, o->run_id, &act, &err) == 0;
        if (!act_ok)
            fprintf(stderr, "outbreak run: %s\n", err.msg);
        else
            act_last = act;
        /* a sink of the run that died uncleanly inserted records its statistics never
         * counted, and an insert that failed where the middleware does not deliver its
         * records again may have stored them (unsure): the sinks' counts are then a
         * floor, and MongoDB's count (bounded) the figure, even when they reach what was
         * acked */
        bool died = act_last.dead > 0 || (last.ok && last.tot.unsure > 0);
        if (last.ok && last.persisted >= r->acked && (!died || counted_at)) {
            done_at = now;
            break;
        }
        /* a duplicate is a record that was there already, maybe inserted by a sink that
         * died before it wrote its statistics: when the sinks have handled as many as
         * were acked, MongoDB's count can tell (bounded: a scan on FerretDB) */
        int64_t handled = last.persisted + last.duplicates;
        if (last.ok && handled >= r->acked && !handled_at)
            handled_at = now;
        if (handled_at && !counted_at && (now - handled_at >= SETTLE_NS || died)) {
            int64_t left_ms = (deadline - now) / OB_NS_PER_MS;
            count = drain_count(c, left_ms > 1000 ? (int)left_ms : 1000, &count_timed_out);
            counted_at = ob_mono_ns();
            if (count >= r->acked) {
                done_at = counted_at;
                break;
            }
            now = ob_mono_ns();
        }
        if (!v.ok || !act_ok) {
            last_progress = now; /* cannot tell: not a reason to call anything lost */
        } else if (handled != seen_handled || act.work != seen_work) {
            seen_handled = handled;
            seen_work = act.work;
            last_progress = now;
        }
        if (now >= deadline) {
            /* no sink of the way running (none, or only stopped or silent ones): nothing
             * was working on what is missing */
            idle = act_ok && act.running == 0 && act.dead == 0;
            break;
        }
        if (now - last_progress > NO_PROGRESS_NS) {
            idle = true;
            fprintf(stderr, "outbreak run: the sinks made no progress for %d s; not waiting longer\n",
                    (int)(NO_PROGRESS_NS / OB_NS_PER_S));
            break;
        }
        if (!o->only_summary && now - last_print >= 2 * OB_NS_PER_S) {
            fprintf(stderr, "waiting for the sinks: %" PRId64 " of %" PRId64 " acked records persisted",
                    last.persisted, r->acked);
            if (act_ok && act.running > 0)
                fprintf(stderr, " (%d sink%s of %s running, %" PRId64 " deliveries queued)", act.running,
                        act.running == 1 ? "" : "s", sink_way ? sink_way : "every way", act.queued);
            fputc('\n', stderr);
            last_print = now;
        }
        if (c->cohort && now - c->last_beat >= OB_NS_PER_S) {
            ob_cohort_beat(c->cohort, r);
            c->last_beat = now;
        }
        ob_sleep_until_mono(now + 250 * OB_NS_PER_MS);
    }
    r->unconfirmed = r->lost = 0;
    if (done_at) {
        r->persisted = count >= r->acked ? count : last.persisted;
        r->persisted_source = count >= r->acked ? "mongodb_count" : "sink_stats";
    } else {
        /* a gap: MongoDB's count, unless it already could not answer in time or nothing
         * moved since it did */
        if (!count_timed_out && (!counted_at || last_progress > counted_at)) {
            int64_t left_ms = (deadline - ob_mono_ns()) / OB_NS_PER_MS;
            count = drain_count(c, left_ms > LAST_COUNT_MS ? (int)left_ms : LAST_COUNT_MS, &count_timed_out);
        }
        int64_t missing;
        if (count >= 0) {
            r->persisted = count;
            r->persisted_source = "mongodb_count";
            missing = r->acked > count ? r->acked - count : 0;
            if (idle)
                r->lost = missing;
            else
                r->unconfirmed = missing;
        } else if (last.ok) {
            r->persisted = last.persisted;
            r->persisted_source = "sink_stats";
            missing = r->acked > last.persisted ? r->acked - last.persisted : 0;
            int64_t maybe_there = last.duplicates + last.tot.unsure;
            if (!idle || act_last.dead > 0)
                r->unconfirmed = missing;
            else
                r->unconfirmed = missing < maybe_there ? missing : maybe_there;
            r->lost = missing - r->unconfirmed;
        } else {
            r->persisted = r->lost = r->unconfirmed = -1; /* MongoDB could not be read */
            r->persisted_source = NULL;
        }
    }
    /* the sinks finished with their latest insert, as they reported it; sinks that do
     * not report it finished when the drain last saw progress */
    int64_t finished = done_at ? done_at : last_progress;
    r->persist_s = (double)(finished - c->plan.t0_mono) / 1e9;
    if (last.tot.last_persisted_ns > c->plan.t0_real)
        r->persist_s = (double)(last.tot.last_persisted_ns - c->plan.t0_real) / 1e9;
    if (r->persist_s < r->duration_s)
        r->persist_s = r->duration_s;
    r->duplicates = last.ok ? last.duplicates : -1;
    r->invalid = last.ok ? last.tot.invalid : -1;
    r->sinks = last.tot.sinks;
    ob_run_take_ways(r, last.ok ? &last.tot : NULL, !sinks_way(r));
}

/* The series' persisted counts from the sinks' exact counts per wall-clock second
 * (the figures sampled during the run lag by up to a stats interval; these count the
 * records of every process that shares the run id), and one more point
 * per second while the sinks went on persisting after the sending stopped. The run
 * started on a whole second, so point t = k is epoch second t0 + k - 1. Sinks that do
 * not count per second leave the sampled figures as they are. */
static void persisted_series(controller *c)
{
    ob_run_result *r = &c->result;
    ob_per_second ps = {0};
    ob_err err;
    if (ob_store_persisted_by_second(c->store, c->opts.run_id, &ps, &err) != 0) {
        fprintf(stderr, "outbreak run: %s (the series keeps the sampled persisted counts)\n", err.msg);
        ob_per_second_free(&ps);
        return;
    }
    if (ps.n == 0 || r->nseries == 0) {
        ob_per_second_free(&ps);
        return;
    }
    int64_t t0 = (c->plan.t0_real + OB_NS_PER_S / 2) / OB_NS_PER_S;
    /* the last point ends where the sending stopped, within a second: it is that second */
    ob_series_point *last = &r->series[r->nseries - 1];
    double before = r->nseries > 1 ? r->series[r->nseries - 2].t : 0;
    last->t = floor(before + 1e-9) + 1;
    for (size_t i = 0; i < r->nseries; i++) {
        ob_series_point *p = &r->series[i];
        p->persisted = ob_per_second_get(&ps, t0 + (int64_t)llround(p->t) - 1);
    }
    int64_t last_sec = ps.first + (int64_t)ps.n - 1;
    for (int64_t k = (int64_t)llround(last->t) + 1; t0 + k - 1 <= last_sec; k++) {
        ob_series_point prev = r->series[r->nseries - 1];
        ob_series_point *p = series_push(c);
        if (!p)
            break;
        p->t = (double)k;
        p->users = prev.users;
        p->total_sent = prev.total_sent;
        p->total_acked = prev.total_acked;
        p->total_failed = prev.total_failed;
        p->total_median_ms = prev.total_median_ms;
        p->total_mean_ms = prev.total_mean_ms;
        p->total_min_ms = prev.total_min_ms;
        p->total_max_ms = prev.total_max_ms;
        p->persisted = ob_per_second_get(&ps, t0 + k - 1);
        p->e2e_p99_ms = -1;
    }
    ob_per_second_free(&ps);
}

static void collect_failures(controller *c)
{
    ob_run_result *r = &c->result;
    for (long i = 0; i < c->nworkers; i++) {
        ob_pub_stats *st = ob_worker_stats_of(c->workers[i])->pub;
        for (int k = 0; k < st->nfailure_kinds; k++) {
            int j = 0;
            while (j < r->nfailure_kinds && strcmp(r->failures[j].msg, st->failures[k].msg) != 0)
                j++;
            if (j == r->nfailure_kinds) {
                if (j == OB_MAX_FAILURE_KINDS)
                    j--;
                else
                    r->nfailure_kinds++;
                memcpy(r->failures[j].msg, st->failures[k].msg, sizeof r->failures[j].msg);
            }
            r->failures[j].count += st->failures[k].count;
        }
    }
}

/* The process's CPU seconds so far; its peak RSS into *peak_mb (may be NULL). */
static double process_cpu_s(double *peak_mb)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    if (peak_mb)
        *peak_mb = (double)ru.ru_maxrss / 1024.0;
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

/* The load generator's own cost: its CPU from the measured time's start on (the
 * warm-up's left out), and its peak RSS. */
static void measure_self(controller *c)
{
    ob_run_result *r = &c->result;
    r->loadgen_cpu_s = process_cpu_s(&r->loadgen_peak_rss_mb) - c->cpu_at_t0;
}

/* The warm-up's counts: the publishers' warm-up statistics, and what the sinks persisted
 * of this process's warm-up records. The sinks took them before the measured ones, so
 * after the drain they are normally all in; if not (a run stopped during its warm-up
 * drains nothing else), it waits until they are, as long as the sinks make progress
 * (on them, or on an older backlog: the drain's rule) and --stop-timeout allows. */
static void count_warmup(controller *c)
{
    ob_run_result *r = &c->result;
    warmup_counts(c);
    r->warmup_persisted = -1;
    if (!c->store)
        return;
    int64_t start = ob_mono_ns(), deadline = start + c->opts.stop_timeout_ns, last_progress = start;
    int64_t seen_work = -1;
    const char *sink_way = sinks_way(r);
    for (;;) {
        ob_sink_totals tot;
        ob_err err;
        ob_hist_reset(c->interval);
        if (ob_store_sink_totals(c->store, r->warmup_run, c->process, &tot, c->interval, &err) != 0) {
            fprintf(stderr, "outbreak run: the warm-up's records: %s\n", err.msg);
            return;
        }
        int64_t persisted = tot.process_persisted >= 0 ? tot.process_persisted : tot.persisted;
        int64_t now = ob_mono_ns();
        ob_sink_activity act;
        bool working = ob_store_sink_activity(c->store, sink_way, r->warmup_run, &act, &err) == 0 &&
                       act.running > 0 && act.work != seen_work;
        if (working)
            seen_work = act.work;
        if (persisted != r->warmup_persisted || working)
            last_progress = now;
        r->warmup_persisted = persisted;
        if (persisted >= r->warmup_acked || now >= deadline || now - last_progress > NO_PROGRESS_NS)
            return;
        ob_sleep_until_mono(now + 250 * OB_NS_PER_MS);
    }
}

void ob_run_free(ob_run *c)
{
    if (!c)
        return;
    for (long i = 0; i < c->nworkers; i++)
        ob_worker_free(c->workers[i]);
    free(c->workers);
    for (size_t i = 0; c->payloads && i < c->records.count; i++)
        free(c->payloads[i].body);
    free(c->payloads);
    ob_records_free(&c->records);
    ob_store_close(c->store);
    snapshot_free(&c->prev);
    snapshot_free(&c->now);
    ob_hist_free(c->scratch);
    ob_hist_free(c->e2e_prev);
    ob_hist_free(c->e2e_now);
    ob_hist_free(c->interval);
    ob_hist_free(c->interval_publish);
    ob_cohort_free(c->cohort);
    ob_hist_free(c->result.e2e);
    free(c->result.series);
    ob_durability_free(&c->result.durability);
    pthread_mutex_destroy(&c->plan.load_lock);
    free(c);
}

/* The sending phase is over (or never began): changes are rejected from now on. */
static void end_sending(controller *c)
{
    pthread_mutex_lock(&c->plan.load_lock);
    c->phase = 2;
    pthread_mutex_unlock(&c->plan.load_lock);
}

/* The open model's rate: kept, or how far behind and why (what the tool can see). */
static void judge_rate(controller *c)
{
    ob_run_result *r = &c->result;
    const ob_run_opts *o = &c->opts;
    r->rate_target = r->rate_achieved = r->behind_s = NAN;
    r->window_full_share = r->worker_busy_share = r->publish_blocked_share = NAN;
    r->rate_kept = true;
    r->rate_cause[0] = 0;
    if (o->rate <= 0 || o->rate_max || r->duration_s <= 0 ||
        atomic_load(&c->plan.load_gen) > 0) /* changed while running: no one target */
        return;
    /* the records the schedule meant to send over the sending time: with --stages their
     * integral, and the target the mean rate it asked */
    double scheduled_all = ob_run_opts_scheduled(o, r->duration_s);
    double dur_ns = r->duration_s * 1e9;
    long long wait = 0, busiest = 0;
    double blocked = 0;
    for (long i = 0; i < c->nworkers; i++) {
        ob_worker_stats *st = ob_worker_stats_of(c->workers[i]);
        long long window = atomic_load(&st->window_wait_ns);
        wait += window;
        long long cpu = atomic_load(&st->sending_cpu_ns);
        if (cpu > busiest)
            busiest = cpu;
        long long wall = atomic_load(&st->sending_wall_ns);
        double in_publish = (double)(wall - atomic_load(&st->idle_ns) - window - cpu);
        if (wall > 0 && in_publish / (double)wall > blocked)
            blocked = in_publish / (double)wall;
    }
    r->publish_blocked_share = blocked;
    /* a worker of several keeps its share of the rate */
    double scheduled = scheduled_all / (double)c->plan.workers;
    double rate = scheduled / r->duration_s;
    r->rate_target = rate;
    r->rate_achieved = (double)r->sent / r->duration_s;
    r->behind_s = scheduled > (double)r->sent ? (scheduled - (double)r->sent) / rate : 0;
    r->window_full_share = (double)wait / (dur_ns * (double)c->nworkers);
    r->worker_busy_share = (double)busiest / dur_ns;
    r->rate_kept = r->rate_achieved >= 0.95 * r->rate_target;
    if (r->rate_kept)
        return;
    if (r->window_full_share >= 0.2)
        snprintf(r->rate_cause, sizeof r->rate_cause,
                 "the in-flight window was full %.0f %% of the time: raise --max-inflight (now %ld) "
                 "or the adapter's own window (docs/brokers/%s.md)",
                 100 * r->window_full_share, o->max_inflight, r->way);
    else if (r->worker_busy_share >= 0.85)
        snprintf(r->rate_cause, sizeof r->rate_cause,
                 "a worker thread was busy %.0f %% of the time: add --threads (now %ld)",
                 100 * r->worker_busy_share, o->threads);
    else if (r->publish_blocked_share >= 0.3)
        snprintf(r->rate_cause, sizeof r->rate_cause,
                 "a worker waited inside the adapter's publish %.0f %% of the time (the adapter's "
                 "own window full, or the broker slow to take records): raise the adapter's window "
                 "(docs/brokers/%s.md) or add --threads (now %ld)",
                 100 * r->publish_blocked_share, r->way, o->threads);
    else if (r->failed > 0)
        snprintf(r->rate_cause, sizeof r->rate_cause, "the broker failed or refused %lld records",
                 (long long)r->failed);
    else
        snprintf(r->rate_cause, sizeof r->rate_cause,
                 "none seen (window full %.0f %%, busiest worker %.0f %%, in the adapter's publish "
                 "%.0f %%): the machine's CPU? see the send delay",
                 100 * r->window_full_share, 100 * r->worker_busy_share, 100 * r->publish_blocked_share);
}

static int run_phase(controller *c, ob_run_tick_fn *tick_fn, void *arg, volatile sig_atomic_t *interrupted,
                     ob_err *err)
{
    const ob_run_opts *o = &c->opts;
    ob_plan *p = &c->plan;
    if (c->cohort) {
        /* the workers of the run start together, at the instant they agreed on */
        int64_t start;
        if (ob_cohort_await_start(c->cohort, interrupted, &start, err) != 0) {
            ob_cohort_fail(c->cohort, err->msg);
            end_sending(c);
            return -1;
        }
        int64_t mono = ob_mono_ns(), real = ob_real_ns();
        if (start > real)
            ob_sleep_until_mono(mono + (start - real));
        p->t0_real = start + o->warmup_ns;
        p->t0_mono = mono + (start - real) + o->warmup_ns;
    } else {
        if (c->store) {
            /* the measured time starts on a whole second of the wall clock: the sinks
             * count their inserts per epoch second, and the series' seconds are then
             * the same seconds (the warm-up, if any, starts before it) */
            int64_t real = ob_real_ns() + o->warmup_ns;
            ob_sleep_until_mono(ob_mono_ns() + (OB_NS_PER_S - real % OB_NS_PER_S));
        }
        p->t0_mono = ob_mono_ns() + o->warmup_ns;
        p->t0_real = ob_real_ns() + o->warmup_ns;
    }
    p->start_mono = p->t0_mono - o->warmup_ns;
    p->end_mono = o->run_time_ns > 0 ? p->t0_mono + o->run_time_ns : INT64_MAX;
    c->result.t0_real_ns = p->t0_real;
    c->cpu_at_t0 = 0;
    bool warming = o->warmup_ns > 0;
    if (warming && !o->only_summary)
        fprintf(stderr, "warming up for %.3g s: the records go under run id %s, in none of the figures\n",
                (double)o->warmup_ns / 1e9, c->result.warmup_run);
    pthread_mutex_lock(&p->load_lock);
    p->load.spawn_t0 = p->load.changed = p->start_mono;
    c->phase = 1;
    pthread_mutex_unlock(&p->load_lock);
    drive_stages(c, p->t0_mono); /* the first stage's users, before the workers look */
    for (long i = 0; i < c->nworkers; i++)
        if (ob_worker_start(c->workers[i], err) != 0) {
            atomic_store(&p->running, false);
            end_sending(c);
            return -1;
        }
    int64_t stop_mono = 0, sampled_mono = 0;
    for (int64_t tick = 1;; tick++) {
        int64_t next = p->t0_mono + tick * OB_NS_PER_S;
        while (ob_mono_ns() < next) {
            bool all_done = true;
            for (long i = 0; i < c->nworkers; i++)
                all_done &= ob_worker_finished(c->workers[i]);
            if (all_done)
                goto done;
            if (*interrupted && atomic_load(&p->running)) {
                atomic_store(&p->running, false);
                stop_mono = ob_mono_ns();
                fprintf(stderr, "outbreak run: interrupted; stopping and draining\n");
            }
            drive_stages(c, ob_mono_ns());
            int64_t step = ob_mono_ns() + 50 * OB_NS_PER_MS;
            if (warming && step - c->last_beat >= OB_NS_PER_S) {
                /* once a second while warming up: the figures so far, to the tick (last
                 * NULL) and the cohort (seen alive) */
                warmup_counts(c);
                c->result.users = 0;
                for (long i = 0; i < c->nworkers; i++)
                    c->result.users += atomic_load(&ob_worker_stats_of(c->workers[i])->users);
                if (c->cohort)
                    ob_cohort_warming(c->cohort, &c->result);
                if (tick_fn)
                    tick_fn(arg, &c->result, NULL);
                c->last_beat = step;
            }
            if (warming && step >= p->t0_mono) {
                /* the measured time begins: the process's CPU from here on is its cost */
                ob_sleep_until_mono(p->t0_mono);
                c->cpu_at_t0 = process_cpu_s(NULL);
                warming = false;
                if (!o->only_summary)
                    fprintf(stderr, "warm-up over: measuring\n");
                continue;
            }
            ob_sleep_until_mono(step < next ? step : next);
        }
        sample(c, (double)tick, false);
        sampled_mono = next;
        if (tick_fn && c->result.nseries)
            tick_fn(arg, &c->result, &c->result.series[c->result.nseries - 1]);
    }
done:;
    end_sending(c);
    /* when the last worker finished: its records sent and their acks in (or the flush
     * timed out) */
    int64_t finished = 0;
    for (long i = 0; i < c->nworkers; i++) {
        int64_t at = ob_worker_finished_mono(c->workers[i]);
        if (at > finished)
            finished = at;
    }
    if (!finished)
        finished = ob_mono_ns();
    if (!stop_mono) {
        /* --once (and --iterations) ends when its last worker finished its share, not
         * when this thread noticed (up to 50 ms later: 1 000 records at full speed would
         * read as 50 ms); a timed run at its end (a worker stops before it when its next
         * record is due after it), also one whose -t came before its share was sent */
        bool shares_sent = o->once || o->iterations > 0;
        for (long i = 0; shares_sent && i < c->nworkers; i++)
            shares_sent = ob_worker_share_sent(c->workers[i]);
        /* a timed run's workers stop at their last record due before the end, up to a
         * period early at a low rate: the sending time is -t's */
        int64_t last = shares_sent || p->end_mono == INT64_MAX ? finished : p->end_mono;
        stop_mono = last < p->end_mono ? last : p->end_mono;
    }
    /* the last point ends at the run's end: the sending over and the last worker's acks
     * in, not when this thread noticed (it looks every 50 ms, later on a busy machine),
     * and never before the last second's sample */
    int64_t end = finished > stop_mono ? finished : stop_mono;
    if (end < sampled_mono)
        end = sampled_mono;
    /* stopped during the warm-up: nothing was measured, and the warm-up was shorter */
    c->result.duration_s = stop_mono > p->t0_mono ? (double)(stop_mono - p->t0_mono) / 1e9 : 0;
    if (warming) {
        c->cpu_at_t0 = process_cpu_s(NULL);
        c->result.warmup_s = (double)(stop_mono - p->start_mono) / 1e9;
    }
    for (long i = 0; i < c->nworkers; i++)
        ob_worker_join(c->workers[i]);
    relay_durability(c);
    sample(c, end > p->t0_mono ? (double)(end - p->t0_mono) / 1e9 : 0, true);
    judge_rate(c);
    return 0;
}

int ob_run_open(ob_run **out, const ob_run_opts *opts, ob_err *err)
{
    *out = NULL;
    controller *c = calloc(1, sizeof *c);
    if (!c)
        return ob_err_set(err, "out of memory");
    c->opts = *opts;
    c->stage = -1;
    const ob_run_opts *o = &c->opts;
    pthread_mutex_init(&c->plan.load_lock, NULL);
    if (ob_run_opts_apply_reset_stats(&c->opts, err) != 0)
        goto fail;
    c->opts.auto_tick = (ob_auto_tick){0};
    if (o->rate > 0 && !o->rate_max && o->tick_ns <= 0 && !o->tick_off)
        c->opts.auto_tick = ob_broker_auto_tick(o->broker);
    c->plan.load = (ob_load){
        .users = o->rate > 0 || o->stages.n > 0 ? 0 : o->users, /* stages: from 0 (drive_stages) */
        .spawn_rate = o->spawn_rate,
        .rate = o->rate,
    };
    if (o->warmup_ns > 0 && ob_warmup_run_id(o->run_id, c->result.warmup_run, sizeof c->result.warmup_run) != 0) {
        ob_err_setk(err, OB_ERR_USAGE, "--warmup: the run id \"%s\" is too long to add \".warmup\"", o->run_id);
        goto fail;
    }
    if (build_payloads(c, err) != 0)
        goto fail;
    if (snapshot_init(&c->prev) || snapshot_init(&c->now) || !(c->scratch = ob_hist_new()) ||
        !(c->e2e_prev = ob_hist_new()) || !(c->e2e_now = ob_hist_new()) ||
        !(c->interval = ob_hist_new()) || !(c->interval_publish = ob_hist_new()) ||
        !(c->result.e2e = ob_hist_new())) {
        ob_err_set(err, "out of memory");
        goto fail;
    }
    c->process = ob_producer_process_draw();
    if (o->mongo && ob_store_open(&c->store, o->mongo, err) != 0)
        goto fail;
    c->plan.worker = 0;
    c->plan.workers = 1;
    if (o->workers > 1 || o->worker >= 0 || o->start_at_ns > 0) {
        if (ob_cohort_join(&c->cohort, c->store, o, c->process, err) != 0)
            goto fail;
        c->opts.worker = ob_cohort_index(c->cohort);
        c->plan.worker = c->opts.worker;
        c->plan.workers = o->workers;
    }
    c->plan.lanes = c->plan.workers * o->threads;
    c->plan.opts = o;
    c->plan.process = c->process;
    c->plan.payloads = c->payloads;
    c->plan.npayloads = c->records.count;
    atomic_store(&c->plan.running, true);
    c->workers = calloc((size_t)o->threads, sizeof *c->workers);
    if (!c->workers) {
        ob_err_set(err, "out of memory");
        goto fail;
    }
    for (long i = 0; i < o->threads; i++) {
        if (ob_worker_create(&c->workers[i], (int)i, &c->plan, err) != 0) {
            ob_cohort_fail(c->cohort, err->msg);
            goto fail;
        }
        c->nworkers = i + 1;
    }
    ob_run_result *r = &c->result;
    r->opts = o;
    r->way = ob_worker_way(c->workers[0]);
    ob_url_redacted(o->broker, r->url, sizeof r->url);
    read_durability(c);
    r->persisted = r->duplicates = r->invalid = r->lost = r->unconfirmed = -1;
    r->rate_target = r->rate_achieved = r->behind_s = r->window_full_share = r->worker_busy_share =
        r->publish_blocked_share = NAN;
    r->rate_kept = true;
    r->persisted_source = NULL;
    r->process = c->process;
    r->warmup_s = (double)o->warmup_ns / 1e9;
    r->warmup_sent = r->warmup_acked = r->warmup_failed = r->warmup_persisted = -1;
    r->run_persisted = -1;
    copy_targets(c);
    *out = c;
    return 0;
fail:
    ob_run_free(c);
    return -1;
}

ob_run_result *ob_run_result_of(ob_run *run)
{
    return &run->result;
}

size_t ob_run_record_count(const ob_run *run)
{
    return run->records.count;
}

int ob_run_execute(ob_run *c, ob_run_tick_fn *tick, void *arg, volatile sig_atomic_t *interrupted, ob_err *err)
{
    if (run_phase(c, tick, arg, interrupted, err) != 0)
        return -1;
    collect_failures(c);
    if (c->store) {
        drain(c);
        persisted_series(c);
    }
    if (c->opts.warmup_ns > 0)
        count_warmup(c);
    measure_self(c);
    if (c->cohort && ob_cohort_finish(c->cohort, &c->result, *interrupted != 0, err) != 0)
        fprintf(stderr, "outbreak run: worker %d: %s\n", ob_cohort_index(c->cohort), err->msg);
    return 0;
}

/* Why a change cannot be made now (under plan.load_lock): NULL when the run is sending. */
static const char *not_sending(controller *c, int64_t now)
{
    if (c->phase == 0)
        return "the run has not started sending yet";
    bool finished = true;
    for (long i = 0; i < c->nworkers; i++)
        finished &= ob_worker_finished(c->workers[i]);
    if (c->phase == 2 || finished || !atomic_load(&c->plan.running) || now >= c->plan.end_mono)
        return "the run's sending phase is over";
    return NULL;
}

int ob_run_change_load(ob_run *c, const ob_run_change *ch, ob_err *err)
{
    const ob_run_opts *o = &c->opts;
    bool open = o->rate > 0;
    /* NaN is not < 0: it is given, and out of range */
    bool users = !(ch->users < 0), spawn = !(ch->spawn_rate < 0), rate = !(ch->rate < 0);
    if (open && (users || spawn))
        return ob_err_setk(err, OB_ERR_USAGE, "%s belongs to the closed model; this run is the open model (--rate)",
                           users ? "users" : "spawn rate");
    if (!open && rate)
        return ob_err_setk(err, OB_ERR_USAGE, "rate belongs to the open model; this run is the closed model (users)");
    if (rate && o->rate_max)
        return ob_err_setk(err, OB_ERR_USAGE, "--rate max sends as fast as it can: it has no rate to change");
    if (users && (ch->users < 1 || ch->users > OB_RUN_MAX_USERS))
        return ob_err_setk(err, OB_ERR_USAGE, "users: %ld is out of range (1..%ld)", ch->users, (long)OB_RUN_MAX_USERS);
    if (spawn && !(ch->spawn_rate > 0 && isfinite(ch->spawn_rate)))
        return ob_err_setk(err, OB_ERR_USAGE, "spawn rate: %g is out of range (> 0)", ch->spawn_rate);
    if (rate && !(ch->rate > 0 && ch->rate <= OB_RUN_MAX_RATE))
        return ob_err_setk(err, OB_ERR_USAGE, "rate: %g is out of range (> 0, at most %g per second)", ch->rate,
                           OB_RUN_MAX_RATE);
    if (o->stages.n > 0)
        return ob_err_setk(err, OB_ERR_REJECTED, "cannot change the load: the run follows --stages");
    ob_plan *p = &c->plan;
    pthread_mutex_lock(&p->load_lock);
    int64_t now = ob_mono_ns();
    const char *why = not_sending(c, now);
    if (why) {
        pthread_mutex_unlock(&p->load_lock);
        return ob_err_setk(err, OB_ERR_REJECTED, "cannot change the load: %s", why);
    }
    ob_load *l = &p->load;
    if (users || spawn) {
        /* what the schedule has started by now is the base of the next one: more users
         * start from now on at the spawn rate (the first at once) */
        double due = (double)(now - l->spawn_t0) / 1e9 * l->spawn_rate;
        long started = due >= (double)l->users ? l->users : l->spawn_base + (long)floor(due) + 1;
        if (started > l->users)
            started = l->users;
        l->spawn_base = started;
        l->spawn_t0 = now;
        if (users)
            l->users = ch->users;
        if (spawn)
            l->spawn_rate = ch->spawn_rate;
    }
    if (rate)
        l->rate = ch->rate;
    if (users || spawn || rate) {
        l->changed = now;
        atomic_fetch_add_explicit(&p->load_gen, 1, memory_order_release);
    }
    pthread_mutex_unlock(&p->load_lock);
    for (long i = 0; i < c->nworkers; i++)
        ob_worker_wake(c->workers[i]);
    return 0;
}

bool ob_run_warming_up(ob_run *c)
{
    pthread_mutex_lock(&c->plan.load_lock);
    bool warming = c->phase == 1 && c->opts.warmup_ns > 0 && ob_mono_ns() < c->plan.t0_mono;
    pthread_mutex_unlock(&c->plan.load_lock);
    return warming;
}

void ob_run_targets(ob_run *c, ob_run_change *out)
{
    ob_load l;
    ob_plan_load(&c->plan, &l);
    bool open = c->opts.rate > 0;
    out->users = open ? -1 : l.users;
    out->spawn_rate = open ? -1 : l.spawn_rate;
    out->rate = open ? l.rate : -1;
}

int ob_run_exit_status(const ob_run_result *r, int thresholds_failed)
{
    if (thresholds_failed > 0)
        return OB_EXIT_THRESHOLD;
    if (r->failed > 0 || r->lost > 0)
        return 1;
    return r->unconfirmed > 0 ? OB_RUN_EXIT_UNCONFIRMED : 0;
}
