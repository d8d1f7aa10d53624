/* run_change.c — run_change_driver, the driver of tests/integration/run_change.sh: runs
 * the load generator's engine (loadgen/run.h) on a real broker in a thread of its own
 * while the main thread changes the load with ob_run_change_load at chosen seconds, then
 * prints what each change answered, the per-second series and the totals.
 *
 *   run_change_driver [--before CHANGE] [--at SECONDS CHANGE]... [--after CHANGE] -- RUN_ARGS...
 *
 * CHANGE is a comma-separated list of users=N, spawn_rate=X, rate=X (what is not named
 * is left as it is); RUN_ARGS are `outbreak run`'s flags (argv[0] "run" included).
 * --before is tried before the run starts, --after once it has ended; SECONDS count
 * from the instant the run began sending (the first change the run accepts: an empty
 * one, tried every millisecond). Output, one line each:
 *
 *   change WHEN CHANGE: rc=0|-1 kind=KIND msg=MESSAGE   (kind and msg when rc=-1)
 *   targets WHEN: users=N spawn_rate=X rate=X            (ob_run_targets after a change)
 *   point t=T users=N sent=N acked=N failed=N
 *   total sent=N acked=N failed=N users=N target_users=N target_spawn_rate=X target_rate=X
 *
 * Exit status 0 when the run opened and executed (whatever the changes answered), 1
 * otherwise, 2 for a bad command line. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "err.h"
#include "options.h"
#include "run.h"

#define MAX_CHANGES 16

typedef struct timed_change {
    double at_s;
    const char *text;
    ob_run_change ch;
} timed_change;

typedef struct exec_arg {
    ob_run *run;
    volatile sig_atomic_t interrupted;
    int rc;
    ob_err err;
} exec_arg;

static int parse_change(const char *text, ob_run_change *ch)
{
    *ch = (ob_run_change){.users = -1, .spawn_rate = -1, .rate = -1};
    char buf[256];
    snprintf(buf, sizeof buf, "%s", text);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return -1;
        *eq = 0;
        char *end;
        double v = strtod(eq + 1, &end);
        if (*end || end == eq + 1)
            return -1;
        if (strcmp(tok, "users") == 0)
            ch->users = (long)v;
        else if (strcmp(tok, "spawn_rate") == 0)
            ch->spawn_rate = v;
        else if (strcmp(tok, "rate") == 0)
            ch->rate = v;
        else
            return -1;
    }
    return 0;
}

static void *exec_main(void *arg)
{
    exec_arg *a = arg;
    a->rc = ob_run_execute(a->run, NULL, NULL, &a->interrupted, &a->err);
    return NULL;
}

static void try_change(ob_run *run, const char *when, const char *text, const ob_run_change *ch)
{
    ob_err err = {0};
    int rc = ob_run_change_load(run, ch, &err);
    if (rc == 0)
        printf("change %s %s: rc=0\n", when, text);
    else
        printf("change %s %s: rc=%d kind=%s msg=%s\n", when, text, rc, ob_err_kind_name(err.kind), err.msg);
    ob_run_change t;
    ob_run_targets(run, &t);
    printf("targets %s: users=%ld spawn_rate=%g rate=%g\n", when, t.users, t.spawn_rate, t.rate);
    fflush(stdout);
}

static int usage(void)
{
    fprintf(stderr, "usage: run_change_driver [--before CHANGE] [--at SECONDS CHANGE]... [--after CHANGE] -- run ARGS...\n");
    return 2;
}

int main(int argc, char **argv)
{
    timed_change at[MAX_CHANGES];
    int nat = 0;
    const char *before = NULL, *after = NULL;
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--before") == 0 && i + 1 < argc)
            before = argv[++i];
        else if (strcmp(argv[i], "--after") == 0 && i + 1 < argc)
            after = argv[++i];
        else if (strcmp(argv[i], "--at") == 0 && i + 2 < argc && nat < MAX_CHANGES) {
            at[nat].at_s = atof(argv[++i]);
            at[nat].text = argv[++i];
            if (parse_change(at[nat].text, &at[nat].ch) != 0)
                return usage();
            nat++;
        } else
            return usage();
    }
    if (i >= argc - 1)
        return usage();
    ob_run_change before_ch, after_ch;
    if ((before && parse_change(before, &before_ch) != 0) || (after && parse_change(after, &after_ch) != 0))
        return usage();

    ob_run_opts opts;
    ob_err err = {0};
    int prc = ob_run_opts_parse(&opts, argc - i - 1, argv + i + 1, &err);
    if (prc != 0) {
        fprintf(stderr, "run_change_driver: %s\n", prc < 0 ? err.msg : "--help");
        return 2;
    }
    exec_arg a = {0};
    if (ob_run_open(&a.run, &opts, &err) != 0) {
        fprintf(stderr, "run_change_driver: %s\n", err.msg);
        return 1;
    }
    if (before)
        try_change(a.run, "before", before, &before_ch);

    pthread_t th;
    if (pthread_create(&th, NULL, exec_main, &a) != 0) {
        fprintf(stderr, "run_change_driver: cannot start the run's thread\n");
        ob_run_free(a.run);
        return 1;
    }
    /* the run is sending once it accepts a change that changes nothing */
    ob_run_change none = {.users = -1, .spawn_rate = -1, .rate = -1};
    int64_t limit = ob_mono_ns() + 30 * OB_NS_PER_S, t0 = 0;
    while (ob_mono_ns() < limit) {
        ob_err e;
        if (ob_run_change_load(a.run, &none, &e) == 0) {
            t0 = ob_mono_ns();
            break;
        }
        ob_sleep_until_mono(ob_mono_ns() + OB_NS_PER_MS);
    }
    if (!t0)
        fprintf(stderr, "run_change_driver: the run did not start sending within 30 s\n");
    for (int k = 0; t0 && k < nat; k++) {
        ob_sleep_until_mono(t0 + (int64_t)(at[k].at_s * 1e9));
        char when[64];
        snprintf(when, sizeof when, "at %g (t=%.3f)", at[k].at_s, (double)(ob_mono_ns() - t0) / 1e9);
        try_change(a.run, when, at[k].text, &at[k].ch);
    }
    pthread_join(th, NULL);
    if (a.rc != 0) {
        fprintf(stderr, "run_change_driver: %s\n", a.err.msg);
        ob_run_free(a.run);
        return 1;
    }
    if (after)
        try_change(a.run, "after", after, &after_ch);

    const ob_run_result *r = ob_run_result_of(a.run);
    for (size_t k = 0; k < r->nseries; k++) {
        const ob_series_point *p = &r->series[k];
        printf("point t=%.3f users=%lld sent=%lld acked=%lld failed=%lld\n", p->t, (long long)p->users,
               (long long)p->sent, (long long)p->acked, (long long)p->failed);
    }
    printf("total sent=%lld acked=%lld failed=%lld users=%lld target_users=%lld target_spawn_rate=%g "
           "target_rate=%g\n",
           (long long)r->sent, (long long)r->acked, (long long)r->failed, (long long)r->users,
           (long long)r->target_users, r->target_spawn_rate, r->target_rate);
    ob_run_free(a.run);
    return 0;
}
