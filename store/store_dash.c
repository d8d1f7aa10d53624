/* store_dash.c — the data dashboard's side of store/ (store.h): the sinks' dash counts in
 * the sink_dash collection, their sum, and the recount of a sink that died before
 * saving its last counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "store_internal.h"

void ob_store_set_writer(ob_store *s, const char *sink)
{
    snprintf(s->writer, sizeof s->writer, "%s", sink ? sink : "");
}

static void append_tally(bson_t *doc, const char *key, const ob_tally *t)
{
    bson_t arr, one;
    BSON_APPEND_ARRAY_BEGIN(doc, key, &arr);
    for (size_t i = 0; i < t->n; i++) {
        char k[16];
        const char *kp;
        bson_uint32_to_string((uint32_t)i, &kp, k, sizeof k);
        BSON_APPEND_DOCUMENT_BEGIN(&arr, kp, &one);
        BSON_APPEND_UTF8(&one, "k", t->e[i].key);
        BSON_APPEND_INT64(&one, "n", t->e[i].n);
        bson_append_document_end(&arr, &one);
    }
    bson_append_array_end(doc, &arr);
}

void ob_store_append_dash(bson_t *doc, const char *key, const ob_dash *d)
{
    bson_t sub, arr, one;
    BSON_APPEND_DOCUMENT_BEGIN(doc, key, &sub);
    BSON_APPEND_INT64(&sub, "records", d->records);
    append_tally(&sub, "location", &d->location);
    append_tally(&sub, "state", &d->state);
    append_tally(&sub, "infectedtype", &d->infectedtype);
    BSON_APPEND_ARRAY_BEGIN(&sub, "age", &arr);
    for (int i = 0; i < OB_DASH_AGE_BUCKETS; i++) {
        char k[16];
        const char *kp;
        bson_uint32_to_string((uint32_t)i, &kp, k, sizeof k);
        BSON_APPEND_INT64(&arr, kp, d->age[i]);
    }
    bson_append_array_end(&sub, &arr);
    BSON_APPEND_ARRAY_BEGIN(&sub, "latest", &arr);
    for (size_t i = 0; i < d->nlatest; i++) {
        const ob_dash_case *c = &d->latest[i];
        char k[16];
        const char *kp;
        bson_uint32_to_string((uint32_t)i, &kp, k, sizeof k);
        BSON_APPEND_DOCUMENT_BEGIN(&arr, kp, &one);
        BSON_APPEND_UTF8(&one, "name", c->r.name);
        BSON_APPEND_UTF8(&one, "location", c->r.location);
        BSON_APPEND_INT32(&one, "age", c->r.age);
        BSON_APPEND_UTF8(&one, "infectedtype", c->r.infectedtype);
        BSON_APPEND_UTF8(&one, "state", c->r.state);
        BSON_APPEND_UTF8(&one, "way", c->way);
        BSON_APPEND_UTF8(&one, "run", c->run);
        BSON_APPEND_DATE_TIME(&one, "fecha", c->persisted_ms);
        bson_append_document_end(&arr, &one);
    }
    bson_append_array_end(&sub, &arr);
    bson_append_document_end(doc, &sub);
}

int ob_store_put_sink_dash(ob_store *s, const ob_sink_stats *st, ob_err *err)
{
    bson_t sel, doc;
    ob_store_run_sink_doc(&sel, &doc, st);
    ob_store_append_dash(&doc, "dash", st->dash);
    BSON_APPEND_DATE_TIME(&doc, "updated_at", ob_real_ns() / OB_NS_PER_MS);
    char what[OB_RUN_CAP + 40];
    snprintf(what, sizeof what, "dashboard counts of run %s", st->run);
    int rc = ob_store_upsert(s, s->sink_dash, &sel, &doc, what, err);
    bson_destroy(&sel);
    bson_destroy(&doc);
    return rc;
}

static void copy_utf8(bson_iter_t *it, char *dst, size_t cap)
{
    snprintf(dst, cap, "%s", BSON_ITER_HOLDS_UTF8(it) ? bson_iter_utf8(it, NULL) : "");
}

static void parse_tally(bson_iter_t *arr, ob_tally *into)
{
    bson_iter_t el, f;
    if (!BSON_ITER_HOLDS_ARRAY(arr) || !bson_iter_recurse(arr, &el))
        return;
    while (bson_iter_next(&el)) {
        char key[OB_FIELD_CAP] = "";
        int64_t n = 0;
        if (!BSON_ITER_HOLDS_DOCUMENT(&el) || !bson_iter_recurse(&el, &f))
            continue;
        while (bson_iter_next(&f)) {
            if (strcmp(bson_iter_key(&f), "k") == 0)
                copy_utf8(&f, key, sizeof key);
            else if (strcmp(bson_iter_key(&f), "n") == 0)
                n = bson_iter_as_int64(&f);
        }
        ob_tally_add(into, key, n);
    }
}

static void parse_case(bson_iter_t *f, ob_dash_case *c)
{
    memset(c, 0, sizeof *c);
    while (bson_iter_next(f)) {
        const char *k = bson_iter_key(f);
        if (strcmp(k, "name") == 0)
            copy_utf8(f, c->r.name, sizeof c->r.name);
        else if (strcmp(k, "location") == 0)
            copy_utf8(f, c->r.location, sizeof c->r.location);
        else if (strcmp(k, "age") == 0)
            c->r.age = (int)bson_iter_as_int64(f);
        else if (strcmp(k, "infectedtype") == 0)
            copy_utf8(f, c->r.infectedtype, sizeof c->r.infectedtype);
        else if (strcmp(k, "state") == 0)
            copy_utf8(f, c->r.state, sizeof c->r.state);
        else if (strcmp(k, "way") == 0)
            copy_utf8(f, c->way, sizeof c->way);
        else if (strcmp(k, "run") == 0)
            copy_utf8(f, c->run, sizeof c->run);
        else if (strcmp(k, "fecha") == 0 && BSON_ITER_HOLDS_DATE_TIME(f))
            c->persisted_ms = bson_iter_date_time(f);
    }
}

/* Adds the "dash" field of a sink_dash document into *into; false if it has none. */
static bool add_dash(const bson_t *doc, ob_dash *into)
{
    bson_iter_t it, sub, arr, f;
    if (!bson_iter_init_find(&it, doc, "dash") || !BSON_ITER_HOLDS_DOCUMENT(&it) ||
        !bson_iter_recurse(&it, &sub))
        return false;
    ob_dash *one = calloc(1, sizeof *one); /* ~30 KB: not on the stack */
    if (!one)
        return false;
    while (bson_iter_next(&sub)) {
        const char *k = bson_iter_key(&sub);
        if (strcmp(k, "records") == 0) {
            one->records = bson_iter_as_int64(&sub);
        } else if (strcmp(k, "location") == 0) {
            parse_tally(&sub, &one->location);
        } else if (strcmp(k, "state") == 0) {
            parse_tally(&sub, &one->state);
        } else if (strcmp(k, "infectedtype") == 0) {
            parse_tally(&sub, &one->infectedtype);
        } else if (strcmp(k, "age") == 0 && BSON_ITER_HOLDS_ARRAY(&sub) && bson_iter_recurse(&sub, &arr)) {
            for (int i = 0; i < OB_DASH_AGE_BUCKETS && bson_iter_next(&arr); i++)
                one->age[i] = bson_iter_as_int64(&arr);
        } else if (strcmp(k, "latest") == 0 && BSON_ITER_HOLDS_ARRAY(&sub) && bson_iter_recurse(&sub, &arr)) {
            while (one->nlatest < OB_DASH_LATEST && bson_iter_next(&arr))
                if (BSON_ITER_HOLDS_DOCUMENT(&arr) && bson_iter_recurse(&arr, &f))
                    parse_case(&f, &one->latest[one->nlatest++]);
        }
    }
    ob_dash_merge(into, one);
    free(one);
    return true;
}

int ob_store_get_sink_dash(ob_store *s, const char *run, const char *sink, ob_dash *dash,
                           ob_err *err)
{
    char id[OB_RUN_CAP + 256];
    snprintf(id, sizeof id, "%s/%s", run, sink);
    bson_t *filter = BCON_NEW("_id", BCON_UTF8(id));
    bson_t *opts = BCON_NEW("projection", "{", "dash", BCON_INT32(1), "}");
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(s->sink_dash, filter, opts, NULL);
    bson_destroy(filter);
    bson_destroy(opts);
    const bson_t *doc;
    int rc = 0;
    if (mongoc_cursor_next(cur, &doc))
        rc = add_dash(doc, dash) ? 1 : 0;
    bson_error_t error;
    if (mongoc_cursor_error(cur, &error))
        rc = ob_err_set(err, "reading sink_dash %s from MongoDB at %s: %s", id, s->address,
                        ob_store_errmsg(&error));
    mongoc_cursor_destroy(cur);
    return rc;
}

int ob_store_dashboard(ob_store *s, const char *way, const char *run, ob_dash *out, int *sinks,
                       ob_err *err)
{
    ob_dash_init(out);
    if (sinks)
        *sinks = 0;
    bson_t filter = BSON_INITIALIZER;
    if (way)
        BSON_APPEND_UTF8(&filter, "way", way);
    if (run)
        BSON_APPEND_UTF8(&filter, "run", run);
    bson_t *opts = BCON_NEW("projection", "{", "dash", BCON_INT32(1), "}");
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(s->sink_dash, &filter, opts, NULL);
    bson_destroy(&filter);
    bson_destroy(opts);
    const bson_t *doc;
    while (mongoc_cursor_next(cur, &doc))
        if (add_dash(doc, out) && sinks)
            (*sinks)++;
    bson_error_t error;
    int rc = 0;
    if (mongoc_cursor_error(cur, &error))
        rc = ob_err_set(err, "reading the dashboard's counts from MongoDB at %s: %s", s->address,
                        ob_store_errmsg(&error));
    mongoc_cursor_destroy(cur);
    return rc;
}

void ob_store_free_ids(char **ids, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

int ob_store_dead_sinks(ob_store *s, const char *way, const char *own, char ***ids, size_t *n,
                        ob_err *err)
{
    *ids = NULL;
    *n = 0;
    int64_t now = ob_real_ns();
    bson_t *filter = BCON_NEW("way", BCON_UTF8(way), "state", BCON_UTF8("running"));
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(s->sinks, filter, NULL, NULL);
    bson_destroy(filter);
    const bson_t *doc;
    int rc = 0;
    while (rc == 0 && mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        int64_t updated = 0, interval_ms = 1000;
        if (bson_iter_init_find(&it, doc, "updated_ns"))
            updated = bson_iter_as_int64(&it);
        if (bson_iter_init_find(&it, doc, "interval_ms"))
            interval_ms = bson_iter_as_int64(&it);
        if (!bson_iter_init_find(&it, doc, "sink") || !BSON_ITER_HOLDS_UTF8(&it))
            continue;
        bool mine = own && strcmp(bson_iter_utf8(&it, NULL), own) == 0;
        if (!mine && now - updated <= (3 * interval_ms + 2000) * OB_NS_PER_MS)
            continue;
        char **grown = realloc(*ids, (*n + 1) * sizeof *grown);
        char *id = strdup(bson_iter_utf8(&it, NULL));
        if (!grown || !id) {
            free(id);
            if (grown)
                *ids = grown;
            rc = ob_err_set(err, "out of memory reading the sinks' heartbeats");
            break;
        }
        *ids = grown;
        (*ids)[(*n)++] = id;
    }
    bson_error_t error;
    if (rc == 0 && mongoc_cursor_error(cur, &error))
        rc = ob_err_set(err, "reading the sinks' heartbeats from MongoDB at %s: %s", s->address,
                        ob_store_errmsg(&error));
    mongoc_cursor_destroy(cur);
    if (rc != 0) {
        ob_store_free_ids(*ids, *n);
        *ids = NULL;
        *n = 0;
    }
    return rc;
}

/* One run's recount. */
typedef struct recount_run {
    char run[OB_RUN_CAP];
    char way[32];
    int64_t persisted;
    ob_process_count *procs;
    size_t nprocs, cap;
    ob_dash *dash;
} recount_run;

static recount_run *run_entry(recount_run **runs, size_t *n, const char *run)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*runs)[i].run, run) == 0)
            return &(*runs)[i];
    recount_run *grown = realloc(*runs, (*n + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    *runs = grown;
    recount_run *r = &grown[*n];
    memset(r, 0, sizeof *r);
    r->dash = calloc(1, sizeof *r->dash);
    if (!r->dash)
        return NULL;
    snprintf(r->run, sizeof r->run, "%s", run);
    (*n)++;
    return r;
}

static int count_process(recount_run *r, uint32_t process)
{
    for (size_t i = 0; i < r->nprocs; i++)
        if (r->procs[i].process == process) {
            r->procs[i].persisted++;
            return 0;
        }
    if (r->nprocs == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 4;
        ob_process_count *grown = realloc(r->procs, cap * sizeof *grown);
        if (!grown)
            return -1;
        r->procs = grown;
        r->cap = cap;
    }
    r->procs[r->nprocs++] = (ob_process_count){.process = process, .persisted = 1};
    return 0;
}

/* Counts one record document into its run's entry. */
static int recount_doc(const bson_t *doc, recount_run **runs, size_t *nruns)
{
    bson_iter_t it;
    ob_record r;
    memset(&r, 0, sizeof r);
    char run[OB_RUN_CAP] = "", way[32] = "";
    int64_t producer = 0, persisted_ms = 0;
    if (!bson_iter_init(&it, doc))
        return 0;
    while (bson_iter_next(&it)) {
        const char *k = bson_iter_key(&it);
        if (strcmp(k, "run") == 0)
            copy_utf8(&it, run, sizeof run);
        else if (strcmp(k, "way") == 0)
            copy_utf8(&it, way, sizeof way);
        else if (strcmp(k, "name") == 0)
            copy_utf8(&it, r.name, sizeof r.name);
        else if (strcmp(k, "location") == 0)
            copy_utf8(&it, r.location, sizeof r.location);
        else if (strcmp(k, "infectedtype") == 0)
            copy_utf8(&it, r.infectedtype, sizeof r.infectedtype);
        else if (strcmp(k, "state") == 0)
            copy_utf8(&it, r.state, sizeof r.state);
        else if (strcmp(k, "age") == 0)
            r.age = (int)bson_iter_as_int64(&it);
        else if (strcmp(k, "producer") == 0)
            producer = bson_iter_as_int64(&it);
        else if (strcmp(k, "persisted_at") == 0 && BSON_ITER_HOLDS_DATE_TIME(&it))
            persisted_ms = bson_iter_date_time(&it);
    }
    recount_run *e = run_entry(runs, nruns, run);
    if (!e)
        return -1;
    snprintf(e->way, sizeof e->way, "%s", way);
    e->persisted++;
    ob_dash_add(e->dash, &r, way, run, persisted_ms);
    return count_process(e, (uint32_t)((uint64_t)producer >> OB_PRODUCER_WORKER_BITS));
}

/* Rewrites one run's sink_stats document of `sink` with the recounted figures: persisted,
 * processes (recounted persisted, the saved duplicates), unsure (0: the recount found
 * whatever of them MongoDB holds) and dash. */
static int rewrite_run(ob_store *s, const char *sink, recount_run *r, ob_err *err)
{
    ob_sink_totals old;
    ob_process_count *saved = NULL;
    size_t nsaved = 0;
    if (ob_store_get_sink_stats(s, r->run, sink, &old, NULL, &saved, &nsaved, err) < 0)
        return -1;
    char id[OB_RUN_CAP + 256];
    snprintf(id, sizeof id, "%s/%s", r->run, sink);
    bson_t sel = BSON_INITIALIZER, update = BSON_INITIALIZER, set, arr, one;
    BSON_APPEND_UTF8(&sel, "_id", id);
    BSON_APPEND_DOCUMENT_BEGIN(&update, "$set", &set);
    BSON_APPEND_UTF8(&set, "run", r->run);
    BSON_APPEND_UTF8(&set, "sink", sink);
    BSON_APPEND_UTF8(&set, "way", r->way);
    BSON_APPEND_INT64(&set, "persisted", r->persisted);
    BSON_APPEND_INT64(&set, "unsure", 0); /* counted: whatever MongoDB holds is in persisted */
    BSON_APPEND_ARRAY_BEGIN(&set, "processes", &arr);
    for (size_t i = 0; i < r->nprocs; i++) {
        int64_t dups = 0;
        for (size_t j = 0; j < nsaved; j++)
            if (saved[j].process == r->procs[i].process)
                dups = saved[j].duplicates;
        char k[16];
        const char *kp;
        bson_uint32_to_string((uint32_t)i, &kp, k, sizeof k);
        BSON_APPEND_DOCUMENT_BEGIN(&arr, kp, &one);
        BSON_APPEND_INT64(&one, "process", (int64_t)r->procs[i].process);
        BSON_APPEND_INT64(&one, "persisted", r->procs[i].persisted);
        BSON_APPEND_INT64(&one, "duplicates", dups);
        bson_append_document_end(&arr, &one);
    }
    bson_append_array_end(&set, &arr);
    BSON_APPEND_DATE_TIME(&set, "recounted_at", ob_real_ns() / OB_NS_PER_MS);
    bson_append_document_end(&update, &set);
    free(saved);
    bson_t *opts = BCON_NEW("upsert", BCON_BOOL(true));
    bson_error_t error;
    bool ok = mongoc_collection_update_one(s->sink_stats, &sel, &update, opts, NULL, &error);
    bson_destroy(opts);
    bson_destroy(&sel);
    bson_destroy(&update);
    if (!ok)
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "saving the recount of %s to MongoDB at %s: %s", id,
                           s->address, ob_store_errmsg(&error));
    ob_sink_stats st = {.run = r->run, .sink = sink, .way = r->way, .dash = r->dash};
    return ob_store_put_sink_dash(s, &st, err);
}

int ob_store_recount_sink(ob_store *s, const char *sink, const atomic_bool *stop, int64_t *records,
                          ob_err *err)
{
    if (records)
        *records = 0;
    bson_t *filter = BCON_NEW("sink", BCON_UTF8(sink));
    bson_t *opts = BCON_NEW("projection", "{", "_id", BCON_INT32(0), "sink", BCON_INT32(0),
                            "seq", BCON_INT32(0), "sent_ns", BCON_INT32(0), "}");
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(s->records, filter, opts, NULL);
    bson_destroy(filter);
    bson_destroy(opts);
    recount_run *runs = NULL;
    size_t nruns = 0;
    int rc = 0;
    const bson_t *doc;
    while (rc == 0 && mongoc_cursor_next(cur, &doc)) {
        if (stop && atomic_load(stop))
            rc = ob_err_set(err, "the recount of sink %s was stopped", sink);
        else if (recount_doc(doc, &runs, &nruns) != 0)
            rc = ob_err_set(err, "out of memory recounting sink %s", sink);
        else if (records)
            (*records)++;
    }
    bson_error_t error;
    if (rc == 0 && mongoc_cursor_error(cur, &error))
        rc = ob_err_set(err, "reading the records of sink %s from MongoDB at %s: %s", sink,
                        s->address, ob_store_errmsg(&error));
    mongoc_cursor_destroy(cur);
    for (size_t i = 0; rc == 0 && i < nruns; i++)
        rc = rewrite_run(s, sink, &runs[i], err);
    for (size_t i = 0; i < nruns; i++) {
        free(runs[i].procs);
        free(runs[i].dash);
    }
    free(runs);
    if (rc != 0)
        return rc;
    bson_t *sel = BCON_NEW("_id", BCON_UTF8(sink));
    bson_t *update = BCON_NEW("$set", "{", "state", BCON_UTF8("recounted"), "}");
    bool ok = mongoc_collection_update_one(s->sinks, sel, update, NULL, NULL, &error);
    bson_destroy(sel);
    bson_destroy(update);
    if (!ok)
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "marking sink %s recounted in MongoDB at %s: %s", sink,
                           s->address, ob_store_errmsg(&error));
    return 0;
}
