/* gateway.c — `outbreak gateway`: its flags, their defaults and --help, then
 * ob_gateway_run(). A wrong flag or value is one line on stderr and exit code 2. */
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "commands.h"
#include "flags.h"
#include "gateway.h"
#include "store.h"

#define STR(x) #x
#define XSTR(x) STR(x)

static const char synopsis[] =
    "usage: outbreak gateway --broker URL [--listen HOST:PORT] [flags]\n"
    "\n"
    "HTTP ingress in front of one middleware: POST / with one record as JSON (any\n"
    "content type; the body Locust's client.post(\"/\", data=json.dumps(record)) sends),\n"
    "POST /records with a JSON array or NDJSON. Each request is answered after the\n"
    "broker acknowledged its records: 200 then means what \"acked\" means for the\n"
    "middleware (the durability's acked_means). A record without outbreak metadata is\n"
    "stamped (run, a producer id of this gateway, seq, sent_ns = arrival). 400 malformed\n"
    "or invalid record, 413 body too large, 404/405 wrong path or method, 503 with\n"
    "Retry-After when the broker is unreachable, does not ack in time or the window is\n"
    "full. GET /healthz for load balancers. A broker that cannot be reached at start is\n"
    "retried every second in the background: until then every request and /healthz get\n"
    "503 (a load balancer takes the gateway out), then 200 (--require-broker: exit 1\n"
    "instead). SIGINT/SIGTERM: stop accepting, answer what is in flight, print the\n"
    "summary. docs/gateway.md has the details.\n"
    "\n";

static const char epilogue[] =
    "\n"
    "Exit status: 0 after SIGINT/SIGTERM, 1 when the address or MongoDB cannot be used\n"
    "or the broker refuses (or, with --require-broker, cannot be reached), 2 on a usage\n"
    "error.\n";

static int parse_id(const char *v, void *dest, ob_err *err)
{
    if (!v[0] || strchr(v, '/') || strlen(v) > 100)
        return ob_err_set(err, "invalid name \"%s\" (1-100 characters, no '/')", v);
    *(const char **)dest = v;
    return 0;
}

static int parse_event_loop(const char *v, void *dest, ob_err *err)
{
    ob_gw_loop *loop = dest;
    if (strcmp(v, "own") == 0)
        *loop = OB_GW_LOOP_OWN;
    else if (strcmp(v, "poll") == 0)
        *loop = OB_GW_LOOP_POLL;
    else if (strcmp(v, "epoll") == 0)
        *loop = OB_GW_LOOP_EPOLL;
    else
        return ob_err_set(err, "use own, poll or epoll, not \"%s\"", v);
    return 0;
}

int ob_cmd_gateway(int argc, char **argv, volatile sig_atomic_t *interrupted)
{
    ob_gateway_config c;
    ob_gateway_defaults(&c);
    const ob_flag flags[] = {
        {.name = "listen", .short_name = 'l', .type = OB_FLAG_STRING, .dest = &c.listen,
         .value_name = "HOST:PORT",
         .help = "where to accept HTTP (default " OB_GATEWAY_DEFAULT_LISTEN ");\n"
                 "PORT alone binds 127.0.0.1, 0.0.0.0:PORT every interface,\n"
                 "port 0 any free one (printed at start)"},
        {.name = "broker", .type = OB_FLAG_STRING, .dest = &c.broker, .value_name = "URL",
         .help = "the middleware to publish to (required): a URL of\n"
                 "`outbreak run --broker` (outbreak run --help lists them)"},
        {.name = "run-id", .type = OB_FLAG_CUSTOM, .dest = c.run_id, .parse = ob_run_id_parse, .value_name = "ID",
         .help = "run id stamped on records without metadata (default:\n"
                 "gw-<UTC time>-<random>, printed at start)"},
        {.name = "id", .type = OB_FLAG_CUSTOM, .dest = &c.id, .parse = parse_id, .value_name = "NAME",
         .help = "this gateway's name in the broker's client list and the\n"
                 "summary (default <hostname>-<pid>)"},
        {.name = "mongo", .type = OB_FLAG_CUSTOM, .dest = &c.mongo, .parse = ob_store_flag_url, .value_name = "URL",
         .help = "also save the JSON summary in MongoDB's runs collection as\n"
                 "<run>/gateway/<id> (default: not saved)"},
        {.name = "json", .type = OB_FLAG_CUSTOM, .dest = &c.json_path, .parse = ob_flag_output_file, .value_name = "FILE",
         .help = "write the JSON summary to FILE at exit"},
        {.name = "max-body", .type = OB_FLAG_LONG, .dest = &c.max_body, .min = 64, .max = 1L << 30,
         .value_name = "BYTES", .help = "larger request bodies get 413 (default 1048576)"},
        {.name = "max-batch", .type = OB_FLAG_LONG, .dest = &c.max_batch, .min = 1, .max = 1000000,
         .value_name = "N", .help = "records per POST /records at most (default " XSTR(OB_GATEWAY_DEFAULT_MAX_BATCH) ")"},
        {.name = "window", .type = OB_FLAG_LONG, .dest = &c.window, .min = 1, .max = 1L << 22,
         .value_name = "N",
         .help = "records waiting for the broker's ack at most; more: 503\n"
                 "(default " XSTR(OB_GATEWAY_DEFAULT_WINDOW) ")"},
        {.name = "threads", .type = OB_FLAG_LONG, .dest = &c.threads, .min = 1, .max = 64, .value_name = "N",
         .help = "HTTP threads, each an event loop for many connections\n"
                 "(default 1)"},
        {.name = "event-loop", .type = OB_FLAG_CUSTOM, .dest = &c.event_loop, .parse = parse_event_loop,
         .value_name = "own|poll|epoll",
         .help = "how the HTTP thread(s) wait for their connections: own (the\n"
                 "default with one thread: it also publishes, a sixth less CPU\n"
                 "per request), or libmicrohttpd's own thread(s) with poll (the\n"
                 "default with --threads 2 or more) or epoll (0.9.75's can stop\n"
                 "answering with 128 or more connections): docs/gateway.md"},
        {.name = "ack-timeout", .type = OB_FLAG_DURATION, .dest = &c.ack_timeout_ns, .min = 0.001,
         .value_name = "T", .help = "a request without its acks by then gets 503 (default 3s)"},
        {.name = "stop-timeout", .type = OB_FLAG_DURATION, .dest = &c.stop_timeout_ns, .min = 0,
         .value_name = "T",
         .help = "on SIGINT/SIGTERM, how long requests in flight may still\n"
                 "take before they get 503 (default 4s)"},
        {.name = "stats-interval", .type = OB_FLAG_DURATION, .dest = &c.stats_interval_ns, .min = 0,
         .value_name = "T", .help = "the table's period; 0: no table (default 5s)"},
        {.name = "require-broker", .type = OB_FLAG_BOOL, .dest = &c.require_broker,
         .help = "exit 1 when the broker cannot be reached at start (default:\n"
                 "listen anyway, answer 503, and connect in the background)"},
        {.name = "quiet", .short_name = 'q', .type = OB_FLAG_BOOL, .dest = &c.quiet,
         .help = "no table: the start line and the summary only"},
        {.name = "tls-cert", .type = OB_FLAG_STRING, .dest = &c.tls_cert, .value_name = "FILE",
         .help = "accept HTTPS with this certificate (PEM; with --tls-key)"},
        {.name = "tls-key", .type = OB_FLAG_STRING, .dest = &c.tls_key, .value_name = "FILE",
         .help = "the certificate's private key (PEM)"},
        {.name = "login", .type = OB_FLAG_CUSTOM, .dest = &c.login, .parse = ob_flag_login,
         .value_name = "USER:PASS",
         .help = "every route but /healthz asks for this login (HTTP Basic;\n"
                 "401 otherwise, counted)"},
    };
    ob_flag_set set = {.command = "gateway", .synopsis = synopsis, .epilogue = epilogue, .flags = flags,
                       .nflags = sizeof flags / sizeof flags[0]};
    ob_err err;
    int rc = ob_flags_parse(&set, argc, argv, &err);
    if (rc == 1)
        return 0;
    if (rc == 0 && c.event_loop == OB_GW_LOOP_OWN && c.threads > 1)
        rc = ob_err_setk(&err, OB_ERR_USAGE, "--event-loop own runs one HTTP thread: not with --threads %ld",
                         c.threads);
    if (rc == 0 && !c.broker)
        rc = ob_err_setk(&err, OB_ERR_USAGE, "--broker is required (see outbreak gateway --help)");
    if (rc == 0 && ob_broker_check_url(c.broker, &err) != 0)
        rc = ob_err_prefix(&err, "--broker");
    if (rc < 0) {
        fprintf(stderr, "outbreak gateway: %s\n", err.msg);
        return 2;
    }
    return ob_gateway_run(&c, interrupted);
}
