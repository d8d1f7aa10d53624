/* sink.h — `outbreak sink`: consumes records from a broker, writes them to MongoDB in
 * unordered bulk inserts, and settles each delivery only after MongoDB acknowledged it
 * (at-least-once end to end; a redelivered record is a duplicate-key error, counted).
 * It measures end-to-end latency (intended send → insert acknowledged) per run and
 * keeps one sink_stats document per (run, sink instance) up to date (store.h).
 */
#ifndef OB_SINK_H
#define OB_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "per_second.h"
#include "record.h"
#include "store.h"

/* The settings of one sink (flags of `outbreak sink`). */
typedef struct ob_sink_config {
    const char *broker_url;     /* required */
    const char *mongo_url;      /* default mongodb://127.0.0.1:27017/outbreak */
    int batch;                  /* max documents per insert (default 500) */
    int linger_ms;              /* max wait to fill a batch once it has one (default 5) */
    const char *id;             /* sink instance id (default "<hostname>-<pid>") */
    int stats_interval_ms;      /* sink_stats upsert period (default 1000) */
    int queue;                  /* max deliveries buffered (default 10000) */
    int ready_fd;               /* >= 0: write "ready\n" there and close it once subscribed
                                   (for a supervisor such as `outbreak compare`); -1: none */
    /* Given: called on the sink's writer thread every stats interval and once at the
     * stop with its figures in Prometheus' text format (prom.h; docs/metrics.md:
     * outbreak_records_persisted_total, _duplicates_total, _invalid_total and the
     * end-to-end latency histogram outbreak_e2e_latency_seconds per run, the queue, the
     * rejected deliveries, the process's CPU and memory). NULL: not rendered. */
    void (*metrics)(void *arg, const char *text, size_t len);
    void *metrics_arg;
} ob_sink_config;

#define OB_SINK_DEFAULT_MONGO OB_STORE_DEFAULT_URL
#define OB_SINK_DEFAULT_BATCH 500
#define OB_SINK_DEFAULT_LINGER_MS 5
#define OB_SINK_DEFAULT_STATS_MS 1000
#define OB_SINK_DEFAULT_QUEUE 10000

/* Runs a sink with `cfg` until SIGINT/SIGTERM (which it blocks in the calling process
 * and waits for on a thread of its own). Returns 0 after a clean stop, 1 if the broker
 * or MongoDB cannot be reached at start, 2 if the broker's URL is one that cannot be
 * read from (a usage error, such as an http:// URL). */
int ob_sink_run(const ob_sink_config *cfg);

#endif
