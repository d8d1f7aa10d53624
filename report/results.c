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

/* "key":value, null for unknown (negative or not finite) */
static void put_num(ob_jw *w, const char *key, double v)
{
    ob_jw_key(w, key);
    if (isfinite(v) && v >= 0)
        ob_jw_numg(w, v, 6);
    else
        ob_jw_null(w);
}

/* "key":"value", null for unknown ("" or NULL) */
static void put_str(ob_jw *w, const char *key, const char *v)
{
    ob_jw_key(w, key);
    ob_jw_str(w, v && v[0] ? v : NULL);
}

/* Closes the memstream of a document written with w: its text (*text, set by the
 * close), or NULL (freed) when a write failed. */
static char *finish(FILE *f, ob_jw *w, char **text)
{
    int bad = ob_jw_status(w);
    bad |= fclose(f); /* sets *text */
    if (bad) {
        free(*text);
        return NULL;
    }
    return *text;
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
    ob_jw w;
    ob_jw_init(&w, f);
    ob_jw_object(&w);
    ob_jw_key(&w, "sampled_every_ms");
    ob_jw_int(&w, c->sampled_every_ms);
    ob_jw_key(&w, "covers"); /* the part of the run the figures are of */
    ob_jw_str(&w, c->after_warmup ? "the measured time, after the warm-up" : "the whole run");
    put_num(&w, "broker_cpu_s", c->broker_cpu_s);
    put_num(&w, "broker_peak_rss_mb", c->broker_peak_rss_mb);
    put_str(&w, "broker_process", c->broker_process);
    put_num(&w, "sink_cpu_s", c->sink_cpu_s);
    put_num(&w, "sink_peak_rss_mb", c->sink_peak_rss_mb);
    put_num(&w, "loadgen_cpu_s", c->loadgen_cpu_s);
    put_num(&w, "loadgen_peak_rss_mb", c->loadgen_peak_rss_mb);
    put_num(&w, "db_cpu_s", c->db_cpu_s);
    put_num(&w, "db_peak_rss_mb", c->db_peak_rss_mb);
    put_str(&w, "db_process", c->db_process);
    put_num(&w, "total_cpu_s", total);
    put_num(&w, "records_per_cpu_s", total > 0 && records >= 0 ? records / total : -1);
    put_num(&w, "records_per_loadgen_cpu_s", c->loadgen_cpu_s > 0 && records >= 0 ? records / c->loadgen_cpu_s : -1);
    put_num(&w, "cpu_ms_per_1000_records", total >= 0 && records > 0 ? total * 1e6 / records : -1);
    put_num(&w, "rss_mb_per_1000_records_per_s", rss >= 0 && records_per_s > 0 ? rss / (records_per_s / 1000.0) : -1);
    ob_jw_end(&w);
    return finish(f, &w, &text);
}

void ob_workload_json(ob_jw *w, const ob_run_opts *o)
{
    ob_jw_object(w);
    ob_jw_key(w, "model");
    ob_jw_str(w, o->rate > 0 ? "open" : "closed");
    ob_jw_key(w, "rate");
    if (o->rate_max)
        ob_jw_str(w, "max");
    else if (o->rate > 0)
        ob_jw_numg(w, o->rate, 6);
    else
        ob_jw_null(w);
    /* the open model's --tick as given: a step in ms (0: each record at its own time),
     * or "auto" (each middleware's result says what it came to: load.tick_ms) */
    if (o->rate > 0 && !o->rate_max) {
        ob_jw_key(w, "tick");
        if (o->tick_ns > 0 || o->tick_off)
            ob_jw_numg(w, (double)o->tick_ns / 1e6, 6);
        else
            ob_jw_str(w, "auto");
    }
    ob_jw_key(w, "users");
    if (o->rate > 0) {
        ob_jw_null(w);
        ob_jw_key(w, "spawn_rate");
        ob_jw_null(w);
    } else {
        ob_jw_int(w, o->users);
        ob_jw_key(w, "spawn_rate");
        ob_jw_numg(w, o->spawn_rate, 6);
        ob_jw_key(w, "wait_min_s");
        ob_jw_numg(w, o->wait_min, 6);
        ob_jw_key(w, "wait_max_s");
        ob_jw_numg(w, o->wait_max, 6);
    }
    if (o->stages.n > 0)
        ob_stages_json(w, &o->stages);
    if (o->iterations > 0) {
        ob_jw_key(w, "iterations");
        ob_jw_int(w, o->iterations);
    }
    if (o->record_size > 0) {
        ob_jw_key(w, "record_size");
        ob_jw_int(w, o->record_size);
    }
    ob_jw_key(w, "run_time_s");
    if (o->run_time_ns > 0)
        ob_jw_numg(w, (double)o->run_time_ns / 1e9, 6);
    else
        ob_jw_null(w);
    ob_jw_key(w, "warmup_s");
    ob_jw_numg(w, (double)o->warmup_ns / 1e9, 6);
    ob_jw_key(w, "records");
    if (o->records) {
        ob_jw_str(w, o->records);
    } else {
        char gen[80];
        snprintf(gen, sizeof gen, "generator(seed=%" PRIu64 ",pool=%ld)", o->seed, o->pool);
        ob_jw_str(w, gen);
    }
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, o->seed);
    ob_jw_key(w, "seed");
    ob_jw_raw(w, seed, strlen(seed));
    ob_jw_key(w, "once");
    ob_jw_bool(w, o->once);
    ob_jw_key(w, "threads");
    ob_jw_int(w, o->threads);
    ob_jw_key(w, "stop_timeout_s");
    ob_jw_numg(w, (double)o->stop_timeout_ns / 1e9, 6);
    ob_jw_end(w);
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

char *ob_params_json(const char *const *middlewares, int n, int argc, char **argv, const ob_run_opts *o,
                     const char *mongo, bool external_sinks)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    ob_jw w;
    ob_jw_init(&w, f);
    ob_jw_object(&w);
    ob_jw_key(&w, "middlewares");
    ob_jw_array(&w);
    for (int i = 0; i < n; i++)
        ob_jw_str(&w, middlewares[i]);
    ob_jw_end(&w);
    char cmd[4096];
    ob_command_line(cmd, sizeof cmd, argc, argv);
    ob_jw_key(&w, "argv");
    ob_jw_str(&w, cmd);
    ob_jw_key(&w, "workload");
    ob_workload_json(&w, o);
    char shown[1024];
    ob_jw_key(&w, "mongo");
    ob_jw_str(&w, mongo ? ob_url_redacted(mongo, shown, sizeof shown) : NULL);
    ob_jw_key(&w, "external_sinks");
    ob_jw_bool(&w, external_sinks);
    ob_jw_end(&w);
    return finish(f, &w, &text);
}

static void put_time(ob_jw *w, const char *key, long long real_ns)
{
    time_t t = (time_t)(real_ns / 1000000000LL);
    struct tm tm;
    char buf[32];
    gmtime_r(&t, &tm);
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    ob_jw_key(w, key);
    ob_jw_str(w, buf);
}

void ob_host_json(ob_jw *w)
{
    char host[256] = "?";
    gethostname(host, sizeof host);
    host[sizeof host - 1] = '\0';
    struct utsname u;
    char kernel[300] = "?";
    if (uname(&u) == 0)
        snprintf(kernel, sizeof kernel, "%s %s %s", u.sysname, u.release, u.machine);
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    ob_jw_object(w);
    ob_jw_key(w, "hostname");
    ob_jw_str(w, host);
    ob_jw_key(w, "cpus");
    ob_jw_int(w, sysconf(_SC_NPROCESSORS_ONLN));
    ob_jw_key(w, "kernel");
    ob_jw_str(w, kernel);
    ob_jw_key(w, "mem_mb");
    ob_jw_int(w, pages > 0 && page > 0 ? (long long)pages * page / (1024 * 1024) : -1LL);
    ob_jw_end(w);
}

int ob_results_write(FILE *f, const ob_results *r)
{
    ob_jw w;
    ob_jw_init(&w, f);
    ob_jw_object(&w);
    ob_jw_key(&w, "outbreak");
    ob_jw_str(&w, r->kind);
    ob_jw_key(&w, "version");
    ob_jw_int(&w, 1);
    ob_jw_key(&w, "id");
    ob_jw_str(&w, r->id);
    put_time(&w, "started", r->started_real_ns);
    put_time(&w, "finished", r->finished_real_ns);
    ob_jw_key(&w, "host");
    ob_host_json(&w);
    ob_jw_key(&w, "params");
    ob_jw_raw(&w, r->params_json, strlen(r->params_json));
    ob_jw_key(&w, "results");
    ob_jw_array(&w);
    for (int i = 0; i < r->nsummaries; i++) {
        fputc('\n', f);
        ob_jw_raw(&w, r->summaries[i], strlen(r->summaries[i]));
    }
    ob_jw_end(&w);
    ob_jw_key(&w, "missing");
    ob_jw_array(&w);
    for (int i = 0; i < r->nmissing; i++) {
        ob_jw_object(&w);
        ob_jw_key(&w, "middleware");
        ob_jw_str(&w, r->missing[i].middleware);
        ob_jw_key(&w, "reason");
        ob_jw_str(&w, r->missing[i].reason);
        ob_jw_end(&w);
    }
    ob_jw_end(&w);
    ob_jw_end(&w);
    fputc('\n', f);
    return ob_jw_status(&w) != 0 || ferror(f) ? -1 : 0;
}
