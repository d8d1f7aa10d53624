/* web.c — `outbreak web`: its flags, their defaults and --help, then the server of
 * live/web.h until SIGINT/SIGTERM. A wrong flag or value is one line on stderr and exit
 * code 2; MongoDB that cannot be reached or an address that cannot be bound, exit 1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker.h"
#include "commands.h"
#include "control.h"
#include "flags.h"
#include "options.h"
#include "sink.h"
#include "web.h"
#include "store.h"

static const char synopsis[] =
    "usage: outbreak web [--mongo URL] [--web-host ADDR] [--web-port PORT] [flags]\n"
    "\n"
    "Serves the data dashboard over the records the sinks stored (counts by department,\n"
    "region, state, infectedtype and age range, the latest cases; by middleware and by\n"
    "run: GET /api/dashboard?way=W&run=R) and the host monitor (GET /api/monitor/ram,\n"
    "/api/monitor/processes?filter=TEXT), as JSON. The counts are the sinks' own (kept\n"
    "as they insert), so no request scans the records. --course-api also serves the\n"
    "course project's dashboard API (/consulta/..., /prueba1, /prueba2) to any origin\n"
    "and without login, for its front end. Stops on SIGINT/SIGTERM. docs/web.md has the\n"
    "routes and their JSON.\n"
    "\n";

/* --broker, repeatable: the start form's middlewares. */
typedef struct broker_list {
    const char *urls[16];
    size_t n;
} broker_list;

static int parse_broker(const char *v, void *dest, ob_err *err)
{
    broker_list *b = dest;
    if (b->n == sizeof b->urls / sizeof b->urls[0])
        return ob_err_set(err, "at most 16 brokers");
    if (ob_broker_check_url(v, err) != 0)
        return -1;
    b->urls[b->n++] = v;
    return 0;
}

int ob_web_serve(ob_web_config *wc, const ob_control_config *cc, const char *who, volatile sig_atomic_t *interrupted)
{
    ob_err err;
    ob_control *control = NULL;
    if (ob_control_new(&control, cc, &err) != 0) {
        fprintf(stderr, "outbreak %s: %s\n", who, err.msg);
        return 1;
    }
    wc->control = control;
    ob_web *w;
    if (ob_web_start(&w, wc, &err) != 0) {
        fprintf(stderr, "outbreak %s: %s\n", who, err.msg);
        ob_control_free(control);
        return err.kind == OB_ERR_USAGE ? 2 : 1;
    }
    const char *shown = strchr(wc->host, ':') ? "[%s]" : "%s";
    char host[80];
    snprintf(host, sizeof host, shown, wc->host);
    fprintf(stderr, "outbreak %s: web UI at %s://%s:%d/%s%s%s\n", who, ob_listener_scheme(wc->tls), host,
            ob_web_port(w),
            cc->autostart ? " (test started)" : "", wc->login ? "; login required" : "",
            wc->course_api ? "; course API ON: /consulta/... and /prueba1, /prueba2 answer any origin "
                             "without login"
                           : "");
    struct timespec tick = {.tv_sec = 0, .tv_nsec = 100 * 1000 * 1000};
    int status = 0;
    double ago_s;
    bool said = false;
    while (!*interrupted) {
        if (cc->autoquit && ob_control_ended(control, &ago_s, &status)) {
            if (!said)
                fprintf(stderr, "outbreak %s: the test ended (exit status %d); --autoquit: quitting in %.3g s\n",
                        who, status, (double)cc->autoquit_ns / 1e9);
            said = true;
            if (ago_s * 1e9 >= (double)cc->autoquit_ns)
                break;
        } else {
            said = false; /* another test started meanwhile: its end is waited for */
        }
        nanosleep(&tick, NULL);
    }
    long long counts[3];
    ob_web_counts(w, counts);
    ob_web_stop(w);
    if (ob_control_running(control))
        fprintf(stderr, "outbreak %s: stopping the running test\n", who);
    ob_control_free(control);
    fprintf(stderr, "outbreak %s: stopped; answered %lld 2xx, %lld 4xx, %lld 5xx\n", who, counts[0], counts[1],
            counts[2]);
    return status;
}

int ob_cmd_web(int argc, char **argv, volatile sig_atomic_t *interrupted)
{
    ob_web_config c = {.mongo_url = OB_SINK_DEFAULT_MONGO, .host = "127.0.0.1", .port = 8089,
                       .proc_root = "/proc"};
    broker_list brokers = {.n = 0};
    const char *tls_cert = NULL, *tls_key = NULL;
    const ob_flag flags[] = {
        {.name = "mongo", .type = OB_FLAG_CUSTOM, .dest = &c.mongo_url, .parse = ob_store_flag_url, .value_name = "URL",
         .help = "the MongoDB the sinks write to (default " OB_SINK_DEFAULT_MONGO ")"},
        {.name = "broker", .type = OB_FLAG_CUSTOM, .dest = &brokers, .parse = parse_broker,
         .repeatable = true, .value_name = "URL",
         .help = "a middleware the start form offers; repeat it for a\n"
                 "comparison (default: run's, core NATS on this host)"},
        {.name = "web-host", .type = OB_FLAG_STRING, .dest = &c.host, .value_name = "ADDR",
         .help = "address to listen on (default 127.0.0.1: this host only;\n"
                 "0.0.0.0 for every interface)"},
        {.name = "web-port", .type = OB_FLAG_INT, .dest = &c.port, .min = 0, .max = 65535,
         .value_name = "PORT", .help = "port to listen on (default 8089, as Locust's; 0: any free one)"},
        {.name = "web-login", .type = OB_FLAG_CUSTOM, .dest = &c.login, .parse = ob_flag_login,
         .value_name = "USER:PASS",
         .help = "every route but /healthz and the course API asks for this\n"
                 "login (HTTP Basic); OUTBREAK_WEB_LOGIN gives it without the\n"
                 "command line (default: no login)"},
        {.name = "tls-cert", .type = OB_FLAG_STRING, .dest = &tls_cert, .value_name = "FILE",
         .help = "serve over HTTPS with this certificate (PEM; with --tls-key)"},
        {.name = "tls-key", .type = OB_FLAG_STRING, .dest = &tls_key, .value_name = "FILE",
         .help = "the certificate's private key (PEM)"},
        {.name = "course-api", .type = OB_FLAG_BOOL, .dest = &c.course_api,
         .help = "serve the course project's dashboard API to any origin,\n"
                 "without login (default off)"},
    };
    ob_flag_set set = {.command = "web", .synopsis = synopsis, .flags = flags,
                       .nflags = sizeof flags / sizeof flags[0]};
    ob_err err;
    int rc = ob_flags_parse(&set, argc, argv, &err);
    if (rc == 1)
        return 0;
    if (rc < 0) {
        fprintf(stderr, "outbreak web: %s\n", err.msg);
        return 2;
    }
    /* the start form's defaults: run's, with this MongoDB */
    ob_run_opts defaults;
    /* run's defaults alone: web's own flags, files and variables (OUTBREAK_BROKER: the
     * form's list) are not run's */
    char *run_argv[] = {"run", "--headless", "--no-config"};
    if (ob_run_opts_parse(&defaults, 3, run_argv, &err) != 0) {
        fprintf(stderr, "outbreak web: %s\n", err.msg);
        return 1;
    }
    defaults.mongo = c.mongo_url;
    if (brokers.n)
        defaults.broker = brokers.urls[0];
    ob_listener_tls tls;
    if (ob_listener_tls_load(&tls, tls_cert, tls_key, &err) != 0) {
        fprintf(stderr, "outbreak web: %s\n", err.msg);
        return 2;
    }
    c.tls = &tls;
    ob_control_config cc = {.defaults = &defaults, .brokers = brokers.urls, .nbrokers = brokers.n,
                            .course_api = c.course_api, .login = c.login != NULL};
    rc = ob_web_serve(&c, &cc, "web", interrupted);
    ob_listener_tls_free(&tls);
    return rc;
}
