/* run.c — `outbreak run`: parses the flags, runs the engine (loadgen/run.h) with the
 * console table every 2 s, then writes the summary, JSON, CSV and HTML report
 * (report/) and stores the summary. */
#include "commands.h"
#include "outputs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "control.h"
#include "histogram.h"
#include "html_report.h"
#include "metrics.h"
#include "options.h"
#include "records_file.h"
#include "report.h"
#include "results.h"
#include "run.h"
#include "run_metrics.h"
#include "store.h"
#include "threshold.h"
#include "web.h"

#define ABORT_AFTER_S 10 /* --threshold-abort: a threshold failing this long stops the run */

typedef struct run_command {
    ob_run_opts opts;
    int thresholds_failed;
    volatile sig_atomic_t *interrupted;
    double failing_since[OB_MAX_THRESHOLDS]; /* < 0: holding (--threshold-abort) */
    bool aborted;
    int behind_for;     /* seconds in a row the open model sent under 90 % of its rate */
    bool behind_said;
    ob_run *run;
    ob_metrics *metrics;  /* --metrics: the /metrics server; NULL without */
    char instance[300];   /* its instance label: HOST-PID */
    int argc; /* the command line, for the HTML report's parameters */
    char **argv;
} run_command;

/* --threshold-abort: the thresholds on the figures known while running (publish
 * latency so far, counts, failed_rate, sent and acked per second so far) checked once a
 * second; one that has failed for ABORT_AFTER_S stops the sending (the drain and the
 * final check follow as after Ctrl-C). Figures known only at the end (lost, persisted,
 * end-to-end) are not checked here. */
static void check_running_thresholds(run_command *rc, const ob_run_result *r, const ob_series_point *last)
{
    if (rc->aborted || last->t <= 0)
        return;
    char json[1024];
    int n = snprintf(json, sizeof json,
                     "{\"middleware\":\"%s\",\"sent\":%lld,\"acked\":%lld,\"failed\":%lld,"
                     "\"throughput\":{\"sent_per_s\":%.6g,\"acked_per_s\":%.6g},\"publish_latency_ms\":{",
                     r->way, (long long)r->sent, (long long)r->acked, (long long)r->failed,
                     (double)r->sent / last->t, (double)r->acked / last->t);
    static const char *const names[] = {"p50", "p66", "p75", "p80", "p90", "p95", "p98", "p99", "p99.9", "p99.99"};
    static const double pcts[] = {50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99};
    if (r->publish && ob_hist_count(r->publish) > 0) {
        for (size_t i = 0; i < sizeof pcts / sizeof pcts[0]; i++)
            n += snprintf(json + n, sizeof json - (size_t)n, "\"%s\":%.6g,", names[i],
                          (double)ob_hist_percentile(r->publish, pcts[i]) / 1e6);
        n += snprintf(json + n, sizeof json - (size_t)n, "\"max\":%.6g,\"min\":%.6g,\"mean\":%.6g",
                      (double)ob_hist_max(r->publish) / 1e6, (double)ob_hist_min(r->publish) / 1e6,
                      ob_hist_mean(r->publish) / 1e6);
    }
    n += snprintf(json + n, sizeof json - (size_t)n, "}}");
    ob_threshold_result res[OB_MAX_THRESHOLDS];
    int nres = 0;
    ob_err err;
    if (n <= 0 || (size_t)n >= sizeof json ||
        ob_thresholds_eval(&rc->opts.thresholds, json, (size_t)n, NULL, res, &nres, &err) < 0)
        return;
    for (int i = 0; i < nres; i++) {
        int k = (int)(res[i].t - rc->opts.thresholds.items);
        if (!res[i].known || res[i].pass) {
            rc->failing_since[k] = -1;
            continue;
        }
        if (rc->failing_since[k] < 0)
            rc->failing_since[k] = last->t;
        if (last->t - rc->failing_since[k] >= ABORT_AFTER_S - 1e-6) {
            fprintf(stderr, "outbreak run: threshold %s has failed for %d s (%s): stopping (--threshold-abort)\n",
                    res[i].t->text, ABORT_AFTER_S, res[i].middleware);
            rc->aborted = true;
            *rc->interrupted = 1;
            return;
        }
    }
}

/* The figures /metrics serves (run_metrics.h), rendered by the controlling thread. */
typedef struct metrics_view {
    const run_command *rc;
    const ob_run_result *r;
    const ob_series_point *last;
    bool final;
} metrics_view;

static void write_metrics(FILE *f, void *arg)
{
    const metrics_view *v = arg;
    ob_run_metrics_write(f, v->r, v->last, v->rc->instance, v->final, true);
}

static void on_tick(void *arg, const ob_run_result *r, const ob_series_point *last)
{
    run_command *rc = arg;
    if (rc->metrics)
        ob_metrics_publish_with(rc->metrics, write_metrics, &(metrics_view){rc, r, last, false});
    if (!last)
        return; /* warming up: nothing measured yet */
    if (!rc->opts.only_summary && (long long)(last->t + 0.5) % 2 == 0)
        ob_report_table(stdout, r, last);
    fflush(stdout);
    if (rc->opts.threshold_abort && rc->opts.thresholds.n > 0)
        check_running_thresholds(rc, r, last);
    /* a rate that is not kept is said while running, once; the summary says why */
    if (rc->opts.rate > 0 && !rc->opts.rate_max && r->target_rate > 0 && !rc->behind_said && last->t >= 1.5) {
        double share = r->target_rate / (double)rc->opts.workers; /* a worker's share */
        if (rc->opts.stages.n > 0) /* the stages' records of that second (a ramp's mean) */
            share = (ob_run_opts_scheduled(&rc->opts, last->t) - ob_run_opts_scheduled(&rc->opts, last->t - 1)) /
                    (double)rc->opts.workers;
        rc->behind_for = share >= 10 && (double)last->sent < 0.9 * share ? rc->behind_for + 1 : 0;
        if (rc->behind_for >= 3) {
            fprintf(stderr, "outbreak run: behind the target rate: %lld records sent in the last second, "
                            "the target is %.0f/s (3 s in a row); the summary will say why\n",
                    (long long)last->sent, share);
            rc->behind_said = true;
        }
    }
}

static int write_outputs(run_command *rc, ob_err *err)
{
    const ob_run_opts *o = &rc->opts;
    char id[OB_RUN_CAP + 40];
    if (o->worker >= 0)
        snprintf(id, sizeof id, "%s/worker-%ld", o->run_id, o->worker);
    else
        snprintf(id, sizeof id, "%s", o->run_id);
    ob_outputs out = {.command = "run", .opts = o, .json_path = o->json_path, .csv_prefix = o->csv_prefix,
                      .html_path = o->html_path, .mongo = o->mongo, .thresholds = &o->thresholds,
                      .summary_id = id, .argc = rc->argc, .argv = rc->argv};
    return ob_write_outputs(&out, ob_run_result_of(rc->run), &rc->thresholds_failed, err);
}

static int run_with(run_command *rc_, const ob_listener_tls *tls, volatile sig_atomic_t *interrupted);

int ob_cmd_run(int argc, char **argv, volatile sig_atomic_t *interrupted)
{
    run_command rc;
    ob_err err;
    memset(&rc, 0, sizeof rc);
    rc.argc = argc;
    rc.argv = argv;
    int parsed = ob_run_opts_parse(&rc.opts, argc, argv, &err);
    if (parsed != 0) {
        if (parsed < 0)
            fprintf(stderr, "outbreak run: %s\n", err.msg);
        return parsed < 0 ? 2 : 0;
    }
    const ob_run_opts *o = &rc.opts;
    if (o->headless && !o->metrics && (o->tls_cert || o->tls_key)) {
        fprintf(stderr, "outbreak run: --tls-cert/--tls-key secure the web UI or, with --headless, "
                        "--metrics: there is neither\n");
        return 2;
    }
    ob_listener_tls tls;
    if (ob_listener_tls_load(&tls, o->tls_cert, o->tls_key, &err) != 0) {
        fprintf(stderr, "outbreak run: %s\n", err.msg);
        return 2;
    }
    int status = run_with(&rc, &tls, interrupted);
    ob_listener_tls_free(&tls);
    return status;
}

/* outbreak run once its flags are read: the web UI, or the headless run. */
static int run_with(run_command *rc_, const ob_listener_tls *tls, volatile sig_atomic_t *interrupted)
{
    run_command rc = *rc_;
    ob_err err;
    const ob_run_opts *o = &rc.opts;
    if (!o->headless) {
        /* Locust's habit: the web UI, its start form pre-filled with these flags. A
         * records file is read now, so that a bad one is a usage error naming its line,
         * not a failure at the first start. */
        if (o->records) {
            ob_records recs;
            if (ob_records_load(o->records, &recs, &err) != 0) {
                fprintf(stderr, "outbreak run: %s\n", err.msg);
                return 2;
            }
            ob_records_free(&recs);
        }
        const char *login = o->web_login; /* checked as read (also OUTBREAK_WEB_LOGIN) */
        ob_web_config wc = {.mongo_url = o->mongo, .host = o->web_host, .port = (int)o->web_port,
                            .login = login, .proc_root = "/proc", .tls = tls};
        ob_control_config cc = {.defaults = o, .login = login != NULL, .autostart = o->autostart,
                                .autoquit = o->autoquit_given, .autoquit_ns = o->autoquit_ns};
        if (o->metrics) {
            fprintf(stderr, "outbreak run: --metrics is for --headless: the web UI serves /metrics on its "
                            "own port (--web-port)\n");
            return 2;
        }
        return ob_web_serve(&wc, &cc, "run", interrupted);
    }
    if (o->metrics) {
        if (ob_metrics_start(&rc.metrics, "--metrics", o->metrics, tls, o->metrics_login, &err) != 0) {
            fprintf(stderr, "outbreak run: %s\n", err.msg);
            return err.kind == OB_ERR_USAGE ? 2 : 1;
        }
        char host[256] = "localhost";
        gethostname(host, sizeof host - 1);
        snprintf(rc.instance, sizeof rc.instance, "%s-%ld", host, (long)getpid());
        fprintf(stderr, "outbreak run: metrics at %s%s\n", ob_metrics_url(rc.metrics),
                o->metrics_login ? " (login required)" : "");
    }
    if (ob_run_opts_apply_reset_stats(&rc.opts, &err) != 0) { /* checked when parsed */
        fprintf(stderr, "outbreak run: %s\n", err.msg);
        ob_metrics_stop(rc.metrics);
        return 2;
    }
    if (ob_run_open(&rc.run, o, &err) != 0) {
        fprintf(stderr, "outbreak run: %s\n", err.msg);
        ob_metrics_stop(rc.metrics);
        return ob_err_exit_code(&err);
    }
    int status = 1;
    ob_run_result *r = ob_run_result_of(rc.run);
    rc.opts.worker = r->opts->worker; /* the slot claimed in MongoDB (--workers) */
    fprintf(stderr, "outbreak run %s: %s, %zu records from %s, %s\n", o->run_id, r->url,
            ob_run_record_count(rc.run), o->records ? o->records : "the generator",
            o->rate > 0 ? "open model" : "closed model");
    if (!r->broker_acks)
        fprintf(stderr, "outbreak run: note: %s (%s) has no broker acknowledgement: acked means %s\n",
                r->way, r->mode, r->ack_meaning);
    rc.interrupted = interrupted;
    for (int i = 0; i < OB_MAX_THRESHOLDS; i++)
        rc.failing_since[i] = -1;
    if (ob_run_execute(rc.run, on_tick, &rc, interrupted, &err) != 0) {
        fprintf(stderr, "outbreak run: %s\n", err.msg);
        goto out;
    }
    if (write_outputs(&rc, &err) != 0) {
        fprintf(stderr, "outbreak run: %s\n", err.msg);
        goto out;
    }
    status = ob_run_exit_status(r, rc.thresholds_failed);
    if (o->workers > 1) /* the last worker of the run merges, and its status is the run's */
        status = ob_cmd_merge_after_run(o, rc.argc, rc.argv, interrupted, status);
    if (rc.metrics) { /* the final figures, and one more scrape for them if one is coming */
        uint64_t seen = ob_metrics_scrapes(rc.metrics);
        metrics_view v = {&rc, r, r->nseries ? &r->series[r->nseries - 1] : NULL, true};
        ob_metrics_publish_with(rc.metrics, write_metrics, &v);
        ob_metrics_wait_scrape(rc.metrics, seen, interrupted);
    }
out:
    ob_metrics_stop(rc.metrics);
    ob_run_free(rc.run);
    return status;
}
