/* metrics.h — the /metrics endpoint of `outbreak run` and `outbreak sink` (--metrics
 * HOST:PORT): a small HTTP server (libmicrohttpd, one polling thread) that answers
 * GET /metrics with the text its owner last published, in Prometheus' text format
 * (prom.h), and GET /healthz with "ok". Anything else: 404, another method: 405.
 *
 * The owner renders its figures once a second (its own thread, its own data) and hands
 * the text over with ob_metrics_publish; a scrape never touches the owner's data, so it
 * costs the measured process nothing but a copy. A process whose figures end (a run)
 * publishes its final figures, then may wait for one more scrape so that Prometheus
 * sees them (ob_metrics_wait_scrape).
 *
 * The gateway and the web UI serve /metrics on their own listeners (gateway.h, web.h). */
#ifndef OB_METRICS_H
#define OB_METRICS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "listener.h"

typedef struct ob_metrics ob_metrics;

/* Listens on `listen` (HOST:PORT as --metrics gives it; port 0: any free port), over
 * HTTPS when tls holds a certificate (listener.h; may be NULL), asking for `login`
 * ("USER:PASS", HTTP Basic; NULL: none) on /metrics (not on /healthz). A bad address is
 * OB_ERR_USAGE naming `flag`; an address in use OB_ERR_UNAVAILABLE naming it. tls must
 * outlive the server. */
int ob_metrics_start(ob_metrics **out, const char *flag, const char *listen, const ob_listener_tls *tls,
                     const char *login, ob_err *err);

/* Its URL, "http[s]://HOST:PORT/metrics" (the port it got when asked for 0). */
const char *ob_metrics_url(const ob_metrics *m);

/* The address it listens on, "HOST:PORT" (the port it got when asked for 0). */
const char *ob_metrics_address(const ob_metrics *m);

/* Replaces the text served (copied; any thread). */
void ob_metrics_publish(ob_metrics *m, const char *text, size_t len);

/* Renders with write(f, arg) into a memory stream and publishes the result. */
void ob_metrics_publish_with(ob_metrics *m, void (*write)(FILE *f, void *arg), void *arg);

/* GET /metrics answered so far. */
uint64_t ob_metrics_scrapes(ob_metrics *m);

/* Waits for a scrape after the `after`-th one, when something has been scraping: at most
 * twice the interval seen between its last two scrapes plus a second (30 s at most), and
 * not at all when nothing scraped twice yet; returns early when *interrupted. Returns
 * true when the scrape came. */
bool ob_metrics_wait_scrape(ob_metrics *m, uint64_t after, volatile sig_atomic_t *interrupted);

/* Stops the server and frees it; NULL-safe. */
void ob_metrics_stop(ob_metrics *m);

#endif
