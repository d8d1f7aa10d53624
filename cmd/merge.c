/* merge.c — `outbreak merge`: the merged result of a run's load generators (merge/),
 * written as `outbreak run` writes its own: the summary, thresholds, JSON, CSV, HTML and
 * the summary stored under the run id. Also used by the last worker of a run to merge
 * at its end (ob_cmd_merge_after_run). */
#include "commands.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "flags.h"
#include "merge.h"
#include "outputs.h"
#include "run.h"
#include "store.h"
#include "threshold.h"

typedef struct merge_opts {
    char run_id[OB_RUN_CAP];
    const char *mongo;
    int64_t wait_ns;
    const char *json_path, *csv_prefix, *html_path;
    ob_threshold_set thresholds;
} merge_opts;

/* The exit status of a merged result: as `outbreak run`'s, and 1 when a worker did not
 * finish (its share is missing from the figures, or not final). */
static int merged_status(const ob_merge *m, int thresholds_failed)
{
    int status = ob_run_exit_status(&m->r, thresholds_failed);
    return !ob_merge_complete(m) && (status == 0 || status == OB_RUN_EXIT_UNCONFIRMED) ? 1 : status;
}

static int merge_and_write(const merge_opts *mo, ob_store *store, int argc, char **argv,
                           volatile sig_atomic_t *interrupted, const char *who)
{
    ob_err err;
    ob_merge *m = NULL;
    int64_t t = ob_mono_ns();
    if (ob_merge_run(store, mo->run_id, mo->wait_ns, interrupted, &m, &err) != 0) {
        fprintf(stderr, "outbreak %s: %s\n", who, err.msg);
        return err.kind == OB_ERR_USAGE ? 2 : 1;
    }
    fprintf(stderr, "outbreak %s: merged %d workers' results in %.0f ms\n", who, m->expected,
            (double)(ob_mono_ns() - t) / 1e6);
    ob_merge_print_workers(stdout, m);
    ob_outputs out = {.command = "merge", .opts = &m->opts, .json_path = mo->json_path,
                      .csv_prefix = mo->csv_prefix, .html_path = mo->html_path, .mongo = mo->mongo,
                      .thresholds = &mo->thresholds, .summary_id = mo->run_id, .argc = argc, .argv = argv};
    int failed = 0;
    int status;
    if (ob_write_outputs(&out, &m->r, &failed, &err) != 0) {
        fprintf(stderr, "outbreak %s: %s\n", who, err.msg);
        status = 1;
    } else {
        status = merged_status(m, failed);
    }
    fflush(stdout);
    ob_merge_free(m);
    return status;
}

int ob_cmd_merge(int argc, char **argv, volatile sig_atomic_t *interrupted)
{
    merge_opts mo;
    memset(&mo, 0, sizeof mo);
    mo.mongo = OB_STORE_DEFAULT_URL;
    bool run_given = false;
    const ob_flag flags[] = {
        {.name = "run", .type = OB_FLAG_CUSTOM, .dest = mo.run_id, .parse = ob_run_id_parse, .given = &run_given,
         .value_name = "ID", .help = "the run id the workers shared (required)"},
        {.name = "mongo", .type = OB_FLAG_CUSTOM, .dest = &mo.mongo, .parse = ob_store_flag_url, .value_name = "URL",
         .help = "where the workers stored their results (default " OB_STORE_DEFAULT_URL ")"},
        {.name = "wait", .type = OB_FLAG_DURATION, .dest = &mo.wait_ns, .value_name = "T",
         .help = "wait at most this long for every worker to finish (default 0:\n"
                 "merge what is there now, reporting the workers still going)"},
        {.name = "json", .type = OB_FLAG_CUSTOM, .dest = &mo.json_path, .parse = ob_flag_output_file, .value_name = "FILE",
         .help = "the merged summary as JSON (as run's, with \"workers\")"},
        {.name = "csv", .type = OB_FLAG_CUSTOM, .dest = &mo.csv_prefix, .parse = ob_flag_output_prefix, .value_name = "PREFIX",
         .help = "Locust's CSV files of the merged result"},
        {.name = "html", .type = OB_FLAG_CUSTOM, .dest = &mo.html_path, .parse = ob_flag_output_file, .value_name = "FILE",
         .help = "the HTML report of the merged result"},
        {.name = "threshold", .type = OB_FLAG_CUSTOM, .dest = &mo.thresholds, .parse = ob_threshold_flag,
         .repeatable = true, .value_name = "EXPR",
         .help = "k6's threshold on a merged figure, repeatable (as run's)"},
    };
    ob_flag_set set = {
        .command = "merge",
        .synopsis = "usage: outbreak merge --run ID [--mongo URL] [flags]\n"
                    "\n"
                    "Merges the results of the load generators of one run (outbreak run --workers N)\n"
                    "exactly: counts summed, histograms merged bucket by bucket, series added, lost\n"
                    "decided against MongoDB for every worker's acks.\n\n",
        .epilogue = "\nExit status: as outbreak run's (0, 1 failed or lost, 3 unconfirmed, 99 a threshold\n"
                    "failed), and 1 when a worker did not finish; 2 usage error.\n",
        .flags = flags,
        .nflags = sizeof flags / sizeof flags[0],
    };
    ob_err err;
    int parsed = ob_flags_parse(&set, argc, argv, &err);
    if (parsed != 0) {
        if (parsed < 0)
            fprintf(stderr, "outbreak merge: %s\n", err.msg);
        return parsed < 0 ? 2 : 0;
    }
    if (!run_given) {
        fprintf(stderr, "outbreak merge: --run ID is required (the run id the workers shared)\n");
        return 2;
    }
    ob_store *store = NULL;
    if (ob_store_open(&store, mo.mongo, &err) != 0) {
        fprintf(stderr, "outbreak merge: %s\n", err.msg);
        return 1;
    }
    int status = merge_and_write(&mo, store, argc, argv, interrupted, "merge");
    ob_store_close(store);
    return status;
}

int ob_cmd_merge_after_run(const ob_run_opts *o, int argc, char **argv, volatile sig_atomic_t *interrupted,
                           int own_status)
{
    ob_err err;
    ob_store *store = NULL;
    if (ob_store_open(&store, o->mongo, &err) != 0) {
        fprintf(stderr, "outbreak run: cannot merge: %s\n", err.msg);
        return own_status;
    }
    ob_worker_doc *docs = NULL;
    size_t n = 0;
    int status = own_status;
    if (ob_store_worker_list(store, o->run_id, &docs, &n, &err) != 0) {
        fprintf(stderr, "outbreak run: cannot merge: %s\n", err.msg);
        goto out;
    }
    /* the last worker to end merges: every slot's document says the worker is done */
    int done = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(docs[i].state, "finished") == 0 || strcmp(docs[i].state, "interrupted") == 0 ||
            strcmp(docs[i].state, "failed") == 0)
            done++;
    if (done < o->workers) {
        fprintf(stderr, "outbreak run: worker %ld: %d of %ld workers done; the last one merges "
                        "(or: outbreak merge --run %s)\n", o->worker, done, o->workers, o->run_id);
        goto out;
    }
    char by[96];
    snprintf(by, sizeof by, "worker %ld (pid %ld)", o->worker, (long)getpid());
    int claimed = ob_store_merge_claim(store, o->run_id, by, &err);
    if (claimed < 0) {
        fprintf(stderr, "outbreak run: cannot merge: %s\n", err.msg);
        goto out;
    }
    if (claimed == 0)
        goto out; /* another worker ended at the same time and merges */
    merge_opts mo = {.mongo = o->mongo, .thresholds = o->thresholds};
    snprintf(mo.run_id, sizeof mo.run_id, "%s", o->run_id);
    status = merge_and_write(&mo, store, argc, argv, interrupted, "run");
out:
    ob_store_worker_docs_free(docs, n);
    ob_store_close(store);
    return status;
}
