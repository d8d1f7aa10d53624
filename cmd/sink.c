/* sink.c — `outbreak sink`: its flags, their defaults and --help, then ob_sink_run(). A wrong flag or value is one line on stderr and exit code 2. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "commands.h"
#include "flags.h"
#include "metrics.h"
#include "sink.h"
#include "store.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static const char synopsis[] =
    "usage: outbreak sink --broker URL [flags]\n"
    "\n"
    "Consumes records from a broker and writes them to MongoDB in unordered bulk\n"
    "inserts; acknowledges each delivery only after MongoDB acknowledged the insert.\n"
    "Stops on SIGINT/SIGTERM (finishes the batch in hand, writes its statistics).\n"
    "\n";

static int parse_id(const char *v, void *dest, ob_err *err)
{
    if (!v[0] || strchr(v, '/'))
        return ob_err_set(err, "invalid name \"%s\" (not empty, no '/')", v);
    *(const char **)dest = v;
    return 0;
}

/* 0, 1 after --help, -1 after a usage error (printed). */
/* The /metrics listener's flags. */
typedef struct metrics_flags {
    const char *listen, *login, *tls_cert, *tls_key;
} metrics_flags;

static int parse_flags(int argc, char **argv, ob_sink_config *cfg, metrics_flags *metrics)
{
    const ob_flag flags[] = {
        {.name = "broker", .type = OB_FLAG_STRING, .dest = &cfg->broker_url, .value_name = "URL",
         .help = "the broker to consume from (required): the URL that\n"
                 "`outbreak run --broker` publishes to (outbreak run --help\n"
                 "lists the middlewares and their URLs)"},
        {.name = "mongo", .type = OB_FLAG_CUSTOM, .dest = &cfg->mongo_url, .parse = ob_store_flag_url, .value_name = "URL",
         .help = "MongoDB to write to (default " OB_SINK_DEFAULT_MONGO ")"},
        {.name = "batch", .type = OB_FLAG_INT, .dest = &cfg->batch, .min = 1, .max = 100000,
         .value_name = "N", .help = "max documents per insert (default " XSTR(OB_SINK_DEFAULT_BATCH) ")"},
        {.name = "linger", .type = OB_FLAG_INT, .dest = &cfg->linger_ms, .min = 0, .max = 60000,
         .value_name = "MS", .help = "max wait to fill a batch, in ms (default " XSTR(OB_SINK_DEFAULT_LINGER_MS) ")"},
        {.name = "id", .type = OB_FLAG_CUSTOM, .dest = &cfg->id, .parse = parse_id, .value_name = "NAME",
         .help = "sink instance id in sink_stats (default <hostname>-<pid>)"},
        {.name = "stats-interval", .type = OB_FLAG_INT, .dest = &cfg->stats_interval_ms, .min = 10,
         .max = 3600000, .value_name = "MS",
         .help = "sink_stats update period, in ms (default " XSTR(OB_SINK_DEFAULT_STATS_MS) ")"},
        {.name = "queue", .type = OB_FLAG_INT, .dest = &cfg->queue, .min = 1, .max = 10000000,
         .value_name = "N",
         .help = "max deliveries buffered before back-pressure (default " XSTR(OB_SINK_DEFAULT_QUEUE) ")"},
        {.name = "ready-fd", .type = OB_FLAG_INT, .dest = &cfg->ready_fd, .min = 3, .max = 65535,
         .value_name = "FD",
         .help = "write \"ready\" to this inherited file descriptor once\n"
                 "subscribed, then close it (for supervisors; default none)"},
        {.name = "metrics", .type = OB_FLAG_STRING, .dest = &metrics->listen, .value_name = "HOST:PORT",
         .help = "serve Prometheus' /metrics there (docs/metrics.md)"},
        {.name = "metrics-login", .type = OB_FLAG_CUSTOM, .dest = &metrics->login, .parse = ob_flag_login,
         .value_name = "USER:PASS", .help = "/metrics asks for this login (HTTP Basic)"},
        {.name = "tls-cert", .type = OB_FLAG_STRING, .dest = &metrics->tls_cert, .value_name = "FILE",
         .help = "serve /metrics over HTTPS with this certificate (PEM;\nwith --tls-key)"},
        {.name = "tls-key", .type = OB_FLAG_STRING, .dest = &metrics->tls_key, .value_name = "FILE",
         .help = "the certificate's private key (PEM)"},
    };
    ob_flag_set set = {.command = "sink", .synopsis = synopsis, .flags = flags,
                       .nflags = sizeof flags / sizeof flags[0]};
    ob_err err;
    int rc = ob_flags_parse(&set, argc, argv, &err);
    if (rc == 0 && !cfg->broker_url)
        rc = ob_err_setk(&err, OB_ERR_USAGE, "--broker is required (see outbreak sink --help)");
    if (rc == 0 && ob_broker_check_url(cfg->broker_url, &err) != 0)
        rc = ob_err_prefix(&err, "--broker");
    if (rc < 0)
        fprintf(stderr, "outbreak sink: %s\n", err.msg);
    return rc;
}

static void publish_metrics(void *arg, const char *text, size_t len)
{
    ob_metrics_publish(arg, text, len);
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
    metrics_flags mf = {0};
    int rc = parse_flags(argc, argv, &cfg, &mf);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    if (!cfg.id) {
        if (gethostname(host, sizeof host) != 0)
            snprintf(host, sizeof host, "sink");
        host[sizeof host - 1] = '\0';
        snprintf(id, sizeof id, "%s-%ld", host, (long)getpid());
        cfg.id = id;
    }
    ob_metrics *metrics = NULL;
    ob_listener_tls tls;
    ob_err err;
    if (!mf.listen && (mf.tls_cert || mf.tls_key || mf.login)) {
        fprintf(stderr, "outbreak sink: --tls-cert, --tls-key and --metrics-login are for --metrics, "
                        "which is not given\n");
        return 2;
    }
    if (ob_listener_tls_load(&tls, mf.tls_cert, mf.tls_key, &err) != 0) {
        fprintf(stderr, "outbreak sink: %s\n", err.msg);
        return 2;
    }
    if (mf.listen) {
        /* SIGINT/SIGTERM blocked first, so that the server's thread inherits the mask and
         * the sink's signal thread receives them (sink.h) */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigaddset(&set, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set, NULL);
        if (ob_metrics_start(&metrics, "--metrics", mf.listen, &tls, mf.login, &err) != 0) {
            fprintf(stderr, "outbreak sink: %s\n", err.msg);
            ob_listener_tls_free(&tls);
            return err.kind == OB_ERR_USAGE ? 2 : 1;
        }
        fprintf(stderr, "outbreak sink: metrics at %s%s\n", ob_metrics_url(metrics),
                mf.login ? " (login required)" : "");
        cfg.metrics = publish_metrics;
        cfg.metrics_arg = metrics;
    }
    rc = ob_sink_run(&cfg);
    ob_metrics_stop(metrics);
    ob_listener_tls_free(&tls);
    return rc;
}
