/* report.c — printing a run's measurements (see report.h). */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json.h"

static double ms(int64_t ns)
{
    return (double)ns / 1e6;
}

static const char *pct_label(int i)
{
    static const char *const labels[OB_PERCENTILE_COUNT] = {
        "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%"};
    return labels[i];
}

static const char *pct_key(int i)
{
    static const char *const keys[OB_PERCENTILE_COUNT] = {
        "p50", "p66", "p75", "p80", "p90", "p95", "p98", "p99", "p99.9", "p99.99", "max"};
    return keys[i];
}

static double rate(int64_t n, double seconds)
{
    return seconds > 0 ? (double)n / seconds : 0.0;
}

/* --- console ------------------------------------------------------------------------ */

/* Whether the end-to-end histogram is over more records than this result counts: those
 * of other processes sharing the run id (the sinks keep one histogram per run). */
static bool e2e_is_the_runs(const ob_run_result *r)
{
    return r->persisted >= 0 && r->run_persisted > r->persisted;
}

static void table_row(FILE *f, const char *type, const char *name, int64_t reqs, int64_t fails,
                      const ob_hist *h, double reqs_s, double fails_s)
{
    double pct = reqs > 0 ? 100.0 * (double)fails / (double)reqs : 0.0;
    char failcol[32];
    snprintf(failcol, sizeof failcol, "%" PRId64 "(%.2f%%)", fails, pct);
    if (h && ob_hist_count(h) > 0)
        fprintf(f, "%-8s %-26s %9" PRId64 " %13s | %8.2f %8.2f %8.2f %8.2f | %9.1f %10.2f\n", type,
                name, reqs, failcol, ob_hist_mean(h) / 1e6, ms(ob_hist_min(h)), ms(ob_hist_max(h)),
                ms(ob_hist_percentile(h, 50)), reqs_s, fails_s);
    else
        fprintf(f, "%-8s %-26s %9" PRId64 " %13s | %8s %8s %8s %8s | %9.1f %10.2f\n", type, name,
                reqs, failcol, "-", "-", "-", "-", reqs_s, fails_s);
}

void ob_report_table(FILE *f, const ob_run_result *r, const ob_series_point *last)
{
    char name[64];
    snprintf(name, sizeof name, "%s (%s)", r->way, r->mode);
    fprintf(f, "%-8s %-26s %9s %13s | %8s %8s %8s %8s | %9s %10s\n", "Type", "Name", "# reqs",
            "# fails", "Avg", "Min", "Max", "Med", "req/s", "failures/s");
    fprintf(f, "---------------------------------------------------------------------------------"
               "-----------------------------\n");
    double reqs_s = last ? (double)last->sent : 0, fails_s = last ? (double)last->failed : 0;
    table_row(f, "publish", name, r->sent, r->failed, r->publish, reqs_s, fails_s);
    if (r->persisted >= 0) {
        snprintf(name, sizeof name, "%s -> mongodb", r->way);
        table_row(f, "e2e", name, r->persisted, r->lost > 0 ? r->lost : 0, r->e2e,
                  last && last->persisted >= 0 ? (double)last->persisted : 0, 0);
    }
    fprintf(f, "(times in ms; publish = %s; users %" PRId64 ", acked %" PRId64,
            r->broker_acks ? "send -> broker ack" : "send -> round trip through the broker (no ack)",
            r->users, r->acked);
    if (e2e_is_the_runs(r))
        fprintf(f, "; e2e times: the run's %" PRId64 " records, every process's", r->run_persisted);
    fputs(")\n\n", f);
}

static void summary_latency(FILE *f, const char *label, const ob_hist *h)
{
    fprintf(f, "  %-26s", label);
    if (!h || ob_hist_count(h) == 0) {
        fprintf(f, " (none)\n");
        return;
    }
    for (int i = 0; i < OB_PERCENTILE_COUNT; i++)
        fprintf(f, " %8.3f", ms(ob_hist_percentile(h, ob_percentiles[i])));
    fprintf(f, "   n=%" PRId64 "\n", ob_hist_count(h));
}

/* The durability's integer extra `key`, or -1 when it has none (or not an integer). */
static int64_t durability_int(const ob_durability *d, const char *key)
{
    for (int i = 0; i < d->nextras; i++)
        if (strcmp(d->extras[i].key, key) == 0)
            return d->extras[i].type == OB_DUR_INT ? d->extras[i].num : -1;
    return -1;
}

static void print_count(FILE *f, const char *label, int64_t v)
{
    if (v < 0)
        fprintf(f, "  %s -", label);
    else
        fprintf(f, "  %s %" PRId64, label, v);
}

/* Persisted records without an end-to-end latency (their sink died before it saved its
 * histogram), 0 if none, -1 when persisted is unknown; of the run's records when the
 * histogram is the run's. */
static int64_t e2e_unmeasured(const ob_run_result *r)
{
    if (r->persisted < 0)
        return -1;
    int64_t persisted = e2e_is_the_runs(r) ? r->run_persisted : r->persisted;
    int64_t measured = r->e2e ? ob_hist_count(r->e2e) : 0;
    return persisted > measured ? persisted - measured : 0;
}

/* The open model's step in force (ms, 0: none) and whether it is --tick auto's: the
 * adapter's step where the peak rate per thread is above its bound (worker.c applies it
 * record by record, so with --stages or a rate changed from the web UI only in part). */
static double tick_ms(const ob_run_opts *o, bool *is_auto)
{
    *is_auto = false;
    if (o->tick_ns > 0)
        return (double)o->tick_ns / 1e6;
    long lanes = o->threads * (o->workers > 1 ? o->workers : 1);
    if (o->auto_tick.step_ns > 0 && o->rate / (double)(lanes > 0 ? lanes : 1) > o->auto_tick.above_rate) {
        *is_auto = true;
        return (double)o->auto_tick.step_ns / 1e6;
    }
    return 0;
}

/* ", sent on a 1.000 ms tick" and, for --tick auto's, what it is; "" without one. */
static const char *tick_text(const ob_run_opts *o, char *buf, size_t cap)
{
    bool is_auto;
    double ms = tick_ms(o, &is_auto);
    if (ms <= 0)
        snprintf(buf, cap, "%s", "");
    else if (!is_auto)
        snprintf(buf, cap, ", sent on a %.3f ms tick", ms);
    else
        snprintf(buf, cap, ", sent on a %.3f ms tick above %.0f records/s a thread (--tick auto: the "
                           "middleware's client holds each record that long anyway; --tick 0: each at its time)",
                 ms, o->auto_tick.above_rate);
    return buf;
}

/* A relay's answers per way behind it, with what an answer through each means: one
 * line each ("behind       nats: 130 answers, the broker's PubAck (...)"). */
static void summary_behind(FILE *f, const ob_durability *d)
{
    size_t plen = strlen(OB_DURABILITY_COUNT_PREFIX);
    for (int i = 0; i < d->nextras; i++) {
        const ob_dur_extra *e = &d->extras[i];
        if (e->type != OB_DUR_INT || strncmp(e->key, OB_DURABILITY_COUNT_PREFIX, plen) != 0)
            continue;
        const char *way = e->key + plen, *means = NULL;
        char key[sizeof e->key + 8];
        snprintf(key, sizeof key, OB_DURABILITY_BEHIND_PREFIX "%s", way);
        for (int k = 0; k < d->nextras; k++)
            if (d->extras[k].type == OB_DUR_STR && strcmp(d->extras[k].key, key) == 0)
                means = d->extras[k].str;
        if (strcmp(way, OB_DURABILITY_UNNAMED) == 0)
            fprintf(f, "behind       %" PRId64 " answers named no way (not from outbreak gateway)\n", e->num);
        else if (strcmp(way, OB_DURABILITY_OTHER_WAYS) == 0)
            fprintf(f, "behind       %" PRId64 " answers through more ways than are listed\n", e->num);
        else
            fprintf(f, "behind       %s: %" PRId64 " answers, %s\n", way, e->num, means ? means : "its ack not said");
    }
}

void ob_report_summary(FILE *f, const ob_run_result *r)
{
    const ob_run_opts *o = r->opts;
    fprintf(f, "\n=== outbreak run %s: %s (%s) ===\n", o->run_id, r->way, r->mode);
    fprintf(f, "broker       %s\n", r->url);
    fputs("durability   ", f);
    ob_jw w;
    ob_jw_init(&w, f);
    ob_durability_write(&w, &r->durability);
    fputc('\n', f);
    summary_behind(f, &r->durability);
    if (!r->broker_acks)
        fprintf(f, "note         %s (%s) has no broker acknowledgement: acked means %s, not "
                   "that anything stored it\n",
                r->way, r->mode, r->ack_meaning);
    char stages[OB_STAGES_SPEC_CAP], tick[320];
    ob_stages_format(&o->stages, stages, sizeof stages);
    tick_text(o, tick, sizeof tick);
    if (o->stages.n > 0 && o->rate > 0) {
        fprintf(f, "load         open model, stages %s (a mean of %.1f records/s, at most %.1f), %ld thread(s)%s\n",
                stages, ob_stages_expected(&o->stages, o->run_time_ns) / ((double)o->run_time_ns / 1e9), o->rate,
                o->threads, tick);
    } else if (o->stages.n > 0)
        fprintf(f, "load         closed model, stages %s (at most %ld users), wait %.3f-%.3f s\n", stages, o->users,
                o->wait_min, o->wait_max);
    else if (o->rate_max)
        fprintf(f, "load         open model, unpaced (--rate max), %ld thread(s)\n", o->threads);
    else if (o->rate > 0)
        fprintf(f, "load         open model, %.1f records/s, %ld thread(s)%s\n", o->rate, o->threads, tick);
    else
        fprintf(f, "load         closed model, %ld users, spawn rate %.1f/s, wait %.3f-%.3f s\n",
                o->users, o->spawn_rate, o->wait_min, o->wait_max);
    if (o->iterations > 0)
        fprintf(f, "iterations   %lld records in all (-i), then stop%s: %lld sent\n", o->iterations,
                o->workers > 1 && o->worker >= 0 ? ", split between the workers" : "", (long long)r->sent);
    if (o->record_size > 0)
        fprintf(f, "records      padded to %ld bytes (--record-size): %.1f bytes on average as sent\n", o->record_size,
                r->sent > 0 ? (double)r->bytes_sent / (double)r->sent : 0.0);
    if (o->workers > 1)
        fprintf(f, "workers      %s %ld of %ld load generators sharing the run (the load above is %s)\n",
                o->worker >= 0 ? "this is worker" : "merged:", o->worker >= 0 ? o->worker : r->workers_finished,
                o->workers, o->worker >= 0 ? "the run's, split between them" : "the run's");
    /* a short run (--once's records at full speed) to 0.1 ms, not "0.0 s" */
    fprintf(f, "duration     %.*f s sending\n", r->duration_s < 10 ? 4 : 1, r->duration_s);
    if (r->warmup_s > 0) {
        fprintf(f, "warm-up      %.1f s before it, under run id %s, in none of the figures here:", r->warmup_s,
                r->warmup_run);
        print_count(f, "sent", r->warmup_sent);
        print_count(f, "acked", r->warmup_acked);
        print_count(f, "failed", r->warmup_failed);
        if (r->warmup_persisted >= 0)
            fprintf(f, "  persisted %" PRId64 " by the end", r->warmup_persisted);
        fputc('\n', f);
    }
    if (isfinite(r->rate_target)) {
        if (r->rate_kept)
            fprintf(f, "rate         kept: %.1f/s of %.1f/s\n", r->rate_achieved, r->rate_target);
        else
            fprintf(f, "rate         NOT KEPT: %.1f/s of %.1f/s (%.0f %%), %.1f s of the schedule behind; cause: %s\n",
                    r->rate_achieved, r->rate_target, 100 * r->rate_achieved / r->rate_target, r->behind_s,
                    r->rate_cause);
    }
    fprintf(f, "delivery    ");
    print_count(f, "sent", r->sent);
    print_count(f, "acked", r->acked);
    print_count(f, "failed", r->failed);
    print_count(f, "persisted", r->persisted);
    print_count(f, "duplicates", r->duplicates);
    print_count(f, "lost", r->lost);
    print_count(f, "unconfirmed", r->unconfirmed);
    fputc('\n', f);
    if (r->persisted_source) {
        fprintf(f, "persisted    from %s%s",
                strcmp(r->persisted_source, "mongodb_count") == 0 ? "MongoDB's count of the run's documents"
                                                                  : "the sinks' exact counts (sink_stats)",
                r->unconfirmed > 0 ? "; unconfirmed: acked, not persisted yet while the sinks were still working"
                                   : "");
        int64_t backlog = durability_int(&r->durability, "backlog_at_start");
        if (backlog > 0)
            fprintf(f, "; %" PRId64 " records from before the run waited for the sinks at its start, delivered "
                       "before its own (backlog_at_start)", backlog);
        fputc('\n', f);
    }
    if (r->persisted >= 0 && r->nways > 0) {
        fprintf(f, "persisted    by way (the sinks' counts):");
        for (int i = 0; i < r->nways; i++)
            fprintf(f, "%s %s %" PRId64, i ? "," : "", r->persisted_by_way[i].way,
                    r->persisted_by_way[i].process_persisted);
        fputc('\n', f);
    }
    fprintf(f, "throughput   sent %.1f/s  acked %.1f/s", rate(r->sent, r->duration_s),
            rate(r->acked, r->duration_s));
    if (r->persisted >= 0)
        fprintf(f, "  persisted %.1f/s (over %.1f s, %s)", rate(r->persisted, r->persist_s), r->persist_s,
                r->unconfirmed > 0 || r->lost > 0 ? "until the wait ended, not drained" : "until drained");
    fputc('\n', f);
    fprintf(f, "latency (ms)                ");
    for (int i = 0; i < OB_PERCENTILE_COUNT; i++)
        fprintf(f, " %8s", pct_label(i));
    fputc('\n', f);
    summary_latency(f, o->rate > 0 ? "publish (from intended)" : "publish", r->publish);
    if (o->rate > 0)
        summary_latency(f, "publish (uncorrected)", r->publish_raw);
    summary_latency(f, "send delay", r->send_delay);
    if (r->persisted >= 0) {
        summary_latency(f, "end-to-end (to MongoDB)", r->e2e);
        int64_t unmeasured = e2e_unmeasured(r);
        int64_t population = e2e_is_the_runs(r) ? r->run_persisted : r->persisted;
        if (e2e_is_the_runs(r))
            fprintf(f, "  end-to-end is the run's: over the %" PRId64 " records of every process sharing run %s "
                       "(this one's %" PRId64 " among them); the sinks keep one histogram per run\n",
                    r->run_persisted, o->run_id, r->persisted);
        if (unmeasured > 0)
            fprintf(f, "  end-to-end measured for %" PRId64 " of the %" PRId64 " persisted records: no sink saved "
                       "the others' latencies (a sink that died before it saved them)\n",
                    population - unmeasured, population);
    } else
        fprintf(f, "  end-to-end                  unknown: pass --mongo URL (and run outbreak sink)\n");
    if (r->workers_json) /* merged: docs/scale-out.md, "Cost" */
        fprintf(f, "cost         loadgen %.2f CPU s (the workers' together), peak RSS %.1f MB (the largest worker's)\n",
                r->loadgen_cpu_s, r->loadgen_peak_rss_mb);
    else
        fprintf(f, "cost         loadgen %.2f CPU s, peak RSS %.1f MB\n", r->loadgen_cpu_s, r->loadgen_peak_rss_mb);
    for (int i = 0; i < r->nfailure_kinds; i++)
        fprintf(f, "failure      %" PRId64 " x %s\n", r->failures[i].count, r->failures[i].msg);
}

/* --- JSON ---------------------------------------------------------------------------- */

/* A count, null when unknown (negative). */
static void json_count(ob_jw *w, const char *key, int64_t v)
{
    ob_jw_key(w, key);
    if (v < 0)
        ob_jw_null(w);
    else
        ob_jw_int(w, v);
}

/* A figure with 6 significant digits, null when not finite. */
static void json_num(ob_jw *w, const char *key, double v)
{
    if (key)
        ob_jw_key(w, key);
    ob_jw_numg(w, v, 6);
}

static void json_latency(ob_jw *w, const char *key, const ob_hist *h)
{
    ob_jw_key(w, key);
    if (!h || ob_hist_count(h) == 0) {
        ob_jw_null(w);
        return;
    }
    ob_jw_object(w);
    for (int i = 0; i < OB_PERCENTILE_COUNT; i++)
        json_num(w, pct_key(i), ms(ob_hist_percentile(h, ob_percentiles[i])));
    json_num(w, "min", ms(ob_hist_min(h)));
    json_num(w, "mean", ob_hist_mean(h) / 1e6);
    ob_jw_key(w, "count");
    ob_jw_int(w, ob_hist_count(h));
    ob_jw_end(w);
}

/* {"percentile":[...],"ms":[...]} at the percentiles of an HdrHistogram percentile plot:
 * each step halves the distance to 100 in two ticks (0, 29.3, 50, 64.6, 75, ...), until
 * the tail holds fewer than one recorded value; then 100 (the maximum). Two parallel
 * arrays, not pairs: FerretDB, which stores the summary, refuses nested arrays. */
static void json_latency_curve(ob_jw *w, const char *key, const ob_hist *h)
{
    ob_jw_key(w, key);
    int64_t n = h ? ob_hist_count(h) : 0;
    if (n == 0) {
        ob_jw_null(w);
        return;
    }
    int ticks = 0;
    while (ticks <= 60 && pow(2.0, -ticks / 2.0) * (double)n >= 1.0)
        ticks++;
    ob_jw_object(w);
    ob_jw_key(w, "percentile");
    ob_jw_array(w);
    for (int k = 0; k < ticks; k++)
        json_num(w, NULL, 100.0 * (1.0 - pow(2.0, -k / 2.0)));
    ob_jw_int(w, 100);
    ob_jw_end(w);
    ob_jw_key(w, "ms");
    ob_jw_array(w);
    for (int k = 0; k < ticks; k++)
        json_num(w, NULL, ms(ob_hist_percentile(h, 100.0 * (1.0 - pow(2.0, -k / 2.0)))));
    json_num(w, NULL, ms(ob_hist_max(h)));
    ob_jw_end(w);
    ob_jw_end(w);
}

static void json_load(ob_jw *w, const ob_run_opts *o)
{
    ob_jw_key(w, "load");
    ob_jw_object(w);
    ob_jw_key(w, "model");
    ob_jw_str(w, o->rate > 0 ? "open" : "closed");
    if (o->rate_max) {
        ob_jw_key(w, "rate");
        ob_jw_str(w, "max");
    } else if (o->rate > 0) {
        json_num(w, "rate", o->rate);
        bool is_auto;
        json_num(w, "tick_ms", tick_ms(o, &is_auto));
        ob_jw_key(w, "tick_auto");
        ob_jw_bool(w, is_auto);
    } else {
        ob_jw_key(w, "users");
        ob_jw_int(w, o->users);
        json_num(w, "spawn_rate", o->spawn_rate);
        json_num(w, "wait_min_s", o->wait_min);
        json_num(w, "wait_max_s", o->wait_max);
    }
    if (o->stages.n > 0)
        ob_stages_json(w, &o->stages);
    ob_jw_key(w, "iterations");
    if (o->iterations > 0)
        ob_jw_int(w, o->iterations);
    else
        ob_jw_null(w);
    ob_jw_key(w, "record_size");
    if (o->record_size > 0)
        ob_jw_int(w, o->record_size);
    else
        ob_jw_null(w);
    ob_jw_key(w, "threads");
    ob_jw_int(w, o->threads);
    ob_jw_key(w, "workers");
    ob_jw_int(w, o->workers > 0 ? o->workers : 1);
    if (o->worker >= 0) {
        ob_jw_key(w, "worker");
        ob_jw_int(w, o->worker);
    }
    ob_jw_key(w, "records");
    if (o->records) {
        ob_jw_str(w, o->records);
    } else {
        char gen[80];
        snprintf(gen, sizeof gen, "generator(seed=%" PRIu64 ",pool=%ld)", o->seed, o->pool);
        ob_jw_str(w, gen);
    }
    ob_jw_key(w, "once");
    ob_jw_bool(w, o->once);
    json_num(w, "warmup_s", (double)o->warmup_ns / 1e9);
    ob_jw_end(w);
}

/* The cost figures this process can measure: its own. Broker, sink and database are
 * other processes: `outbreak compare` measures them. */
static void json_cost(ob_jw *w, const ob_run_result *r)
{
    static const char *const unknown[] = {"broker_cpu_s", "broker_peak_rss_mb", "broker_process",
                                          "sink_cpu_s", "sink_peak_rss_mb", "db_cpu_s", "db_peak_rss_mb",
                                          "total_cpu_s", "records_per_cpu_s", "cpu_ms_per_1000_records",
                                          "rss_mb_per_1000_records_per_s"};
    ob_jw_key(w, "cost");
    ob_jw_object(w);
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        ob_jw_key(w, unknown[i]);
        ob_jw_null(w);
    }
    json_num(w, "loadgen_cpu_s", r->loadgen_cpu_s);
    json_num(w, "loadgen_peak_rss_mb", r->loadgen_peak_rss_mb);
    json_num(w, "records_per_loadgen_cpu_s", r->loadgen_cpu_s > 0 ? (double)r->sent / r->loadgen_cpu_s : NAN);
    ob_jw_end(w);
}

static void json_series(ob_jw *w, const ob_run_result *r)
{
    ob_jw_key(w, "series");
    ob_jw_array(w);
    for (size_t i = 0; i < r->nseries; i++) {
        const ob_series_point *p = &r->series[i];
        ob_jw_object(w);
        ob_jw_key(w, "t");
        ob_jw_num(w, p->t, 3);
        ob_jw_key(w, "users");
        ob_jw_int(w, p->users);
        ob_jw_key(w, "sent");
        ob_jw_int(w, p->sent);
        ob_jw_key(w, "acked");
        ob_jw_int(w, p->acked);
        ob_jw_key(w, "failed");
        ob_jw_int(w, p->failed);
        json_count(w, "persisted", p->persisted);
        json_num(w, "p99_ms", p->acked > 0 ? p->publish_pct_ms[7] : NAN);
        json_num(w, "e2e_p99_ms", p->e2e_p99_ms >= 0 ? p->e2e_p99_ms : NAN);
        ob_jw_end(w);
    }
    ob_jw_end(w);
}

/* The histograms themselves, serialised bucket by bucket (ob_hist_encode): what a tool
 * merging summaries needs to merge them exactly (OpenMessaging Benchmark's habit). */
static void json_hist_text(ob_jw *w, const char *key, const ob_hist *h)
{
    ob_jw_key(w, key);
    char *text = h ? ob_hist_encode(h) : NULL;
    ob_jw_str(w, text);
    free(text);
}

static void json_histograms(ob_jw *w, const ob_run_result *r, bool stored)
{
    ob_jw_key(w, "histograms");
    ob_jw_object(w);
    json_hist_text(w, "publish", r->publish);
    json_hist_text(w, "publish_uncorrected", r->publish_raw);
    json_hist_text(w, "send_delay", r->send_delay);
    json_hist_text(w, "e2e", stored ? r->e2e : NULL);
    ob_jw_end(w);
}

int ob_report_json(FILE *f, const ob_run_result *r)
{
    const ob_run_opts *o = r->opts;
    bool stored = r->persisted >= 0;
    ob_jw w;
    ob_jw_init(&w, f);
    ob_jw_object(&w);
    ob_jw_key(&w, "run");
    ob_jw_str(&w, o->run_id);
    ob_jw_key(&w, "middleware");
    ob_jw_str(&w, r->way);
    ob_jw_key(&w, "mode");
    ob_jw_str(&w, r->mode);
    ob_jw_key(&w, "url");
    ob_jw_str(&w, r->url);
    ob_jw_key(&w, "durability");
    ob_durability_write(&w, &r->durability);
    ob_jw_key(&w, "broker_acks");
    ob_jw_bool(&w, r->broker_acks);
    json_load(&w, o);
    if (r->workers_json) {
        ob_jw_key(&w, "workers");
        ob_jw_raw(&w, r->workers_json, strlen(r->workers_json));
    }
    ob_jw_key(&w, "started_at_ns"); /* the start of the sending, CLOCK_REALTIME */
    ob_jw_int(&w, r->t0_real_ns);
    ob_jw_key(&w, "duration_s");
    ob_jw_num(&w, r->duration_s, 6);
    /* --warmup: the load before the measured time, under a run id of its own */
    ob_jw_key(&w, "warmup");
    if (r->warmup_s > 0) {
        ob_jw_object(&w);
        json_num(&w, "duration_s", r->warmup_s);
        ob_jw_key(&w, "run");
        ob_jw_str(&w, r->warmup_run);
        json_count(&w, "sent", r->warmup_sent);
        json_count(&w, "acked", r->warmup_acked);
        json_count(&w, "failed", r->warmup_failed);
        json_count(&w, "persisted_by_end", r->warmup_persisted);
        ob_jw_end(&w);
    } else {
        ob_jw_null(&w);
    }
    /* the open model's rate, kept or not (null: closed model, --rate max, or changed) */
    json_num(&w, "rate_target", r->rate_target);
    json_num(&w, "rate_achieved", r->rate_achieved);
    ob_jw_key(&w, "rate_kept");
    if (isfinite(r->rate_target))
        ob_jw_bool(&w, r->rate_kept);
    else
        ob_jw_null(&w);
    json_num(&w, "behind_s", r->behind_s);
    ob_jw_key(&w, "cause");
    ob_jw_str(&w, r->rate_cause[0] ? r->rate_cause : NULL);
    json_num(&w, "window_full_share", r->window_full_share);
    json_num(&w, "worker_busy_share", r->worker_busy_share);
    json_num(&w, "publish_blocked_share", r->publish_blocked_share);
    json_count(&w, "sent", r->sent);
    json_count(&w, "acked", r->acked);
    json_count(&w, "failed", r->failed);
    json_count(&w, "bytes_sent", r->bytes_sent);
    json_num(&w, "avg_record_bytes", r->sent > 0 ? (double)r->bytes_sent / (double)r->sent : NAN);
    json_count(&w, "persisted", r->persisted);
    json_count(&w, "duplicates", r->duplicates);
    json_count(&w, "invalid", r->invalid);
    json_count(&w, "lost", r->lost);
    json_count(&w, "unconfirmed", r->unconfirmed);
    ob_jw_key(&w, "persisted_source");
    ob_jw_str(&w, r->persisted_source);
    ob_jw_key(&w, "process");
    ob_jw_int(&w, r->process);
    json_count(&w, "sinks", stored ? r->sinks : -1);
    ob_jw_key(&w, "throughput");
    ob_jw_object(&w);
    json_num(&w, "sent_per_s", rate(r->sent, r->duration_s));
    json_num(&w, "acked_per_s", rate(r->acked, r->duration_s));
    json_num(&w, "persisted_per_s", stored ? rate(r->persisted, r->persist_s) : NAN);
    json_num(&w, "persist_s", stored ? r->persist_s : NAN);
    ob_jw_end(&w);
    json_latency(&w, "publish_latency_ms", r->publish);
    json_latency(&w, "publish_latency_uncorrected_ms", r->publish_raw);
    json_latency(&w, "send_delay_ms", r->send_delay);
    json_latency(&w, "e2e_latency_ms", stored ? r->e2e : NULL);
    json_count(&w, "e2e_unmeasured", stored ? e2e_unmeasured(r) : -1);
    if (stored && r->nways > 0) {
        ob_jw_key(&w, "persisted_by_way");
        ob_jw_object(&w);
        for (int i = 0; i < r->nways; i++) {
            ob_jw_key(&w, r->persisted_by_way[i].way);
            ob_jw_int(&w, r->persisted_by_way[i].process_persisted);
        }
        ob_jw_end(&w);
    }
    ob_jw_key(&w, "e2e_scope");
    if (stored && r->e2e)
        ob_jw_str(&w, e2e_is_the_runs(r) ? "run" : "own");
    else
        ob_jw_null(&w);
    ob_jw_key(&w, "latency_curves");
    ob_jw_object(&w);
    json_latency_curve(&w, "publish", r->publish);
    json_latency_curve(&w, "e2e", stored ? r->e2e : NULL);
    ob_jw_end(&w);
    json_cost(&w, r);
    ob_jw_key(&w, "failures");
    ob_jw_array(&w);
    for (int i = 0; i < r->nfailure_kinds; i++) {
        ob_jw_object(&w);
        ob_jw_key(&w, "error");
        ob_jw_str(&w, r->failures[i].msg);
        ob_jw_key(&w, "count");
        ob_jw_int(&w, r->failures[i].count);
        ob_jw_end(&w);
    }
    ob_jw_end(&w);
    json_histograms(&w, r, stored);
    json_series(&w, r);
    ob_jw_end(&w);
    fputc('\n', f);
    return ob_jw_status(&w) != 0 || ferror(f) ? -1 : 0;
}

/* --- CSV ----------------------------------------------------------------------------- */

static FILE *open_csv(const char *prefix, const char *suffix, ob_err *err)
{
    char path[4096];
    snprintf(path, sizeof path, "%s%s", prefix, suffix);
    FILE *f = fopen(path, "w");
    if (!f)
        ob_err_set(err, "cannot write %s: %s", path, strerror(errno));
    return f;
}

static void csv_stats_row(FILE *f, const char *type, const char *name, int64_t reqs, int64_t fails,
                          const ob_hist *h, double seconds, double avg_size)
{
    bool any = h && ob_hist_count(h) > 0;
    fprintf(f, "%s,%s,%" PRId64 ",%" PRId64 ",", type, name, reqs, fails);
    if (any)
        fprintf(f, "%.3f,%.3f,%.3f,%.3f,", ms(ob_hist_percentile(h, 50)), ob_hist_mean(h) / 1e6,
                ms(ob_hist_min(h)), ms(ob_hist_max(h)));
    else
        fputs("0,0,0,0,", f);
    fprintf(f, "%.1f,%.3f,%.3f", avg_size, rate(reqs, seconds), rate(fails, seconds));
    for (int i = 0; i < OB_PERCENTILE_COUNT; i++) {
        if (any)
            fprintf(f, ",%.3f", ms(ob_hist_percentile(h, ob_percentiles[i])));
        else
            fputs(",N/A", f);
    }
    fputc('\n', f);
}

static void csv_pct_header(FILE *f)
{
    for (int i = 0; i < OB_PERCENTILE_COUNT; i++)
        fprintf(f, ",%s", pct_label(i));
}

int ob_report_csv(const char *prefix, const ob_run_result *r, ob_err *err)
{
    char name[64], e2e_name[64];
    snprintf(name, sizeof name, "%s (%s)", r->way, r->mode);
    snprintf(e2e_name, sizeof e2e_name, "%s -> mongodb", r->way);

    FILE *f = open_csv(prefix, "_stats.csv", err);
    if (!f)
        return -1;
    fputs("Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
          "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s",
          f);
    csv_pct_header(f);
    fputc('\n', f);
    double avg = r->sent > 0 ? (double)r->bytes_sent / (double)r->sent : 0;
    csv_stats_row(f, "publish", name, r->sent, r->failed, r->publish, r->duration_s, avg);
    if (r->persisted >= 0)
        csv_stats_row(f, "e2e", e2e_name, r->persisted, r->lost, r->e2e, r->duration_s, avg);
    csv_stats_row(f, "", "Aggregated", r->sent, r->failed, r->publish, r->duration_s, avg);
    fclose(f);

    if (!(f = open_csv(prefix, "_stats_history.csv", err)))
        return -1;
    fputs("Timestamp,User Count,Type,Name,Requests/s,Failures/s", f);
    csv_pct_header(f);
    fputs(",Total Request Count,Total Failure Count,Total Median Response Time,"
          "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
          "Total Average Content Size\n",
          f);
    int64_t start_s = r->t0_real_ns / OB_NS_PER_S;
    for (size_t i = 0; i < r->nseries; i++) {
        const ob_series_point *p = &r->series[i];
        fprintf(f, "%" PRId64 ",%" PRId64 ",publish,%s,%" PRId64 ",%" PRId64, start_s + (int64_t)p->t,
                p->users, name, p->sent, p->failed);
        for (int k = 0; k < OB_PERCENTILE_COUNT; k++) {
            if (p->acked > 0)
                fprintf(f, ",%.3f", p->publish_pct_ms[k]);
            else
                fputs(",N/A", f);
        }
        fprintf(f, ",%" PRId64 ",%" PRId64 ",%.3f,%.3f,%.3f,%.3f,0\n", p->total_sent,
                p->total_failed, p->total_median_ms, p->total_mean_ms, p->total_min_ms,
                p->total_max_ms);
    }
    fclose(f);

    if (!(f = open_csv(prefix, "_failures.csv", err)))
        return -1;
    fputs("Method,Name,Error,Occurrences\n", f);
    for (int i = 0; i < r->nfailure_kinds; i++) {
        fprintf(f, "publish,%s,\"", name);
        for (const char *s = r->failures[i].msg; *s; s++) {
            if (*s == '"')
                fputc('"', f);
            fputc(*s, f);
        }
        fprintf(f, "\",%" PRId64 "\n", r->failures[i].count);
    }
    if (r->lost > 0)
        fprintf(f, "e2e,%s,\"lost: acked, not in MongoDB, the sinks idle\",%" PRId64 "\n", e2e_name, r->lost);
    if (r->unconfirmed > 0)
        fprintf(f, "e2e,%s,\"unconfirmed: acked, not persisted yet, the sinks still working\",%" PRId64 "\n",
                e2e_name, r->unconfirmed);
    fclose(f);

    if (!(f = open_csv(prefix, "_exceptions.csv", err)))
        return -1;
    fputs("Count,Message,Traceback,Nodes\n", f);
    fclose(f);
    return 0;
}
