/* control.c — the web UI's test runner (control.h): one thread runs the test's
 * middlewares one after another through the load generator's engine; the HTTP thread
 * reads what the run thread copied out under the lock. */
#include "control.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "clock.h"
#include "histogram.h"
#include "html_report.h"
#include "report.h"
#include "results.h"
#include "run.h"
#include "run_metrics.h"
#include "store.h"
#include "threshold.h"
#include "units.h"
#include "url.h"

#define MAX_ITEMS OB_CONTROL_MAX_BROKERS
#define MAX_LOG_LINES 2000
#define MAX_FAILURES 32

typedef enum test_status { TEST_READY, TEST_RUNNING, TEST_STOPPING, TEST_STOPPED } test_status;
static const char *const test_status_names[] = {"ready", "running", "stopping", "stopped"};

typedef enum item_status { ITEM_WAITING, ITEM_RUNNING, ITEM_DONE, ITEM_FAILED, ITEM_SKIPPED } item_status;
static const char *const item_status_names[] = {"waiting", "running", "done", "failed", "skipped"};

/* A statistics row: what the table shows of one middleware. Latencies in ms, < 0: null;
 * counts -1: null. */
typedef struct stats_row {
    int64_t sent, acked, failed, bytes, users;
    int64_t persisted, duplicates, lost, unconfirmed;
    double median, p90, p95, p99, mean, min, max;
    double e2e_p50, e2e_p95, e2e_p99;
    double current_rps, current_failures_s;
} stats_row;

/* One middleware of the test. */
typedef struct item {
    char name[40];       /* the way, made unique within the test ("nats", "nats-2") */
    char url[1024];      /* as given (the run's --broker) */
    char shown[256];     /* password masked */
    char run_id[OB_RUN_CAP];
    char acked_means[160];
    item_status status;
    char error[512];
    ob_run_opts opts;
    stats_row row;
    /* what the targets are now (the start form, then the edits) */
    long target_users;
    double target_spawn_rate, target_rate;
    /* run thread only */
    ob_hist *base_publish;   /* the publish histogram at the last reset */
    int64_t base_sent, base_acked, base_failed, base_bytes;
    ob_hist *e2e_prev;       /* the run id's end-to-end histogram at the previous tick */
    ob_hist *scratch;
    double t0_mono_s;        /* for elapsed_s */
    char *summary;           /* the JSON summary, once done */
    int exit_status;         /* outbreak run's for it, once done or failed (run.h) */
} item;

/* One second of one middleware. Latencies < 0: null; persisted -1: null. */
typedef struct point {
    int item;
    double t;
    int64_t users, sent, acked, failed, persisted;
    double p50, p95, p99, e50, e95, e99;
} point;

typedef struct log_line {
    double time;
    char text[300];
} log_line;

typedef struct failure_row {
    int item;
    char msg[256];
    int64_t count;
} failure_row;

struct ob_control {
    pthread_mutex_t mu;
    ob_run_opts defaults;
    char *defaults_mongo, *defaults_records; /* owned copies for defaults */
    char **form_brokers;
    size_t nform_brokers;
    bool course_api, login;
    char dir[256]; /* the downloads' directory */

    /* the test (under mu) */
    test_status status;
    long test;          /* incremented by every start and new test */
    char base_run_id[OB_RUN_CAP];
    item items[MAX_ITEMS];
    int nitems, current;
    bool reset_requested;
    double reset_at_s;  /* < 0: never */
    double started_mono_s;
    double ended_mono_s;  /* when the last test ended; < 0: none has */
    char error[512];
    point *points;
    size_t npoints, points_cap;
    log_line *logs;
    size_t nlogs, logs_base; /* logs[0] is line number logs_base */
    failure_row failures[MAX_FAILURES];
    int nfailures;
    ob_run *run;        /* the running engine, NULL between middlewares */
    bool thread_live;
    pthread_t thread;
    volatile sig_atomic_t interrupted; /* Stop */
    char *metrics;      /* the middleware under test's /metrics text (under mu); NULL: none */
    size_t metrics_len;
    char instance[300]; /* its instance label: HOST-PID */
};

static double mono_s(void)
{
    return (double)ob_mono_ns() / 1e9;
}

/* ---- the log (under mu) ---- */

static void logf_locked(ob_control *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_locked(ob_control *c, const char *fmt, ...)
{
    if (c->nlogs == MAX_LOG_LINES) {
        memmove(c->logs, c->logs + MAX_LOG_LINES / 2, (MAX_LOG_LINES / 2) * sizeof *c->logs);
        c->nlogs -= MAX_LOG_LINES / 2;
        c->logs_base += MAX_LOG_LINES / 2;
    }
    log_line *l = &c->logs[c->nlogs++];
    l->time = (double)ob_real_ns() / 1e9;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->text, sizeof l->text, fmt, ap);
    va_end(ap);
    fprintf(stderr, "outbreak web: %s\n", l->text);
}

/* ---- downloads ---- */

static void clear_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[600];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool download_name_ok(const char *name)
{
    if (!name[0] || name[0] == '.' || strlen(name) > 120)
        return false;
    for (const char *p = name; *p; p++)
        if (!(*p == '.' || *p == '_' || *p == '-' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

int ob_control_download(ob_control *c, const char *name, char *buf, size_t cap)
{
    if (!download_name_ok(name))
        return -1;
    snprintf(buf, cap, "%s/%s", c->dir, name);
    struct stat st;
    return stat(buf, &st) == 0 && S_ISREG(st.st_mode) ? 0 : -1;
}

static void downloads_json(ob_control *c, ob_jw *j)
{
    ob_jw_array(j);
    DIR *d = opendir(c->dir);
    char *names[256];
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && n < 256)
        if (download_name_ok(e->d_name))
            names[n++] = strdup(e->d_name);
    if (d)
        closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        char href[200];
        snprintf(href, sizeof href, "/download/%s", names[i]);
        ob_jw_object(j);
        ob_jw_key(j, "name");
        ob_jw_str(j, names[i]);
        ob_jw_key(j, "href");
        ob_jw_str(j, href);
        ob_jw_end(j);
        free(names[i]);
    }
    ob_jw_end(j);
}

/* ---- the run thread ---- */

static double ms_or_null(int64_t ns, bool have)
{
    return have ? (double)ns / 1e6 : -1;
}

/* Renders the run's /metrics text (run thread) and keeps it for ob_control_metrics. */
static void keep_metrics(ob_control *c, const ob_run_result *r, const ob_series_point *last, bool final)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    ob_run_metrics_write(f, r, last, c->instance, final, false);
    if (fclose(f) != 0) {
        free(text);
        return;
    }
    pthread_mutex_lock(&c->mu);
    char *old = c->metrics;
    c->metrics = text;
    c->metrics_len = len;
    pthread_mutex_unlock(&c->mu);
    free(old);
}

void ob_control_metrics(ob_control *c, FILE *f)
{
    pthread_mutex_lock(&c->mu);
    if (c->metrics)
        fwrite(c->metrics, 1, c->metrics_len, f);
    pthread_mutex_unlock(&c->mu);
}

/* Called by the engine once a second (run thread): copies the figures out. */
static void on_tick(void *arg, const ob_run_result *r, const ob_series_point *last)
{
    ob_control *c = arg;
    keep_metrics(c, r, last, false);
    if (!last) { /* warming up: the users it has spawned, nothing measured yet */
        pthread_mutex_lock(&c->mu);
        c->items[c->current].row.users = r->users;
        pthread_mutex_unlock(&c->mu);
        return;
    }
    pthread_mutex_lock(&c->mu);
    int k = c->current;
    bool reset = c->reset_requested;
    c->reset_requested = false;
    pthread_mutex_unlock(&c->mu);
    item *it = &c->items[k];
    if (reset) {
        ob_hist_copy(it->base_publish, r->publish);
        it->base_sent = r->sent;
        it->base_acked = r->acked;
        it->base_failed = r->failed;
        it->base_bytes = r->bytes_sent;
    }
    stats_row row;
    row.sent = r->sent - it->base_sent;
    row.acked = r->acked - it->base_acked;
    row.failed = r->failed - it->base_failed;
    row.bytes = r->bytes_sent - it->base_bytes;
    row.users = r->users;
    row.persisted = r->persisted;
    row.duplicates = r->duplicates;
    row.lost = -1; /* known at the end only */
    row.unconfirmed = -1;
    ob_hist_diff(it->scratch, r->publish, it->base_publish);
    bool have = ob_hist_count(it->scratch) > 0;
    row.median = ms_or_null(ob_hist_percentile(it->scratch, 50), have);
    row.p90 = ms_or_null(ob_hist_percentile(it->scratch, 90), have);
    row.p95 = ms_or_null(ob_hist_percentile(it->scratch, 95), have);
    row.p99 = ms_or_null(ob_hist_percentile(it->scratch, 99), have);
    row.mean = have ? ob_hist_mean(it->scratch) / 1e6 : -1;
    row.min = ms_or_null(ob_hist_min(it->scratch), have);
    row.max = ms_or_null(ob_hist_max(it->scratch), have);
    bool e2e = r->e2e && ob_hist_count(r->e2e) > 0;
    row.e2e_p50 = e2e ? ms_or_null(ob_hist_percentile(r->e2e, 50), true) : -1;
    row.e2e_p95 = e2e ? ms_or_null(ob_hist_percentile(r->e2e, 95), true) : -1;
    row.e2e_p99 = e2e ? ms_or_null(ob_hist_percentile(r->e2e, 99), true) : -1;
    row.current_rps = (double)last->acked;
    row.current_failures_s = (double)last->failed;

    point p = {.item = k, .t = last->t, .users = last->users, .sent = last->sent, .acked = last->acked,
               .failed = last->failed, .persisted = last->persisted};
    bool ack = last->acked > 0;
    p.p50 = ack ? last->publish_pct_ms[0] : -1;
    p.p95 = ack ? last->publish_pct_ms[5] : -1;
    p.p99 = ack ? last->publish_pct_ms[7] : -1;
    p.e50 = p.e95 = p.e99 = -1;
    if (r->e2e) {
        ob_hist_diff(it->scratch, r->e2e, it->e2e_prev);
        if (ob_hist_count(it->scratch) > 0) {
            p.e50 = (double)ob_hist_percentile(it->scratch, 50) / 1e6;
            p.e95 = (double)ob_hist_percentile(it->scratch, 95) / 1e6;
            p.e99 = (double)ob_hist_percentile(it->scratch, 99) / 1e6;
        }
        ob_hist_copy(it->e2e_prev, r->e2e);
    }

    pthread_mutex_lock(&c->mu);
    it->row = row;
    if (it->opts.stages.n > 0) { /* the load the stages are at (the top bar's target) */
        if (it->opts.rate > 0)
            it->target_rate = r->target_rate;
        else
            it->target_users = r->target_users;
    }
    if (c->npoints == c->points_cap) {
        size_t cap = c->points_cap ? c->points_cap * 2 : 256;
        point *np = realloc(c->points, cap * sizeof *np);
        if (np) {
            c->points = np;
            c->points_cap = cap;
        }
    }
    if (c->npoints < c->points_cap)
        c->points[c->npoints++] = p;
    if (c->status == TEST_RUNNING && r->opts->run_time_ns > 0 &&
        last->t >= (double)r->opts->run_time_ns / 1e9 - 1e-6)
        c->status = TEST_STOPPING; /* sending is over: acks and the sinks are waited for */
    pthread_mutex_unlock(&c->mu);
}

/* The final figures of a finished middleware into its row and the failures (run thread,
 * under mu). */
static void final_row_locked(ob_control *c, item *it, int k, const ob_run_result *r)
{
    stats_row *row = &it->row;
    row->persisted = r->persisted;
    row->duplicates = r->duplicates;
    row->lost = r->lost;
    row->unconfirmed = r->unconfirmed;
    row->sent = r->sent - it->base_sent;
    row->acked = r->acked - it->base_acked;
    row->failed = r->failed - it->base_failed;
    row->users = r->users;
    bool e2e = r->e2e && ob_hist_count(r->e2e) > 0;
    row->e2e_p50 = e2e ? (double)ob_hist_percentile(r->e2e, 50) / 1e6 : -1;
    row->e2e_p95 = e2e ? (double)ob_hist_percentile(r->e2e, 95) / 1e6 : -1;
    row->e2e_p99 = e2e ? (double)ob_hist_percentile(r->e2e, 99) / 1e6 : -1;
    row->current_rps = row->current_failures_s = 0;
    for (int i = 0; i < r->nfailure_kinds && c->nfailures < MAX_FAILURES; i++) {
        failure_row *f = &c->failures[c->nfailures++];
        f->item = k;
        snprintf(f->msg, sizeof f->msg, "%s", r->failures[i].msg);
        f->count = r->failures[i].count;
    }
}

/* The summary as JSON text (malloc'd), NULL when out of memory. */
static char *summary_of(const ob_run_result *r)
{
    char *json = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&json, &len);
    if (!m)
        return NULL;
    int bad = ob_report_json(m, r);
    bad |= fclose(m);
    if (bad) {
        free(json);
        return NULL;
    }
    return json;
}

/* The summary with "middleware" set to the test's unique name for it (two URLs of one
 * way in a comparison, e.g. core NATS and JetStream, must stay apart in the report). */
static char *renamed(char *summary, const char *way, const char *name)
{
    char from[80];
    snprintf(from, sizeof from, "\"middleware\":\"%s\"", way);
    char *at = strstr(summary, from);
    if (!at)
        return summary;
    size_t head = (size_t)(at - summary), tail = strlen(at + strlen(from));
    char *out = malloc(head + strlen(name) + 20 + tail + 1);
    if (!out)
        return summary;
    int n = sprintf(out, "%.*s\"middleware\":\"%s\"", (int)head, summary, name);
    memcpy(out + n, at + strlen(from), tail + 1);
    free(summary);
    return out;
}

static int write_file(const char *path, const char *text, ob_err *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return ob_err_set(err, "cannot write %s: %s", path, strerror(errno));
    bool bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    return bad ? ob_err_set(err, "cannot write %s", path) : 0;
}

/* The HTML report of the test's finished middlewares (run thread). */
static void write_report(ob_control *c)
{
    char *summaries[MAX_ITEMS];
    const char *names[MAX_ITEMS];
    int n = 0;
    for (int i = 0; i < c->nitems; i++) {
        if (c->items[i].summary) {
            summaries[n] = c->items[i].summary;
            names[n++] = c->items[i].name;
        }
    }
    if (n == 0)
        return;
    char *argv[] = {"web"};
    char *params = ob_params_json(names, n, 1, argv, &c->items[0].opts, c->items[0].opts.mongo, true);
    char *doc = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&doc, &len);
    ob_err err = {0};
    if (params && m) {
        ob_results res = {.kind = n > 1 ? "compare" : "run",
                          .id = c->base_run_id,
                          .started_real_ns = (long long)(ob_real_ns() - (int64_t)((mono_s() - c->started_mono_s) * 1e9)),
                          .finished_real_ns = ob_real_ns(),
                          .params_json = params,
                          .summaries = summaries,
                          .nsummaries = n};
        ob_results_write(m, &res);
    }
    if (m)
        fclose(m);
    char path[400];
    snprintf(path, sizeof path, "%s/report.html", c->dir);
    FILE *f = doc ? fopen(path, "w") : NULL;
    int rc = f ? ob_html_report_write(f, doc, len, &err) : -1;
    if (f && fclose(f) != 0)
        rc = -1;
    pthread_mutex_lock(&c->mu);
    if (rc != 0)
        logf_locked(c, "could not write the HTML report: %s", err.msg[0] ? err.msg : "out of memory");
    else
        logf_locked(c, "the %s report is ready: report.html", n > 1 ? "comparison" : "HTML");
    pthread_mutex_unlock(&c->mu);
    free(params);
    free(doc);
}

/* Runs one middleware of the test (run thread). */
static void run_item(ob_control *c, int k)
{
    item *it = &c->items[k];
    ob_err err = {0};
    ob_run *run = NULL;
    if (ob_run_open(&run, &it->opts, &err) != 0) {
        pthread_mutex_lock(&c->mu);
        it->status = ITEM_FAILED;
        it->exit_status = ob_err_exit_code(&err);
        snprintf(it->error, sizeof it->error, "%s", err.msg);
        logf_locked(c, "%s: could not start: %s", it->name, err.msg);
        pthread_mutex_unlock(&c->mu);
        return;
    }
    ob_run_result *r = ob_run_result_of(run);
    pthread_mutex_lock(&c->mu);
    c->run = run;
    snprintf(it->acked_means, sizeof it->acked_means, "%s", r->ack_meaning ? r->ack_meaning : "");
    it->t0_mono_s = mono_s();
    logf_locked(c, "%s: run %s started: %s, %s", it->name, it->run_id, it->shown,
                it->opts.rate > 0 ? "open model" : "closed model");
    if (r->warmup_s > 0)
        logf_locked(c, "%s: warming up for %g s first: its records go under run id %s, in none of the figures",
                    it->name, r->warmup_s, r->warmup_run);
    pthread_mutex_unlock(&c->mu);
    int rc = ob_run_execute(run, on_tick, c, &c->interrupted, &err);
    if (rc == 0)
        keep_metrics(c, r, r->nseries ? &r->series[r->nseries - 1] : NULL, true);
    char *summary = rc == 0 ? summary_of(r) : NULL;
    if (summary && strcmp(it->name, r->way) != 0)
        summary = renamed(summary, r->way, it->name);
    int th_failed = 0, th_n = 0;
    if (summary && it->opts.thresholds.n > 0) {
        /* run's --threshold, on this middleware's summary (into it, and into the log) */
        ob_threshold_result res[OB_MAX_THRESHOLDS];
        ob_err terr;
        th_failed = ob_thresholds_eval(&it->opts.thresholds, summary, strlen(summary), it->name, res, &th_n, &terr);
        char *with = th_failed >= 0 ? ob_thresholds_into_summary(summary, strlen(summary), res, th_n) : NULL;
        if (with) {
            free(summary);
            summary = with;
        }
    }
    if (summary) {
        char prefix[400], path[420];
        snprintf(prefix, sizeof prefix, "%s/%s", c->dir, it->name);
        ob_err werr = {0};
        if (ob_report_csv(prefix, r, &werr) != 0)
            fprintf(stderr, "outbreak web: %s\n", werr.msg);
        snprintf(path, sizeof path, "%s/%s.json", c->dir, it->name);
        if (write_file(path, summary, &werr) != 0)
            fprintf(stderr, "outbreak web: %s\n", werr.msg);
        if (it->opts.mongo) {
            ob_store *store = NULL;
            if (ob_store_open(&store, it->opts.mongo, &werr) != 0 ||
                ob_store_save_summary(store, it->run_id, summary, &werr) != 0)
                fprintf(stderr, "outbreak web: could not store the summary: %s\n", werr.msg);
            ob_store_close(store);
        }
    }
    pthread_mutex_lock(&c->mu);
    c->run = NULL;
    if (rc != 0) {
        it->status = ITEM_FAILED;
        it->exit_status = ob_err_exit_code(&err);
        snprintf(it->error, sizeof it->error, "%s", err.msg);
        logf_locked(c, "%s: failed: %s", it->name, err.msg);
    } else {
        it->status = ITEM_DONE;
        it->summary = summary;
        it->exit_status = ob_run_exit_status(r, th_failed);
        final_row_locked(c, it, k, r);
        char lost[32] = "unknown", persisted[32] = "unknown";
        if (r->lost >= 0)
            snprintf(lost, sizeof lost, "%lld", (long long)r->lost);
        if (r->persisted >= 0)
            snprintf(persisted, sizeof persisted, "%lld", (long long)r->persisted);
        logf_locked(c, "%s: done: sent %lld, acked %lld, failed %lld, persisted %s, lost %s", it->name,
                    (long long)r->sent, (long long)r->acked, (long long)r->failed, persisted, lost);
        if (th_n > 0)
            logf_locked(c, "%s: thresholds: %d of %d passed", it->name, th_n - th_failed, th_n);
    }
    pthread_mutex_unlock(&c->mu);
    ob_run_free(run);
}

static void *run_thread(void *arg)
{
    ob_control *c = arg;
    for (int k = 0;; k++) {
        pthread_mutex_lock(&c->mu);
        if (k >= c->nitems) {
            pthread_mutex_unlock(&c->mu);
            break;
        }
        if (c->interrupted) {
            for (int i = k; i < c->nitems; i++)
                c->items[i].status = ITEM_SKIPPED;
            logf_locked(c, "stopped: %d middleware%s skipped", c->nitems - k, c->nitems - k == 1 ? "" : "s");
            pthread_mutex_unlock(&c->mu);
            break;
        }
        c->current = k;
        c->items[k].status = ITEM_RUNNING;
        c->status = TEST_RUNNING;
        pthread_mutex_unlock(&c->mu);
        run_item(c, k);
    }
    write_report(c);
    pthread_mutex_lock(&c->mu);
    c->status = TEST_STOPPED;
    c->ended_mono_s = mono_s();
    logf_locked(c, "test stopped");
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* ---- the form ---- */

static const char *field(const ob_form_field *f, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return f[i].value;
    return NULL;
}

static bool blank(const char *s)
{
    if (!s)
        return true;
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
        s++;
    return !*s;
}

static int parse_users(const char *v, long *out, ob_err *err)
{
    double d;
    if (ob_parse_count(v, &d, err) != 0 || d < 1 || d > 1000000 || d != floor(d))
        return ob_err_setk(err, OB_ERR_USAGE, "users: expected a whole number from 1 to 1000000, not \"%.40s\"", v);
    *out = (long)d;
    return 0;
}

static int parse_record_size(const char *v, long *out, ob_err *err)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    while (*end == ' ')
        end++;
    if (*end || errno || n < 1 || n > OB_RECORD_SIZE_MAX)
        return ob_err_setk(err, OB_ERR_USAGE, "record_size: expected bytes from 1 to %d, not \"%.40s\"",
                           OB_RECORD_SIZE_MAX, v);
    *out = n;
    return 0;
}

static int parse_spawn(const char *v, double *out, ob_err *err)
{
    if (ob_parse_count(v, out, err) != 0 || !(*out > 0) || *out > 1e6)
        return ob_err_setk(err, OB_ERR_USAGE, "spawn_rate: expected users per second > 0, not \"%.40s\"", v);
    return 0;
}

static int parse_rate_field(const char *v, double *out, bool *max, ob_err *err)
{
    *max = false;
    if (strcmp(v, "max") == 0) {
        *max = true;
        *out = 1e12;
        return 0;
    }
    if (ob_parse_count(v, out, err) != 0 || *out < 0 || *out > 1e9)
        return ob_err_setk(err, OB_ERR_USAGE, "rate: expected records per second like 2000 or 10k, or max, not \"%.40s\"", v);
    return 0;
}

/* The form shows the default brokers with their passwords masked: such a URL sent back
 * unchanged stands for the default itself. */
static void unmask(char *url, size_t cap, char *const *defaults, size_t ndefault)
{
    for (size_t i = 0; i < ndefault; i++) {
        char shown[256];
        ob_url_redacted(defaults[i], shown, sizeof shown);
        if (strcmp(shown, defaults[i]) != 0 && strcmp(shown, url) == 0) {
            snprintf(url, cap, "%s", defaults[i]);
            return;
        }
    }
}

/* Splits the broker fields (repeatable, one URL per line) into urls; checks each. */
static int parse_brokers(const ob_form_field *f, size_t n, char *const *defaults, size_t ndefault,
                         char urls[][1024], int *count, ob_err *err)
{
    *count = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(f[i].name, "broker") != 0)
            continue;
        const char *s = f[i].value;
        while (*s) {
            size_t len = strcspn(s, "\r\n");
            while (len && (s[0] == ' ' || s[0] == '\t')) {
                s++;
                len--;
            }
            size_t end = len;
            while (end && (s[end - 1] == ' ' || s[end - 1] == '\t'))
                end--;
            if (end) {
                if (*count == MAX_ITEMS)
                    return ob_err_setk(err, OB_ERR_USAGE, "broker: at most %d middlewares in one test", MAX_ITEMS);
                if (end >= 1024)
                    return ob_err_setk(err, OB_ERR_USAGE, "broker: a URL longer than 1023 characters");
                memcpy(urls[*count], s, end);
                urls[*count][end] = 0;
                unmask(urls[*count], sizeof urls[0], defaults, ndefault);
                if (ob_broker_check_url(urls[*count], err) != 0) {
                    ob_err_prefix(err, "broker");
                    return ob_err_kind_set(err, OB_ERR_USAGE);
                }
                (*count)++;
            }
            s += len;
            while (*s == '\r' || *s == '\n')
                s++;
        }
    }
    return 0;
}

static void clear_test_locked(ob_control *c)
{
    for (int i = 0; i < c->nitems; i++) {
        item *it = &c->items[i];
        ob_hist_free(it->base_publish);
        ob_hist_free(it->e2e_prev);
        ob_hist_free(it->scratch);
        free(it->summary);
    }
    memset(c->items, 0, sizeof c->items);
    c->nitems = 0;
    c->current = 0;
    c->npoints = 0;
    c->nfailures = 0;
    c->reset_at_s = -1;
    c->reset_requested = false;
    c->error[0] = 0;
    c->base_run_id[0] = 0;
    clear_dir(c->dir);
}

int ob_control_parse_start(const ob_run_opts *defaults, char *const *default_brokers, size_t ndefault,
                           const ob_form_field *f, size_t n, ob_start_form *out, ob_err *err)
{
    ob_run_opts o = *defaults;
    out->nurls = 0;
    if (parse_brokers(f, n, default_brokers, ndefault, out->urls, &out->nurls, err) != 0)
        return -1;
    if (out->nurls == 0) {
        for (size_t i = 0; i < ndefault && out->nurls < OB_CONTROL_MAX_BROKERS; i++)
            snprintf(out->urls[out->nurls++], sizeof out->urls[0], "%s", default_brokers[i]);
    }
    if (out->nurls == 0)
        return ob_err_setk(err, OB_ERR_USAGE, "broker: no middleware given");
    const char *v;
    if (!blank(v = field(f, n, "users")) && parse_users(v, &o.users, err) != 0)
        return -1;
    if (!blank(v = field(f, n, "spawn_rate")) && parse_spawn(v, &o.spawn_rate, err) != 0)
        return -1;
    if ((v = field(f, n, "rate"))) { /* the form shows users and rate: a rate means the open model */
        double rate = 0;
        bool max = false;
        if (!blank(v) && parse_rate_field(v, &rate, &max, err) != 0)
            return -1;
        o.rate = rate;
        o.rate_max = max;
    }
    if ((v = field(f, n, "run_time"))) {
        int64_t ns = 0;
        if (!blank(v) && (ob_parse_duration(v, &ns, err) != 0 || ns <= 0))
            return ob_err_setk(err, OB_ERR_USAGE, "run_time: expected a duration like 30s, 5m or 1h30m, not \"%.40s\"", v);
        o.run_time_ns = ns;
    }
    if ((v = field(f, n, "wait"))) {
        double lo = 0, hi = 0;
        if (!blank(v) && ob_parse_range(v, &lo, &hi, err) != 0) {
            ob_err_prefix(err, "wait");
            return ob_err_kind_set(err, OB_ERR_USAGE);
        }
        o.wait_min = lo;
        o.wait_max = hi;
    }
    if ((v = field(f, n, "record_size"))) { /* empty: the records as they are */
        o.record_size = 0;
        if (!blank(v) && parse_record_size(v, &o.record_size, err) != 0)
            return -1;
    }
    if ((v = field(f, n, "stages"))) {
        /* the stages stand for users, rate and run time: given, they win over those
         * fields (the form always sends them); empty, the test has none */
        memset(&o.stages, 0, sizeof o.stages);
        if (!blank(v)) {
            o.rate = 0;
            o.rate_max = false;
            o.run_time_ns = 0;
            if (ob_stages_parse(v, &o.stages, err) != 0) {
                ob_err_prefix(err, "stages");
                return ob_err_kind_set(err, OB_ERR_USAGE);
            }
        }
    }
    if (o.stages.n > 0 && ob_run_opts_apply_stages(&o, err) != 0) {
        ob_err_prefix(err, "stages");
        return -1;
    }
    if (o.rate > 0 || o.stages.n > 0) /* run's --reset-stats: no spawning to wait for */
        o.reset_stats = false;
    if (ob_run_opts_apply_reset_stats(&o, err) != 0)
        return -1;
    if (o.rate == 0 && o.threads > o.users)
        o.threads = o.users;
    if (o.rate > 0 && o.threads < defaults->threads)
        o.threads = defaults->threads;
    o.headless = true;
    o.only_summary = true;
    o.autostart = false;
    o.csv_prefix = o.json_path = o.html_path = NULL;
    out->opts = o;
    return 0;
}

int ob_control_start(ob_control *c, const ob_form_field *f, size_t n, ob_err *err)
{
    static ob_start_form form; /* under mu: 16 KiB of URLs */
    pthread_mutex_lock(&c->mu);
    int rc = -1;
    if (c->status == TEST_RUNNING || c->status == TEST_STOPPING) {
        ob_err_setk(err, OB_ERR_REJECTED, "a test is running: stop it first");
        goto out;
    }
    if (ob_control_parse_start(&c->defaults, c->form_brokers, c->nform_brokers, f, n, &form, err) != 0)
        goto out;
    const ob_run_opts o = form.opts;
    int nurls = form.nurls;
    char (*urls)[1024] = form.urls;
    clear_test_locked(c);
    c->test++;
    ob_run_id_new(c->base_run_id, sizeof c->base_run_id);
    if (c->test == 1 && c->defaults.run_id[0])
        snprintf(c->base_run_id, sizeof c->base_run_id, "%s", c->defaults.run_id);
    for (int i = 0; i < nurls; i++) {
        item *it = &c->items[i];
        const ob_broker_ops *ops = ob_broker_of_url(urls[i]);
        const char *way = ops ? ops->way : "broker";
        int same = 0;
        for (int k = 0; k < i; k++)
            same += strncmp(c->items[k].name, way, strlen(way)) == 0;
        if (same)
            snprintf(it->name, sizeof it->name, "%s-%d", way, same + 1);
        else
            snprintf(it->name, sizeof it->name, "%s", way);
        snprintf(it->url, sizeof it->url, "%s", urls[i]);
        ob_url_redacted(it->url, it->shown, sizeof it->shown);
        if (nurls > 1) {
            int room = (int)sizeof it->run_id - 1 - (int)strlen(it->name) - 1;
            char name[sizeof it->name]; /* a copy: gcc's -Wrestrict sees one object in c */
            memcpy(name, it->name, sizeof name);
            snprintf(it->run_id, sizeof it->run_id, "%.*s-%s", room, c->base_run_id, name);
        } else {
            snprintf(it->run_id, sizeof it->run_id, "%s", c->base_run_id);
        }
        it->opts = o;
        it->opts.broker = it->url;
        memcpy(it->opts.run_id, it->run_id, sizeof it->opts.run_id);
        it->target_users = o.users;
        it->target_spawn_rate = o.spawn_rate;
        it->target_rate = o.rate_max ? -1 : o.rate;
        it->row = (stats_row){.persisted = -1, .duplicates = -1, .lost = -1, .unconfirmed = -1,
                              .median = -1, .p90 = -1, .p95 = -1, .p99 = -1, .mean = -1, .min = -1,
                              .max = -1, .e2e_p50 = -1, .e2e_p95 = -1, .e2e_p99 = -1};
        it->base_publish = ob_hist_new();
        it->e2e_prev = ob_hist_new();
        it->scratch = ob_hist_new();
        if (!it->base_publish || !it->e2e_prev || !it->scratch) {
            c->nitems = i + 1;
            clear_test_locked(c);
            ob_err_set(err, "out of memory");
            goto out;
        }
        c->nitems = i + 1;
    }
    if (c->thread_live) {
        pthread_join(c->thread, NULL); /* the previous test's, finished */
        c->thread_live = false;
    }
    c->interrupted = 0;
    c->status = TEST_RUNNING;
    c->started_mono_s = mono_s();
    c->ended_mono_s = -1;
    logf_locked(c, "test %ld: %d middleware%s, %s", c->test, c->nitems, c->nitems == 1 ? "" : "s",
                o.rate > 0 ? "open model" : "closed model");
    if (pthread_create(&c->thread, NULL, run_thread, c) != 0) {
        c->status = TEST_STOPPED;
        ob_err_set(err, "cannot start the run's thread");
        goto out;
    }
    c->thread_live = true;
    rc = 0;
out:
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int ob_control_edit(ob_control *c, const ob_form_field *f, size_t n, ob_err *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = -1;
    if (c->status != TEST_RUNNING || !c->run) {
        ob_err_setk(err, OB_ERR_REJECTED, "no middleware is sending: nothing to edit");
        goto out;
    }
    item *it = &c->items[c->current];
    ob_run_change ch = {.users = -1, .spawn_rate = -1, .rate = -1};
    const char *v;
    if (!blank(v = field(f, n, "users")) && parse_users(v, &ch.users, err) != 0)
        goto out;
    if (!blank(v = field(f, n, "spawn_rate")) && parse_spawn(v, &ch.spawn_rate, err) != 0)
        goto out;
    if (!blank(v = field(f, n, "rate"))) {
        bool max;
        if (parse_rate_field(v, &ch.rate, &max, err) != 0)
            goto out;
        if (max || ch.rate <= 0) {
            ob_err_setk(err, OB_ERR_USAGE, "rate: a running test's rate must be a number of records per second > 0");
            goto out;
        }
    }
    if (ch.users < 0 && ch.spawn_rate < 0 && ch.rate < 0) {
        ob_err_setk(err, OB_ERR_USAGE, "nothing to change: give users, spawn_rate or rate");
        goto out;
    }
    if (ob_run_change_load(c->run, &ch, err) != 0)
        goto out;
    if (ch.users >= 0)
        it->target_users = ch.users;
    if (ch.spawn_rate >= 0)
        it->target_spawn_rate = ch.spawn_rate;
    if (ch.rate >= 0)
        it->target_rate = ch.rate;
    if (it->opts.rate > 0)
        logf_locked(c, "%s: edited: rate %g/s", it->name, it->target_rate);
    else
        logf_locked(c, "%s: edited: %ld users at %g/s", it->name, it->target_users, it->target_spawn_rate);
    rc = 0;
out:
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int ob_control_stop(ob_control *c, ob_err *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    if (c->status != TEST_RUNNING && c->status != TEST_STOPPING) {
        rc = ob_err_setk(err, OB_ERR_REJECTED, "no test is running");
    } else if (!c->interrupted) {
        c->interrupted = 1;
        c->status = TEST_STOPPING;
        logf_locked(c, "stop asked: sending stops; the acks and the sinks are waited for");
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int ob_control_reset(ob_control *c, ob_err *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    if (c->status != TEST_RUNNING) {
        rc = ob_err_setk(err, OB_ERR_REJECTED, "no middleware is sending: nothing to reset");
    } else {
        c->reset_requested = true;
        c->reset_at_s = mono_s() - c->started_mono_s;
        logf_locked(c, "statistics reset (the summaries and downloads keep the whole run)");
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

int ob_control_new_test(ob_control *c, ob_err *err)
{
    pthread_mutex_lock(&c->mu);
    int rc = 0;
    if (c->status == TEST_RUNNING || c->status == TEST_STOPPING) {
        rc = ob_err_setk(err, OB_ERR_REJECTED, "a test is running: stop it first");
    } else {
        clear_test_locked(c);
        c->test++;
        c->status = TEST_READY;
        c->nlogs = 0;
        c->logs_base = 0;
    }
    pthread_mutex_unlock(&c->mu);
    return rc;
}

/* How much an exit status says: 0 nothing, unconfirmed records, a failure, a threshold. */
static int status_rank(int s)
{
    return s == 0 ? 0 : s == OB_RUN_EXIT_UNCONFIRMED ? 1 : s == OB_EXIT_THRESHOLD ? 3 : 2;
}

bool ob_control_ended(ob_control *c, double *ago_s, int *status)
{
    pthread_mutex_lock(&c->mu);
    bool ended = c->status == TEST_STOPPED && c->ended_mono_s >= 0;
    if (ended) {
        *ago_s = mono_s() - c->ended_mono_s;
        /* the middlewares' worst: a failed threshold (k6's: it decides), then a failure
         * of any kind, then unconfirmed records */
        int worst = 0;
        for (int i = 0; i < c->nitems; i++) {
            const item *it = &c->items[i];
            int s = it->status == ITEM_DONE || it->status == ITEM_FAILED ? it->exit_status : 0;
            if (status_rank(s) > status_rank(worst))
                worst = s;
        }
        *status = worst;
    }
    pthread_mutex_unlock(&c->mu);
    return ended;
}

bool ob_control_running(ob_control *c)
{
    pthread_mutex_lock(&c->mu);
    bool r = c->status == TEST_RUNNING || c->status == TEST_STOPPING;
    pthread_mutex_unlock(&c->mu);
    return r;
}

/* ---- JSON ---- */

static void num_or_null(ob_jw *j, const char *key, double v)
{
    ob_jw_key(j, key);
    if (v < 0)
        ob_jw_null(j);
    else
        ob_jw_numg(j, v, 6);
}

static void count_or_null(ob_jw *j, const char *key, int64_t v)
{
    ob_jw_key(j, key);
    if (v < 0)
        ob_jw_null(j);
    else
        ob_jw_int(j, v);
}

static void form_json(ob_control *c, ob_jw *j)
{
    const ob_run_opts *o = &c->defaults;
    ob_jw_object(j);
    ob_jw_key(j, "brokers");
    ob_jw_array(j);
    for (size_t i = 0; i < c->nform_brokers; i++) {
        char shown[256];
        ob_jw_str(j, ob_url_redacted(c->form_brokers[i], shown, sizeof shown));
    }
    ob_jw_end(j);
    ob_jw_key(j, "users");
    ob_jw_int(j, o->users);
    ob_jw_key(j, "spawn_rate");
    ob_jw_numg(j, o->spawn_rate, 6);
    ob_jw_key(j, "rate");
    if (o->rate_max)
        ob_jw_null(j);
    else
        ob_jw_numg(j, o->rate, 6);
    ob_jw_key(j, "rate_max");
    ob_jw_bool(j, o->rate_max);
    char buf[64] = "";
    if (o->run_time_ns > 0)
        snprintf(buf, sizeof buf, "%gs", (double)o->run_time_ns / 1e9);
    ob_jw_key(j, "run_time");
    ob_jw_str(j, buf);
    buf[0] = 0;
    if (o->wait_max > 0)
        snprintf(buf, sizeof buf, "%g-%g", o->wait_min, o->wait_max);
    ob_jw_key(j, "wait");
    ob_jw_str(j, buf);
    ob_jw_key(j, "record_size");
    if (o->record_size > 0)
        ob_jw_int(j, o->record_size);
    else
        ob_jw_null(j);
    char stages[OB_STAGES_SPEC_CAP];
    ob_stages_format(&o->stages, stages, sizeof stages);
    ob_jw_key(j, "stages");
    ob_jw_str(j, stages);
    ob_jw_key(j, "mongo");
    ob_jw_bool(j, o->mongo != NULL);
    ob_jw_end(j);
}

void ob_control_state_json(ob_control *c, ob_jw *j)
{
    pthread_mutex_lock(&c->mu);
    const item *cur = c->nitems ? &c->items[c->current] : NULL;
    ob_jw_object(j);
    ob_jw_key(j, "status");
    ob_jw_str(j, test_status_names[c->status]);
    /* --warmup: running, the measured time not begun (its figures come after) */
    ob_jw_key(j, "warming_up");
    ob_jw_bool(j, c->status == TEST_RUNNING && c->run && ob_run_warming_up(c->run));
    ob_jw_key(j, "test");
    ob_jw_int(j, c->test);
    ob_jw_key(j, "run_id");
    ob_jw_str(j, c->nitems ? c->base_run_id : NULL);
    ob_jw_key(j, "middleware");
    ob_jw_str(j, cur ? cur->name : NULL);
    ob_jw_key(j, "host");
    ob_jw_str(j, cur ? cur->shown : NULL);
    int64_t sent = 0, failed = 0;
    for (int i = 0; i < c->nitems; i++) {
        sent += c->items[i].row.sent;
        failed += c->items[i].row.failed;
    }
    ob_jw_key(j, "users");
    ob_jw_int(j, cur && c->status != TEST_STOPPED ? cur->row.users : 0);
    ob_jw_key(j, "records_per_s");
    ob_jw_numg(j, cur && c->status == TEST_RUNNING ? cur->row.current_rps : 0, 6);
    ob_jw_key(j, "fail_ratio");
    ob_jw_numg(j, sent > 0 ? (double)failed / (double)sent : 0, 4);
    ob_jw_key(j, "elapsed_s");
    ob_jw_num(j, cur && c->status != TEST_READY && cur->t0_mono_s > 0 ? mono_s() - cur->t0_mono_s : 0, 1);
    bool open = cur ? cur->opts.rate > 0 : c->defaults.rate > 0;
    ob_jw_key(j, "model");
    ob_jw_str(j, open ? "open" : "closed");
    ob_jw_key(j, "target_users");
    ob_jw_int(j, cur ? cur->target_users : c->defaults.users);
    ob_jw_key(j, "spawn_rate");
    ob_jw_numg(j, cur ? cur->target_spawn_rate : c->defaults.spawn_rate, 6);
    ob_jw_key(j, "rate");
    ob_jw_numg(j, cur ? (cur->target_rate < 0 ? 0 : cur->target_rate) : c->defaults.rate, 6);
    ob_jw_key(j, "rate_max");
    ob_jw_bool(j, cur ? cur->opts.rate_max : c->defaults.rate_max);
    ob_jw_key(j, "run_time_s");
    ob_jw_numg(j, (double)(cur ? cur->opts.run_time_ns : c->defaults.run_time_ns) / 1e9, 6);
    /* --stages: the test's (the load follows them: an edit is refused), "" without */
    char stages[OB_STAGES_SPEC_CAP];
    ob_stages_format(cur ? &cur->opts.stages : &c->defaults.stages, stages, sizeof stages);
    ob_jw_key(j, "stages");
    ob_jw_str(j, stages);
    ob_jw_key(j, "form");
    form_json(c, j);
    ob_jw_key(j, "queue");
    ob_jw_array(j);
    for (int i = 0; i < c->nitems; i++) {
        const item *it = &c->items[i];
        ob_jw_object(j);
        ob_jw_key(j, "middleware");
        ob_jw_str(j, it->name);
        ob_jw_key(j, "host");
        ob_jw_str(j, it->shown);
        ob_jw_key(j, "run_id");
        ob_jw_str(j, it->run_id);
        ob_jw_key(j, "status");
        ob_jw_str(j, item_status_names[it->status]);
        ob_jw_key(j, "error");
        ob_jw_str(j, it->error[0] ? it->error : NULL);
        ob_jw_end(j);
    }
    ob_jw_end(j);
    ob_jw_key(j, "stats");
    ob_jw_array(j);
    for (int i = 0; i < c->nitems; i++) {
        const item *it = &c->items[i];
        if (it->status == ITEM_WAITING || it->status == ITEM_SKIPPED)
            continue;
        const stats_row *s = &it->row;
        ob_jw_object(j);
        ob_jw_key(j, "middleware");
        ob_jw_str(j, it->name);
        ob_jw_key(j, "host");
        ob_jw_str(j, it->shown);
        ob_jw_key(j, "run_id");
        ob_jw_str(j, it->run_id);
        ob_jw_key(j, "status");
        ob_jw_str(j, item_status_names[it->status]);
        ob_jw_key(j, "requests");
        ob_jw_int(j, s->sent);
        ob_jw_key(j, "acked");
        ob_jw_int(j, s->acked);
        ob_jw_key(j, "failures");
        ob_jw_int(j, s->failed);
        count_or_null(j, "persisted", s->persisted);
        count_or_null(j, "duplicates", s->duplicates);
        count_or_null(j, "lost", s->lost);
        count_or_null(j, "unconfirmed", s->unconfirmed);
        num_or_null(j, "median_ms", s->median);
        num_or_null(j, "p90_ms", s->p90);
        num_or_null(j, "p95_ms", s->p95);
        num_or_null(j, "p99_ms", s->p99);
        num_or_null(j, "average_ms", s->mean);
        num_or_null(j, "min_ms", s->min);
        num_or_null(j, "max_ms", s->max);
        num_or_null(j, "e2e_p50_ms", s->e2e_p50);
        num_or_null(j, "e2e_p95_ms", s->e2e_p95);
        num_or_null(j, "e2e_p99_ms", s->e2e_p99);
        ob_jw_key(j, "average_size");
        ob_jw_num(j, s->sent > 0 ? (double)s->bytes / (double)s->sent : 0, 1);
        ob_jw_key(j, "current_rps");
        ob_jw_numg(j, it->status == ITEM_RUNNING ? s->current_rps : 0, 6);
        ob_jw_key(j, "current_failures_per_s");
        ob_jw_numg(j, it->status == ITEM_RUNNING ? s->current_failures_s : 0, 6);
        ob_jw_key(j, "acked_means");
        ob_jw_str(j, it->acked_means);
        ob_jw_end(j);
    }
    ob_jw_end(j);
    ob_jw_key(j, "failures");
    ob_jw_array(j);
    for (int i = 0; i < c->nfailures; i++) {
        ob_jw_object(j);
        ob_jw_key(j, "middleware");
        ob_jw_str(j, c->items[c->failures[i].item].name);
        ob_jw_key(j, "message");
        ob_jw_str(j, c->failures[i].msg);
        ob_jw_key(j, "occurrences");
        ob_jw_int(j, c->failures[i].count);
        ob_jw_end(j);
    }
    ob_jw_end(j);
    ob_jw_key(j, "downloads");
    downloads_json(c, j);
    ob_jw_key(j, "reset_at_s");
    if (c->reset_at_s < 0)
        ob_jw_null(j);
    else
        ob_jw_num(j, c->reset_at_s, 1);
    ob_jw_key(j, "error");
    ob_jw_str(j, c->error[0] ? c->error : NULL);
    ob_jw_key(j, "course_api");
    ob_jw_bool(j, c->course_api);
    ob_jw_key(j, "login");
    ob_jw_bool(j, c->login);
    ob_jw_end(j);
    pthread_mutex_unlock(&c->mu);
}

void ob_control_series_json(ob_control *c, ob_jw *j, size_t from)
{
    pthread_mutex_lock(&c->mu);
    ob_jw_object(j);
    ob_jw_key(j, "next");
    ob_jw_int(j, (int64_t)c->npoints);
    ob_jw_key(j, "test");
    ob_jw_int(j, c->test);
    ob_jw_key(j, "points");
    ob_jw_array(j);
    for (size_t i = from; i < c->npoints; i++) {
        const point *p = &c->points[i];
        ob_jw_object(j);
        ob_jw_key(j, "middleware");
        ob_jw_str(j, c->items[p->item].name);
        ob_jw_key(j, "t");
        ob_jw_numg(j, p->t, 6);
        ob_jw_key(j, "users");
        ob_jw_int(j, p->users);
        ob_jw_key(j, "sent");
        ob_jw_int(j, p->sent);
        ob_jw_key(j, "acked");
        ob_jw_int(j, p->acked);
        ob_jw_key(j, "failed");
        ob_jw_int(j, p->failed);
        count_or_null(j, "persisted", p->persisted);
        num_or_null(j, "publish_p50_ms", p->p50);
        num_or_null(j, "publish_p95_ms", p->p95);
        num_or_null(j, "publish_p99_ms", p->p99);
        num_or_null(j, "e2e_p50_ms", p->e50);
        num_or_null(j, "e2e_p95_ms", p->e95);
        num_or_null(j, "e2e_p99_ms", p->e99);
        ob_jw_end(j);
    }
    ob_jw_end(j);
    ob_jw_end(j);
    pthread_mutex_unlock(&c->mu);
}

void ob_control_logs_json(ob_control *c, ob_jw *j, size_t from)
{
    pthread_mutex_lock(&c->mu);
    ob_jw_object(j);
    ob_jw_key(j, "next");
    ob_jw_int(j, (int64_t)(c->logs_base + c->nlogs));
    ob_jw_key(j, "lines");
    ob_jw_array(j);
    size_t first = from > c->logs_base ? from - c->logs_base : 0;
    for (size_t i = first; i < c->nlogs; i++) {
        ob_jw_object(j);
        ob_jw_key(j, "time");
        ob_jw_num(j, c->logs[i].time, 3);
        ob_jw_key(j, "text");
        ob_jw_str(j, c->logs[i].text);
        ob_jw_end(j);
    }
    ob_jw_end(j);
    ob_jw_end(j);
    pthread_mutex_unlock(&c->mu);
}

/* ---- life ---- */

int ob_control_new(ob_control **out, const ob_control_config *cfg, ob_err *err)
{
    *out = NULL;
    ob_control *c = calloc(1, sizeof *c);
    if (!c)
        return ob_err_set(err, "out of memory");
    pthread_mutex_init(&c->mu, NULL);
    c->defaults = *cfg->defaults;
    c->reset_at_s = -1;
    c->ended_mono_s = -1;
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(c->instance, sizeof c->instance, "%s-%ld", host, (long)getpid());
    c->course_api = cfg->course_api;
    c->login = cfg->login;
    c->logs = calloc(MAX_LOG_LINES, sizeof *c->logs);
    size_t nb = cfg->nbrokers ? cfg->nbrokers : 1;
    c->form_brokers = calloc(nb, sizeof *c->form_brokers);
    if (!c->logs || !c->form_brokers)
        goto oom;
    for (size_t i = 0; i < nb; i++) {
        const char *u = cfg->nbrokers ? cfg->brokers[i] : cfg->defaults->broker;
        if (!(c->form_brokers[i] = strdup(u)))
            goto oom;
        c->nform_brokers = i + 1;
    }
    if (cfg->defaults->mongo && !(c->defaults.mongo = c->defaults_mongo = strdup(cfg->defaults->mongo)))
        goto oom;
    if (cfg->defaults->records && !(c->defaults.records = c->defaults_records = strdup(cfg->defaults->records)))
        goto oom;
    const char *tmp = getenv("TMPDIR");
    snprintf(c->dir, sizeof c->dir, "%s/outbreak-web-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(c->dir)) {
        ob_err_set(err, "cannot make a directory for the downloads (%s): %s", c->dir, strerror(errno));
        c->dir[0] = 0;
        ob_control_free(c);
        return -1;
    }
    if (cfg->autostart && ob_control_start(c, NULL, 0, err) != 0) {
        ob_control_free(c);
        return -1;
    }
    *out = c;
    return 0;
oom:
    ob_control_free(c);
    return ob_err_set(err, "out of memory");
}

void ob_control_free(ob_control *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->mu);
    c->interrupted = 1;
    bool live = c->thread_live;
    c->thread_live = false;
    pthread_mutex_unlock(&c->mu);
    if (live)
        pthread_join(c->thread, NULL);
    clear_test_locked(c);
    if (c->dir[0])
        rmdir(c->dir);
    for (size_t i = 0; i < c->nform_brokers; i++)
        free(c->form_brokers[i]);
    free(c->form_brokers);
    free(c->defaults_mongo);
    free(c->defaults_records);
    free(c->points);
    free(c->logs);
    free(c->metrics);
    pthread_mutex_destroy(&c->mu);
    free(c);
}
