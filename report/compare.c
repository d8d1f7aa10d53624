/* compare.c — `outbreak compare` (see compare.h): the flags and the loop that runs the
 * workload through each middleware in turn. It names no middleware: their names, default
 * URLs, endpoints and whether the sink is the server come from the adapters' registry
 * (broker.h). */
#include "compare.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker.h"
#include "child.h"
#include "clock.h"
#include "file.h"
#include "flags.h"
#include "html_report.h"
#include "net.h"
#include "options.h"
#include "procstat.h"
#include "results.h"
#include "store.h"
#include "summary.h"
#include "threshold.h"
#include "url.h"

#define MAX_MIDDLEWARES 16
#define MAX_PASS 128
#define SAMPLE_MS 250

typedef struct compare_opts {
    const char *names[MAX_MIDDLEWARES];
    int nnames;
    bool from_all[MAX_MIDDLEWARES]; /* named by "all": not running is not an error */
    const char *url_of[MAX_MIDDLEWARES][2]; /* --url NAME=URL: {name, url} */
    int nurls;
    char *url_store[MAX_MIDDLEWARES];
    char *brokers_text;           /* --brokers, cut into names[] */
    const char *out;
    const char *mongo;
    bool external_sinks;
    int sink_ready_s;
    char *pass[MAX_PASS];         /* flags handed to every `outbreak run` */
    int npass;
    ob_run_opts workload;         /* the same flags parsed, for the parameters */
    ob_threshold_set thresholds;  /* --threshold: evaluated here on each summary, not
                                     handed to the runs */
} compare_opts;

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fputs("outbreak compare: ", stderr);
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return -1;
}

/* A middleware with an adapter in "all" (by its way, the name records carry). */
static bool is_known(const char *name)
{
    return ob_broker_by_way(name) != NULL;
}

static const char *url_override(const compare_opts *o, const char *name)
{
    for (int i = o->nurls - 1; i >= 0; i--)
        if (strcmp(o->url_of[i][0], name) == 0)
            return o->url_of[i][1];
    return NULL;
}

static bool valid_name(const char *s)
{
    if (!*s || strlen(s) > 24)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' || *s == '_'))
            return false;
    return true;
}

/* Appends a middleware name unless it is there already. */
static int add_name(compare_opts *o, const char *name, bool from_all)
{
    for (int i = 0; i < o->nnames; i++)
        if (strcmp(o->names[i], name) == 0) {
            if (!from_all && !o->from_all[i])
                return usage_error("--brokers: %s is listed twice%s", name, "");
            o->from_all[i] &= from_all;
            return 0;
        }
    if (o->nnames == MAX_MIDDLEWARES)
        return usage_error("--brokers: at most 16 middlewares%s%s", "", "");
    o->from_all[o->nnames] = from_all;
    o->names[o->nnames++] = name;
    return 0;
}

/* Splits --brokers into names (the option's value is kept alive by argv); "all" stands
 * for the middlewares of the registry's "all". */
static int parse_brokers(compare_opts *o, char *list)
{
    o->nnames = 0;
    for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "all") == 0) {
            for (int i = 0; i < ob_broker_all_count(); i++)
                if (add_name(o, ob_broker_all_at(i)->way, true) != 0)
                    return -1;
            continue;
        }
        if (!valid_name(tok))
            return usage_error("--brokers: \"%s\" is not a middleware name (lower-case letters, digits, - and _)%s",
                               tok, "");
        if (add_name(o, tok, false) != 0)
            return -1;
    }
    if (o->nnames == 0)
        return usage_error("--brokers: no middleware named%s%s", "", "");
    return 0;
}

/* The ways of "all", comma-separated, for messages. */
static const char *known_list(void)
{
    return ob_broker_ways();
}

/* The help's epilogue followed by each middleware's default URL; malloc'd (NULL when
 * out of memory). */
static char *middleware_list(const char *epilogue_text)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    fputs(epilogue_text, f);
    fputs("\nMiddlewares and their default URLs (<id>: the comparison's id, lower case):\n", f);
    for (int i = 0; i < ob_broker_all_count(); i++) {
        const ob_broker_ops *ops = ob_broker_all_at(i);
        char url[1024];
        ob_broker_local_url(ops, "<id>", url, sizeof url);
        fprintf(f, "  %-9s %s\n", ops->way, url);
    }
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

static const char synopsis[] =
    "usage: outbreak compare [--brokers LIST] [run's workload flags] [--out DIR] [flags]\n"
    "\n"
    "Runs one workload through each middleware in turn, with the same records, each into\n"
    "MongoDB through a sink that compare starts and stops; samples the CPU and memory of\n"
    "the broker, the sink, the load generator and the database from /proc; writes\n"
    "DIR/results.json and the self-contained report DIR/index.html.\n"
    "\n";

static const char epilogue[] =
    "\n"
    "Workload flags are those of `outbreak run` and mean the same (see outbreak run\n"
    "--help): --rate N | -u N -r N [--wait A-B] | --stages D:T,..., -t DURATION (default\n"
    "10s unless -i, --stages or --once end the run), -i N, --warmup T, --reset-stats,\n"
    "--record-size BYTES, --records FILE [--once], --seed N, --pool N, --threads N,\n"
    "--max-inflight N, --stop-timeout DURATION. Not allowed here: --broker, --json, --csv,\n"
    "--html, --run-id\n"
    "(compare sets them per middleware).\n"
    "\n"
    "Exit status: 0 when every middleware ran with nothing failed, lost or unconfirmed;\n"
    "1 otherwise, or when a middleware asked for by name could not run; 2 on a usage\n"
    "error.\n";

/* --url NAME=URL, repeatable. */
static int parse_url(const char *v, void *dest, ob_err *err)
{
    compare_opts *o = dest;
    const char *eq = strchr(v, '=');
    if (!eq || eq == v)
        return ob_err_set(err, "expected NAME=URL, not \"%s\"", v);
    if (o->nurls == MAX_MIDDLEWARES)
        return ob_err_set(err, "at most %d", MAX_MIDDLEWARES);
    char *name = strndup(v, (size_t)(eq - v));
    o->url_store[o->nurls] = name;
    if (!name || !valid_name(name)) {
        ob_err_set(err, "\"%s\" is not a middleware name", name ? name : "");
        free(name);
        o->url_store[o->nurls] = NULL;
        return -1;
    }
    if (ob_broker_check_url(eq + 1, err) != 0) {
        size_t n = strlen(name);
        bool named = strncmp(err->msg, name, n) == 0 && err->msg[n] == ':'; /* the adapter named it */
        return named ? -1 : ob_err_prefix(err, "%s", name);
    }
    o->url_of[o->nurls][0] = name;
    o->url_of[o->nurls][1] = eq + 1;
    o->nurls++;
    return 0;
}

/* Whether a flag handed on to `outbreak run` is `name` ("--json" or "--json=..."). */
static bool is_flag(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

/* 0, 1 after --help, -1 after a usage error (printed). */
static int parse_flags(compare_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof *o);
    o->mongo = OB_STORE_DEFAULT_URL;
    o->sink_ready_s = 60;
    static char all[] = "all";
    char *brokers = all;
    const ob_flag flags[] = {
        {.name = "brokers", .type = OB_FLAG_STRING, .dest = &brokers, .value_name = "LIST",
         .help = "middlewares, comma-separated (see below), \"all\" for every\n"
                 "middleware built in, or names given with --url (default all;\n"
                 "those of \"all\" not running are listed as missing, a\n"
                 "middleware named alone must run)"},
        {.name = "url", .type = OB_FLAG_CUSTOM, .dest = o, .parse = parse_url, .value_name = "NAME=URL",
         .repeatable = true,
         .help = "the URL for a middleware (repeatable); the defaults are the\n"
                 "local stack's, with names of this comparison's own (below)"},
        {.name = "mongo", .type = OB_FLAG_CUSTOM, .dest = &o->mongo, .parse = ob_store_flag_url, .value_name = "URL",
         .help = "MongoDB for the sinks and the accounting\n"
                 "(default " OB_STORE_DEFAULT_URL "); each middleware\n"
                 "writes to a database of its own: DB_<id>_<middleware>\n"
                 "(with --external-sinks: DB itself, where they write)"},
        {.name = "out", .type = OB_FLAG_STRING, .dest = &o->out, .value_name = "DIR",
         .help = "where results.json, index.html, the summaries, Locust CSVs\n"
                 "and logs go (default out/compare-<id>)"},
        {.name = "external-sinks", .type = OB_FLAG_BOOL, .dest = &o->external_sinks,
         .help = "use sinks that are already running (sink cost is then null)"},
        {.name = "sink-ready-timeout", .type = OB_FLAG_INT, .dest = &o->sink_ready_s, .min = 1,
         .max = 3600, .value_name = "SECONDS", .help = "wait for a started sink to subscribe (default 60)"},
        {.name = "threshold", .type = OB_FLAG_CUSTOM, .dest = &o->thresholds, .parse = ob_threshold_flag,
         .value_name = "EXPR", .repeatable = true,
         .help = "k6's threshold on each middleware's final figures, repeatable;\n"
                 "NAME:EXPR for one middleware, e.g. NAME:e2e_p99<500ms; one\n"
                 "that fails makes the exit status 99"},
    };
    /* run's workload flags, for the keys of the files and the variables that compare
     * hands on (checked on a scratch copy): not those compare sets for each run */
    static const char *const set_here[] = {"broker", "host", "json", "csv", "html", "run-id", "headless",
                                           "only-summary", "autostart", "web-host", "web-port", "web-login",
                                           NULL};
    ob_run_opts scratch;
    memset(&scratch, 0, sizeof scratch);
    ob_flag run_flags[64], workload[64];
    size_t nrun = ob_run_opts_flags(run_flags, 64, &scratch), nworkload = 0;
    for (size_t i = 0; i < nrun; i++) {
        bool skip = !run_flags[i].name;
        for (int k = 0; !skip && set_here[k]; k++)
            skip = strcmp(run_flags[i].name, set_here[k]) == 0;
        if (!skip)
            workload[nworkload++] = run_flags[i];
    }
    char *epilogue_text = middleware_list(epilogue);
    ob_flag_set set = {.command = "compare",
                       .synopsis = synopsis,
                       .epilogue = epilogue_text ? epilogue_text : epilogue,
                       .flags = flags,
                       .nflags = sizeof flags / sizeof flags[0],
                       .rest = o->pass,
                       .max_rest = MAX_PASS - 4,
                       .nrest = &o->npass,
                       .rest_flags = workload,
                       .nrest_flags = nworkload};
    ob_err err;
    int rc = ob_flags_parse(&set, argc, argv, &err);
    free(epilogue_text);
    if (rc != 0)
        return rc > 0 ? 1 : usage_error("%s%s", err.msg, "");
    bool have_time = false;
    for (int i = 0; i < o->npass; i++) {
        static const char *const forbidden[] = {"--broker", "--json", "--csv", "--run-id", "--html", NULL};
        for (int k = 0; forbidden[k]; k++)
            if (is_flag(o->pass[i], forbidden[k]))
                return usage_error("%s is set by compare for each middleware (see outbreak compare --help)%s",
                                   forbidden[k], "");
        if (strcmp(o->pass[i], "-t") == 0 || strncmp(o->pass[i], "-t", 2) == 0 || is_flag(o->pass[i], "--run-time") ||
            strcmp(o->pass[i], "--once") == 0 || is_flag(o->pass[i], "--stages") ||
            is_flag(o->pass[i], "--iterations") || strncmp(o->pass[i], "-i", 2) == 0)
            have_time = true; /* the stages last their sum; -i ends with its records */
    }
    if (!have_time) {
        o->pass[o->npass++] = "-t";
        o->pass[o->npass++] = "10s";
    }
    /* a copy: the value may be the environment's own OUTBREAK_BROKERS */
    if (!(o->brokers_text = strdup(brokers)))
        return usage_error("out of memory%s%s", "", "");
    if (parse_brokers(o, o->brokers_text) != 0)
        return -1;
    for (int i = 0; i < o->nnames; i++)
        if (!is_known(o->names[i]) && !url_override(o, o->names[i]))
            return usage_error("--brokers: unknown middleware \"%s\" (known: %s; or give its URL with --url "
                               "NAME=URL)",
                               o->names[i], known_list());
    for (int i = 0; i < o->thresholds.n; i++) {
        const char *m = o->thresholds.items[i].middleware;
        bool in = !m[0];
        for (int k = 0; k < o->nnames && !in; k++)
            in = strcmp(o->names[k], m) == 0;
        if (!in)
            return usage_error("--threshold: \"%s\": %s is not a middleware of this comparison",
                               o->thresholds.items[i].text, m);
    }
    if (strncmp(o->mongo, "mongodb://", 10) != 0 && strncmp(o->mongo, "mongodb+srv://", 14) != 0)
        return usage_error("--mongo: expected a mongodb:// URL, not \"%s\"%s", o->mongo, "");
    /* the workload flags must be good for `outbreak run`: parse them here once (with a
     * stand-in broker), so that a mistake is one line now, not five failed runs */
    char *args[MAX_PASS + 4];
    int n = 0;
    args[n++] = "run";
    args[n++] = "--no-config"; /* the files' and variables' workload flags are in pass */
    for (int i = 0; i < o->npass; i++)
        args[n++] = o->pass[i];
    args[n] = NULL;
    rc = ob_run_opts_parse(&o->workload, n, args, &err);
    if (rc > 0)
        return 1;
    if (rc < 0)
        return usage_error("%s%s", err.msg, "");
    return 0;
}

/* Whether something accepts TCP connections at host:port within timeout_ms. */
static bool tcp_reachable(const char *host, int port, int timeout_ms)
{
    return ob_tcp_connect(host, port, timeout_ms, NULL, NULL) == 0;
}

static bool is_local(const char *host)
{
    char me[256] = "";
    gethostname(me, sizeof me);
    return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "localhost") == 0 ||
           strcmp(host, "::1") == 0 || strcmp(host, "0.0.0.0") == 0 || strcmp(host, me) == 0 ||
           strncmp(host, "127.", 4) == 0;
}

/* Finds the processes listening on a local port, for the cost sampling; describes them
 * in `what` ("NAME (pid 12)"). */
static void find_group(ob_proc_group *g, const char *host, int port, char *what, size_t cap)
{
    memset(g, 0, sizeof *g);
    what[0] = '\0';
    if (!host[0] || !is_local(host))
        return;
    g->npids = ob_proc_listeners(port, g->pids, OB_PROC_MAX_PIDS);
    size_t used = 0;
    for (int i = 0; i < g->npids && used + 1 < cap; i++) {
        char name[64];
        ob_proc_name(g->pids[i], name, sizeof name);
        used += (size_t)snprintf(what + used, cap - used, "%s%s (pid %ld)", i ? ", " : "", name,
                                 (long)g->pids[i]);
    }
}

/* A run with a warm-up: the cost over its measured time, from the instant the warm-up
 * ended (started_at_ns) to the end of the run, as the sampler saw it (groups: broker,
 * database, sink); the load generator's from its own summary. The peak RSS of the
 * broker, database and sink are those of that window too. */
static void cost_after_warmup(ob_cost *cost, const ob_proc_group *groups, const ob_summary_figures *fig,
                              bool sink_is_server, bool external_sinks)
{
    double cpu, rss;
    cost->after_warmup = true;
    if (!sink_is_server && ob_proc_group_window(&groups[0], fig->started_at_ns, &cpu, &rss) == 0) {
        cost->broker_cpu_s = cpu;
        cost->broker_peak_rss_mb = rss;
    }
    if (ob_proc_group_window(&groups[1], fig->started_at_ns, &cpu, &rss) == 0) {
        cost->db_cpu_s = cpu;
        cost->db_peak_rss_mb = rss;
    }
    if (!external_sinks) {
        ob_proc_group_window(&groups[2], fig->started_at_ns, &cpu, &rss);
        cost->sink_cpu_s = cpu; /* -1 if the sampler never read it: unknown */
        cost->sink_peak_rss_mb = rss;
    }
    if (isfinite(fig->loadgen_cpu_s))
        cost->loadgen_cpu_s = fig->loadgen_cpu_s;
}

/* The MongoDB URL for one middleware: the database of --mongo (default "outbreak") with
 * "_<id>_<middleware>" appended, so that each middleware's records start an empty
 * collection (FerretDB's inserts slow down as a collection grows, and its count of a
 * run's records scans the whole collection) and every comparison keeps its own. */
static int mongo_for(const char *mongo, const char *id, const char *name, char *buf, size_t cap)
{
    const char *hosts = strstr(mongo, "://");
    hosts = hosts ? hosts + 3 : mongo;
    const char *slash = strchr(hosts, '/'), *query = strchr(hosts, '?');
    if (query && slash && slash > query)
        slash = NULL;
    const char *db = slash ? slash + 1 : "";
    size_t dblen = query ? (size_t)(query - db) : strlen(db);
    if (!slash)
        dblen = 0;
    const char *base = dblen ? db : "outbreak";
    if (!dblen)
        dblen = strlen(base);
    size_t head = slash ? (size_t)(slash - mongo) : query ? (size_t)(query - mongo) : strlen(mongo);
    if (dblen + strlen(id) + strlen(name) + 2 > 63)
        return -1; /* MongoDB's limit on a database name */
    int n = snprintf(buf, cap, "%.*s/%.*s_%s_%s%s", (int)head, mongo, (int)dblen, base, id, name,
                     query ? query : "");
    return n < 0 || (size_t)n >= cap ? -1 : 0;
}

typedef struct comparison {
    compare_opts o;
    char id[OB_RUN_CAP];
    char out[400];
    ob_results results;
    const char *labels[MAX_MIDDLEWARES]; /* the name of each summary, as asked for */
    bool any_bad;
} comparison;

static void add_missing(comparison *c, const char *name, const char *reason, bool asked)
{
    ob_missing *m = &c->results.missing[c->results.nmissing++];
    snprintf(m->middleware, sizeof m->middleware, "%s", name);
    snprintf(m->reason, sizeof m->reason, "%s", reason);
    printf("  %s: not run: %s\n", name, reason);
    if (asked)
        c->any_bad = true;
}

/* A figure for the console: "-" when unknown, no exponent. */
static const char *fig(char *buf, size_t cap, double v, int decimals)
{
    if (!isfinite(v) || v < 0)
        snprintf(buf, cap, "-");
    else
        snprintf(buf, cap, "%.*f", v >= 100 ? 0 : decimals, v);
    return buf;
}

static void print_figures(const ob_summary_figures *s, const ob_cost *cost)
{
    char unconfirmed[48] = "";
    if (s->unconfirmed > 0)
        snprintf(unconfirmed, sizeof unconfirmed, "  unconfirmed %" PRId64, s->unconfirmed);
    char a[32], b[32], c[32], d[32], e[32];
    printf("  sent %" PRId64 "  acked %" PRId64 "  failed %" PRId64 "  persisted %" PRId64
           "  duplicates %" PRId64 "  lost %" PRId64 "%s\n",
           s->sent, s->acked, s->failed, s->persisted, s->duplicates, s->lost, unconfirmed);
    printf("  %s records/s persisted; latency ms: publish p50 %s p99 %s, end-to-end p50 %s p99 %s\n",
           fig(a, sizeof a, s->persisted_per_s, 0), fig(b, sizeof b, s->publish_p50_ms, 2),
           fig(c, sizeof c, s->publish_p99_ms, 2), fig(d, sizeof d, s->e2e_p50_ms, 2),
           fig(e, sizeof e, s->e2e_p99_ms, 2));
    /* no broker process (the sink is the server): say so, not 0.00 */
    bool no_broker = strncmp(cost->broker_process, "none", 4) == 0;
    printf("  CPU s: broker %s, sink %s, load generator %s (database %s)%s\n",
           no_broker ? cost->broker_process : fig(a, sizeof a, cost->broker_cpu_s, 2),
           fig(b, sizeof b, cost->sink_cpu_s, 2),
           fig(c, sizeof c, cost->loadgen_cpu_s, 2), fig(d, sizeof d, cost->db_cpu_s, 2),
           cost->after_warmup ? ", after the warm-up" : "");
}

/* One middleware: sink up, sampler on, `outbreak run`, sampler off, sink down, summary
 * with cost into the results. */
static void run_one(comparison *c, const char *name, volatile sig_atomic_t *interrupted)
{
    const compare_opts *o = &c->o;
    char url[1024], shown[1024], reason[1400];
    const char *given = url_override(o, name);
    if (given)
        snprintf(url, sizeof url, "%s", given);
    else
        ob_broker_local_url(ob_broker_by_way(name), c->id, url, sizeof url);
    int index = 0;
    while (index < o->nnames && strcmp(o->names[index], name) != 0)
        index++;
    bool asked = index == o->nnames || !o->from_all[index];
    printf("\n[%s] %s\n", name, ob_url_redacted(url, shown, sizeof shown));
    fflush(stdout);
    char host[256];
    int port;
    ob_broker_endpoint(url, host, sizeof host, &port);
    const ob_broker_ops *ops = ob_broker_of_url(url); /* checked: not NULL */
    if (host[0] && port > 0 && !tcp_reachable(host, port, 2000)) {
        snprintf(reason, sizeof reason, "nothing answers at %s:%d%s", host, port,
                 given ? "" : " (start it: scripts/stack up)");
        add_missing(c, name, reason, asked);
        return;
    }
    char log_sink[600], log_run[600], json_path[1100], csv_prefix[1100], run_id[OB_RUN_CAP + 32],
        sink_id[OB_RUN_CAP + 32];
    snprintf(log_sink, sizeof log_sink, "%s/%s-sink.log", c->out, name);
    snprintf(log_run, sizeof log_run, "%s/%s-run.log", c->out, name);
    snprintf(json_path, sizeof json_path, "%s/%s.json", c->out, name);
    snprintf(csv_prefix, sizeof csv_prefix, "%s/%s", c->out, name);
    snprintf(run_id, sizeof run_id, "%s-%s", c->id, name);
    snprintf(sink_id, sizeof sink_id, "compare-%s-%s", c->id, name);
    remove(json_path);
    ob_err err;
    char mongo[1200];
    if (o->external_sinks) /* they write where they were told to: count there */
        snprintf(mongo, sizeof mongo, "%s", o->mongo);
    else if (mongo_for(o->mongo, c->id, name, mongo, sizeof mongo) != 0) {
        add_missing(c, name, "the database name for it would be too long (shorten the one in --mongo)", true);
        return;
    }
    ob_child sink = {0}, run = {0};
    if (!o->external_sinks) {
        char *sink_argv[] = {"sink", "--broker", url, "--mongo", mongo, "--id", sink_id,
                             "--ready-fd", "3", NULL};
        if (ob_child_start(&sink, sink_argv, log_sink, true, true, &err) != 0 ||
            ob_child_wait_ready(&sink, o->sink_ready_s * 1000, log_sink, &err) != 0) {
            snprintf(reason, sizeof reason, "its sink did not start: %s (log: %s)", err.msg, log_sink);
            ob_child_stop(&sink, 5000);
            add_missing(c, name, reason, asked);
            return;
        }
    }
    ob_cost cost;
    memset(&cost, 0, sizeof cost);
    cost.sampled_every_ms = SAMPLE_MS;
    ob_proc_group groups[3]; /* broker, database, sink */
    find_group(&groups[0], host, port, cost.broker_process, sizeof cost.broker_process);
    char db_host[256];
    int db_port = 27017;
    ob_url murl;
    if (ob_url_parse(o->mongo, &murl, &err) == 0) {
        snprintf(db_host, sizeof db_host, "%s", murl.host);
        db_port = murl.port ? murl.port : 27017;
        ob_url_free(&murl);
    } else {
        db_host[0] = '\0';
    }
    find_group(&groups[1], db_host, db_port, cost.db_process, sizeof cost.db_process);
    /* the sink: its own figures over the measured time when the run has a warm-up */
    memset(&groups[2], 0, sizeof groups[2]);
    if (!o->external_sinks) {
        groups[2].pids[0] = sink.pid;
        groups[2].npids = 1;
    }
    ob_proc_sampler *sampler = NULL;
    if (ob_proc_sampler_start(&sampler, groups, 3, SAMPLE_MS, &err) != 0)
        fprintf(stderr, "outbreak compare: %s (no broker or database cost)\n", err.msg);
    char *run_argv[MAX_PASS + 20];
    int n = 0;
    /* --no-config: the run gets every flag from here (the files' and variables' workload
     * flags are in pass), so that it does the workload of the parameters */
    char *fixed[] = {"run", "--no-config", "--broker", url, "--mongo", mongo, "--run-id", run_id,
                     "--json", json_path, "--csv", csv_prefix, "--headless", "--only-summary"};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        run_argv[n++] = fixed[i];
    for (int i = 0; i < o->npass; i++)
        run_argv[n++] = o->pass[i];
    run_argv[n] = NULL;
    int rc = -1;
    if (ob_child_start(&run, run_argv, log_run, false, false, &err) != 0)
        fprintf(stderr, "outbreak compare: %s\n", err.msg);
    else
        rc = ob_child_wait(&run, interrupted);
    ob_proc_sampler_stop(sampler);
    if (!o->external_sinks) {
        int src = ob_child_stop(&sink, 20000);
        if (src != 0) { /* a clean stop is exit 0: anything else is worth a look */
            printf("  the sink exited with status %d on SIGTERM (log: %s)\n", src, log_sink);
            c->any_bad = true;
        }
    }
    size_t len = 0;
    char *summary = rc >= 0 ? ob_file_read(json_path, &len, &err) : NULL;
    ob_summary_figures fig;
    if (!summary || ob_summary_read(summary, len, &fig, &err) != 0) {
        for (int i = 0; i < 3; i++)
            ob_proc_group_release(&groups[i]);
        char last[200];
        ob_log_last_line(log_run, last, sizeof last);
        snprintf(reason, sizeof reason, "outbreak run exited with status %d without a summary: %s (log: %s)",
                 rc, last[0] ? last : "(no output)", log_run);
        free(summary);
        add_missing(c, name, reason, true);
        return;
    }
    if (ops && ops->sink_is_server) {
        cost.broker_cpu_s = cost.broker_peak_rss_mb = 0;
        snprintf(cost.broker_process, sizeof cost.broker_process, "none (the sink serves %s)", ops->title);
    } else {
        cost.broker_cpu_s = ob_proc_group_cpu_s(&groups[0]);
        cost.broker_peak_rss_mb = groups[0].npids ? groups[0].peak_rss_mb : -1;
    }
    cost.db_cpu_s = ob_proc_group_cpu_s(&groups[1]);
    cost.db_peak_rss_mb = groups[1].npids ? groups[1].peak_rss_mb : -1;
    cost.sink_cpu_s = o->external_sinks ? -1 : sink.cpu_s;
    cost.sink_peak_rss_mb = o->external_sinks ? -1 : sink.peak_rss_mb;
    cost.loadgen_cpu_s = run.cpu_s;
    cost.loadgen_peak_rss_mb = run.peak_rss_mb;
    if (fig.warmup_s > 0 && fig.started_at_ns > 0)
        cost_after_warmup(&cost, groups, &fig, ops && ops->sink_is_server, o->external_sinks);
    for (int i = 0; i < 3; i++)
        ob_proc_group_release(&groups[i]);
    double records = fig.persisted >= 0 ? (double)fig.persisted : (double)fig.acked;
    double per_s = isfinite(fig.persisted_per_s) ? fig.persisted_per_s : fig.acked_per_s;
    char *cost_text = ob_cost_json(&cost, records, per_s);
    char *full = cost_text ? ob_summary_with_cost(summary, len, cost_text, &err) : NULL;
    free(cost_text);
    free(summary);
    /* "label": the name the middleware was asked for by (a --url NAME), first */
    char label[64] = "";
    ob_json_write_string(label, sizeof label, name); /* names are at most 24 characters */
    char *labelled = full ? malloc(strlen(full) + strlen(label) + 16) : NULL;
    if (labelled)
        sprintf(labelled, "{\"label\":%s,%s", label, full + 1);
    free(full);
    full = labelled;
    if (!full) {
        add_missing(c, name, "could not add the cost to the summary", true);
        return;
    }
    FILE *f = fopen(json_path, "w"); /* the per-middleware summary, cost included */
    if (f) {
        fprintf(f, "%s\n", full);
        fclose(f);
    }
    c->labels[c->results.nsummaries] = name;
    c->results.summaries[c->results.nsummaries++] = full;
    print_figures(&fig, &cost);
    if (fig.failed != 0 || fig.lost != 0 || fig.unconfirmed > 0 || rc != 0)
        c->any_bad = true;
}

/* --threshold on each middleware's summary: the table, and the results into the
 * summaries (so into results.json and the report). Returns how many failed (a
 * threshold whose middleware did not run fails: its figure is unknown). */
static int evaluate_thresholds(comparison *c)
{
    const ob_threshold_set *set = &c->o.thresholds;
    if (set->n == 0)
        return 0;
    ob_threshold_result all[OB_MAX_THRESHOLDS];
    int nall = 0, failed = 0;
    for (int i = 0; i < c->results.nsummaries; i++) {
        ob_threshold_result res[OB_MAX_THRESHOLDS];
        int n = 0;
        ob_err err;
        const char *text = c->results.summaries[i];
        int f = ob_thresholds_eval(set, text, strlen(text), c->labels[i], res, &n, &err);
        if (f < 0) {
            fprintf(stderr, "outbreak compare: %s\n", err.msg);
            failed++;
            continue;
        }
        failed += f;
        char *with = ob_thresholds_into_summary(text, strlen(text), res, n);
        if (with) {
            size_t wl = strlen(with);
            while (wl && with[wl - 1] == '\n')
                with[--wl] = 0;
            free(c->results.summaries[i]);
            c->results.summaries[i] = with;
        }
        for (int k = 0; k < n && nall < OB_MAX_THRESHOLDS; k++)
            all[nall++] = res[k];
    }
    /* a threshold for a middleware that did not run: unknown, failed */
    for (int t = 0; t < set->n && nall < OB_MAX_THRESHOLDS; t++) {
        const ob_threshold *th = &set->items[t];
        if (!th->middleware[0])
            continue;
        bool ran = false;
        for (int i = 0; i < c->results.nsummaries && !ran; i++)
            ran = strcmp(c->labels[i], th->middleware) == 0;
        if (ran)
            continue;
        ob_threshold_result *r = &all[nall++];
        memset(r, 0, sizeof *r);
        r->t = th;
        snprintf(r->middleware, sizeof r->middleware, "%s", th->middleware);
        failed++;
    }
    printf("\n");
    ob_thresholds_print(stdout, all, nall);
    return failed;
}

/* The "params" object: what was asked for, and the workload as `outbreak run` read it. */
static char *params_json(const comparison *c, int argc, char **argv)
{
    const compare_opts *o = &c->o;
    return ob_params_json(o->names, o->nnames, argc, argv, &o->workload, o->mongo, o->external_sinks);
}

static int make_dir(const char *path)
{
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    return mkdir(tmp, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static int write_results(comparison *c, const char *params)
{
    char path[1100], tmp[1120], html[1100];
    snprintf(path, sizeof path, "%s/results.json", c->out);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    snprintf(html, sizeof html, "%s/index.html", c->out);
    c->results.params_json = params;
    c->results.finished_real_ns = ob_real_ns();
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "outbreak compare: cannot write %s: %s\n", tmp, strerror(errno));
        return -1;
    }
    int bad = ob_results_write(f, &c->results);
    bad |= fclose(f);
    if (bad || rename(tmp, path) != 0) {
        fprintf(stderr, "outbreak compare: cannot write %s\n", path);
        return -1;
    }
    ob_err err;
    if (ob_html_report_file(path, html, &err) != 0) {
        fprintf(stderr, "outbreak compare: %s\n", err.msg);
        return -1;
    }
    printf("\nresults: %s\nreport:  %s\n", path, html);
    return 0;
}

int ob_compare_main(int argc, char **argv, volatile sig_atomic_t *interrupted)
{
    comparison c;
    memset(&c, 0, sizeof c);
    int rc = parse_flags(&c.o, argc, argv);
    int status = 2;
    if (rc != 0) {
        status = rc > 0 ? 0 : 2;
        goto out;
    }
    compare_opts *o = &c.o;
    snprintf(c.id, sizeof c.id, "%s", o->workload.run_id);
    snprintf(c.out, sizeof c.out, "%s", o->out ? o->out : "");
    if (o->out && strlen(o->out) > 300) {
        fprintf(stderr, "outbreak compare: --out: a directory name of at most 300 characters, please\n");
        goto out;
    }
    if (!o->out)
        snprintf(c.out, sizeof c.out, "out/compare-%s", c.id);
    if (make_dir(c.out) != 0) {
        fprintf(stderr, "outbreak compare: cannot create %s: %s\n", c.out, strerror(errno));
        status = 1;
        goto out;
    }
    char host[256];
    int port = 27017;
    ob_url murl;
    ob_err err;
    if (ob_url_parse(o->mongo, &murl, &err) == 0) {
        snprintf(host, sizeof host, "%s", murl.host);
        port = murl.port ? murl.port : 27017;
        ob_url_free(&murl);
        if (!tcp_reachable(host, port, 3000)) {
            char shown[1024];
            fprintf(stderr, "outbreak compare: cannot reach MongoDB at %s:%d (%s)\n", host, port,
                    ob_url_redacted(o->mongo, shown, sizeof shown));
            status = 1;
            goto out;
        }
    }
    c.results.kind = "compare";
    c.results.id = c.id;
    c.results.started_real_ns = ob_real_ns();
    c.results.summaries = calloc(MAX_MIDDLEWARES, sizeof *c.results.summaries);
    c.results.missing = calloc(MAX_MIDDLEWARES, sizeof *c.results.missing);
    if (!c.results.summaries || !c.results.missing) {
        status = 1;
        goto out;
    }
    printf("outbreak compare %s: %d middleware(s), results in %s\n", c.id, o->nnames, c.out);
    for (int i = 0; i < o->nnames; i++) {
        if (*interrupted) {
            add_missing(&c, o->names[i], "skipped: interrupted", false);
            continue;
        }
        run_one(&c, o->names[i], interrupted);
        fflush(stdout);
    }
    int thresholds_failed = evaluate_thresholds(&c);
    char *params = params_json(&c, argc, argv);
    status = params && write_results(&c, params) == 0 ? 0 : 1;
    free(params);
    if (c.results.nsummaries == 0 || c.any_bad || *interrupted)
        status = 1;
    if (thresholds_failed > 0)
        status = OB_EXIT_THRESHOLD; /* k6's: a failed threshold decides */
out:
    for (int i = 0; i < c.results.nsummaries; i++)
        free(c.results.summaries[i]);
    free(c.results.summaries);
    free(c.results.missing);
    for (int i = 0; i < c.o.nurls; i++)
        free(c.o.url_store[i]);
    free(c.o.brokers_text);
    return status;
}
