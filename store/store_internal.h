/* store_internal.h — what the files of store/ share and nothing else sees: the ob_store
 * handle's fields and two helpers. Not part of the layer's contract (store.h is). */
#ifndef OB_STORE_INTERNAL_H
#define OB_STORE_INTERNAL_H

#include <bson/bson.h>
#include <mongoc/mongoc.h>

#include "store.h"

struct ob_store {
    mongoc_client_t *client;
    mongoc_collection_t *records;
    mongoc_collection_t *sink_stats;
    mongoc_collection_t *runs;
    mongoc_collection_t *sinks;
    mongoc_collection_t *sink_dash;
    mongoc_collection_t *workers, *worker_series, *merges; /* store_workers.c */
    char address[256]; /* "host:port[,host:port...]" for messages */
    char writer[256];  /* the sink id written into each inserted record ("": none) */
    int64_t last_insert_ms; /* the persisted_at of the last bulk insert */
    /* reused between bulk inserts (each bson_t on the heap: a grown bson_t points into
     * itself and must not move) */
    bson_t **docs;
    const bson_t **doc_ptrs;
    size_t cap_docs;
};

/* The driver's message of an error. */
const char *ob_store_errmsg(bson_error_t *e);
/* Replaces (upserts) the document `sel` selects with `doc`; the error says `what`. */
int ob_store_upsert(ob_store *s, mongoc_collection_t *coll, const bson_t *sel, const bson_t *doc,
                    const char *what, ob_err *err);

/* Initialises sel to {_id: "<run>/<sink>"} and doc to the same _id with run, sink and
 * way: the start of a sink_stats or sink_dash document. The caller destroys both. */
void ob_store_run_sink_doc(bson_t *sel, bson_t *doc, const ob_sink_stats *st);
/* Appends `key`: the dash as stored in sink_dash (store.h). */
void ob_store_append_dash(bson_t *doc, const char *key, const ob_dash *d);
/* Replaces (upserts) the sink_dash document "<run>/<sink>" with st->dash. */
int ob_store_put_sink_dash(ob_store *s, const ob_sink_stats *st, ob_err *err);

#endif
