/* options.c — parsing `outbreak run` flags into ob_run_opts (see options.h). */
#include "options.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker.h"
#include "clock.h"
#include "units.h"

enum {
    OPT_HEADLESS = 256,
    OPT_ONLY_SUMMARY,
    OPT_CSV,
    OPT_STOP_TIMEOUT,
    OPT_WAIT,
    OPT_RATE,
    OPT_BROKER,
    OPT_RECORDS,
    OPT_ONCE,
    OPT_SEED,
    OPT_POOL,
    OPT_MONGO,
    OPT_JSON,
    OPT_HTML,
    OPT_RUN_ID,
    OPT_THREADS,
    OPT_MAX_INFLIGHT,
};

static const struct option long_opts[] = {
    {"users", required_argument, NULL, 'u'},
    {"spawn-rate", required_argument, NULL, 'r'},
    {"run-time", required_argument, NULL, 't'},
    {"headless", no_argument, NULL, OPT_HEADLESS},
    {"only-summary", no_argument, NULL, OPT_ONLY_SUMMARY},
    {"csv", required_argument, NULL, OPT_CSV},
    {"stop-timeout", required_argument, NULL, OPT_STOP_TIMEOUT},
    {"wait", required_argument, NULL, OPT_WAIT},
    {"rate", required_argument, NULL, OPT_RATE},
    {"broker", required_argument, NULL, OPT_BROKER},
    {"records", required_argument, NULL, OPT_RECORDS},
    {"once", no_argument, NULL, OPT_ONCE},
    {"seed", required_argument, NULL, OPT_SEED},
    {"pool", required_argument, NULL, OPT_POOL},
    {"mongo", required_argument, NULL, OPT_MONGO},
    {"json", required_argument, NULL, OPT_JSON},
    {"html", required_argument, NULL, OPT_HTML},
    {"run-id", required_argument, NULL, OPT_RUN_ID},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

void ob_run_opts_help(FILE *f)
{
    fputs("usage: outbreak run [flags]\n"
          "\n"
          "Publishes infection records through one middleware and measures throughput,\n"
          "publish and end-to-end latency and delivery (sent/acked/failed/persisted/lost).\n"
          "\n"
          "Load (closed model, Locust's):\n"
          "  -u, --users N          simulated users (default 1)\n"
          "  -r, --spawn-rate N     users started per second (default 1)\n"
          "      --wait MIN-MAX     seconds a user waits after each acked record, uniform;\n"
          "                         \"0.1-0.9\" is Locust's between(0.1, 0.9) (default 0)\n"
          "Load (open model, wrk2's):\n"
          "      --rate N           records per second in total, e.g. 10k; latency counts\n"
          "                         from the intended send time (default: closed model);\n"
          "                         \"max\": no pacing, as fast as the broker and the\n"
          "                         in-flight window allow (like nats bench pub)\n"
          "Duration:\n"
          "  -t, --run-time T       e.g. 30s, 5m, 1h30m (default: until Ctrl-C, or until\n"
          "                         --once has sent everything)\n"
          "      --stop-timeout T   at the end, wait at most this long for broker acks and\n"
          "                         then for the sink to persist (default 30s)\n"
          "Records:\n"
          "      --records FILE     JSON array (like traffic.json) or NDJSON; cycled\n"
          "                         (default: the seeded generator)\n"
          "      --once             send each record once, then stop\n"
          "      --seed N           generator and wait-time seed (default 1)\n"
          "      --pool N           generated records to cycle through (default 1000)\n"
          "Middleware and database:\n"
          "      --broker URL       nats://host:4222[?jetstream=1]\n"
          "                         amqp[s]://user:pass@host:5672/vhost[?queue=...]\n"
          "                         (default nats://127.0.0.1:4222); the options are in\n"
          "                         docs/brokers/<middleware>.md\n"
          "      --mongo URL        the MongoDB the sink writes to; enables persisted, lost\n"
          "                         and end-to-end figures (default: none)\n"
          "Output:\n"
          "      --headless         no web UI (the web UI is not built yet: always headless)\n"
          "      --only-summary     no console table every 2 s, only the final summary\n"
          "      --csv PREFIX       Locust's PREFIX_stats.csv, PREFIX_stats_history.csv,\n"
          "                         PREFIX_failures.csv, PREFIX_exceptions.csv\n"
          "      --json FILE        the summary as JSON (the contract of DESIGN.md §4)\n"
          "      --html FILE        the self-contained HTML report (tables and charts; Locust's\n"
          "                         report is the model; opens offline)\n"
          "      --run-id ID        run id (default: UTC time and a random suffix)\n"
          "Engine:\n"
          "      --threads N        worker threads, each with its own connection (default 1)\n"
          "      --max-inflight N   unacknowledged records per worker (default 65536)\n"
          "  -h, --help             this text\n"
          "\n"
          "Exit status: 0 success, 1 if any record failed or was lost, 2 usage error.\n",
          f);
}

static int parse_long(const char *flag, const char *s, long min, long max, long *out, ob_err *err)
{
    double v;
    if (ob_parse_count(s, &v, err) != 0 || v != (double)(long)v || v < (double)min ||
        v > (double)max)
        return ob_err_set(err, "%s: expected a whole number from %ld to %ld, not \"%s\"", flag, min,
                          max, s);
    *out = (long)v;
    return 0;
}

static void default_run_id(char *buf, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    unsigned suffix = (unsigned)((uint64_t)ob_mono_ns() ^ (uint64_t)getpid() * 2654435761u) & 0xffff;
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    snprintf(buf, cap, "%s-%04x", stamp, suffix);
}

int ob_run_opts_parse(ob_run_opts *o, int argc, char **argv, ob_err *err)
{
    memset(o, 0, sizeof *o);
    o->broker = "nats://127.0.0.1:4222";
    o->seed = 1;
    o->pool = 1000;
    o->users = 1;
    o->spawn_rate = 1;
    o->stop_timeout_ns = 30 * OB_NS_PER_S;
    o->threads = 1;
    o->max_inflight = 65536;
    bool users_given = false;

    optind = 0; /* reset getopt (GNU: 0 also re-initialises) */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":u:r:t:h", long_opts, NULL)) != -1) {
        long n;
        double d;
        switch (c) {
        case 'u':
            if (parse_long("--users", optarg, 1, 1000000, &o->users, err))
                return -1;
            users_given = true;
            break;
        case 'r':
            if (ob_parse_count(optarg, &d, err) || d <= 0)
                return ob_err_set(err, "--spawn-rate: expected a positive number, not \"%s\"", optarg);
            o->spawn_rate = d;
            break;
        case 't':
            if (ob_parse_duration(optarg, &o->run_time_ns, err) || o->run_time_ns <= 0)
                return ob_err_set(err, "--run-time: expected a duration like 30s or 5m, not \"%s\"",
                                  optarg);
            break;
        case OPT_HEADLESS:
            o->headless = true;
            break;
        case OPT_ONLY_SUMMARY:
            o->only_summary = true;
            break;
        case OPT_CSV:
            o->csv_prefix = optarg;
            break;
        case OPT_STOP_TIMEOUT:
            if (ob_parse_duration(optarg, &o->stop_timeout_ns, err))
                return ob_err_set(err, "--stop-timeout: expected a duration like 30s, not \"%s\"",
                                  optarg);
            break;
        case OPT_WAIT:
            if (ob_parse_range(optarg, &o->wait_min, &o->wait_max, err))
                return ob_err_prefix(err, "--wait");
            break;
        case OPT_RATE:
            if (strcmp(optarg, "max") == 0) {
                o->rate_max = true;
                o->rate = 1e12;
                break;
            }
            if (ob_parse_count(optarg, &d, err) || d <= 0 || d > 1e9)
                return ob_err_set(err, "--rate: expected records per second like 10000 or 10k, not \"%s\"",
                                  optarg);
            o->rate = d;
            break;
        case OPT_BROKER:
            o->broker = optarg;
            break;
        case OPT_RECORDS:
            o->records = optarg;
            break;
        case OPT_ONCE:
            o->once = true;
            break;
        case OPT_SEED: {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (!*optarg || *end || errno || optarg[0] == '-')
                return ob_err_set(err, "--seed: expected a non-negative integer, not \"%s\"", optarg);
            o->seed = v;
            break;
        }
        case OPT_POOL:
            if (parse_long("--pool", optarg, 1, 10000000, &o->pool, err))
                return -1;
            break;
        case OPT_MONGO:
            o->mongo = optarg;
            break;
        case OPT_HTML:
            o->html_path = optarg;
            break;
        case OPT_JSON:
            o->json_path = optarg;
            break;
        case OPT_RUN_ID:
            if (!ob_run_id_valid(optarg))
                return ob_err_set(err, "--run-id: use 1-63 of A-Z a-z 0-9 . _ -, not \"%s\"", optarg);
            snprintf(o->run_id, sizeof o->run_id, "%s", optarg);
            break;
        case OPT_THREADS:
            if (parse_long("--threads", optarg, 1, 64, &o->threads, err))
                return -1;
            break;
        case OPT_MAX_INFLIGHT:
            if (parse_long("--max-inflight", optarg, 1, 1 << 22, &n, err))
                return -1;
            o->max_inflight = 1;
            while (o->max_inflight < n)
                o->max_inflight <<= 1;
            break;
        case 'h':
            ob_run_opts_help(stdout);
            return 1;
        case ':':
            return ob_err_set(err, "%s needs a value (see outbreak run --help)", argv[optind - 1]);
        default:
            if (optopt)
                return ob_err_set(err, "unknown flag -%c (see outbreak run --help)", optopt);
            return ob_err_set(err, "unknown flag %s (see outbreak run --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return ob_err_set(err, "unexpected argument \"%s\" (see outbreak run --help)", argv[optind]);
    if (o->rate > 0 && users_given)
        return ob_err_set(err, "--rate (open model) and -u/--users (closed model) exclude each other");
    if (o->rate == 0 && o->threads > o->users)
        o->threads = o->users;
    if (ob_broker_check_url(o->broker, err) != 0)
        return ob_err_prefix(err, "--broker");
    if (!o->run_id[0])
        default_run_id(o->run_id, sizeof o->run_id);
    return 0;
}
