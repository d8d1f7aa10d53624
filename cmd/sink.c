/* sink.c — the command line of `outbreak sink`: flags, their defaults and --help,
 * then ob_sink_run(). A wrong flag or value is one line on stderr and exit code 2. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "commands.h"
#include "sink.h"

enum { OPT_BROKER = 1000, OPT_MONGO, OPT_BATCH, OPT_LINGER, OPT_ID, OPT_STATS, OPT_QUEUE, OPT_READY_FD };

static const struct option long_options[] = {
    {"broker", required_argument, NULL, OPT_BROKER},
    {"mongo", required_argument, NULL, OPT_MONGO},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"linger", required_argument, NULL, OPT_LINGER},
    {"id", required_argument, NULL, OPT_ID},
    {"stats-interval", required_argument, NULL, OPT_STATS},
    {"queue", required_argument, NULL, OPT_QUEUE},
    {"ready-fd", required_argument, NULL, OPT_READY_FD},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f)
{
    fprintf(f,
            "usage: outbreak sink --broker URL [flags]\n"
            "\n"
            "Consumes records from a broker and writes them to MongoDB in unordered bulk\n"
            "inserts; acknowledges each delivery only after MongoDB acknowledged the insert.\n"
            "Stops on SIGINT/SIGTERM (finishes the batch in hand, writes its statistics).\n"
            "\n"
            "  --broker URL          broker to consume from (required), e.g.\n"
            "                        nats://127.0.0.1:4222?jetstream=1\n"
            "  --mongo URL           MongoDB to write to (default %s)\n"
            "  --batch N             max documents per insert (default %d)\n"
            "  --linger MS           max wait to fill a batch, in ms (default %d)\n"
            "  --id NAME             sink instance id in sink_stats (default <hostname>-<pid>)\n"
            "  --stats-interval MS   sink_stats update period, in ms (default %d)\n"
            "  --queue N             max deliveries buffered before back-pressure (default %d)\n"
            "  --ready-fd FD         write \"ready\" to this inherited file descriptor once\n"
            "                        subscribed, then close it (for supervisors; default none)\n"
            "  -h, --help            this help\n",
            OB_SINK_DEFAULT_MONGO, OB_SINK_DEFAULT_BATCH, OB_SINK_DEFAULT_LINGER_MS,
            OB_SINK_DEFAULT_STATS_MS, OB_SINK_DEFAULT_QUEUE);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
    va_list ap;
    fputs("outbreak sink: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

/* A whole decimal integer in [min, max]. */
static int parse_int(const char *flag, const char *s, long min, long max, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno)
        return bad("%s: invalid number \"%s\"", flag, s);
    if (v < min || v > max)
        return bad("%s: %ld is out of range (%ld..%ld)", flag, v, min, max);
    *out = (int)v;
    return 0;
}

static int parse_flags(int argc, char **argv, ob_sink_config *cfg)
{
    optind = 0; /* glibc: start over, whatever parsed argv before us */
    opterr = 0;
    for (;;) {
        int c = getopt_long(argc, argv, ":h", long_options, NULL);
        if (c == -1)
            break;
        switch (c) {
        case OPT_BROKER:
            cfg->broker_url = optarg;
            break;
        case OPT_MONGO:
            cfg->mongo_url = optarg;
            break;
        case OPT_BATCH:
            if (parse_int("--batch", optarg, 1, 100000, &cfg->batch) != 0)
                return -1;
            break;
        case OPT_LINGER:
            if (parse_int("--linger", optarg, 0, 60000, &cfg->linger_ms) != 0)
                return -1;
            break;
        case OPT_ID:
            if (!optarg[0] || strchr(optarg, '/'))
                return bad("--id: invalid name \"%s\" (not empty, no '/')", optarg);
            cfg->id = optarg;
            break;
        case OPT_STATS:
            if (parse_int("--stats-interval", optarg, 10, 3600000, &cfg->stats_interval_ms) != 0)
                return -1;
            break;
        case OPT_QUEUE:
            if (parse_int("--queue", optarg, 1, 10000000, &cfg->queue) != 0)
                return -1;
            break;
        case OPT_READY_FD:
            if (parse_int("--ready-fd", optarg, 3, 65535, &cfg->ready_fd) != 0)
                return -1;
            break;
        case 'h':
            usage(stdout);
            return 1;
        case ':':
            return bad("%s needs a value", argv[optind - 1]);
        default:
            if (optopt > 0 && optopt < 256)
                return bad("unknown flag \"-%c\" (see outbreak sink --help)", optopt);
            return bad("unknown flag \"%s\" (see outbreak sink --help)", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad("unexpected argument \"%s\" (see outbreak sink --help)", argv[optind]);
    if (!cfg->broker_url)
        return bad("--broker is required (see outbreak sink --help)");
    ob_err err;
    if (ob_broker_check_url(cfg->broker_url, &err) != 0)
        return bad("--broker: %s", err.msg);
    return 0;
}

int ob_cmd_sink(int argc, char **argv)
{
    char host[256], id[320];
    ob_sink_config cfg = {
        .mongo_url = OB_SINK_DEFAULT_MONGO,
        .batch = OB_SINK_DEFAULT_BATCH,
        .linger_ms = OB_SINK_DEFAULT_LINGER_MS,
        .stats_interval_ms = OB_SINK_DEFAULT_STATS_MS,
        .queue = OB_SINK_DEFAULT_QUEUE,
        .ready_fd = -1,
    };
    int rc = parse_flags(argc, argv, &cfg);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (!cfg.id) {
        if (gethostname(host, sizeof host) != 0)
            snprintf(host, sizeof host, "sink");
        host[sizeof host - 1] = '\0';
        snprintf(id, sizeof id, "%s-%ld", host, (long)getpid());
        cfg.id = id;
    }
    return ob_sink_run(&cfg);
}
