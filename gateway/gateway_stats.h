/* gateway_stats.h — what the gateway counts and how it shows it: answers by status code,
 * health checks apart, the ack latency of the 200s (arrival → the last record's ack),
 * the Locust-style table every few seconds, the summary at exit, the JSON summary
 * (--json) and its copy in MongoDB (--mongo); and the broker's connection: when it came
 * (a broker unreachable at start is retried) and the requests answered 503 before. */
#ifndef OB_GATEWAY_STATS_H
#define OB_GATEWAY_STATS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "histogram.h"
#include "publisher.h"

#define OB_GW_NCODES 11 /* 200 400 401 404 405 413 500 502 503 504, then any other */

typedef struct ob_gw_stats {
    atomic_llong codes[OB_GW_NCODES];
    atomic_llong health;  /* GET /healthz answers */
    atomic_llong broker_down;     /* requests answered 503: the broker not connected yet */
    atomic_llong broker_attempts; /* opens of the broker, the first one included */
    atomic_llong broker_up_mono;  /* when the broker was connected (CLOCK_MONOTONIC ns); 0: not */
    ob_hist *ack;         /* 200s: arrival → answered (ns); one writer at a time */
    /* the table's previous sample (the printing thread's) */
    int64_t last_mono;
    long long last_total, last_fails;
} ob_gw_stats;

/* What the reports say about the gateway besides its counts. */
typedef struct ob_gw_view {
    const char *way, *listen, *run, *id, *broker;
    uint32_t producer;
    ob_publisher *pub;   /* NULL while the broker is not connected */
    int64_t t0_mono, t0_real, t1_mono; /* start, and end (0 while running) */
} ob_gw_view;

/* Zeroes *s and allocates its histogram: 0, or -1 out of memory. */
int ob_gw_stats_init(ob_gw_stats *s);
/* NULL-safe on the histogram. */
void ob_gw_stats_free(ob_gw_stats *s);
/* Counts one answer with this status (any thread). */
void ob_gw_stats_count(ob_gw_stats *s, int status);
/* Counts one health check (any thread). */
void ob_gw_stats_health(ob_gw_stats *s);
/* Counts one request answered 503 because the broker is not connected (any thread; the
 * answer itself is counted by ob_gw_stats_count). */
void ob_gw_stats_broker_down(ob_gw_stats *s);
/* Counts one attempt to open the broker; ok: it is connected now, at `now` (any thread). */
void ob_gw_stats_broker_attempt(ob_gw_stats *s, bool ok, int64_t now);
/* Records a 200's latency (one caller at a time: the gateway's lock). */
void ob_gw_stats_ack_latency(ob_gw_stats *s, int64_t ns);
/* The table: requests, failures, rates since the last table, latencies, codes. */
void ob_gw_stats_table(FILE *f, ob_gw_stats *s, const ob_gw_view *v);
/* The summary at exit: the table over the whole run and the percentiles. */
void ob_gw_stats_summary(FILE *f, ob_gw_stats *s, const ob_gw_view *v);
/* The figures in Prometheus' text format (prom.h; docs/metrics.md), labelled
 * role="gateway", middleware, run, instance (the gateway's id):
 * outbreak_http_responses_total{code}, outbreak_http_health_checks_total, the
 * publisher's outbreak_records_sent_total, _acked_total, _failed_total,
 * outbreak_records_in_flight, outbreak_broker_connected, the 200s' latency
 * outbreak_http_ack_latency_seconds (histogram), the process's CPU and memory. Any
 * thread. */
void ob_gw_stats_metrics(FILE *f, ob_gw_stats *s, const ob_gw_view *v);
/* The JSON summary into FILE (err names it). */
int ob_gw_stats_json_file(const char *path, ob_gw_stats *s, const ob_gw_view *v, ob_err *err);
/* The JSON summary as one string (malloc'd), or NULL out of memory. */
char *ob_gw_stats_json(ob_gw_stats *s, const ob_gw_view *v);

#endif
