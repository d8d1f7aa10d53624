/* options.c — parsing `outbreak run` flags into ob_run_opts (see options.h). */
#include "options.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "clock.h"
#include "flags.h"
#include "units.h"
#include "store.h"

static const char synopsis[] =
    "usage: outbreak run [flags]\n"
    "\n"
    "Publishes infection records through one middleware and measures throughput,\n"
    "publish and end-to-end latency and delivery (sent/acked/failed/persisted/lost).\n"
    "\n";

static const char epilogue[] =
    "\n"
    "Exit status: 0 success, 1 if any record failed or was lost, 3 if none was but some\n"
    "acked records were still unconfirmed (not persisted yet, the sinks still working)\n"
    "when --stop-timeout ran out, 99 if a --threshold failed (k6's), 2 usage error.\n";

static int parse_wait(const char *v, void *dest, ob_err *err)
{
    ob_run_opts *o = dest;
    return ob_parse_range(v, &o->wait_min, &o->wait_max, err);
}

static int parse_rate(const char *v, void *dest, ob_err *err)
{
    ob_run_opts *o = dest;
    if (strcmp(v, "max") == 0) {
        o->rate_max = true;
        o->rate = 1e12;
        return 0;
    }
    double d;
    if (ob_parse_count(v, &d, err) || d <= 0 || d > 1e9)
        return ob_err_set(err, "expected records per second like 10000 or 10k, not \"%s\"", v);
    o->rate = d;
    return 0;
}

/* --tick auto (the default), 0 (each record at its own time) or a step. */
static int parse_tick(const char *v, void *dest, ob_err *err)
{
    ob_run_opts *o = dest;
    o->tick_ns = 0;
    o->tick_off = false;
    if (strcmp(v, "auto") == 0)
        return 0;
    int64_t ns;
    if (ob_parse_duration(v, &ns, err) != 0)
        return ob_err_set(err, "expected auto, 0 or a step like 1ms or 500us, not \"%s\"", v);
    o->tick_ns = ns;
    o->tick_off = ns == 0;
    return 0;
}

static int parse_stages(const char *v, void *dest, ob_err *err)
{
    return ob_stages_parse(v, dest, err);
}

/* -i/--iterations: a whole count, "1M" allowed. */
static int parse_iterations(const char *v, void *dest, ob_err *err)
{
    double d;
    if (ob_parse_count(v, &d, err) != 0 || d < 1 || d > 1e15 || d != (double)(long long)d)
        return ob_err_set(err, "expected a whole number of records like 100000 or 1M, not \"%s\"", v);
    *(long long *)dest = (long long)d;
    return 0;
}

/* --start-at: epoch seconds ("1796194800.5") or a UTC time ("2026-12-02T05:00:00Z"). */
static int parse_start_at(const char *v, void *dest, ob_err *err)
{
    int64_t *out = dest;
    char *end;
    errno = 0;
    double secs = strtod(v, &end);
    if (end != v && *end == 0 && errno == 0 && secs > 0 && secs < 4e9) {
        *out = (int64_t)(secs * 1e9);
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(v, "%Y-%m-%dT%H:%M:%S", &tm);
    if (rest && (strcmp(rest, "Z") == 0 || strcmp(rest, "+00:00") == 0)) {
        time_t t = timegm(&tm);
        if (t > 0) {
            *out = (int64_t)t * OB_NS_PER_S;
            return 0;
        }
    }
    return ob_err_set(err, "expected epoch seconds or a UTC time like 2026-12-02T05:00:00Z, not \"%s\"", v);
}

#define MAX_RUN_FLAGS 48

/* The flag table of `outbreak run` into flags[] (room for MAX_RUN_FLAGS): the values go
 * into *o, *users_given (if not NULL) says whether -u was used. Returns the number of
 * flags. */
static size_t run_flags(ob_flag *flags, ob_run_opts *o, bool *users_given, bool *run_id_given)
{
    const ob_flag table[] = {
        {.name = "users", .short_name = 'u', .type = OB_FLAG_LONG, .dest = &o->users, .min = 1,
         .max = 1000000, .given = users_given, .value_name = "N",
         .help = "simulated users (default 1)", .heading = "Load (closed model, Locust's):"},
        {.name = "spawn-rate", .short_name = 'r', .type = OB_FLAG_NUMBER, .dest = &o->spawn_rate,
         .value_name = "N", .help = "users started per second (default 1)"},
        {.name = "wait", .type = OB_FLAG_CUSTOM, .dest = o, .parse = parse_wait,
         .value_name = "MIN-MAX",
         .help = "seconds a user waits after each acked record, uniform;\n"
                 "\"0.1-0.9\" is Locust's between(0.1, 0.9) (default 0)"},
        {.name = "rate", .type = OB_FLAG_CUSTOM, .dest = o, .parse = parse_rate, .value_name = "N",
         .heading = "Load (open model, wrk2's):",
         .help = "records per second in total, e.g. 10k; latency counts\n"
                 "from the intended send time (default: closed model);\n"
                 "\"max\": no pacing, as fast as the broker and the\n"
                 "in-flight window allow (like the brokers' own bench tools)"},
        {.name = "tick", .type = OB_FLAG_CUSTOM, .dest = o, .parse = parse_tick, .value_name = "T",
         .help = "open model: send on a grid of this step, each record\n"
                 "at the first tick at or after its intended time (up to T\n"
                 "late, counted in the send delay and the latency): fewer\n"
                 "wake-ups, less CPU per record; e.g. 1ms. 0: each record\n"
                 "at its own time. auto (the default): 0, except where the\n"
                 "middleware's client library would hold each record a\n"
                 "step anyway; the summary says which (docs/measurement.md)"},
        {.name = "stages", .type = OB_FLAG_CUSTOM, .dest = &o->stages, .parse = parse_stages,
         .repeatable = true, .value_name = "D:T,...",
         .heading = "Load over time (k6's stages):",
         .help = "the load goes linearly from the last stage's target (0 at\n"
                 "first) to each stage's over its duration, e.g. 30s:100,1m:100,\n"
                 "30s:0 (users) or 30s:1000/s,2m:1000/s (a rate: the open\n"
                 "model); the run lasts their sum; repeatable"},
        {.name = "run-time", .short_name = 't', .type = OB_FLAG_DURATION, .dest = &o->run_time_ns,
         .min = 1e-9, .value_name = "T", .heading = "Duration:",
         .help = "e.g. 30s, 5m, 1h30m (default: until Ctrl-C, or until\n"
                 "--once has sent everything)"},
        {.name = "warmup", .type = OB_FLAG_DURATION, .dest = &o->warmup_ns, .value_name = "T",
         .help = "run the load this long before -t starts, unmeasured: its\n"
                 "records go under run id RUN.warmup and are in none of the\n"
                 "figures (OpenMessaging Benchmark's warm-up; default 0)"},
        {.name = "reset-stats", .type = OB_FLAG_BOOL, .dest = &o->reset_stats,
         .help = "Locust's: the figures start once every user is spawned\n"
                 "(-u at -r a second): the spawning is a --warmup, within -t"},
        {.name = "iterations", .short_name = 'i', .type = OB_FLAG_CUSTOM, .dest = &o->iterations,
         .parse = parse_iterations, .value_name = "N",
         .help = "send N records in all, then stop (k6's --iterations, the\n"
                 "brokers' bench tools' message count; with -t, whichever\n"
                 "comes first; after a --warmup, N measured records)\n"
                 "(default: no bound)"},
        {.name = "stop-timeout", .type = OB_FLAG_DURATION, .dest = &o->stop_timeout_ns,
         .value_name = "T",
         .help = "at the end, wait at most this long for broker acks and\n"
                 "then for the sink to persist (default 30s)"},
        {.name = "records", .type = OB_FLAG_STRING, .dest = &o->records, .value_name = "FILE",
         .heading = "Records:",
         .help = "JSON array (like traffic.json) or NDJSON; cycled\n"
                 "(default: the seeded generator)"},
        {.name = "once", .type = OB_FLAG_BOOL, .dest = &o->once,
         .help = "send each record once, then stop"},
        {.name = "seed", .type = OB_FLAG_UINT64, .dest = &o->seed, .value_name = "N",
         .help = "generator and wait-time seed (default 1)"},
        {.name = "pool", .type = OB_FLAG_LONG, .dest = &o->pool, .min = 1, .max = 10000000,
         .value_name = "N", .help = "generated records to cycle through (default 1000)"},
        {.name = "record-size", .type = OB_FLAG_LONG, .dest = &o->record_size, .min = 1, .max = OB_RECORD_SIZE_MAX,
         .value_name = "BYTES",
         .help = "pad each record to this size on the wire, metadata\n"
                 "included (the message size of the brokers' bench tools),\n"
                 "e.g. 1024; the filler is not stored (default: as they\n"
                 "are, about 190 bytes)"},
        {.name = "broker", .type = OB_FLAG_STRING, .dest = &o->broker, .value_name = "URL",
         .heading = "Middleware and database:",
         .help = ob_broker_help()}, /* the adapters' URL shapes and the default */
        {.name = "host", .short_name = 'H', .type = OB_FLAG_STRING, .dest = &o->broker,
         .value_name = "URL",
         .help = "Locust's name for --broker: -H http://127.0.0.1:8000\n"
                 "POSTs each record to a gateway (the HTTP load mode)"},
        {.name = "mongo", .type = OB_FLAG_CUSTOM, .dest = &o->mongo, .parse = ob_store_flag_url, .value_name = "URL",
         .help = "the MongoDB the sink writes to; enables persisted, lost\n"
                 "and end-to-end figures (default: none)"},
        {.name = "headless", .type = OB_FLAG_BOOL, .dest = &o->headless, .heading = "Output:",
         .help = "no web UI: start at once, print the table every 2 s and the\n"
                 "summary (default: open the web UI on --web-port, the flags\n"
                 "pre-filled in its start form, as Locust does)"},
        {.name = "autostart", .type = OB_FLAG_BOOL, .dest = &o->autostart,
         .help = "with the web UI: start the test at once and keep the UI"},
        {.name = "autoquit", .type = OB_FLAG_DURATION, .dest = &o->autoquit_ns, .value_name = "T",
         .given = &o->autoquit_given,
         .help = "with --autostart: quit T after the test ended (10s; 0: at\n"
                 "once), with its exit status, as Locust's --autoquit"},
        {.name = "web-host", .type = OB_FLAG_STRING, .dest = &o->web_host, .value_name = "ADDR",
         .help = "the web UI's address (default 127.0.0.1; 0.0.0.0: every one)"},
        {.name = "web-port", .type = OB_FLAG_LONG, .dest = &o->web_port, .min = 0, .max = 65535,
         .value_name = "PORT", .help = "the web UI's port (default 8089, as Locust's)"},
        {.name = "web-login", .type = OB_FLAG_CUSTOM, .dest = &o->web_login, .parse = ob_flag_login,
         .value_name = "USER:PASS",
         .help = "the web UI asks for this login (HTTP Basic; also\n"
                 "OUTBREAK_WEB_LOGIN)"},
        {.name = "tls-cert", .type = OB_FLAG_STRING, .dest = &o->tls_cert, .value_name = "FILE",
         .help = "serve the web UI (or, --headless, /metrics) over HTTPS with\n"
                 "this certificate (PEM; with --tls-key, Locust's flags)"},
        {.name = "tls-key", .type = OB_FLAG_STRING, .dest = &o->tls_key, .value_name = "FILE",
         .help = "the certificate's private key (PEM)"},
        {.name = "only-summary", .type = OB_FLAG_BOOL, .dest = &o->only_summary,
         .help = "no console table every 2 s, only the final summary"},
        {.name = "csv", .type = OB_FLAG_CUSTOM, .dest = &o->csv_prefix, .parse = ob_flag_output_prefix, .value_name = "PREFIX",
         .help = "Locust's PREFIX_stats.csv, PREFIX_stats_history.csv,\n"
                 "PREFIX_failures.csv, PREFIX_exceptions.csv"},
        {.name = "json", .type = OB_FLAG_CUSTOM, .dest = &o->json_path, .parse = ob_flag_output_file, .value_name = "FILE",
         .help = "the summary as JSON (the contract of docs/measurement.md)"},
        {.name = "html", .type = OB_FLAG_CUSTOM, .dest = &o->html_path, .parse = ob_flag_output_file, .value_name = "FILE",
         .help = "the self-contained HTML report (tables and charts; Locust's\n"
                 "report is the model; opens offline)"},
        {.name = "metrics", .type = OB_FLAG_STRING, .dest = &o->metrics, .value_name = "HOST:PORT",
         .help = "serve Prometheus' /metrics there while running (docs/metrics.md);\n"
                 "at the end, one more scrape is waited for when something scrapes"},
        {.name = "metrics-login", .type = OB_FLAG_CUSTOM, .dest = &o->metrics_login, .parse = ob_flag_login,
         .value_name = "USER:PASS", .help = "/metrics asks for this login (HTTP Basic)"},
        {.name = "threshold", .type = OB_FLAG_CUSTOM, .dest = &o->thresholds, .parse = ob_threshold_flag,
         .repeatable = true,
         .value_name = "EXPR",
         .help = "k6's threshold on a final figure, repeatable, e.g.\n"
                 "publish_p99<50ms, e2e_p95<=200ms, lost==0, failed_rate<0.1%,\n"
                 "persisted_per_s>=1900; one that fails makes the exit\n"
                 "status 99 (docs/measurement.md has the figures)"},
        {.name = "threshold-abort", .type = OB_FLAG_BOOL, .dest = &o->threshold_abort,
         .help = "stop (and drain) as soon as a threshold on a figure known\n"
                 "while running (publish latency, counts, failed_rate,\n"
                 "sent/acked per second) has failed for 10 s"},
        {.name = "run-id", .type = OB_FLAG_CUSTOM, .dest = o->run_id, .parse = ob_run_id_parse,
         .given = run_id_given, .value_name = "ID", .help = "run id (default: UTC time and a random suffix)"},
        {.name = "workers", .type = OB_FLAG_LONG, .dest = &o->workers, .min = 1, .max = OB_MAX_WORKERS,
         .value_name = "N", .heading = "Scale-out (docs/scale-out.md):",
         .help = "this process is one of N load generators sharing --run-id\n"
                 "and --mongo: the load (--rate, -u, --once's records) is\n"
                 "split between them, they start together and the last one\n"
                 "merges the results exactly (default 1)"},
        {.name = "worker", .type = OB_FLAG_LONG, .dest = &o->worker, .min = 0, .max = OB_MAX_WORKERS - 1,
         .value_name = "I",
         .help = "this worker's index, 0..N-1 (default: JOB_COMPLETION_INDEX\n"
                 "when Kubernetes sets it, else claimed in MongoDB)"},
        {.name = "worker-slot", .type = OB_FLAG_LONG, .dest = &o->worker_slot, .min = 1, .max = OB_MAX_WORKERS,
         .value_name = "S", .help = "the index counted from 1 (Docker Swarm's {{.Task.Slot}})"},
        {.name = "start-at", .type = OB_FLAG_CUSTOM, .dest = &o->start_at_ns, .parse = parse_start_at,
         .value_name = "TIME",
         .help = "the workers start sending at this wall-clock time: epoch\n"
                 "seconds or 2026-12-02T05:00:00Z (default: agreed in\n"
                 "MongoDB once all N have connected)"},
        {.name = "start-timeout", .type = OB_FLAG_DURATION, .dest = &o->start_timeout_ns, .min = 1e-9,
         .value_name = "T", .help = "wait at most this long for the other workers (default 2m)"},
        {.name = "threads", .type = OB_FLAG_LONG, .dest = &o->threads, .min = 1, .max = 64,
         .value_name = "N", .heading = "Engine:",
         .help = "worker threads, each with its own connection (default 1)"},
        {.name = "connections", .type = OB_FLAG_LONG, .dest = &o->connections, .min = 1,
         .max = 100000, .value_name = "N",
         .help = "HTTP load mode: keep-alive connections in all, split over the\n"
                 "threads as wrk's -c (default: 8 per thread, or the URL's)"},
        {.name = "max-inflight", .type = OB_FLAG_LONG, .dest = &o->max_inflight, .min = 1,
         .max = 1 << 22, .value_name = "N",
         .help = "unacknowledged records per worker (default 65536)"},
    };
    _Static_assert(sizeof table / sizeof table[0] <= MAX_RUN_FLAGS, "MAX_RUN_FLAGS is too small");
    memcpy(flags, table, sizeof table);
    return sizeof table / sizeof table[0];
}

size_t ob_run_opts_flags(ob_flag *flags, size_t cap, ob_run_opts *o)
{
    ob_flag all[MAX_RUN_FLAGS];
    size_t n = run_flags(all, o, NULL, NULL); /* -u: not told apart from its default here */
    if (n > cap)
        n = cap;
    memcpy(flags, all, n * sizeof *flags);
    return n;
}

static void flag_set(ob_flag_set *set, const ob_flag *flags, size_t n)
{
    memset(set, 0, sizeof *set);
    set->command = "run";
    set->synopsis = synopsis;
    set->epilogue = epilogue;
    set->flags = flags;
    set->nflags = n;
}

void ob_run_opts_help(FILE *f)
{
    ob_run_opts o;
    bool users_given, run_id_given;
    ob_flag flags[MAX_RUN_FLAGS];
    ob_flag_set set;
    flag_set(&set, flags, run_flags(flags, &o, &users_given, &run_id_given));
    ob_flags_help(&set, f);
}

void ob_run_id_new(char *buf, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    unsigned suffix = (unsigned)((uint64_t)ob_mono_ns() ^ (uint64_t)getpid() * 2654435761u) & 0xffff;
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    snprintf(buf, cap, "%s-%04x", stamp, suffix);
}

/* The scale-out flags together: the index from --worker, --worker-slot or Kubernetes'
 * JOB_COMPLETION_INDEX (-1: to be claimed in MongoDB), what N > 1 needs. */
static int check_workers(ob_run_opts *o, bool run_id_given, ob_err *err)
{
    if (o->worker >= 0 && o->worker_slot > 0)
        return ob_err_setk(err, OB_ERR_USAGE, "--worker and --worker-slot exclude each other");
    if (o->worker_slot > 0)
        o->worker = o->worker_slot - 1;
    const char *k8s = getenv("JOB_COMPLETION_INDEX");
    if (o->worker < 0 && o->workers > 1 && k8s && *k8s) {
        char *end;
        errno = 0;
        long v = strtol(k8s, &end, 10);
        if (*end || errno || v < 0 || v >= OB_MAX_WORKERS)
            return ob_err_setk(err, OB_ERR_USAGE, "JOB_COMPLETION_INDEX: expected a worker index, not \"%s\"", k8s);
        o->worker = v;
    }
    if (o->worker >= o->workers)
        return ob_err_setk(err, OB_ERR_USAGE, "--worker %ld is out of range: --workers %ld counts 0..%ld", o->worker,
                           o->workers, o->workers - 1);
    if (o->workers == 1 && o->worker < 0 && o->start_at_ns == 0)
        return 0;
    if (!o->mongo)
        return ob_err_setk(err, OB_ERR_USAGE, "--workers needs --mongo: the workers meet and store their results there");
    if (o->workers > 1 && !run_id_given)
        return ob_err_setk(err, OB_ERR_USAGE, "--workers %ld needs --run-id (or OUTBREAK_RUN_ID), the same for every worker",
                           o->workers);
    if (!o->headless)
        return ob_err_setk(err, OB_ERR_USAGE, "--workers is for --headless runs");
    return 0;
}

int ob_run_opts_apply_stages(ob_run_opts *o, ob_err *err)
{
    if (ob_stages_check(&o->stages, err) != 0)
        return ob_err_kind_set(err, OB_ERR_USAGE);
    if (o->warmup_ns > 0) /* the web UI's form: its stages with run's --warmup */
        return ob_err_setk(err, OB_ERR_USAGE, "--stages and --warmup exclude each other (the stages give the load "
                                              "from the run's start)");
    o->run_time_ns = ob_stages_duration_ns(&o->stages);
    o->rate_max = false;
    o->rate = o->stages.rates ? ob_stages_peak(&o->stages) : 0;
    if (!o->stages.rates)
        o->users = (long)ob_stages_peak(&o->stages);
    return 0;
}

/* --stages: the flags they stand for are not given with them. */
static int apply_stages(ob_run_opts *o, bool users_given, ob_err *err)
{
    const char *other = o->rate > 0 ? "--rate" : users_given ? "-u/--users" : o->run_time_ns > 0 ? "-t/--run-time"
                      : o->once ? "--once" : NULL;
    if (other)
        return ob_err_setk(err, OB_ERR_USAGE, "--stages and %s exclude each other (the stages give the load and the "
                                              "run time)", other);
    if (ob_run_opts_apply_stages(o, err) != 0) {
        if (o->warmup_ns == 0)
            ob_err_prefix(err, "--stages");
        return -1;
    }
    return 0;
}

int ob_run_opts_parse(ob_run_opts *o, int argc, char **argv, ob_err *err)
{
    memset(o, 0, sizeof *o);
    o->broker = ob_broker_default_url();
    o->seed = 1;
    o->pool = 1000;
    o->users = 1;
    o->spawn_rate = 1;
    o->stop_timeout_ns = 30 * OB_NS_PER_S;
    o->threads = 1;
    o->max_inflight = 65536;
    o->web_host = "127.0.0.1";
    o->web_port = 8089;
    o->workers = 1;
    o->worker = -1;
    o->start_timeout_ns = 120 * OB_NS_PER_S;
    bool users_given = false, run_id_given = false;
    ob_flag flags[MAX_RUN_FLAGS];
    ob_flag_set set;
    flag_set(&set, flags, run_flags(flags, o, &users_given, &run_id_given));
    int rc = ob_flags_parse(&set, argc, argv, err);
    if (rc != 0)
        return rc;
    if (o->stages.n > 0 && apply_stages(o, users_given, err) != 0)
        return -1;
    if (check_workers(o, run_id_given, err) != 0)
        return -1;
    long rounded = 1;
    while (rounded < o->max_inflight)
        rounded <<= 1;
    o->max_inflight = rounded;
    if (o->rate > 0 && users_given)
        return ob_err_setk(err, OB_ERR_USAGE, "--rate (open model) and -u/--users (closed model) exclude each other");
    if (o->tick_ns > 0 && (o->rate <= 0 || o->rate_max))
        return ob_err_setk(err, OB_ERR_USAGE, "--tick paces the open model: it needs --rate N (not max)");
    if (o->autoquit_given && !(o->autostart && !o->headless))
        return ob_err_setk(err, OB_ERR_USAGE, "--autoquit ends a web UI test started by --autostart: it needs "
                                              "--autostart (a --headless run quits by itself)");
    if (o->tick_ns > OB_NS_PER_S)
        return ob_err_setk(err, OB_ERR_USAGE, "--tick may be at most 1s (got %.3gs)", (double)o->tick_ns / 1e9);
    if (o->rate == 0 && o->threads > o->users)
        o->threads = o->users;
    if (ob_broker_check_url(o->broker, err) != 0) {
        ob_err_prefix(err, "--broker");
        return ob_err_kind_set(err, OB_ERR_USAGE);
    }
    if (o->connections > 0) {
        if (strncmp(o->broker, "http://", 7) != 0 && strncmp(o->broker, "https://", 8) != 0)
            return ob_err_setk(err, OB_ERR_USAGE, "--connections is for the HTTP load mode (an http:// or https:// --broker)");
        if (strstr(o->broker, "connections="))
            return ob_err_setk(err, OB_ERR_USAGE, "--connections and the URL's connections= exclude each other");
        if (o->connections < o->threads)
            return ob_err_setk(err, OB_ERR_USAGE, "--connections %ld is fewer than --threads %ld (each thread needs one)",
                               o->connections, o->threads);
    }
    if (!o->run_id[0])
        ob_run_id_new(o->run_id, sizeof o->run_id);
    if (o->iterations > 0 && o->once)
        return ob_err_setk(err, OB_ERR_USAGE, "--iterations and --once exclude each other (--once sends the records "
                                              "once; --iterations N sends N of them, cycling)");
    if (o->warmup_ns > 0) {
        char warmup_run[OB_RUN_CAP];
        if (o->once)
            return ob_err_setk(err, OB_ERR_USAGE, "--warmup and --once exclude each other (--once sends each record "
                                                  "once: none is left to warm up with)");
        if (ob_warmup_run_id(o->run_id, warmup_run, sizeof warmup_run) != 0)
            return ob_err_setk(err, OB_ERR_USAGE, "--warmup: the run id \"%s\" is too long to add \".warmup\" (at most "
                                                  "%d characters)", o->run_id, OB_RUN_CAP - 1 - 7);
    }
    ob_run_opts applied = *o; /* applied when the run opens (the web UI's form may change
                                 the users first); checked here */
    return ob_run_opts_apply_reset_stats(&applied, err);
}

int ob_run_opts_apply_reset_stats(ob_run_opts *o, ob_err *err)
{
    if (!o->reset_stats)
        return 0;
    const char *other = o->stages.n > 0 ? "--stages" : o->rate > 0 ? "--rate" : o->once ? "--once"
                      : o->warmup_ns > 0 ? "--warmup" : NULL;
    if (other)
        return ob_err_setk(err, OB_ERR_USAGE, "--reset-stats and %s exclude each other (--reset-stats measures from when "
                                              "the closed model's users are all spawned; %s)", other,
                           o->once || o->warmup_ns > 0 ? "it is a warm-up" : "--warmup T warms up any load");
    int64_t spawn_ns = (int64_t)ceil((double)(o->users - 1) / o->spawn_rate * 1e9);
    if (o->run_time_ns > 0 && spawn_ns >= o->run_time_ns)
        return ob_err_setk(err, OB_ERR_USAGE, "--reset-stats: spawning %ld users at %g a second takes %.3gs, and -t %.3gs "
                                              "ends before: nothing would be measured", o->users, o->spawn_rate,
                           (double)spawn_ns / 1e9, (double)o->run_time_ns / 1e9);
    o->warmup_ns = spawn_ns;
    if (o->run_time_ns > 0)
        o->run_time_ns -= spawn_ns;
    o->reset_stats = false;
    return 0;
}

double ob_run_opts_scheduled(const ob_run_opts *o, double duration_s)
{
    if (o->stages.n > 0)
        return ob_stages_expected(&o->stages, (int64_t)(duration_s * 1e9));
    return o->rate * duration_s;
}

int ob_warmup_run_id(const char *run, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "%s.warmup", run);
    return n > 0 && (size_t)n < cap && ob_run_id_valid(buf) ? 0 : -1;
}
