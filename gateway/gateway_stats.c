/* gateway_stats.c — the gateway's counts, table, summary and JSON (see gateway_stats.h). */
#include "gateway_stats.h"

#include "prom.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "url.h"

static const int code_of[OB_GW_NCODES] = {200, 400, 401, 404, 405, 413, 500, 502, 503, 504, 0};

static const double pcts[] = {50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100};
static const char *const pct_names[] = {"p50", "p66", "p75", "p80", "p90", "p95", "p98", "p99", "p99.9",
                                        "p99.99", "max"};
#define NPCTS (sizeof pcts / sizeof pcts[0])

int ob_gw_stats_init(ob_gw_stats *s)
{
    memset(s, 0, sizeof *s);
    s->ack = ob_hist_new();
    return s->ack ? 0 : -1;
}

void ob_gw_stats_free(ob_gw_stats *s)
{
    ob_hist_free(s->ack);
    s->ack = NULL;
}

void ob_gw_stats_count(ob_gw_stats *s, int status)
{
    int i = 0;
    while (i < OB_GW_NCODES - 1 && code_of[i] != status)
        i++;
    atomic_fetch_add_explicit(&s->codes[i], 1, memory_order_relaxed);
}

void ob_gw_stats_health(ob_gw_stats *s)
{
    atomic_fetch_add_explicit(&s->health, 1, memory_order_relaxed);
}

void ob_gw_stats_broker_down(ob_gw_stats *s)
{
    atomic_fetch_add_explicit(&s->broker_down, 1, memory_order_relaxed);
}

void ob_gw_stats_broker_attempt(ob_gw_stats *s, bool ok, int64_t now)
{
    atomic_fetch_add_explicit(&s->broker_attempts, 1, memory_order_relaxed);
    if (ok)
        atomic_store_explicit(&s->broker_up_mono, now, memory_order_relaxed);
}

void ob_gw_stats_ack_latency(ob_gw_stats *s, int64_t ns)
{
    ob_hist_record(s->ack, ns);
}

static void totals(ob_gw_stats *s, long long *total, long long *fails)
{
    *total = *fails = 0;
    for (int i = 0; i < OB_GW_NCODES; i++) {
        long long n = atomic_load_explicit(&s->codes[i], memory_order_relaxed);
        *total += n;
        if (code_of[i] != 200)
            *fails += n;
    }
}

static double ms(int64_t ns)
{
    return (double)ns / 1e6;
}

static void codes_line(FILE *f, ob_gw_stats *s, const ob_gw_view *v)
{
    fprintf(f, "         by code:");
    bool any = false;
    for (int i = 0; i < OB_GW_NCODES; i++) {
        long long n = atomic_load_explicit(&s->codes[i], memory_order_relaxed);
        if (n == 0)
            continue;
        if (code_of[i])
            fprintf(f, "%s %d %lld", any ? "," : "", code_of[i], n);
        else
            fprintf(f, "%s other %lld", any ? "," : "", n);
        any = true;
    }
    fprintf(f, "%s; in flight %lld; /healthz %lld", any ? "" : " none", v->pub ? ob_publisher_inflight(v->pub) : 0,
            (long long)atomic_load_explicit(&s->health, memory_order_relaxed));
    long long down = atomic_load_explicit(&s->broker_down, memory_order_relaxed);
    if (!v->pub)
        fprintf(f, "; broker not connected (%lld attempts, 503 to %lld requests)",
                (long long)atomic_load_explicit(&s->broker_attempts, memory_order_relaxed), down);
    else if (down)
        fprintf(f, "; 503 to %lld requests before the broker was connected", down);
    fputc('\n', f);
}

/* Header and one row: Locust's columns, latencies of the 200s in ms. */
static void row(FILE *f, ob_gw_stats *s, const ob_gw_view *v, long long total, long long fails, double reqs_s,
                double fails_s)
{
    ob_hist *h = ob_hist_new();
    if (h)
        ob_hist_copy(h, s->ack);
    fprintf(f, "%-8s %-22s %9s %16s | %8s %8s %8s %8s | %9s %11s\n", "Type", "Name", "# reqs", "# fails", "Avg",
            "Min", "Max", "Med", "req/s", "failures/s");
    char name[64], failtxt[40];
    snprintf(name, sizeof name, "%s %s", v->way, v->listen);
    snprintf(failtxt, sizeof failtxt, "%lld(%.2f%%)", fails, total ? 100.0 * (double)fails / (double)total : 0.0);
    fprintf(f, "%-8s %-22.22s %9lld %16s | %8.2f %8.2f %8.2f %8.2f | %9.2f %11.2f\n", "POST", name, total, failtxt,
            h ? ob_hist_mean(h) / 1e6 : 0.0, h ? ms(ob_hist_min(h)) : 0.0, h ? ms(ob_hist_max(h)) : 0.0,
            h ? ms(ob_hist_percentile(h, 50)) : 0.0, reqs_s, fails_s);
    ob_hist_free(h);
    codes_line(f, s, v);
}

void ob_gw_stats_table(FILE *f, ob_gw_stats *s, const ob_gw_view *v)
{
    long long total, fails;
    totals(s, &total, &fails);
    int64_t now = ob_mono_ns();
    int64_t since = s->last_mono ? s->last_mono : v->t0_mono;
    double dt = (double)(now - since) / 1e9;
    double reqs_s = dt > 0 ? (double)(total - s->last_total) / dt : 0;
    double fails_s = dt > 0 ? (double)(fails - s->last_fails) / dt : 0;
    s->last_mono = now;
    s->last_total = total;
    s->last_fails = fails;
    fprintf(f, "\n");
    row(f, s, v, total, fails, reqs_s, fails_s);
}

void ob_gw_stats_summary(FILE *f, ob_gw_stats *s, const ob_gw_view *v)
{
    long long total, fails;
    totals(s, &total, &fails);
    int64_t end = v->t1_mono ? v->t1_mono : ob_mono_ns();
    double dt = (double)(end - v->t0_mono) / 1e9;
    fprintf(f, "\n==== gateway summary: run %s, %s, %.1f s ====\n", v->run, v->way, dt);
    row(f, s, v, total, fails, dt > 0 ? (double)total / dt : 0, dt > 0 ? (double)fails / dt : 0);
    fprintf(f, "\nAck latency of the 200s (ms), arrival to the broker's acknowledgement:\n");
    for (size_t i = 0; i < NPCTS; i++)
        fprintf(f, " %7s", pct_names[i]);
    fprintf(f, " %9s\n", "# reqs");
    for (size_t i = 0; i < NPCTS; i++) /* none answered 200: no latency, not 0 */
        if (ob_hist_count(s->ack) > 0)
            fprintf(f, " %7.2f", ms(ob_hist_percentile(s->ack, pcts[i])));
        else
            fprintf(f, " %7s", "-");
    fprintf(f, " %9lld\n", (long long)ob_hist_count(s->ack));
    int64_t up = atomic_load(&s->broker_up_mono);
    long long attempts = atomic_load(&s->broker_attempts), down = atomic_load(&s->broker_down);
    if (!up)
        fprintf(f, "broker: never connected (%lld attempts); %lld requests answered 503\n", attempts, down);
    else if (attempts > 1)
        fprintf(f, "broker: connected %.1f s after the start (attempt %lld); %lld requests answered 503 before\n",
                (double)(up - v->t0_mono) / 1e9, attempts, down);
    if (!v->pub) {
        fprintf(f, "records: sent 0, acked 0, failed 0\n");
        return;
    }
    ob_pub_stats *ps = ob_publisher_stats(v->pub);
    fprintf(f, "records: sent %lld, acked %lld, failed %lld\n", (long long)atomic_load(&ps->sent),
            (long long)atomic_load(&ps->acked), (long long)atomic_load(&ps->failed));
    for (int i = 0; i < ps->nfailure_kinds; i++)
        fprintf(f, "  failure x%lld: %s\n", (long long)ps->failures[i].count, ps->failures[i].msg);
}

static void json_latency(ob_jw *w, const char *key, const ob_hist *h)
{
    ob_jw_key(w, key);
    if (ob_hist_count(h) == 0) {
        ob_jw_null(w);
        return;
    }
    ob_jw_object(w);
    for (size_t i = 0; i < NPCTS; i++) {
        ob_jw_key(w, pct_names[i]);
        ob_jw_num(w, ms(ob_hist_percentile(h, pcts[i])), 3);
    }
    ob_jw_key(w, "mean");
    ob_jw_num(w, ob_hist_mean(h) / 1e6, 3);
    ob_jw_key(w, "count");
    ob_jw_int(w, ob_hist_count(h));
    ob_jw_end(w);
}

static int write_json(FILE *f, ob_gw_stats *s, const ob_gw_view *v)
{
    long long total, fails;
    totals(s, &total, &fails);
    int64_t end = v->t1_mono ? v->t1_mono : ob_mono_ns();
    double dt = (double)(end - v->t0_mono) / 1e9;
    ob_pub_stats *ps = v->pub ? ob_publisher_stats(v->pub) : NULL;
    ob_durability d = {0};
    if (v->pub)
        ob_publisher_durability(v->pub, &d);
    long long sent = ps ? atomic_load(&ps->sent) : 0, acked = ps ? atomic_load(&ps->acked) : 0,
              failed = ps ? atomic_load(&ps->failed) : 0;
    ob_jw w;
    ob_jw_init(&w, f);
    ob_jw_object(&w);
    ob_jw_key(&w, "run");
    ob_jw_str(&w, v->run);
    ob_jw_key(&w, "role");
    ob_jw_str(&w, "gateway");
    ob_jw_key(&w, "id");
    ob_jw_str(&w, v->id);
    ob_jw_key(&w, "middleware");
    ob_jw_str(&w, v->way);
    ob_jw_key(&w, "url");
    char shown[1024];
    ob_jw_str(&w, ob_url_redacted(v->broker, shown, sizeof shown));
    ob_jw_key(&w, "listen");
    ob_jw_str(&w, v->listen);
    ob_jw_key(&w, "producer");
    ob_jw_int(&w, v->producer);
    ob_jw_key(&w, "durability"); /* null: the broker was never connected */
    if (v->pub)
        ob_durability_write(&w, &d);
    else
        ob_jw_null(&w);
    ob_jw_key(&w, "duration_s");
    ob_jw_num(&w, dt, 3);
    ob_jw_key(&w, "requests");
    ob_jw_int(&w, total);
    ob_jw_key(&w, "failures");
    ob_jw_int(&w, fails);
    ob_jw_key(&w, "codes");
    ob_jw_object(&w);
    for (int i = 0; i < OB_GW_NCODES; i++) {
        long long n = atomic_load(&s->codes[i]);
        if (n == 0)
            continue;
        char code[16];
        snprintf(code, sizeof code, "%d", code_of[i]);
        ob_jw_key(&w, code_of[i] ? code : "other");
        ob_jw_int(&w, n);
    }
    ob_jw_end(&w);
    ob_jw_key(&w, "healthz");
    ob_jw_int(&w, atomic_load(&s->health));
    int64_t up = atomic_load(&s->broker_up_mono);
    ob_jw_key(&w, "broker_connected");
    ob_jw_bool(&w, up != 0);
    ob_jw_key(&w, "broker_connect_s"); /* after the start; null: never */
    if (up)
        ob_jw_num(&w, (double)(up - v->t0_mono) / 1e9, 3);
    else
        ob_jw_null(&w);
    ob_jw_key(&w, "broker_attempts");
    ob_jw_int(&w, atomic_load(&s->broker_attempts));
    ob_jw_key(&w, "broker_down_503");
    ob_jw_int(&w, atomic_load(&s->broker_down));
    ob_jw_key(&w, "sent");
    ob_jw_int(&w, sent);
    ob_jw_key(&w, "acked");
    ob_jw_int(&w, acked);
    ob_jw_key(&w, "failed");
    ob_jw_int(&w, failed);
    ob_jw_key(&w, "persisted"); /* the sinks know; the gateway does not wait for them */
    ob_jw_null(&w);
    ob_jw_key(&w, "duplicates");
    ob_jw_null(&w);
    ob_jw_key(&w, "lost");
    ob_jw_null(&w);
    ob_jw_key(&w, "throughput");
    ob_jw_object(&w);
    ob_jw_key(&w, "requests_per_s");
    ob_jw_num(&w, dt > 0 ? (double)total / dt : 0, 3);
    ob_jw_key(&w, "acked_per_s");
    ob_jw_num(&w, dt > 0 ? (double)acked / dt : 0, 3);
    ob_jw_end(&w);
    json_latency(&w, "ack_latency_ms", s->ack);
    if (ps) {
        json_latency(&w, "publish_latency_ms", ps->publish);
    } else {
        ob_jw_key(&w, "publish_latency_ms");
        ob_jw_null(&w);
    }
    ob_jw_key(&w, "failure_kinds");
    ob_jw_array(&w);
    for (int i = 0; ps && i < ps->nfailure_kinds; i++) {
        ob_jw_object(&w);
        ob_jw_key(&w, "error");
        ob_jw_str(&w, ps->failures[i].msg);
        ob_jw_key(&w, "count");
        ob_jw_int(&w, ps->failures[i].count);
        ob_jw_end(&w);
    }
    ob_jw_end(&w);
    ob_jw_end(&w);
    ob_durability_free(&d);
    fputc('\n', f);
    return ob_jw_status(&w);
}

int ob_gw_stats_json_file(const char *path, ob_gw_stats *s, const ob_gw_view *v, ob_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return ob_err_set(err, "--json %s: %s", path, strerror(errno));
    int rc = write_json(f, s, v);
    if (fclose(f) != 0 || rc != 0)
        return ob_err_set(err, "--json %s: write failed", path);
    return 0;
}

char *ob_gw_stats_json(ob_gw_stats *s, const ob_gw_view *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    int rc = write_json(f, s, v);
    if (fclose(f) != 0 || rc != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

void ob_gw_stats_metrics(FILE *f, ob_gw_stats *s, const ob_gw_view *v)
{
    char labels[512];
    ob_prom_labels(labels, sizeof labels,
                   (const char *[]){"role", "gateway", "middleware", v->way, "run", v->run, "instance", v->id, NULL});
    ob_prom_family(f, "outbreak_http_responses_total", "counter",
                   "HTTP answers by status code (health checks apart; \"other\": any code not listed).");
    for (int i = 0; i < OB_GW_NCODES; i++) {
        char code[16], with[640];
        if (code_of[i])
            snprintf(code, sizeof code, "%d", code_of[i]);
        else
            snprintf(code, sizeof code, "other");
        if (ob_prom_labels_add(with, sizeof with, labels, "code", code) > 0)
            ob_prom_int(f, "outbreak_http_responses_total", with,
                        atomic_load_explicit(&s->codes[i], memory_order_relaxed));
    }
    ob_prom_family(f, "outbreak_http_health_checks_total", "counter", "GET /healthz answered.");
    ob_prom_int(f, "outbreak_http_health_checks_total", labels, atomic_load_explicit(&s->health, memory_order_relaxed));
    ob_pub_stats *ps = v->pub ? ob_publisher_stats(v->pub) : NULL;
    ob_prom_family(f, "outbreak_records_sent_total", "counter", "Records handed to the middleware (publish attempts).");
    ob_prom_int(f, "outbreak_records_sent_total", labels, ps ? atomic_load(&ps->sent) : 0);
    ob_prom_family(f, "outbreak_records_acked_total", "counter",
                   "Records the middleware acknowledged (see the summary's acked_means).");
    ob_prom_int(f, "outbreak_records_acked_total", labels, ps ? atomic_load(&ps->acked) : 0);
    ob_prom_family(f, "outbreak_records_failed_total", "counter", "Records whose publish failed.");
    ob_prom_int(f, "outbreak_records_failed_total", labels, ps ? atomic_load(&ps->failed) : 0);
    ob_prom_family(f, "outbreak_records_in_flight", "gauge", "Records sent and not yet acknowledged or failed.");
    ob_prom_int(f, "outbreak_records_in_flight", labels, v->pub ? ob_publisher_inflight(v->pub) : 0);
    ob_prom_family(f, "outbreak_broker_connected", "gauge", "1 while the middleware is connected.");
    ob_prom_int(f, "outbreak_broker_connected", labels, v->pub ? 1 : 0);
    ob_hist *ack = ob_hist_new();
    if (ack) {
        ob_hist_copy(ack, s->ack);
        ob_prom_family(f, "outbreak_http_ack_latency_seconds", "histogram",
                       "The 200s: request arrival to the answer after the middleware's acknowledgement.");
        ob_prom_histogram(f, "outbreak_http_ack_latency_seconds", labels, ack);
        ob_hist_free(ack);
    }
    ob_prom_process(f, labels);
}
