/* run.c — `outbreak run`: parses the flags, runs the engine (loadgen/run.h) with the
 * console table every 2 s, then writes the summary, JSON, CSV and HTML report
 * (report/) and stores the summary. */
#include "commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "control.h"
#include "html_report.h"
#include "options.h"
#include "records_file.h"
#include "report.h"
#include "results.h"
#include "run.h"
#include "store.h"
#include "web.h"

typedef struct run_command {
    ob_run_opts opts;
    ob_run *run;
    int argc; /* the command line, for the HTML report's parameters */
    char **argv;
} run_command;

static void on_tick(void *arg, const ob_run_result *r, const ob_series_point *last)
{
    const run_command *rc = arg;
    if (!rc->opts.only_summary && (long long)(last->t + 0.5) % 2 == 0)
        ob_report_table(stdout, r, last);
    fflush(stdout);
}

/* The single-middleware HTML report: the summary wrapped in a results document, as
 * `outbreak compare` writes one (kind "run"). */
static int write_html(const run_command *rc, const char *summary, ob_err *err)
{
    const ob_run_opts *o = &rc->opts;
    const ob_run_result *r = ob_run_result_of(rc->run);
    const char *middlewares[1] = {r->way};
    char *params = ob_params_json(middlewares, 1, rc->argc, rc->argv, o, o->mongo, true);
    char *doc = NULL;
    size_t dlen = 0;
    FILE *m = open_memstream(&doc, &dlen);
    int rc_ = -1;
    if (!m || !params) {
        if (m)
            fclose(m);
        ob_err_set(err, "out of memory");
        goto out;
    }
    char *summaries[1] = {(char *)summary};
    ob_results res = {.kind = "run",
                      .id = o->run_id,
                      .started_real_ns = r->t0_real_ns,
                      .finished_real_ns = ob_real_ns(),
                      .params_json = params,
                      .summaries = summaries,
                      .nsummaries = 1};
    ob_results_write(m, &res);
    fclose(m);
    FILE *f = fopen(o->html_path, "w");
    if (!f) {
        ob_err_set(err, "cannot write %s: %s", o->html_path, strerror(errno));
        goto out;
    }
    rc_ = ob_html_report_write(f, doc, dlen, err);
    if (fclose(f) != 0 && rc_ == 0)
        rc_ = ob_err_set(err, "cannot write %s", o->html_path);
out:
    free(params);
    free(doc);
    return rc_;
}

static int write_outputs(const run_command *rc, ob_err *err)
{
    const ob_run_opts *o = &rc->opts;
    ob_run_result *r = ob_run_result_of(rc->run);
    ob_report_summary(stdout, r);
    fflush(stdout);
    char *json = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&json, &len);
    if (!m)
        return ob_err_set(err, "out of memory");
    int bad = ob_report_json(m, r);
    bad |= fclose(m);
    if (bad || !json) {
        free(json);
        return ob_err_set(err, "out of memory");
    }
    int status = 0;
    if (o->json_path) {
        FILE *f = strcmp(o->json_path, "-") == 0 ? stdout : fopen(o->json_path, "w");
        if (!f) {
            status = ob_err_set(err, "cannot write %s: %s", o->json_path, strerror(errno));
            goto out;
        }
        bad = fwrite(json, 1, len, f) != len;
        if (f != stdout)
            bad |= fclose(f);
        if (bad) {
            status = ob_err_set(err, "cannot write %s", o->json_path);
            goto out;
        }
    }
    if (o->csv_prefix && ob_report_csv(o->csv_prefix, r, err) != 0) {
        status = -1;
        goto out;
    }
    if (o->html_path && write_html(rc, json, err) != 0) {
        status = -1;
        goto out;
    }
    if (o->mongo) {
        ob_store *store = NULL;
        if (ob_store_open(&store, o->mongo, err) != 0 || ob_store_save_summary(store, o->run_id, json, err) != 0)
            fprintf(stderr, "outbreak run: could not store the summary: %s\n", err->msg);
        ob_store_close(store);
    }
out:
    free(json);
    return status;
}

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
        const char *login = o->web_login;
        if (ob_web_login_from_env(&login, &err) != 0) {
            fprintf(stderr, "outbreak run: %s\n", err.msg);
            return 2;
        }
        ob_web_config wc = {.mongo_url = o->mongo, .host = o->web_host, .port = (int)o->web_port,
                            .login = login, .proc_root = "/proc"};
        ob_control_config cc = {.defaults = o, .login = login != NULL, .autostart = o->autostart};
        return ob_web_serve(&wc, &cc, "run", interrupted);
    }
    if (ob_run_open(&rc.run, o, &err) != 0) {
        fprintf(stderr, "outbreak run: %s\n", err.msg);
        return ob_err_exit_code(&err);
    }
    int status = 1;
    ob_run_result *r = ob_run_result_of(rc.run);
    fprintf(stderr, "outbreak run %s: %s, %zu records from %s, %s\n", o->run_id, r->url,
            ob_run_record_count(rc.run), o->records ? o->records : "the generator",
            o->rate > 0 ? "open model" : "closed model");
    if (!r->broker_acks)
        fprintf(stderr, "outbreak run: note: %s (%s) has no broker acknowledgement: acked means %s\n",
                r->way, r->mode, r->ack_meaning);
    if (ob_run_execute(rc.run, on_tick, &rc, interrupted, &err) != 0) {
        fprintf(stderr, "outbreak run: %s\n", err.msg);
        goto out;
    }
    if (write_outputs(&rc, &err) != 0) {
        fprintf(stderr, "outbreak run: %s\n", err.msg);
        goto out;
    }
    /* 1: records failed or lost; 3: none, but some acked records were not confirmed
     * persisted before --stop-timeout while the sinks were still working on them */
    status = (r->failed > 0 || r->lost > 0) ? 1 : r->unconfirmed > 0 ? OB_RUN_EXIT_UNCONFIRMED : 0;
out:
    ob_run_free(rc.run);
    return status;
}
