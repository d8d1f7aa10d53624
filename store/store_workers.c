/* store_workers.c — the MongoDB side of scale-out (store.h, "the load generators of one
 * run"): slots claimed by insert, the workers' documents, their series in chunks, and
 * the claim of the merge. The documents' text fields are opaque here (loadgen/run_doc.h
 * writes and reads them). */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

#define DUPLICATE_KEY 11000

static void worker_id(char *buf, size_t cap, const char *run, int index)
{
    snprintf(buf, cap, "%s/%d", run, index);
}

static void build_worker(bson_t *doc, const char *run, const ob_worker_doc *d, const char *id)
{
    BSON_APPEND_UTF8(doc, "_id", id);
    BSON_APPEND_UTF8(doc, "run", run);
    BSON_APPEND_INT32(doc, "index", d->index);
    BSON_APPEND_INT32(doc, "workers", d->workers);
    BSON_APPEND_UTF8(doc, "state", d->state);
    BSON_APPEND_UTF8(doc, "host", d->host);
    BSON_APPEND_INT64(doc, "pid", d->pid);
    BSON_APPEND_INT64(doc, "process", (int64_t)d->process);
    BSON_APPEND_INT64(doc, "claimed_ns", d->claimed_ns);
    BSON_APPEND_INT64(doc, "ready_ns", d->ready_ns);
    BSON_APPEND_INT64(doc, "start_ns", d->start_ns);
    BSON_APPEND_INT64(doc, "updated_ns", ob_real_ns());
    BSON_APPEND_INT32(doc, "interval_ms", d->interval_ms);
    BSON_APPEND_UTF8(doc, "reason", d->reason);
    if (d->result)
        BSON_APPEND_UTF8(doc, "result", d->result);
}

int ob_store_worker_claim(ob_store *s, const char *run, ob_worker_doc *d, ob_err *err)
{
    char id[OB_RUN_CAP + 16];
    d->claimed_ns = ob_real_ns();
    if (d->index >= 0)
        return ob_store_worker_put(s, run, d, err);
    for (int i = 0; i < d->workers; i++) {
        d->index = i;
        worker_id(id, sizeof id, run, i);
        bson_t doc = BSON_INITIALIZER;
        build_worker(&doc, run, d, id);
        bson_error_t error;
        bool ok = mongoc_collection_insert_one(s->workers, &doc, NULL, NULL, &error);
        bson_destroy(&doc);
        if (ok)
            return 0;
        if (error.code != DUPLICATE_KEY)
            return ob_err_setk(err, OB_ERR_UNAVAILABLE, "claiming a worker slot of run %s in MongoDB at %s: %s", run,
                               s->address, ob_store_errmsg(&error));
    }
    d->index = -1;
    return ob_err_setk(err, OB_ERR_REJECTED,
                       "run %s already has its %d workers (every slot is claimed): give a new run a new --run-id",
                       run, d->workers);
}

int ob_store_worker_put(ob_store *s, const char *run, const ob_worker_doc *d, ob_err *err)
{
    char id[OB_RUN_CAP + 16];
    worker_id(id, sizeof id, run, d->index);
    bson_t doc = BSON_INITIALIZER, sel = BSON_INITIALIZER;
    build_worker(&doc, run, d, id);
    BSON_APPEND_UTF8(&sel, "_id", id);
    char what[OB_RUN_CAP + 40];
    snprintf(what, sizeof what, "worker %d of run %s", d->index, run);
    int rc = ob_store_upsert(s, s->workers, &sel, &doc, what, err);
    bson_destroy(&sel);
    bson_destroy(&doc);
    return rc;
}

static void copy_utf8(const bson_t *doc, const char *key, char *buf, size_t cap)
{
    bson_iter_t it;
    buf[0] = 0;
    if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it))
        snprintf(buf, cap, "%s", bson_iter_utf8(&it, NULL));
}

static int64_t get_int(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_NUMBER(&it))
        return bson_iter_as_int64(&it);
    return 0;
}

static int by_index(const void *a, const void *b)
{
    const ob_worker_doc *x = a, *y = b;
    return (x->index > y->index) - (x->index < y->index);
}

int ob_store_worker_list(ob_store *s, const char *run, ob_worker_doc **out, size_t *n, ob_err *err)
{
    *out = NULL;
    *n = 0;
    bson_t *filter = BCON_NEW("run", BCON_UTF8(run));
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(s->workers, filter, NULL, NULL);
    bson_destroy(filter);
    const bson_t *doc;
    size_t cap = 0;
    int rc = 0;
    while (mongoc_cursor_next(cur, &doc)) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            ob_worker_doc *grown = realloc(*out, cap * sizeof *grown);
            if (!grown) {
                rc = ob_err_set(err, "out of memory");
                goto done;
            }
            *out = grown;
        }
        ob_worker_doc *d = &(*out)[*n];
        memset(d, 0, sizeof *d);
        d->index = (int)get_int(doc, "index");
        d->workers = (int)get_int(doc, "workers");
        copy_utf8(doc, "state", d->state, sizeof d->state);
        copy_utf8(doc, "host", d->host, sizeof d->host);
        copy_utf8(doc, "reason", d->reason, sizeof d->reason);
        d->pid = get_int(doc, "pid");
        d->process = (uint32_t)get_int(doc, "process");
        d->claimed_ns = get_int(doc, "claimed_ns");
        d->ready_ns = get_int(doc, "ready_ns");
        d->start_ns = get_int(doc, "start_ns");
        d->updated_ns = get_int(doc, "updated_ns");
        d->interval_ms = (int)get_int(doc, "interval_ms");
        bson_iter_t it;
        if (bson_iter_init_find(&it, doc, "result") && BSON_ITER_HOLDS_UTF8(&it)) {
            d->result = strdup(bson_iter_utf8(&it, NULL));
            if (!d->result) {
                rc = ob_err_set(err, "out of memory");
                goto done;
            }
        }
        (*n)++;
    }
    bson_error_t error;
    if (mongoc_cursor_error(cur, &error))
        rc = ob_err_setk(err, OB_ERR_UNAVAILABLE, "reading the workers of run %s from MongoDB at %s: %s", run,
                         s->address, ob_store_errmsg(&error));
done:
    mongoc_cursor_destroy(cur);
    if (rc != 0) {
        ob_store_worker_docs_free(*out, *n);
        *out = NULL;
        *n = 0;
        return rc;
    }
    if (*n)
        qsort(*out, *n, sizeof **out, by_index);
    return 0;
}

void ob_store_worker_docs_free(ob_worker_doc *docs, size_t n)
{
    for (size_t i = 0; docs && i < n; i++)
        free(docs[i].result);
    free(docs);
}

int ob_store_worker_series_put(ob_store *s, const char *run, int index, int chunk, const char *points,
                               ob_err *err)
{
    char id[OB_RUN_CAP + 32];
    snprintf(id, sizeof id, "%s/%d/%d", run, index, chunk);
    bson_t doc = BSON_INITIALIZER, sel = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", id);
    BSON_APPEND_UTF8(&doc, "run", run);
    BSON_APPEND_INT32(&doc, "index", index);
    BSON_APPEND_INT32(&doc, "chunk", chunk);
    BSON_APPEND_UTF8(&doc, "points", points);
    BSON_APPEND_UTF8(&sel, "_id", id);
    char what[OB_RUN_CAP + 60];
    snprintf(what, sizeof what, "the series of worker %d of run %s", index, run);
    int rc = ob_store_upsert(s, s->worker_series, &sel, &doc, what, err);
    bson_destroy(&sel);
    bson_destroy(&doc);
    return rc;
}

int ob_store_worker_series_each(ob_store *s, const char *run,
                                int (*fn)(void *arg, int index, int chunk, const char *points, ob_err *err),
                                void *arg, ob_err *err)
{
    bson_t *filter = BCON_NEW("run", BCON_UTF8(run));
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(s->worker_series, filter, NULL, NULL);
    bson_destroy(filter);
    const bson_t *doc;
    int rc = 0;
    while (rc == 0 && mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        if (!bson_iter_init_find(&it, doc, "points") || !BSON_ITER_HOLDS_UTF8(&it))
            continue;
        rc = fn(arg, (int)get_int(doc, "index"), (int)get_int(doc, "chunk"), bson_iter_utf8(&it, NULL), err);
    }
    bson_error_t error;
    if (rc == 0 && mongoc_cursor_error(cur, &error))
        rc = ob_err_setk(err, OB_ERR_UNAVAILABLE, "reading the workers' series of run %s from MongoDB at %s: %s",
                         run, s->address, ob_store_errmsg(&error));
    mongoc_cursor_destroy(cur);
    return rc;
}

int ob_store_merge_claim(ob_store *s, const char *run, const char *by, ob_err *err)
{
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_UTF8(&doc, "_id", run);
    BSON_APPEND_UTF8(&doc, "by", by);
    BSON_APPEND_INT64(&doc, "at_ns", ob_real_ns());
    bson_error_t error;
    bool ok = mongoc_collection_insert_one(s->merges, &doc, NULL, NULL, &error);
    bson_destroy(&doc);
    if (ok)
        return 1;
    if (error.code == DUPLICATE_KEY)
        return 0;
    return ob_err_setk(err, OB_ERR_UNAVAILABLE, "claiming the merge of run %s in MongoDB at %s: %s", run, s->address,
                       ob_store_errmsg(&error));
}
