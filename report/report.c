/* report.c — printing a run's measurements (see report.h). */
#include "report.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
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
    fprintf(f, "(times in ms; publish = %s; users %" PRId64 ", acked %" PRId64 ")\n\n",
            r->broker_acks ? "send -> broker ack" : "send -> round trip through the broker (no ack)",
            r->users, r->acked);
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

static void print_count(FILE *f, const char *label, int64_t v)
{
    if (v < 0)
        fprintf(f, "  %s -", label);
    else
        fprintf(f, "  %s %" PRId64, label, v);
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
    if (!r->broker_acks)
        fprintf(f, "note         %s (%s) has no broker acknowledgement: acked means %s, not "
                   "that anything stored it\n",
                r->way, r->mode, r->ack_meaning);
    if (o->rate_max)
        fprintf(f, "load         open model, unpaced (--rate max), %ld thread(s)\n", o->threads);
    else if (o->rate > 0)
        fprintf(f, "load         open model, %.1f records/s, %ld thread(s)\n", o->rate, o->threads);
    else
        fprintf(f, "load         closed model, %ld users, spawn rate %.1f/s, wait %.3f-%.3f s\n",
                o->users, o->spawn_rate, o->wait_min, o->wait_max);
    fprintf(f, "duration     %.1f s sending\n", r->duration_s);
    fprintf(f, "delivery    ");
    print_count(f, "sent", r->sent);
    print_count(f, "acked", r->acked);
    print_count(f, "failed", r->failed);
    print_count(f, "persisted", r->persisted);
    print_count(f, "duplicates", r->duplicates);
    print_count(f, "lost", r->lost);
    print_count(f, "unconfirmed", r->unconfirmed);
    fputc('\n', f);
    if (r->persisted_source)
        fprintf(f, "persisted    from %s%s\n",
                strcmp(r->persisted_source, "mongodb_count") == 0 ? "MongoDB's count of the run's documents"
                                                                  : "the sinks' exact counts (sink_stats)",
                r->unconfirmed > 0 ? "; unconfirmed: acked, not persisted yet while the sinks were still working"
                                   : "");
    fprintf(f, "throughput   sent %.1f/s  acked %.1f/s", rate(r->sent, r->duration_s),
            rate(r->acked, r->duration_s));
    if (r->persisted >= 0)
        fprintf(f, "  persisted %.1f/s (over %.1f s, until drained)", rate(r->persisted, r->persist_s),
                r->persist_s);
    fputc('\n', f);
    fprintf(f, "latency (ms)                ");
    for (int i = 0; i < OB_PERCENTILE_COUNT; i++)
        fprintf(f, " %8s", pct_label(i));
    fputc('\n', f);
    summary_latency(f, o->rate > 0 ? "publish (from intended)" : "publish", r->publish);
    if (o->rate > 0)
        summary_latency(f, "publish (uncorrected)", r->publish_raw);
    summary_latency(f, "send delay", r->send_delay);
    if (r->persisted >= 0)
        summary_latency(f, "end-to-end (to MongoDB)", r->e2e);
    else
        fprintf(f, "  end-to-end                  unknown: pass --mongo URL (and run outbreak sink)\n");
    fprintf(f, "cost         loadgen %.2f CPU s, peak RSS %.1f MB\n", r->loadgen_cpu_s,
            r->loadgen_peak_rss_mb);
    for (int i = 0; i < r->nfailure_kinds; i++)
        fprintf(f, "failure      %" PRId64 " x %s\n", r->failures[i].count, r->failures[i].msg);
}

/* --- JSON ---------------------------------------------------------------------------- */

static void json_str(FILE *f, const char *s)
{
    ob_json_put_string(f, s);
}

static void json_count(FILE *f, int64_t v)
{
    if (v < 0)
        fputs("null", f);
    else
        fprintf(f, "%" PRId64, v);
}

static void json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.6g", v);
    else
        fputs("null", f);
}

static void json_latency(FILE *f, const ob_hist *h)
{
    if (!h || ob_hist_count(h) == 0) {
        fputs("null", f);
        return;
    }
    fputc('{', f);
    for (int i = 0; i < OB_PERCENTILE_COUNT; i++) {
        fprintf(f, "\"%s\":", pct_key(i));
        json_num(f, ms(ob_hist_percentile(h, ob_percentiles[i])));
        fputc(',', f);
    }
    fprintf(f, "\"min\":");
    json_num(f, ms(ob_hist_min(h)));
    fprintf(f, ",\"mean\":");
    json_num(f, ob_hist_mean(h) / 1e6);
    fprintf(f, ",\"count\":%" PRId64 "}", ob_hist_count(h));
}

/* {"percentile":[...],"ms":[...]} at the percentiles of an HdrHistogram percentile plot:
 * each step halves the distance to 100 in two ticks (0, 29.3, 50, 64.6, 75, ...), until
 * the tail holds fewer than one recorded value; then 100 (the maximum). Two parallel
 * arrays, not pairs: FerretDB, which stores the summary, refuses nested arrays. */
static void json_latency_curve(FILE *f, const ob_hist *h)
{
    int64_t n = h ? ob_hist_count(h) : 0;
    if (n == 0) {
        fputs("null", f);
        return;
    }
    int ticks = 0;
    while (ticks <= 60 && pow(2.0, -ticks / 2.0) * (double)n >= 1.0)
        ticks++;
    fputs("{\"percentile\":[", f);
    for (int k = 0; k < ticks; k++)
        fprintf(f, "%.6g,", 100.0 * (1.0 - pow(2.0, -k / 2.0)));
    fputs("100],\"ms\":[", f);
    for (int k = 0; k < ticks; k++) {
        json_num(f, ms(ob_hist_percentile(h, 100.0 * (1.0 - pow(2.0, -k / 2.0)))));
        fputc(',', f);
    }
    json_num(f, ms(ob_hist_max(h)));
    fputs("]}", f);
}

int ob_report_json(FILE *f, const ob_run_result *r)
{
    const ob_run_opts *o = r->opts;
    fputs("{\"run\":", f);
    json_str(f, o->run_id);
    fputs(",\"middleware\":", f);
    json_str(f, r->way);
    fputs(",\"mode\":", f);
    json_str(f, r->mode);
    fputs(",\"url\":", f);
    json_str(f, r->url);
    fputs(",\"durability\":", f);
    ob_jw dw;
    ob_jw_init(&dw, f);
    ob_durability_write(&dw, &r->durability);
    fprintf(f, ",\"broker_acks\":%s", r->broker_acks ? "true" : "false");
    fputs(",\"load\":{", f);
    if (o->rate_max)
        fprintf(f, "\"model\":\"open\",\"rate\":\"max\",\"threads\":%ld", o->threads);
    else if (o->rate > 0)
        fprintf(f, "\"model\":\"open\",\"rate\":%.6g,\"threads\":%ld", o->rate, o->threads);
    else
        fprintf(f, "\"model\":\"closed\",\"users\":%ld,\"spawn_rate\":%.6g,\"wait_min_s\":%.6g,"
                   "\"wait_max_s\":%.6g,\"threads\":%ld",
                o->users, o->spawn_rate, o->wait_min, o->wait_max, o->threads);
    fputs(",\"records\":", f);
    if (o->records)
        json_str(f, o->records);
    else
        fprintf(f, "\"generator(seed=%" PRIu64 ",pool=%ld)\"", o->seed, o->pool);
    fprintf(f, ",\"once\":%s}", o->once ? "true" : "false");
    fprintf(f, ",\"duration_s\":%.3f", r->duration_s);
    fprintf(f, ",\"sent\":%" PRId64 ",\"acked\":%" PRId64 ",\"failed\":%" PRId64, r->sent, r->acked,
            r->failed);
    fprintf(f, ",\"bytes_sent\":%" PRId64 ",\"avg_record_bytes\":", r->bytes_sent);
    json_num(f, r->sent > 0 ? (double)r->bytes_sent / (double)r->sent : NAN);
    fputs(",\"persisted\":", f);
    json_count(f, r->persisted);
    fputs(",\"duplicates\":", f);
    json_count(f, r->duplicates);
    fputs(",\"invalid\":", f);
    json_count(f, r->invalid);
    fputs(",\"lost\":", f);
    json_count(f, r->lost);
    fputs(",\"unconfirmed\":", f);
    json_count(f, r->unconfirmed);
    fputs(",\"persisted_source\":", f);
    if (r->persisted_source)
        json_str(f, r->persisted_source);
    else
        fputs("null", f);
    fprintf(f, ",\"process\":%" PRIu32, r->process);
    fputs(",\"sinks\":", f);
    json_count(f, r->persisted >= 0 ? r->sinks : -1);
    fputs(",\"throughput\":{\"sent_per_s\":", f);
    json_num(f, rate(r->sent, r->duration_s));
    fputs(",\"acked_per_s\":", f);
    json_num(f, rate(r->acked, r->duration_s));
    fputs(",\"persisted_per_s\":", f);
    if (r->persisted >= 0)
        json_num(f, rate(r->persisted, r->persist_s));
    else
        fputs("null", f);
    fputs(",\"persist_s\":", f);
    if (r->persisted >= 0)
        json_num(f, r->persist_s);
    else
        fputs("null", f);
    fputs("},\"publish_latency_ms\":", f);
    json_latency(f, r->publish);
    fputs(",\"publish_latency_uncorrected_ms\":", f);
    json_latency(f, r->publish_raw);
    fputs(",\"send_delay_ms\":", f);
    json_latency(f, r->send_delay);
    fputs(",\"e2e_latency_ms\":", f);
    json_latency(f, r->persisted >= 0 ? r->e2e : NULL);
    fputs(",\"latency_curves\":{\"publish\":", f);
    json_latency_curve(f, r->publish);
    fputs(",\"e2e\":", f);
    json_latency_curve(f, r->persisted >= 0 ? r->e2e : NULL);
    /* broker, sink and database are other processes: `outbreak compare` measures them */
    fputs("},\"cost\":{\"broker_cpu_s\":null,\"broker_peak_rss_mb\":null,\"broker_process\":null,"
          "\"sink_cpu_s\":null,\"sink_peak_rss_mb\":null,\"db_cpu_s\":null,\"db_peak_rss_mb\":null,"
          "\"total_cpu_s\":null,\"records_per_cpu_s\":null,\"cpu_ms_per_1000_records\":null,"
          "\"rss_mb_per_1000_records_per_s\":null,\"loadgen_cpu_s\":",
          f);
    json_num(f, r->loadgen_cpu_s);
    fputs(",\"loadgen_peak_rss_mb\":", f);
    json_num(f, r->loadgen_peak_rss_mb);
    fputs(",\"records_per_loadgen_cpu_s\":", f);
    json_num(f, r->loadgen_cpu_s > 0 ? (double)r->sent / r->loadgen_cpu_s : NAN);
    fputs("},\"failures\":[", f);
    for (int i = 0; i < r->nfailure_kinds; i++) {
        fprintf(f, "%s{\"error\":", i ? "," : "");
        json_str(f, r->failures[i].msg);
        fprintf(f, ",\"count\":%" PRId64 "}", r->failures[i].count);
    }
    fputs("],\"series\":[", f);
    for (size_t i = 0; i < r->nseries; i++) {
        const ob_series_point *p = &r->series[i];
        fprintf(f, "%s{\"t\":%.3f,\"users\":%" PRId64 ",\"sent\":%" PRId64 ",\"acked\":%" PRId64
                   ",\"failed\":%" PRId64 ",\"persisted\":",
                i ? "," : "", p->t, p->users, p->sent, p->acked, p->failed);
        json_count(f, p->persisted);
        fputs(",\"p99_ms\":", f);
        if (p->acked > 0)
            json_num(f, p->publish_pct_ms[7]);
        else
            fputs("null", f);
        fputs(",\"e2e_p99_ms\":", f);
        if (p->e2e_p99_ms >= 0)
            json_num(f, p->e2e_p99_ms);
        else
            fputs("null", f);
        fputc('}', f);
    }
    fputs("]}\n", f);
    return ferror(f) ? -1 : 0;
}

/* --- Locust's CSV files -------------------------------------------------------------- */

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
