/* results.c — the results document of `outbreak compare` (see results.h). */
#include "results.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "url.h"

void ob_json_append_string(char *buf, size_t cap, const char *s)
{
    size_t used = strlen(buf);
    if (used + 3 > cap)
        return;
    if (ob_json_write_string(buf + used, cap - used, s) < 0) {
        /* too long: a shortened copy (escaping at most doubles the length... or sixfold
         * for control characters; halve until it fits) */
        size_t n = strlen(s);
        char *cut = malloc(n + 1);
        if (!cut) {
            buf[used] = '\0';
            return;
        }
        memcpy(cut, s, n + 1);
        while (n > 0) {
            n /= 2;
            while (n > 0 && ((unsigned char)cut[n] & 0xC0) == 0x80) /* not mid-character */
                n--;
            cut[n] = '\0';
            if (ob_json_write_string(buf + used, cap - used, cut) >= 0)
                break;
        }
        if (n == 0)
            snprintf(buf + used, cap - used, "\"\"");
        free(cut);
    }
}

/* ,"key":value with null for unknown (negative or not finite) */
static void put_num(FILE *f, const char *key, double v)
{
    if (isfinite(v) && v >= 0)
        fprintf(f, ",\"%s\":%.6g", key, v);
    else
        fprintf(f, ",\"%s\":null", key);
}

static void put_str(FILE *f, const char *key, const char *v)
{
    if (!v || !v[0]) {
        fprintf(f, ",\"%s\":null", key);
        return;
    }
    char buf[512] = "";
    ob_json_append_string(buf, sizeof buf, v);
    fprintf(f, ",\"%s\":%s", key, buf);
}

char *ob_cost_json(const ob_cost *c, double records, double records_per_s)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    bool all = c->broker_cpu_s >= 0 && c->sink_cpu_s >= 0 && c->loadgen_cpu_s >= 0;
    double total = all ? c->broker_cpu_s + c->sink_cpu_s + c->loadgen_cpu_s : -1;
    bool all_rss = c->broker_peak_rss_mb >= 0 && c->sink_peak_rss_mb >= 0 && c->loadgen_peak_rss_mb >= 0;
    double rss = all_rss ? c->broker_peak_rss_mb + c->sink_peak_rss_mb + c->loadgen_peak_rss_mb : -1;
    fprintf(f, "{\"sampled_every_ms\":%d", c->sampled_every_ms);
    put_num(f, "broker_cpu_s", c->broker_cpu_s);
    put_num(f, "broker_peak_rss_mb", c->broker_peak_rss_mb);
    put_str(f, "broker_process", c->broker_process);
    put_num(f, "sink_cpu_s", c->sink_cpu_s);
    put_num(f, "sink_peak_rss_mb", c->sink_peak_rss_mb);
    put_num(f, "loadgen_cpu_s", c->loadgen_cpu_s);
    put_num(f, "loadgen_peak_rss_mb", c->loadgen_peak_rss_mb);
    put_num(f, "db_cpu_s", c->db_cpu_s);
    put_num(f, "db_peak_rss_mb", c->db_peak_rss_mb);
    put_str(f, "db_process", c->db_process);
    put_num(f, "total_cpu_s", total);
    put_num(f, "records_per_cpu_s", total > 0 && records >= 0 ? records / total : -1);
    put_num(f, "records_per_loadgen_cpu_s",
            c->loadgen_cpu_s > 0 && records >= 0 ? records / c->loadgen_cpu_s : -1);
    put_num(f, "cpu_ms_per_1000_records", total >= 0 && records > 0 ? total * 1e6 / records : -1);
    put_num(f, "rss_mb_per_1000_records_per_s",
            rss >= 0 && records_per_s > 0 ? rss / (records_per_s / 1000.0) : -1);
    fputc('}', f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

void ob_workload_json(FILE *f, const ob_run_opts *w)
{
    if (w->rate_max)
        fputs("{\"model\":\"open\",\"rate\":\"max\",\"users\":null,\"spawn_rate\":null", f);
    else if (w->rate > 0)
        fprintf(f, "{\"model\":\"open\",\"rate\":%.6g,\"users\":null,\"spawn_rate\":null", w->rate);
    else
        fprintf(f, "{\"model\":\"closed\",\"rate\":null,\"users\":%ld,\"spawn_rate\":%.6g,\"wait_min_s\":%.6g,"
                   "\"wait_max_s\":%.6g",
                w->users, w->spawn_rate, w->wait_min, w->wait_max);
    if (w->run_time_ns > 0)
        fprintf(f, ",\"run_time_s\":%.6g", (double)w->run_time_ns / 1e9);
    else
        fputs(",\"run_time_s\":null", f);
    char buf[2048] = "";
    if (w->records)
        ob_json_append_string(buf, sizeof buf, w->records);
    else
        snprintf(buf, sizeof buf, "\"generator(seed=%" PRIu64 ",pool=%ld)\"", w->seed, w->pool);
    fprintf(f, ",\"records\":%s,\"seed\":%" PRIu64 ",\"once\":%s,\"threads\":%ld,\"stop_timeout_s\":%.6g}", buf,
            w->seed, w->once ? "true" : "false", w->threads, (double)w->stop_timeout_ns / 1e9);
}

void ob_command_line(char *buf, size_t cap, int argc, char **argv)
{
    snprintf(buf, cap, "outbreak");
    for (int i = 0; i < argc; i++) {
        char shown[1024];
        const char *scheme = strstr(argv[i], "://"), *eq = strchr(argv[i], '=');
        size_t used = strlen(buf);
        if (scheme && eq && eq < scheme) /* NAME=URL */
            snprintf(buf + used, cap - used, " %.*s=%s", (int)(eq - argv[i]), argv[i],
                     ob_url_redacted(eq + 1, shown, sizeof shown));
        else if (scheme)
            snprintf(buf + used, cap - used, " %s", ob_url_redacted(argv[i], shown, sizeof shown));
        else
            snprintf(buf + used, cap - used, " %s", argv[i]);
    }
}

char *ob_params_json(const char *const *middlewares, int n, int argc, char **argv, const ob_run_opts *w,
                     const char *mongo, bool external_sinks)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    char buf[4200] = "";
    fputs("{\"middlewares\":[", f);
    for (int i = 0; i < n; i++) {
        buf[0] = '\0';
        ob_json_append_string(buf, sizeof buf, middlewares[i]);
        fprintf(f, "%s%s", i ? "," : "", buf);
    }
    char cmd[4096];
    ob_command_line(cmd, sizeof cmd, argc, argv);
    buf[0] = '\0';
    ob_json_append_string(buf, sizeof buf, cmd);
    fprintf(f, "],\"argv\":%s,\"workload\":", buf);
    ob_workload_json(f, w);
    char shown[1024];
    buf[0] = '\0';
    if (mongo)
        ob_json_append_string(buf, sizeof buf, ob_url_redacted(mongo, shown, sizeof shown));
    fprintf(f, ",\"mongo\":%s,\"external_sinks\":%s}", mongo ? buf : "null", external_sinks ? "true" : "false");
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static void put_time(FILE *f, const char *key, long long real_ns)
{
    time_t t = (time_t)(real_ns / 1000000000LL);
    struct tm tm;
    char buf[32];
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(f, ",\"%s\":\"%s\"", key, buf);
}

void ob_host_json(char *buf, size_t cap)
{
    char host[256] = "?";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    struct utsname u;
    char kernel[300] = "?";
    if (uname(&u) == 0)
        snprintf(kernel, sizeof kernel, "%s %s %s", u.sysname, u.release, u.machine);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    snprintf(buf, cap, "{\"hostname\":");
    ob_json_append_string(buf, cap, host);
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, ",\"cpus\":%ld,\"kernel\":", sysconf(_SC_NPROCESSORS_ONLN));
    ob_json_append_string(buf, cap, kernel);
    n = strlen(buf);
    snprintf(buf + n, cap - n, ",\"mem_mb\":%lld}",
             pages > 0 && page > 0 ? (long long)pages * page / (1024 * 1024) : -1LL);
}

int ob_results_write(FILE *f, const ob_results *r)
{
    char host[1024];
    ob_host_json(host, sizeof host);
    fprintf(f, "{\"outbreak\":\"%s\",\"version\":1,\"id\":", r->kind);
    char id[200] = "";
    ob_json_append_string(id, sizeof id, r->id);
    fputs(id, f);
    put_time(f, "started", r->started_real_ns);
    put_time(f, "finished", r->finished_real_ns);
    fprintf(f, ",\"host\":%s,\n\"params\":%s,\n\"results\":[", host, r->params_json);
    for (int i = 0; i < r->nsummaries; i++)
        fprintf(f, "%s\n%s", i ? "," : "", r->summaries[i]);
    fputs("],\n\"missing\":[", f);
    for (int i = 0; i < r->nmissing; i++) {
        fprintf(f, "%s{\"middleware\":", i ? "," : "");
        char buf[1200] = "";
        ob_json_append_string(buf, sizeof buf, r->missing[i].middleware);
        fputs(buf, f);
        buf[0] = '\0';
        ob_json_append_string(buf, sizeof buf, r->missing[i].reason);
        fprintf(f, ",\"reason\":%s}", buf);
    }
    fputs("]}\n", f);
    return ferror(f) ? -1 : 0;
}
