/* sink.h — `outbreak sink`: consumes records from a broker, writes them to MongoDB in
 * unordered bulk inserts, and settles each delivery only after MongoDB acknowledged it
 * (at-least-once end to end; a redelivered record is a duplicate-key error, counted).
 * It measures end-to-end latency (intended send → insert acknowledged) per run and
 * keeps one sink_stats document per (run, sink instance) up to date (store.h).
 *
 * Also declares the write side of the store that only the sink uses (the read side,
 * shared with `outbreak run` and reports, is store.h). */
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
} ob_sink_config;

#define OB_SINK_DEFAULT_MONGO "mongodb://127.0.0.1:27017/outbreak"
#define OB_SINK_DEFAULT_BATCH 500
#define OB_SINK_DEFAULT_LINGER_MS 5
#define OB_SINK_DEFAULT_STATS_MS 1000
#define OB_SINK_DEFAULT_QUEUE 10000

/* `outbreak sink ...` (argv[0] = "sink"): parses the flags and runs until SIGINT or
 * SIGTERM. Returns the process exit code: 0 after a clean stop, 1 if the broker or
 * MongoDB cannot be reached at start, 2 on a bad flag (one line on stderr). */
int ob_sink_main(int argc, char **argv);

/* Runs a sink with `cfg` until SIGINT/SIGTERM (which it blocks in the calling process
 * and waits for on a thread of its own). Returns 0 or 1 as ob_sink_main. */
int ob_sink_run(const ob_sink_config *cfg);

/* ---- the store's write side (implemented in store.c) ---- */

/* One record to insert. */
typedef struct ob_store_rec {
    const ob_record *r;
    const ob_meta *m;
} ob_store_rec;

typedef enum ob_insert_result {
    OB_INSERT_OK,        /* inserted */
    OB_INSERT_DUPLICATE, /* _id already there: a redelivery, absorbed */
    OB_INSERT_FAILED,    /* not inserted; settle !ok so the broker redelivers */
} ob_insert_result;

/* Inserts n records into `records` with one unordered bulk insert (_id =
 * "<run>/<producer>/<seq>", plus way and persisted_at = now) and fills result[i] for
 * each. Returns 0 when MongoDB answered (some documents may still have failed: then err
 * says how many and the first reason), -1 when the command as a whole failed
 * (connection lost, write concern error): every result is OB_INSERT_FAILED. Strings
 * must be valid UTF-8 (checked by the caller; client-side validation is off). */
int ob_store_insert_records(ob_store *s, const ob_store_rec *recs, size_t n, const char *way,
                            ob_insert_result *result, ob_err *err);

/* One sink instance's cumulative counts for one run. */
typedef struct ob_sink_stats {
    const char *run;
    const char *sink;
    const char *way;
    int64_t persisted, duplicates, invalid;
    int64_t last_persisted_ns; /* CLOCK_REALTIME of the latest insert MongoDB acknowledged
                                  (0: none yet) */
    const ob_hist *e2e; /* may be NULL (stored as an empty histogram) */
    const ob_per_second *by_second; /* inserts per epoch second; may be NULL */
} ob_sink_stats;

/* Reads the sink_stats document "<run>/<sink>" left by an earlier instance with the same
 * sink id, so that a restarted sink goes on from its counts instead of overwriting
 * them: fills persisted, duplicates, invalid and adds its histogram into e2e (if not
 * NULL). Returns 1 if there was one, 0 if not (counts set to 0), -1 on error. */
int ob_store_get_sink_stats(ob_store *s, const char *run, const char *sink, int64_t *persisted,
                            int64_t *duplicates, int64_t *invalid, ob_hist *e2e, ob_err *err);

/* Replaces (upserts) the sink_stats document "<run>/<sink>" with these counts. */
int ob_store_put_sink_stats(ob_store *s, const ob_sink_stats *st, ob_err *err);

#endif
