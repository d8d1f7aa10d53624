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
#include "record.h"

typedef struct ob_store ob_store;

/* The local stack's MongoDB, database "outbreak". */
#define OB_STORE_DEFAULT_URL "mongodb://127.0.0.1:27017/outbreak"

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

/* ---- the write side (the sink's) ---- */

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

/* What the decoder does not check and MongoDB needs: a run id usable in _id, strings
 * that are valid UTF-8. NULL when the record can be inserted, else the reason. */
const char *ob_store_record_problem(const ob_record *r, const ob_meta *m);

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
