/* store.h — outbreak's MongoDB side: the records collection the sink writes, and the
 * per-run statistics that sinks store and `outbreak run` / reports read back.
 *
 * Database: the path of the mongodb:// URL, default "outbreak". Collections:
 *   records    — one document per record: the five fields, run, producer, seq, sent_ns,
 *                way, sink (the id of the sink that inserted it), persisted_at; _id =
 *                "<run>/<producer>/<seq>" (a redelivery is a duplicate-key error, never a
 *                second document)
 *   sink_stats — one document per (run, sink instance), upserted about every second:
 *                {_id: "<run>/<sink>", run, sink, way, persisted, duplicates, invalid,
 *                 processes: [{process, persisted, duplicates}], e2e_hist: "<ob_hist_encode
 *                 text>", updated_at} — `processes` splits the counts by the producer's
 *                process part (record.h), one entry per `outbreak run` process
 *   sinks      — one document per sink instance, its heartbeat, upserted every stats
 *                interval whether or not anything changed: {_id: "<sink>", sink, way,
 *                state: "running" | "stopped", started_at, updated_at, updated_ns,
 *                interval_ms, persisted, duplicates, invalid, nacked (totals over all runs
 *                since it started), queued}; what `outbreak run` watches to tell a sink
 *                that is still working (on any run) from one that is idle or gone
 *   runs       — one document per run: the JSON summary of `outbreak run`, _id = run;
 *                keys with dots ("p99.9") are stored with '_' ("p99_9"), since FerretDB
 *                refuses dots in field names, and the exact text is kept in `json`.
 *   workers, worker_series, merges — the load generators of one run (`--workers N`),
 *                see store_workers.c's part below.
 * Not thread-safe: one ob_store per thread. */
#ifndef OB_STORE_H
#define OB_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dash.h"
#include "err.h"
#include "histogram.h"
#include "per_second.h"
#include "record.h"

typedef struct ob_store ob_store;

/* The local stack's MongoDB, database "outbreak". */
#define OB_STORE_DEFAULT_URL "mongodb://127.0.0.1:27017/outbreak"

/* Connects and pings (gives up within ~5 s); the error names host:port. A URL that is
 * not a MongoDB URL is an error of kind OB_ERR_USAGE. */
int ob_store_open(ob_store **out, const char *mongo_url, ob_err *err);

/* An OB_FLAG_CUSTOM parse for --mongo URL (flags.h): stores the value (const char
 * **dest) when it is a MongoDB URL (mongodb:// or mongodb+srv://, as the driver reads
 * it), so that a wrong one is a usage error before anything starts. */
int ob_store_flag_url(const char *value, void *dest, ob_err *err);
/* NULL-safe. */
void ob_store_close(ob_store *s);

/* One way's share of a run's persisted records, as its sinks counted them. */
#define OB_SINK_WAYS_MAX 8
typedef struct ob_way_persisted {
    char way[16];
    int64_t persisted;         /* the way's sinks' documents inserted for the run */
    int64_t process_persisted; /* of them, the process asked for (-1: not asked, or a sink
                                  document without the split) */
} ob_way_persisted;

typedef struct ob_sink_totals {
    int64_t persisted;  /* documents inserted by the sinks (sum over sink instances) */
    int64_t duplicates; /* duplicate-key errors (redeliveries absorbed by _id) */
    int64_t invalid;    /* deliveries that were not a valid record (acked and dropped) */
    int64_t unsure;     /* records in inserts that failed as a whole where the middleware
                           does not deliver them again (core NATS, gRPC): MongoDB may have
                           stored them all the same (a connection cut mid-insert), and no
                           sink counts them; MongoDB's own count can tell */
    int sinks;          /* sink instances that reported for this run */
    int64_t last_persisted_ns; /* the latest insert of any of them (CLOCK_REALTIME), 0 if
                                  none said */
    char way[16];       /* as reported by the sinks ("" if none) */
    /* the share of one process (the `process` asked for): -1 when not asked or when a
     * sink document has no per-process counts (an older sink) */
    int64_t process_persisted, process_duplicates;
    /* per way (the sink documents' "way"), in the order first met; ways past
     * OB_SINK_WAYS_MAX are left out (nways stays at the maximum) */
    ob_way_persisted ways[OB_SINK_WAYS_MAX];
    int nways;
} ob_sink_totals;

/* Sums the sink_stats documents of `run`; merges their end-to-end histograms into
 * e2e (if not NULL). With process >= 0 also sums the counts of records whose producer
 * has that process part (process_persisted, process_duplicates). */
int ob_store_sink_totals(ob_store *s, const char *run, int64_t process, ob_sink_totals *out,
                         ob_hist *e2e, ob_err *err);

/* What the sinks of one middleware are doing, from their heartbeats (collection sinks). */
typedef struct ob_sink_activity {
    int sinks;      /* heartbeat documents of that way */
    int running;    /* of which not stopped */
    int64_t work;   /* sum of persisted + duplicates + invalid + nacked over the running
                       ones: grows while any of them handles deliveries, of any run */
    int64_t queued; /* deliveries waiting in the running sinks' queues */
    int dead;       /* sinks that reported for the run asked about whose heartbeat stopped
                       without a clean stop (killed, cut off): records they inserted after
                       their last statistics may be in MongoDB, counted nowhere */
} ob_sink_activity;

/* Reads the heartbeats of the sinks whose way is `way` (every way's when NULL; a small
 * collection: one document per sink instance), and, if run is not NULL, which of the sinks that reported for it
 * (in sink_stats) stopped beating while running: silent for over 3 of their intervals
 * plus 2 s, by this host's CLOCK_REALTIME. */
int ob_store_sink_activity(ob_store *s, const char *way, const char *run, ob_sink_activity *out,
                           ob_err *err);
/* Adds the sinks' records persisted per epoch second for `run` into *out (the sum over
 * the sink instances). Returns 0 or -1 with err set. */
int ob_store_persisted_by_second(ob_store *s, const char *run, ob_per_second *out, ob_err *err);
/* Number of documents of `run` in the records collection (the ground truth), only those
 * whose producer has process part `process` when process >= 0. A scan of the whole
 * collection on FerretDB (it pushes no filter down, not even one on _id): limit_ms > 0
 * bounds it (maxTimeMS), and past the limit it returns -1 with an error of kind
 * OB_ERR_TIMEOUT. */
int ob_store_count_records(ob_store *s, const char *run, int64_t process, int limit_ms,
                           int64_t *out, ob_err *err);
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
/* The persisted_at (epoch ms) that the last ob_store_insert_records wrote. */
int64_t ob_store_last_insert_ms(const ob_store *s);

/* What the decoder does not check and MongoDB needs: a run id usable in _id, strings
 * that are valid UTF-8. NULL when the record can be inserted, else the reason. */
const char *ob_store_record_problem(const ob_record *r, const ob_meta *m);

/* One process's share of a sink's counts for one run (process = the producer's part
 * above OB_PRODUCER_WORKER_BITS, record.h). */
typedef struct ob_process_count {
    uint32_t process;
    int64_t persisted, duplicates;
} ob_process_count;

/* One sink instance's cumulative counts for one run. */
typedef struct ob_sink_stats {
    const char *run;
    const char *sink;
    const char *way;
    int64_t persisted, duplicates, invalid, unsure; /* as in ob_sink_totals */
    const ob_process_count *processes; /* persisted and duplicates split by process */
    size_t nprocesses;
    int64_t last_persisted_ns; /* CLOCK_REALTIME of the latest insert MongoDB acknowledged
                                  (0: none yet) */
    const ob_hist *e2e; /* may be NULL (stored as an empty histogram) */
    const ob_per_second *by_second; /* inserts per epoch second; may be NULL */
    const ob_dash *dash; /* the dashboard's counts of the records inserted, written to
                            sink_dash; NULL: not this time */
} ob_sink_stats;

/* Reads the sink_stats document "<run>/<sink>" left by an earlier instance with the same
 * sink id, so that a restarted sink goes on from its counts instead of overwriting
 * them: fills one's persisted, duplicates, invalid and unsure (the rest zeroed), adds its
 * histogram into e2e (if not NULL) and, if procs is not NULL, sets *procs to a malloc'd
 * array of its per-process counts (*nprocs entries; NULL and 0 if none). Returns 1 if
 * there was one, 0 if not (counts set to 0), -1 on error. */
int ob_store_get_sink_stats(ob_store *s, const char *run, const char *sink, ob_sink_totals *one,
                            ob_hist *e2e, ob_process_count **procs, size_t *nprocs, ob_err *err);

/* Replaces (upserts) the sink_stats document "<run>/<sink>" with these counts, and the
 * sink_dash document with the dash if it is not NULL. */
int ob_store_put_sink_stats(ob_store *s, const ob_sink_stats *st, ob_err *err);

/* ---- the data dashboard (store_dash.c) ---- */

/* Names the sink whose inserts this handle makes: each record then carries it (field
 * sink), which is what ob_store_recount_sink counts by. */
void ob_store_set_writer(ob_store *s, const char *sink);

/* Adds the dash of the sink_dash document "<run>/<sink>" (left by an earlier instance
 * with the same sink id) into *dash. Returns 1 if it had one, 0 if not, -1 on error. */
int ob_store_get_sink_dash(ob_store *s, const char *run, const char *sink, ob_dash *dash,
                           ob_err *err);

/* The dashboard: the sum of the dash of every sink_dash document whose way is `way` and
 * whose run is `run` (NULL: any), into *out (initialised here). *sinks (if not NULL) is
 * the number of documents summed. A small collection: one document per run and sink. */
int ob_store_dashboard(ob_store *s, const char *way, const char *run, ob_dash *out, int *sinks,
                       ob_err *err);

/* The sinks of `way` whose heartbeat says running but that stopped beating (silent for
 * over 3 intervals plus 2 s): sinks that died without saving their last counts; and
 * `own` (if not NULL) when its heartbeat says running, however recent (a sink starting
 * with the id of one that died). Fills a malloc'd array of malloc'd ids (free with
 * ob_store_free_ids). */
int ob_store_dead_sinks(ob_store *s, const char *way, const char *own, char ***ids, size_t *n,
                        ob_err *err);
void ob_store_free_ids(char **ids, size_t n);

/* Recounts what sink `sink` inserted from the records themselves (those whose sink
 * field names it: a scan of the records collection, 20-40 s for 300 000 records on
 * FerretDB) and rewrites, per run, its sink_stats document's persisted count and the
 * per-process persisted counts, and its sink_dash document; duplicates, invalid, the histogram and the
 * counts per second stay as the sink last saved them. Then marks its heartbeat
 * "recounted". *records (if not NULL) is the number of records counted. When *stop
 * (if not NULL) becomes true during the scan, it ends there: -1, nothing rewritten. */
int ob_store_recount_sink(ob_store *s, const char *sink, const atomic_bool *stop, int64_t *records,
                          ob_err *err);

/* A sink instance's heartbeat (collection sinks). */
typedef struct ob_sink_beat {
    const char *sink;
    const char *way;
    bool stopped;       /* the last beat of a sink that stopped cleanly */
    int64_t started_ns; /* CLOCK_REALTIME */
    int interval_ms;    /* how often it beats */
    int64_t persisted, duplicates, invalid, nacked; /* totals over all runs since start */
    int64_t queued;     /* deliveries waiting in its queue */
} ob_sink_beat;

/* Replaces (upserts) the heartbeat document of b->sink, stamped with the time now. */
int ob_store_put_sink_beat(ob_store *s, const ob_sink_beat *b, ob_err *err);

/* ---- the load generators of one run (store_workers.c) ----
 *
 *   workers       — one document per worker of a run: _id "<run>/<index>", run, index,
 *                   workers, state, host, pid, process, claimed_ns, ready_ns, start_ns,
 *                   updated_ns (CLOCK_REALTIME ns), reason, result (the worker's figures
 *                   as text: loadgen/run_doc.h), interval_ms
 *   worker_series — its per-second series in chunks: _id "<run>/<index>/<chunk>", run,
 *                   index, chunk, points (text: loadgen/run_doc.h)
 *   merges        — _id run: who merges a run (the first to insert it) */

typedef struct ob_worker_doc {
    int index, workers;
    char state[16];      /* connecting, ready, running, finished, interrupted, failed */
    char host[64];
    int64_t pid;
    uint32_t process;    /* the producer ids' process part of its records (record.h) */
    int64_t claimed_ns, ready_ns, start_ns, updated_ns; /* CLOCK_REALTIME; 0: not yet */
    int interval_ms;     /* how often it updates its document while running */
    char reason[256];    /* failed: why */
    char *result;        /* malloc'd text or NULL (read); the caller's (put) */
} ob_worker_doc;

/* Claims a worker slot of `run`: index d->index when >= 0 (its document replaced: a
 * worker started again takes its slot over), else the first free one of 0..workers-1
 * (an insert of "<run>/<i>": atomic, two workers never get the same index). Stores *d
 * with claimed_ns and updated_ns now, d->index set to the slot. Fails (OB_ERR_REJECTED)
 * when every slot is taken, naming the run. */
int ob_store_worker_claim(ob_store *s, const char *run, ob_worker_doc *d, ob_err *err);
/* Replaces the worker's document with *d, updated_ns = now. */
int ob_store_worker_put(ob_store *s, const char *run, const ob_worker_doc *d, ob_err *err);
/* The worker documents of `run`, by index, into a malloc'd array (free with
 * ob_store_worker_docs_free). */
int ob_store_worker_list(ob_store *s, const char *run, ob_worker_doc **out, size_t *n, ob_err *err);
void ob_store_worker_docs_free(ob_worker_doc *docs, size_t n);
/* Replaces chunk `chunk` of worker `index`'s series with the text. */
int ob_store_worker_series_put(ob_store *s, const char *run, int index, int chunk, const char *points,
                               ob_err *err);
/* Calls fn for every series chunk of `run`, in no particular order; fn returns 0 or -1
 * (stops, err set by it). */
int ob_store_worker_series_each(ob_store *s, const char *run,
                                int (*fn)(void *arg, int index, int chunk, const char *points, ob_err *err),
                                void *arg, ob_err *err);
/* Claims the merge of `run` for `by`: 1 when this call claimed it, 0 when another had. */
int ob_store_merge_claim(ob_store *s, const char *run, const char *by, ob_err *err);

#endif
