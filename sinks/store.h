/* store.h — outbreak's MongoDB side: the records collection the sink writes, and the
 * per-run statistics that sinks store and `outbreak run` / reports read back.
 *
 * Database: the path of the mongodb:// URL, default "outbreak". Collections:
 *   records    — one document per record: the five fields, run, producer, seq, sent_ns,
 *                way, persisted_at; _id = "<run>/<producer>/<seq>" (a redelivery is a
 *                duplicate-key error, never a second document)
 *   sink_stats — one document per (run, sink instance), upserted about every second:
 *                {_id: "<run>/<sink>", run, sink, way, persisted, duplicates, invalid,
 *                 e2e_hist: "<ob_hist_encode text>", updated_at}
 *   runs       — one document per run: the JSON summary of `outbreak run`, _id = run;
 *                keys with dots ("p99.9") are stored with '_' ("p99_9"), since FerretDB
 *                refuses dots in field names, and the exact text is kept in `json`.
 * Not thread-safe: one ob_store per thread. */
#ifndef OB_STORE_H
#define OB_STORE_H

#include <stdint.h>

#include "err.h"
#include "histogram.h"
#include "per_second.h"

typedef struct ob_store ob_store;

/* Connects and pings (gives up within ~5 s); the error names host:port. */
int ob_store_open(ob_store **out, const char *mongo_url, ob_err *err);
/* NULL-safe. */
void ob_store_close(ob_store *s);

typedef struct ob_sink_totals {
    int64_t persisted;  /* documents inserted by the sinks (sum over sink instances) */
    int64_t duplicates; /* duplicate-key errors (redeliveries absorbed by _id) */
    int64_t invalid;    /* deliveries that were not a valid record (acked and dropped) */
    int sinks;          /* sink instances that reported for this run */
    int64_t last_persisted_ns; /* the latest insert of any of them (CLOCK_REALTIME), 0 if
                                  none said */
    char way[16];       /* as reported by the sinks ("" if none) */
} ob_sink_totals;

/* Sums the sink_stats documents of `run`; merges their end-to-end histograms into
 * e2e (if not NULL). */
int ob_store_sink_totals(ob_store *s, const char *run, ob_sink_totals *out, ob_hist *e2e,
                         ob_err *err);
/* Adds the sinks' records persisted per epoch second for `run` into *out (the sum over
 * the sink instances). Returns 0 or -1 with err set. */
int ob_store_persisted_by_second(ob_store *s, const char *run, ob_per_second *out, ob_err *err);
/* Number of documents of `run` in the records collection (the ground truth). */
int ob_store_count_records(ob_store *s, const char *run, int64_t *out, ob_err *err);
/* Upserts the run's JSON summary into runs (the JSON must be one object). */
int ob_store_save_summary(ob_store *s, const char *run, const char *summary_json, ob_err *err);

#endif
