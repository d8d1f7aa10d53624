/* merge.c — the merged result of a run's load generators (see merge.h). */
#include "merge.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "per_second.h"
#include "run_doc.h"

static bool is_final(const char *state)
{
    return strcmp(state, "finished") == 0 || strcmp(state, "interrupted") == 0;
}

static bool is_settled(const char *state)
{
    return is_final(state) || strcmp(state, "failed") == 0 || strcmp(state, "killed") == 0 ||
           strcmp(state, "missing") == 0;
}

/* The workers' documents, each classified (killed: silent while going). */
static int read_workers(ob_store *s, const char *run, ob_worker_doc **docs, size_t *n, int *expected, ob_err *err)
{
    if (ob_store_worker_list(s, run, docs, n, err) != 0)
        return -1;
    *expected = 0;
    int64_t now = ob_real_ns();
    for (size_t i = 0; i < *n; i++) {
        ob_worker_doc *d = &(*docs)[i];
        if (d->workers > *expected)
            *expected = d->workers;
        int64_t silent = now - d->updated_ns;
        int64_t limit = OB_MERGE_SILENT_NS + 3LL * d->interval_ms * OB_NS_PER_MS;
        if (!is_settled(d->state) && silent > limit)
            snprintf(d->state, sizeof d->state, "killed");
    }
    return 0;
}

/* ---- the series -------------------------------------------------------------------- */

typedef struct second {
    int64_t users, sent, acked, failed;
    double e2e_p99_ms;
    int e2e_from; /* the worker whose e2e figure it is (the lowest index) */
    ob_hist *publish;
} second;

typedef struct series_acc {
    second *secs;
    size_t n;
    int worker;
} series_acc;

static int add_point(void *arg, const ob_doc_point *p)
{
    series_acc *a = arg;
    double k = ceil(p->t - 1e-6);
    if (!(k >= 1 && k <= 1e7))
        return 0;
    size_t i = (size_t)k - 1;
    if (i >= a->n) {
        second *grown = realloc(a->secs, (i + 1) * sizeof *grown);
        if (!grown)
            return -1;
        memset(grown + a->n, 0, (i + 1 - a->n) * sizeof *grown);
        for (size_t j = a->n; j <= i; j++) {
            grown[j].e2e_p99_ms = -1;
            grown[j].e2e_from = -1;
        }
        a->secs = grown;
        a->n = i + 1;
    }
    second *s = &a->secs[i];
    if (!s->publish && !(s->publish = ob_hist_new()))
        return -1;
    s->users += p->users;
    s->sent += p->sent;
    s->acked += p->acked;
    s->failed += p->failed;
    ob_hist_merge(s->publish, p->publish);
    if (p->e2e_p99_ms >= 0 && (s->e2e_from < 0 || a->worker < s->e2e_from)) {
        s->e2e_p99_ms = p->e2e_p99_ms;
        s->e2e_from = a->worker;
    }
    return 0;
}

typedef struct chunk_ctx {
    series_acc *acc;
    const ob_merge *m;
} chunk_ctx;

static int add_chunk(void *arg, int index, int chunk, const char *points, ob_err *err)
{
    (void)chunk;
    chunk_ctx *c = arg;
    if (index < 0 || index >= c->m->expected || strcmp(c->m->workers[index].state, "missing") == 0)
        return 0;
    c->acc->worker = index;
    if (ob_doc_points_each(points, add_point, c->acc, err) != 0)
        return ob_err_prefix(err, "the series of worker %d", index);
    return 0;
}

/* The merged series: second k of every worker added, its percentiles from the merged
 * histogram, the running totals; persisted per second from the sinks' exact counts
 * (the run's, over every worker), with points after the sending while they went on. */
static int build_series(ob_merge *m, ob_store *s, ob_err *err)
{
    series_acc acc = {0};
    chunk_ctx ctx = {&acc, m};
    ob_hist *total = ob_hist_new();
    ob_per_second ps = {0};
    int rc = -1;
    if (!total) {
        ob_err_set(err, "out of memory");
        goto out;
    }
    if (ob_store_worker_series_each(s, m->opts.run_id, add_chunk, &ctx, err) != 0)
        goto out;
    bool have_ps = ob_store_persisted_by_second(s, m->opts.run_id, &ps, err) == 0 && ps.n > 0;
    int64_t t0 = (m->r.t0_real_ns + OB_NS_PER_S / 2) / OB_NS_PER_S;
    size_t n = acc.n;
    if (have_ps) {
        int64_t last_sec = ps.first + (int64_t)ps.n - 1;
        if (last_sec - t0 + 1 > (int64_t)n && last_sec - t0 + 1 < 10000000)
            n = (size_t)(last_sec - t0 + 1);
    }
    m->r.series = calloc(n ? n : 1, sizeof *m->r.series);
    if (!m->r.series) {
        ob_err_set(err, "out of memory");
        goto out;
    }
    int64_t tsent = 0, tacked = 0, tfailed = 0, users = 0;
    for (size_t i = 0; i < n; i++) {
        ob_series_point *p = &m->r.series[i];
        second *sec = i < acc.n ? &acc.secs[i] : NULL;
        p->t = (double)(i + 1);
        if (sec && sec->publish) {
            users = sec->users;
            p->sent = sec->sent;
            p->acked = sec->acked;
            p->failed = sec->failed;
            ob_hist_merge(total, sec->publish);
            int64_t pct[OB_PERCENTILE_COUNT];
            ob_hist_percentiles(sec->publish, ob_percentiles, OB_PERCENTILE_COUNT, pct);
            for (int k = 0; k < OB_PERCENTILE_COUNT; k++)
                p->publish_pct_ms[k] = (double)pct[k] / 1e6;
        }
        p->users = users;
        tsent += p->sent;
        tacked += p->acked;
        tfailed += p->failed;
        p->total_sent = tsent;
        p->total_acked = tacked;
        p->total_failed = tfailed;
        p->total_median_ms = (double)ob_hist_percentile(total, 50) / 1e6;
        p->total_mean_ms = ob_hist_mean(total) / 1e6;
        p->total_min_ms = (double)ob_hist_min(total) / 1e6;
        p->total_max_ms = (double)ob_hist_max(total) / 1e6;
        p->e2e_p99_ms = sec ? sec->e2e_p99_ms : -1;
        p->persisted = have_ps ? ob_per_second_get(&ps, t0 + (int64_t)i) : -1;
    }
    m->r.nseries = n;
    rc = 0;
out:
    for (size_t i = 0; i < acc.n; i++)
        ob_hist_free(acc.secs[i].publish);
    free(acc.secs);
    ob_hist_free(total);
    ob_per_second_free(&ps);
    return rc;
}

/* ---- the figures ------------------------------------------------------------------- */

static void add_failures(ob_run_result *dst, const ob_run_result *src, int index)
{
    for (int k = 0; k < src->nfailure_kinds; k++) {
        int j = 0;
        while (j < dst->nfailure_kinds && strcmp(dst->failures[j].msg, src->failures[k].msg) != 0)
            j++;
        if (j == dst->nfailure_kinds) {
            if (j == OB_MAX_FAILURE_KINDS)
                j--;
            else
                dst->nfailure_kinds++;
            memcpy(dst->failures[j].msg, src->failures[k].msg, sizeof dst->failures[j].msg);
        }
        dst->failures[j].count += src->failures[k].count;
    }
    (void)index;
}

static double max_finite(double a, double b)
{
    if (!isfinite(a))
        return b;
    if (!isfinite(b))
        return a;
    return a > b ? a : b;
}

/* The first worker's plan is the run's; the others' must match it. */
/* Adds a worker's warm-up to the merged one: the counts summed (unknown when one of them
 * is), the longest warm-up. */
static void add_warmup(ob_run_result *r, const ob_run_result *w)
{
    if (w->warmup_s <= 0)
        return;
    if (r->warmup_s <= 0) {
        r->warmup_sent = r->warmup_acked = r->warmup_failed = r->warmup_persisted = 0;
        ob_warmup_run_id(r->opts->run_id, r->warmup_run, sizeof r->warmup_run);
    }
    if (w->warmup_s > r->warmup_s)
        r->warmup_s = w->warmup_s;
    int64_t *sum[] = {&r->warmup_sent, &r->warmup_acked, &r->warmup_failed, &r->warmup_persisted};
    const int64_t add[] = {w->warmup_sent, w->warmup_acked, w->warmup_failed, w->warmup_persisted};
    for (size_t i = 0; i < sizeof add / sizeof add[0]; i++)
        *sum[i] = *sum[i] < 0 || add[i] < 0 ? -1 : *sum[i] + add[i];
}

static void take_plan(ob_merge *m, const ob_run_doc *d, const char *run)
{
    m->opts = d->opts;
    snprintf(m->opts.run_id, sizeof m->opts.run_id, "%s", run);
    m->opts.records = d->opts.records ? strdup(d->opts.records) : NULL;
    m->opts.workers = m->expected;
    m->opts.worker = -1;
    m->opts.headless = true;
    m->r.opts = &m->opts;
    snprintf(m->way, sizeof m->way, "%s", d->way);
    m->r.way = m->way;
    memcpy(m->r.url, d->r.url, sizeof m->r.url);
    /* the durability object: copied through its text form's owner (the extras' strings
     * belong to d), so taken over field by field */
    ob_durability_set(&m->r.durability, d->r.durability.mode, d->r.durability.broker_ack,
                      d->r.durability.publish_ack, d->r.durability.delivery,
                      d->r.durability.acked_means[0] ? d->r.durability.acked_means : NULL);
    ob_durability_merge(&m->r.durability, &d->r.durability);
    m->r.mode = m->r.durability.mode[0] ? m->r.durability.mode : "default";
    m->r.broker_acks = m->r.durability.broker_ack;
    m->r.ack_meaning = m->r.durability.acked_means;
}

/* The rate of the open model, judged on the merged figures. */
static void judge_rate(ob_merge *m, const char *cause)
{
    ob_run_result *r = &m->r;
    const ob_run_opts *o = &m->opts;
    r->rate_target = r->rate_achieved = r->behind_s = NAN;
    r->rate_kept = true;
    r->rate_cause[0] = 0;
    if (o->rate <= 0 || o->rate_max || r->duration_s <= 0)
        return;
    double scheduled = ob_run_opts_scheduled(o, r->duration_s); /* --stages: their mean rate */
    r->rate_target = scheduled / r->duration_s;
    r->rate_achieved = (double)r->sent / r->duration_s;
    r->behind_s = scheduled > (double)r->sent ? (scheduled - (double)r->sent) / r->rate_target : 0;
    r->rate_kept = r->rate_achieved >= 0.95 * r->rate_target;
    if (!r->rate_kept)
        snprintf(r->rate_cause, sizeof r->rate_cause, "%s", cause[0] ? cause : "some workers sent less than their share");
}

static void write_workers_json(ob_merge *m)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    ob_jw w;
    ob_jw_init(&w, f);
    ob_jw_object(&w);
    ob_jw_key(&w, "expected");
    ob_jw_int(&w, m->expected);
    ob_jw_key(&w, "finished");
    ob_jw_int(&w, m->finished);
    ob_jw_key(&w, "complete");
    ob_jw_bool(&w, ob_merge_complete(m));
    ob_jw_key(&w, "list");
    ob_jw_array(&w);
    for (int i = 0; i < m->expected; i++) {
        const ob_merge_worker *x = &m->workers[i];
        ob_jw_object(&w);
        ob_jw_key(&w, "index");
        ob_jw_int(&w, x->index);
        ob_jw_key(&w, "state");
        ob_jw_str(&w, x->state);
        ob_jw_key(&w, "host");
        ob_jw_str(&w, x->host[0] ? x->host : NULL);
        const struct {
            const char *key;
            int64_t v;
        } counts[] = {{"sent", x->sent},           {"acked", x->acked}, {"failed", x->failed},
                      {"persisted", x->persisted}, {"lost", x->lost},   {"unconfirmed", x->unconfirmed}};
        for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
            ob_jw_key(&w, counts[k].key);
            if (counts[k].v < 0)
                ob_jw_null(&w);
            else
                ob_jw_int(&w, counts[k].v);
        }
        ob_jw_key(&w, "persisted_source");
        ob_jw_str(&w, x->persisted < 0 ? NULL : x->counted ? "mongodb_count" : "sink_stats");
        if (x->reason[0]) {
            ob_jw_key(&w, "reason");
            ob_jw_str(&w, x->reason);
        }
        ob_jw_end(&w);
    }
    ob_jw_end(&w);
    ob_jw_end(&w);
    int bad = ob_jw_status(&w);
    bad |= fclose(f);
    if (bad) {
        free(text);
        return;
    }
    m->workers_json = text;
    m->r.workers_json = text;
}

/* A finished worker's records in MongoDB by MongoDB's own count, when the sinks' counts
 * leave a gap or the worker's drain took that count (a sink that died before it wrote
 * its statistics and is not recounted yet, or an insert that failed where the
 * middleware does not deliver again but stored some records: run.c's drain asks the
 * same), within what is left of the merge's count time (*left_ms). Returns the count,
 * or -1 (no time left, or no answer in it). */
static int64_t worker_count(ob_store *s, const char *run, const ob_merge_worker *x, int *left_ms)
{
    if (*left_ms <= 0)
        return -1;
    int64_t t0 = ob_mono_ns(), n = -1;
    ob_err err;
    if (ob_store_count_records(s, run, x->process, *left_ms, &n, &err) != 0) {
        fprintf(stderr, "outbreak merge: worker %d: %s (its persisted comes from the sinks' counts)\n", x->index,
                err.msg);
        n = -1;
    }
    *left_ms -= (int)((ob_mono_ns() - t0) / OB_NS_PER_MS);
    return n;
}

/* Each worker's records in MongoDB now (the sinks' counts of its producer ids, or
 * MongoDB's count where those fall short of what it acked), and from them its lost or
 * unconfirmed: a finished worker's drain saw its sinks idle (lost) or still working
 * (unconfirmed); what is still missing now keeps that verdict. Without MongoDB's count,
 * a worker that could not tell whether some records were stored (unconfirmed beside
 * lost) keeps that share unconfirmed. */
static int account(ob_merge *m, ob_store *s, const ob_run_doc *docs, ob_err *err)
{
    ob_run_result *r = &m->r;
    ob_sink_totals tot;
    if (ob_store_sink_totals(s, m->opts.run_id, -1, &tot, r->e2e, err) != 0)
        return -1;
    r->sinks = tot.sinks;
    r->run_persisted = tot.persisted;
    const ob_broker_ops *ops = ob_broker_of_url(r->url);
    ob_run_take_ways(r, &tot, ops && ops->relay);
    bool split = true;
    int64_t persisted = 0, duplicates = 0, lost = 0, unconfirmed = 0;
    bool lost_known = true;
    int counted = 0, count_left_ms = OB_MERGE_COUNT_MS;
    for (int i = 0; i < m->expected; i++) {
        ob_merge_worker *x = &m->workers[i];
        if (strcmp(x->state, "missing") == 0) {
            lost_known = false;
            continue;
        }
        ob_sink_totals mine;
        if (ob_store_sink_totals(s, m->opts.run_id, x->process, &mine, NULL, err) != 0)
            return -1;
        if (mine.process_persisted < 0) {
            split = false; /* sinks that do not count by process */
            continue;
        }
        x->persisted = mine.process_persisted;
        x->duplicates = mine.process_duplicates;
        persisted += x->persisted;
        duplicates += x->duplicates;
        if (!is_final(x->state) || x->acked < 0) {
            lost_known = false;
            continue;
        }
        const ob_run_result *w = &docs[i].r;
        /* a gap, or a worker whose own drain took MongoDB's count (its sinks' counts a
         * floor: a sink died, or an insert failed that may have stored some records):
         * the merge says what the worker said */
        bool worker_counted = w->persisted_source && strcmp(w->persisted_source, "mongodb_count") == 0;
        if (x->persisted < x->acked || worker_counted) {
            int64_t n = worker_count(s, m->opts.run_id, x, &count_left_ms);
            if (n > x->persisted) {
                persisted += n - x->persisted;
                x->persisted = n;
                x->counted = true;
                counted++;
            }
        }
        int64_t missing = x->acked > x->persisted ? x->acked - x->persisted : 0;
        if (w->lost < 0 && w->unconfirmed < 0) {
            lost_known = false;
            continue;
        }
        bool working = w->unconfirmed > 0 && w->lost <= 0;
        int64_t unsure = x->counted || w->unconfirmed < 0 ? 0 : w->unconfirmed;
        x->unconfirmed = working ? missing : missing < unsure ? missing : unsure;
        x->lost = missing - x->unconfirmed;
        lost += x->lost;
        unconfirmed += x->unconfirmed;
    }
    r->persisted = split ? persisted : tot.persisted;
    r->duplicates = split ? duplicates : tot.duplicates;
    r->invalid = tot.invalid;
    r->persisted_source = split && counted ? "mongodb_count" : "sink_stats";
    r->lost = lost_known && split ? lost : -1;
    r->unconfirmed = lost_known && split ? unconfirmed : -1;
    return 0;
}

bool ob_merge_complete(const ob_merge *m)
{
    return m->finished == m->expected;
}

int ob_merge_run(ob_store *s, const char *run, int64_t wait_ns, volatile sig_atomic_t *interrupted, ob_merge **out,
                 ob_err *err)
{
    *out = NULL;
    ob_worker_doc *docs = NULL;
    size_t n = 0;
    int expected = 0;
    int64_t deadline = ob_mono_ns() + wait_ns;
    bool said = false;
    for (;;) {
        if (read_workers(s, run, &docs, &n, &expected, err) != 0)
            return -1;
        bool over = ob_mono_ns() >= deadline || *interrupted;
        if (n == 0 && over) {
            ob_store_worker_docs_free(docs, n);
            return ob_err_setk(err, OB_ERR_USAGE, "run %s has no workers in MongoDB (was it run with --workers?)", run);
        }
        bool settled = n > 0 && (int)n >= expected; /* none yet: the workers may come */
        for (size_t i = 0; i < n; i++)
            settled &= is_settled(docs[i].state);
        if (settled || over)
            break;
        if (!said) {
            fprintf(stderr, "outbreak merge: waiting for the workers of run %s to finish\n", run);
            said = true;
        }
        ob_store_worker_docs_free(docs, n);
        ob_sleep_until_mono(ob_mono_ns() + OB_NS_PER_S);
    }
    ob_merge *m = calloc(1, sizeof *m);
    ob_run_doc *results = calloc((size_t)expected, sizeof *results);
    if (!m || !results) {
        free(m);
        free(results);
        ob_store_worker_docs_free(docs, n);
        return ob_err_set(err, "out of memory");
    }
    m->expected = expected;
    m->workers = calloc((size_t)expected, sizeof *m->workers);
    ob_run_result *r = &m->r;
    r->publish = ob_hist_new();
    r->publish_raw = ob_hist_new();
    r->send_delay = ob_hist_new();
    r->e2e = ob_hist_new();
    int rc = -1;
    if (!m->workers || !r->publish || !r->publish_raw || !r->send_delay || !r->e2e) {
        ob_err_set(err, "out of memory");
        goto out;
    }
    for (int i = 0; i < expected; i++) {
        ob_merge_worker *x = &m->workers[i];
        x->index = i;
        snprintf(x->state, sizeof x->state, "missing");
        x->sent = x->acked = x->failed = x->persisted = x->duplicates = x->lost = x->unconfirmed = -1;
    }
    r->window_full_share = r->worker_busy_share = r->publish_blocked_share = NAN;
    bool have_plan = false;
    char cause[240] = "";
    for (size_t k = 0; k < n; k++) {
        const ob_worker_doc *d = &docs[k];
        if (d->index < 0 || d->index >= expected)
            continue;
        ob_merge_worker *x = &m->workers[d->index];
        snprintf(x->state, sizeof x->state, "%s", d->state);
        snprintf(x->host, sizeof x->host, "%s", d->host);
        snprintf(x->reason, sizeof x->reason, "%s", d->reason);
        x->pid = d->pid;
        x->process = d->process;
        if (!d->result)
            continue;
        ob_run_doc *w = &results[d->index];
        if (ob_run_doc_decode(d->result, w, err) != 0) {
            ob_err_prefix(err, "worker %d of run %s", d->index, run);
            goto out;
        }
        x->sent = w->r.sent;
        x->acked = w->r.acked;
        x->failed = w->r.failed;
        if (is_final(d->state))
            m->finished++;
        if (!have_plan) {
            take_plan(m, w, run);
            have_plan = true;
            r->t0_real_ns = w->r.t0_real_ns;
        } else {
            /* a relay's answers per way behind its gateways add up; a way only another
             * worker's answers named is added */
            ob_durability_merge(&r->durability, &w->r.durability);
        }
        add_warmup(r, &w->r);
        r->sent += w->r.sent;
        r->acked += w->r.acked;
        r->failed += w->r.failed;
        r->bytes_sent += w->r.bytes_sent;
        r->users += w->r.users;
        ob_hist_merge(r->publish, w->r.publish);
        ob_hist_merge(r->publish_raw, w->r.publish_raw);
        ob_hist_merge(r->send_delay, w->r.send_delay);
        add_failures(r, &w->r, d->index);
        if (w->r.duration_s > r->duration_s)
            r->duration_s = w->r.duration_s;
        if (w->r.persist_s > r->persist_s)
            r->persist_s = w->r.persist_s;
        if (w->r.t0_real_ns < r->t0_real_ns)
            r->t0_real_ns = w->r.t0_real_ns;
        r->window_full_share = max_finite(r->window_full_share, w->r.window_full_share);
        r->worker_busy_share = max_finite(r->worker_busy_share, w->r.worker_busy_share);
        r->publish_blocked_share = max_finite(r->publish_blocked_share, w->r.publish_blocked_share);
        r->loadgen_cpu_s += w->r.loadgen_cpu_s;
        if (w->r.loadgen_peak_rss_mb > r->loadgen_peak_rss_mb)
            r->loadgen_peak_rss_mb = w->r.loadgen_peak_rss_mb;
        if (!cause[0] && w->cause[0])
            snprintf(cause, sizeof cause, "worker %d: %.200s", d->index, w->cause);
    }
    if (!have_plan) {
        char states[400] = "";
        size_t used = 0;
        for (int i = 0; i < expected && used + 40 < sizeof states; i++)
            used += (size_t)snprintf(states + used, sizeof states - used, "%sworker %d %s", i ? ", " : "", i,
                                     m->workers[i].state);
        ob_err_setk(err, OB_ERR_REJECTED, "run %s: no worker stored any figures yet (%s)", run, states);
        goto out;
    }
    r->target_users = m->opts.rate > 0 ? 0 : m->opts.users;
    r->target_spawn_rate = m->opts.rate > 0 ? 0 : m->opts.spawn_rate;
    r->target_rate = m->opts.rate > 0 ? m->opts.rate : 0;
    r->workers_finished = m->finished;
    for (int i = expected - 1; i >= 0; i--) /* a share not sent is the first cause */
        if (!is_final(m->workers[i].state))
            snprintf(cause, sizeof cause, "worker %d is %s: its share of the schedule after its last report is missing",
                     i, m->workers[i].state);
    judge_rate(m, cause);
    if (account(m, s, results, err) != 0)
        goto out;
    if (ob_hist_count(r->e2e) == 0) {
        ob_hist_free(r->e2e);
        r->e2e = NULL;
    }
    if (build_series(m, s, err) != 0)
        goto out;
    write_workers_json(m);
    rc = 0;
out:
    for (int i = 0; i < expected; i++)
        ob_run_doc_free(&results[i]);
    free(results);
    ob_store_worker_docs_free(docs, n);
    if (rc != 0) {
        ob_merge_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

static void count_or_dash(FILE *f, int64_t v)
{
    if (v < 0)
        fprintf(f, " %10s", "-");
    else
        fprintf(f, " %10lld", (long long)v);
}

void ob_merge_print_workers(FILE *f, const ob_merge *m)
{
    fprintf(f, "\n=== outbreak merge %s: %d of %d workers finished ===\n", m->opts.run_id, m->finished, m->expected);
    fprintf(f, "%-6s %-12s %-20s %10s %10s %10s %10s %10s\n", "worker", "state", "host", "sent", "acked", "failed",
            "persisted", "lost");
    for (int i = 0; i < m->expected; i++) {
        const ob_merge_worker *x = &m->workers[i];
        fprintf(f, "%-6d %-12s %-20.20s", x->index, x->state, x->host[0] ? x->host : "-");
        count_or_dash(f, x->sent);
        count_or_dash(f, x->acked);
        count_or_dash(f, x->failed);
        count_or_dash(f, x->persisted);
        count_or_dash(f, x->lost);
        fputc('\n', f);
        if (x->reason[0])
            fprintf(f, "       %s\n", x->reason);
    }
    for (int i = 0; i < m->expected; i++) {
        const ob_merge_worker *x = &m->workers[i];
        if (strcmp(x->state, "killed") == 0)
            fprintf(f, "note: worker %d stopped reporting while %s: its figures are those of its last report "
                       "(%lld acked); MongoDB holds %lld of its records; what it sent after that report is "
                       "unknown, so lost is not established\n",
                    i, "running", (long long)x->acked, (long long)x->persisted);
        else if (strcmp(x->state, "missing") == 0)
            fprintf(f, "note: worker %d never claimed its slot: its share of the load was not sent\n", i);
        else if (strcmp(x->state, "failed") == 0)
            fprintf(f, "note: worker %d failed: %s\n", i, x->reason[0] ? x->reason : "(no reason stored)");
        else if (!is_final(x->state))
            fprintf(f, "note: worker %d is still %s: its figures are not final\n", i, x->state);
    }
}

void ob_merge_free(ob_merge *m)
{
    if (!m)
        return;
    ob_hist_free(m->r.publish);
    ob_hist_free(m->r.publish_raw);
    ob_hist_free(m->r.send_delay);
    ob_hist_free(m->r.e2e);
    free(m->r.series);
    ob_durability_free(&m->r.durability);
    free((char *)m->opts.records);
    free(m->workers_json);
    free(m->workers);
    free(m);
}
