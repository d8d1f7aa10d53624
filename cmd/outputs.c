/* outputs.c — the files and the stored summary of a complete result (see outputs.h). */
#include "outputs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "html_report.h"
#include "report.h"
#include "results.h"
#include "store.h"

/* The single-middleware HTML report: the summary wrapped in a results document, as
 * `outbreak compare` writes one (kind "run"). */
static int write_html(const ob_outputs *out, const ob_run_result *r, const char *summary, ob_err *err)
{
    const ob_run_opts *o = out->opts;
    const char *middlewares[1] = {r->way};
    char *params = ob_params_json(middlewares, 1, out->argc, out->argv, o, out->mongo, true);
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
    FILE *f = fopen(out->html_path, "w");
    if (!f) {
        ob_err_set(err, "cannot write %s: %s", out->html_path, strerror(errno));
        goto out;
    }
    rc_ = ob_html_report_write(f, doc, dlen, err);
    if (fclose(f) != 0 && rc_ == 0)
        rc_ = ob_err_set(err, "cannot write %s", out->html_path);
out:
    free(params);
    free(doc);
    return rc_;
}

int ob_write_outputs(const ob_outputs *out, const ob_run_result *r, int *thresholds_failed, ob_err *err)
{
    *thresholds_failed = 0;
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
    if (out->thresholds && out->thresholds->n > 0) {
        /* k6's thresholds, on the final figures: a table after the summary, and into the
         * JSON (and what is stored) */
        ob_threshold_result res[OB_MAX_THRESHOLDS];
        int n = 0;
        int failed = ob_thresholds_eval(out->thresholds, json, len, NULL, res, &n, err);
        if (failed < 0) {
            status = -1;
            goto out;
        }
        ob_thresholds_print(stdout, res, n);
        fflush(stdout);
        *thresholds_failed = failed;
        char *with = ob_thresholds_into_summary(json, len, res, n);
        if (!with) {
            status = ob_err_set(err, "out of memory");
            goto out;
        }
        free(json);
        json = with;
        len = strlen(with);
    }
    if (out->json_path) {
        FILE *f = strcmp(out->json_path, "-") == 0 ? stdout : fopen(out->json_path, "w");
        if (!f) {
            status = ob_err_set(err, "cannot write %s: %s", out->json_path, strerror(errno));
            goto out;
        }
        bad = fwrite(json, 1, len, f) != len;
        if (f != stdout)
            bad |= fclose(f);
        if (bad) {
            status = ob_err_set(err, "cannot write %s", out->json_path);
            goto out;
        }
    }
    if (out->csv_prefix && ob_report_csv(out->csv_prefix, r, err) != 0) {
        status = -1;
        goto out;
    }
    if (out->html_path && write_html(out, r, json, err) != 0) {
        status = -1;
        goto out;
    }
    if (out->mongo) {
        ob_store *store = NULL;
        if (ob_store_open(&store, out->mongo, err) != 0 || ob_store_save_summary(store, out->summary_id, json, err) != 0)
            fprintf(stderr, "outbreak %s: could not store the summary: %s\n", out->command, err->msg);
        ob_store_close(store);
    }
out:
    free(json);
    return status;
}

