/* gateway.h — `outbreak gateway`: HTTP ingress in front of one middleware. Clients POST
 * records (POST / one record, POST /records a JSON array or NDJSON); the gateway
 * publishes them through the shared publisher (publisher.h) and answers each request
 * once the broker acknowledged all of its records, so a 200 means what "acked" means for
 * that middleware (the adapter's durability). A record without outbreak metadata is
 * stamped: the gateway's run id, its own producer id, a sequence number and the arrival
 * time. Answers: 200 (acked), 400 (one line: what is wrong), 404, 405, 413 (over the
 * body limit), 503 with Retry-After (broker unreachable, no ack in time, window full,
 * shutting down), 502/504/500 from the error's kind; GET /healthz 200. Every answer is
 * counted by status code; a Locust-style table every few seconds, a summary at the end,
 * the JSON summary with --json. A broker that cannot be reached at start does not stop
 * the gateway (unless require_broker): it listens, answers 503 (GET /healthz too, so a
 * load balancer takes it out) and opens the broker again every second until it can.
 * docs/gateway.md has the user's side. */
#ifndef OB_GATEWAY_H
#define OB_GATEWAY_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "record.h"

#define OB_GATEWAY_DEFAULT_LISTEN "127.0.0.1:8080"
#define OB_GATEWAY_DEFAULT_MAX_BODY (1L << 20)
#define OB_GATEWAY_DEFAULT_WINDOW 4096
#define OB_GATEWAY_DEFAULT_MAX_BATCH 1000

/* How the gateway waits for its connections (--event-loop). */
typedef enum ob_gw_loop {
    OB_GW_LOOP_AUTO,  /* own with one HTTP thread, poll with more */
    OB_GW_LOOP_OWN,   /* one thread drives libmicrohttpd's epoll and publishes itself */
    OB_GW_LOOP_POLL,  /* libmicrohttpd's own thread(s), with poll(2) */
    OB_GW_LOOP_EPOLL, /* libmicrohttpd's own thread(s), with epoll */
} ob_gw_loop;

typedef struct ob_gateway_config {
    const char *listen;        /* HOST:PORT, [V6]:PORT or PORT (127.0.0.1); port 0: any */
    const char *broker;        /* the adapter URL (checked by the caller) */
    char run_id[OB_RUN_CAP];   /* stamped on records without metadata ("" → generated) */
    const char *id;            /* the gateway's name: client name, summary (NULL → host-pid) */
    const char *mongo;         /* NULL, or where the JSON summary is also saved (runs) */
    const char *json_path;     /* NULL, or where the JSON summary goes at exit */
    long max_body;             /* bytes */
    long window;               /* records admitted and not yet answered, at most */
    long max_batch;            /* records per POST /records, at most */
    long threads;              /* HTTP threads (each an event loop, many connections) */
    ob_gw_loop event_loop;     /* how the HTTP thread(s) wait for their connections */
    int64_t ack_timeout_ns;    /* a request without every ack by then: 503 */
    int64_t stop_timeout_ns;   /* SIGINT/SIGTERM: how long in-flight requests may take */
    int64_t stats_interval_ns; /* the console table's period; 0: none */
    bool quiet;                /* no table, only the start line and the summary */
    bool require_broker;       /* a broker unreachable at start: exit 1 (not: retry) */
    const char *tls_cert, *tls_key; /* PEM files: HTTPS (both or neither) */
    const char *login;         /* "USER:PASS": HTTP Basic on every route but /healthz */
} ob_gateway_config;

/* How often a broker that could not be reached is tried again. */
#define OB_GATEWAY_RECONNECT_NS (1000LL * 1000 * 1000)

/* Fills *c with the defaults (listen, limits, timeouts: ack 3 s, stop 4 s, table 5 s). */
void ob_gateway_defaults(ob_gateway_config *c);

/* Runs the gateway until *interrupted is set (SIGINT/SIGTERM): opens the broker, starts
 * the HTTP server, prints "gateway: listening on HOST:PORT ..." with the run id and the
 * producer id on stdout, then the table; on the signal stops accepting, answers what is
 * in flight (at most stop_timeout, then 503), prints the summary and writes --json.
 * A broker that cannot be reached (an unavailable or timeout error) is not fatal: after
 * the start line one more line names its address and says that it is retried; every
 * OB_GATEWAY_RECONNECT_NS the publisher thread opens it again, and once it can it prints
 * "gateway: connected to ..." and publishes; until then every request and GET /healthz
 * get 503. With require_broker, or another kind of error (refused, internal), exit 1.
 * Returns the exit status: 0, 1 (the broker, the address or MongoDB could not be used;
 * one line on stderr), 2 (a usage error found late: the listen address). */
int ob_gateway_run(const ob_gateway_config *c, volatile sig_atomic_t *interrupted);

#endif
