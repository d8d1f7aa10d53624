/* web.h — `outbreak web`'s HTTP server: the data dashboard's JSON over the sinks' counts
 * (store.h: ob_store_dashboard), the host monitor (monitor.h), and, when asked for, the
 * course project's dashboard API, so that its existing front end works unchanged.
 *
 * Routes (GET only; anything else is 405, an unknown path 404, a bad query 400, each with
 * a JSON body {"error": "..."}):
 *   /api/dashboard?way=W&run=R  the counts of the records in MongoDB (way: a middleware's
 *                               way or "all", the default; run: one run, default all)
 *   /api/monitor/ram            memory used and free
 *   /api/monitor/processes?filter=TEXT  the process table, outbreak's and the
 *                               middlewares' processes first
 *   /healthz                    200 "ok"
 *   /metrics                    Prometheus' text format: the test under way
 *                               (control.h: ob_control_metrics) and this process's
 *                               CPU and memory (role "web"); behind the login as the rest
 * With course_api, the course project's routes, which answer any origin (CORS) and ask
 * for no login (its front end cannot log in):
 *   /consulta/getAllMsg, /consulta/getAllMsg/:canal   the latest 50 records, newest first
 *   /consulta/ultimos5casos                            the latest 5
 *   /consulta/getTop5DerpartamentosInfectados, /consulta/regionMasInfectada,
 *   /consulta/getForState, /consulta/getForInfectedType, /consulta/rangoEdades
 *                               arrays of {"_id": value, "count": n}, count descending
 *   /prueba1 (RAM), /prueba2 (processes)              the kernel modules' shapes
 * With a login (USER:PASS), every other route asks for it (HTTP Basic, realm "outbreak").
 *
 * One thread serves every request (libmicrohttpd's internal polling thread), which is
 * also the only user of the MongoDB connection. */
#ifndef OB_WEB_H
#define OB_WEB_H

#include <stdbool.h>

#include "err.h"
#include "listener.h"

typedef struct ob_control ob_control;

typedef struct ob_web_config {
    const char *mongo_url; /* NULL: no dashboard (its routes answer 503) */
    const char *host;      /* address to bind, e.g. "127.0.0.1" */
    int port;              /* 0: any free port (ob_web_port tells which) */
    const char *login;     /* "USER:PASS" or NULL: no login */
    bool course_api;       /* serve the course project's routes */
    const char *proc_root; /* "/proc" (tests: a fake one) */
    ob_control *control;   /* the test runner (control.h); NULL: no UI for tests */
    const ob_listener_tls *tls; /* HTTPS with its certificate (listener.h); NULL or empty:
                                   plain HTTP. Must outlive the server. */
} ob_web_config;

typedef struct ob_web ob_web;

/* Connects to MongoDB (the error names its address) and listens (the error names the
 * address it could not bind). */
int ob_web_start(ob_web **out, const ob_web_config *cfg, ob_err *err);
/* The port it listens on. */
int ob_web_port(const ob_web *w);
/* Requests served so far, by status class: [0] 2xx, [1] 4xx, [2] 5xx. */
void ob_web_counts(const ob_web *w, long long counts[3]);
/* Stops listening, waits for the request in hand, frees. NULL-safe. */
void ob_web_stop(ob_web *w);

#endif
