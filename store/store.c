/* store.c — outbreak's MongoDB side (store.h), on mongo-c-driver: connecting with short
 * timeouts, the sink's bulk insert of records and its sink_stats upsert (declared in
 * sink.h), the sinks' heartbeats, and the read side that `outbreak run` and reports use
 * (sink totals, the sinks' activity, bounded record counts, run summaries).
 *
 * Every function here runs on the thread that owns the ob_store: a mongoc_client_t is
 * not thread-safe, and one client per thread is the driver's own rule. */
#include "store.h"

#include <bson/bson.h>
#include <mongoc/mongoc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "record.h"
#include "store_internal.h"
#include "url.h"


#define DEFAULT_DB "outbreak"
#define DUPLICATE_KEY 11000
#define MAX_TIME_MS_EXPIRED 50 /* the server's code for a command past its maxTimeMS */


static pthread_once_t mongoc_once = PTHREAD_ONCE_INIT;

/* The driver's error text on one line (servers' messages may span several). */
const char *ob_store_errmsg(bson_error_t *e)
{
    for (char *p = e->message; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return e->message;
}

/* Replaces the document of `coll` that sel selects with doc, inserting it if there is
 * none. Fills err ("saving WHAT to MongoDB at ADDRESS: why") on failure; sel and doc
 * stay the caller's. */
int ob_store_upsert(ob_store *s, mongoc_collection_t *coll, const bson_t *sel, const bson_t *doc,
                    const char *what, ob_err *err)
{
    bson_t *opts = BCON_NEW("upsert", BCON_BOOL(true));
    bson_error_t error;
    bool ok = mongoc_collection_replace_one(coll, sel, doc, opts, NULL, &error);
    bson_destroy(opts);
    if (!ok)
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "saving %s to MongoDB at %s: %s", what, s->address, ob_store_errmsg(&error));
    return 0;
}


/* Set while this thread parses a URL: the driver logs what is wrong with it as well as
 * returning it, and the returned error is what the user sees, on one line. */
static _Thread_local bool parsing_url;

/* Only warnings and errors of the driver reach stderr. FerretDB has no endSessions; the driver warns about it on every client destroy. */
static void log_filter(mongoc_log_level_t level, const char *domain, const char *message,
                       void *arg)
{
    if (parsing_url || level > MONGOC_LOG_LEVEL_WARNING ||
        (level == MONGOC_LOG_LEVEL_WARNING && strstr(message, "endSessions")))
        return;
    mongoc_log_default_handler(level, domain, message, arg);
}

static void init_mongoc(void)
{
    mongoc_init();
    mongoc_log_set_handler(log_filter, NULL);
}

/* The hosts of the URI as "h:p,h:p" (the driver's own host_and_port strings). */
static void format_address(const mongoc_uri_t *uri, char *buf, size_t cap)
{
    size_t len = 0;
    buf[0] = '\0';
    for (const mongoc_host_list_t *h = mongoc_uri_get_hosts(uri); h && len < cap; h = h->next) {
        int n = snprintf(buf + len, cap - len, "%s%s", len ? "," : "", h->host_and_port);
        if (n < 0)
            break;
        len += (size_t)n;
    }
    if (!buf[0])
        snprintf(buf, cap, "%s", "(no host)");
}

/* Sets an int32 URI option unless the URL already gives it. */
static void default_int_option(mongoc_uri_t *uri, const char *key, int32_t value)
{
    if (!mongoc_uri_has_option(uri, key))
        mongoc_uri_set_option_as_int32(uri, key, value);
}

static int ping(ob_store *s, ob_err *err)
{
    bson_t cmd = BSON_INITIALIZER;
    bson_error_t error;
    BSON_APPEND_INT32(&cmd, "ping", 1);
    bool ok = mongoc_client_command_simple(s->client, "admin", &cmd, NULL, NULL, &error);
    bson_destroy(&cmd);
    if (!ok && error.domain == MONGOC_ERROR_CLIENT && error.code == MONGOC_ERROR_CLIENT_AUTHENTICATE)
        return ob_err_set(err, "cannot authenticate to MongoDB at %s: %s", s->address, ob_store_errmsg(&error));
    if (!ok)
        return ob_err_set(err, "cannot reach MongoDB at %s: %s", s->address, ob_store_errmsg(&error));
    return 0;
}

/* True if the server says it is FerretDB (buildInfo has "ferretdbVersion"). */
static bool is_ferretdb(ob_store *s)
{
    bson_t cmd = BSON_INITIALIZER, reply;
    bson_error_t error;
    BSON_APPEND_INT32(&cmd, "buildInfo", 1);
    bool ok = mongoc_client_command_simple(s->client, "admin", &cmd, NULL, &reply, &error);
    bool ferret = ok && bson_has_field(&reply, "ferretdbVersion");
    bson_destroy(&reply);
    bson_destroy(&cmd);
    return ferret;
}

/* records.run is what count_records and reports filter on. Best effort: a server that
 * cannot index just counts slower. Not on FerretDB: v1 pushes down no filter but _id,
 * so the index would never be used, and maintaining it costs about a third of the
 * insert rate (measured on the SQLite backend). */
static void ensure_run_index(ob_store *s, const char *db)
{
    if (is_ferretdb(s))
        return;
    bson_t *cmd = BCON_NEW("createIndexes", BCON_UTF8("records"), "indexes", "[", "{", "key", "{",
                           "run", BCON_INT32(1), "}", "name", BCON_UTF8("run_1"), "}", "]");
    bson_error_t error;
    mongoc_client_command_simple(s->client, db, cmd, NULL, NULL, &error);
    bson_destroy(cmd);
}

static mongoc_uri_t *parse_url(const char *url, bson_error_t *error)
{
    parsing_url = true;
    mongoc_uri_t *uri = mongoc_uri_new_with_error(url, error);
    parsing_url = false;
    return uri;
}

/* "invalid MongoDB URL ...: why", the URL shown without its password. Returns -1. */
static int invalid_url(const char *url, bson_error_t *error, ob_err *err)
{
    char shown[256];
    return ob_err_setk(err, OB_ERR_USAGE, "invalid MongoDB URL \"%s\": %s", ob_url_redacted(url, shown, sizeof shown),
                       ob_store_errmsg(error));
}

int ob_store_flag_url(const char *value, void *dest, ob_err *err)
{
    bson_error_t error;
    pthread_once(&mongoc_once, init_mongoc);
    mongoc_uri_t *uri = parse_url(value, &error);
    if (!uri)
        return invalid_url(value, &error, err);
    mongoc_uri_destroy(uri);
    *(const char **)dest = value;
    return 0;
}

int ob_store_open(ob_store **out, const char *mongo_url, ob_err *err)
{
    bson_error_t error;
    mongoc_uri_t *uri = NULL;
    ob_store *s = NULL;
    *out = NULL;

    pthread_once(&mongoc_once, init_mongoc);
    uri = parse_url(mongo_url, &error);
    if (!uri) {
        invalid_url(mongo_url, &error, err);
        goto fail;
    }
    default_int_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 3000);
    default_int_option(uri, MONGOC_URI_CONNECTTIMEOUTMS, 2000);
    if (!mongoc_uri_get_appname(uri))
        mongoc_uri_set_appname(uri, "outbreak");

    s = calloc(1, sizeof *s);
    if (!s) {
        ob_err_set(err, "out of memory");
        goto fail;
    }
    format_address(uri, s->address, sizeof s->address);
    s->client = mongoc_client_new_from_uri_with_error(uri, &error);
    if (!s->client) {
        ob_err_set(err, "cannot use MongoDB at %s: %s", s->address, ob_store_errmsg(&error));
        goto fail;
    }
    mongoc_client_set_error_api(s->client, MONGOC_ERROR_API_VERSION_2);
    const char *db = mongoc_uri_get_database(uri);
    if (!db || !db[0])
        db = DEFAULT_DB;
    s->records = mongoc_client_get_collection(s->client, db, "records");
    s->sink_stats = mongoc_client_get_collection(s->client, db, "sink_stats");
    s->runs = mongoc_client_get_collection(s->client, db, "runs");
    s->sinks = mongoc_client_get_collection(s->client, db, "sinks");
    s->sink_dash = mongoc_client_get_collection(s->client, db, "sink_dash");
    s->workers = mongoc_client_get_collection(s->client, db, "workers");
    s->worker_series = mongoc_client_get_collection(s->client, db, "worker_series");
    s->merges = mongoc_client_get_collection(s->client, db, "merges");
    if (ping(s, err) != 0)
        goto fail;
    ensure_run_index(s, db);
    mongoc_uri_destroy(uri);
    *out = s;
    return 0;
fail:
    ob_store_close(s);
    mongoc_uri_destroy(uri);
    return -1;
}

void ob_store_close(ob_store *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->cap_docs; i++)
        bson_destroy(s->docs[i]);
    free(s->docs);
    free(s->doc_ptrs);
    mongoc_collection_destroy(s->records);
    mongoc_collection_destroy(s->sink_stats);
    mongoc_collection_destroy(s->runs);
    mongoc_collection_destroy(s->sinks);
    mongoc_collection_destroy(s->sink_dash);
    mongoc_collection_destroy(s->workers);
    mongoc_collection_destroy(s->worker_series);
    mongoc_collection_destroy(s->merges);
    mongoc_client_destroy(s->client);
    free(s);
}

/* ---- sink side ---------------------------------------------------------------- */

static int reserve_docs(ob_store *s, size_t n)
{
    if (n <= s->cap_docs)
        return 0;
    bson_t **docs = realloc(s->docs, n * sizeof *docs);
    if (!docs)
        return -1;
    s->docs = docs;
    const bson_t **ptrs = realloc(s->doc_ptrs, n * sizeof *ptrs);
    if (!ptrs)
        return -1;
    s->doc_ptrs = ptrs;
    while (s->cap_docs < n) {
        s->docs[s->cap_docs] = bson_new();
        s->cap_docs++;
    }
    return 0;
}

static void build_record(bson_t *b, const ob_record *r, const ob_meta *m, const char *way,
                         const char *sink, int64_t persisted_at_ms)
{
    char id[OB_RUN_CAP + 48];
    snprintf(id, sizeof id, "%s/%u/%llu", m->run, (unsigned)m->producer,
             (unsigned long long)m->seq);
    bson_reinit(b);
    BSON_APPEND_UTF8(b, "_id", id);
    BSON_APPEND_UTF8(b, "name", r->name);
    BSON_APPEND_UTF8(b, "location", r->location);
    BSON_APPEND_INT32(b, "age", r->age);
    BSON_APPEND_UTF8(b, "infectedtype", r->infectedtype);
    BSON_APPEND_UTF8(b, "state", r->state);
    BSON_APPEND_UTF8(b, "run", m->run);
    BSON_APPEND_INT64(b, "producer", (int64_t)m->producer);
    BSON_APPEND_INT64(b, "seq", (int64_t)m->seq);
    BSON_APPEND_INT64(b, "sent_ns", m->sent_ns);
    BSON_APPEND_UTF8(b, "way", way);
    if (sink && *sink)
        BSON_APPEND_UTF8(b, "sink", sink);
    BSON_APPEND_DATE_TIME(b, "persisted_at", persisted_at_ms);
}

/* Reads writeErrors [{index, code, errmsg}] of an insert reply into result[]. Returns
 * how many entries there were; *failed counts those that were not duplicates and
 * first_msg keeps the first such message. */
static size_t apply_write_errors(const bson_t *reply, size_t n, ob_insert_result *result,
                                 size_t *failed, char *first_msg, size_t cap)
{
    bson_iter_t it, arr;
    size_t entries = 0;
    *failed = 0;
    if (!bson_iter_init_find(&it, reply, "writeErrors") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr))
        return 0;
    while (bson_iter_next(&arr)) {
        bson_iter_t e;
        int64_t index = -1, code = 0;
        const char *msg = "";
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &e))
            continue;
        while (bson_iter_next(&e)) {
            const char *k = bson_iter_key(&e);
            if (strcmp(k, "index") == 0)
                index = bson_iter_as_int64(&e);
            else if (strcmp(k, "code") == 0)
                code = bson_iter_as_int64(&e);
            else if (strcmp(k, "errmsg") == 0 && BSON_ITER_HOLDS_UTF8(&e))
                msg = bson_iter_utf8(&e, NULL);
        }
        if (index < 0 || (size_t)index >= n)
            continue;
        entries++;
        if (code == DUPLICATE_KEY) {
            result[index] = OB_INSERT_DUPLICATE;
        } else {
            result[index] = OB_INSERT_FAILED;
            if ((*failed)++ == 0)
                snprintf(first_msg, cap, "code %lld: %s", (long long)code, msg);
        }
    }
    return entries;
}

int ob_store_insert_records(ob_store *s, const ob_store_rec *recs, size_t n, const char *way,
                            ob_insert_result *result, ob_err *err)
{
    if (n == 0)
        return 0;
    if (reserve_docs(s, n) != 0)
        return ob_err_set(err, "out of memory for %zu documents", n);
    int64_t now_ms = ob_real_ns() / OB_NS_PER_MS;
    s->last_insert_ms = now_ms;
    for (size_t i = 0; i < n; i++) {
        build_record(s->docs[i], recs[i].r, recs[i].m, way, s->writer, now_ms);
        s->doc_ptrs[i] = s->docs[i];
        result[i] = OB_INSERT_OK;
    }
    /* Unordered: one bad document does not stop the others. Field names are ours and
     * strings were UTF-8-checked by the caller, so client-side validation is skipped. */
    bson_t *opts = BCON_NEW("ordered", BCON_BOOL(false), "validate", BCON_BOOL(false));
    bson_t reply;
    bson_error_t error = {0};
    bool ok = mongoc_collection_insert_many(s->records, s->doc_ptrs, n, opts, &reply, &error);
    bson_destroy(opts);
    int rc = 0;
    char first[256] = "";
    size_t failed;
    size_t entries = apply_write_errors(&reply, n, result, &failed, first, sizeof first);
    bson_iter_t it, wce;
    bool wc_error = bson_iter_init_find(&it, &reply, "writeConcernErrors") &&
                    BSON_ITER_HOLDS_ARRAY(&it) && bson_iter_recurse(&it, &wce) &&
                    bson_iter_next(&wce);
    if (wc_error) {
        /* Not known to be durable: the whole batch counts as failed. */
        ob_err_set(err, "insert into MongoDB at %s: write concern error: %s", s->address,
                   ob_store_errmsg(&error));
        rc = -1;
    } else if (!ok && entries == 0) {
        ob_err_set(err, "insert into MongoDB at %s failed: %s", s->address, ob_store_errmsg(&error));
        rc = -1;
    } else if (failed) {
        ob_err_set(err, "insert into MongoDB at %s: %zu of %zu documents failed, first: %s",
                   s->address, failed, n, first);
    }
    if (rc != 0)
        for (size_t i = 0; i < n; i++)
            result[i] = OB_INSERT_FAILED;
    bson_destroy(&reply);
    return rc;
}

/* Calls fn for each well-formed entry {process, persisted, duplicates} of the document's
 * `processes` array. Returns false if the document has no such array. */
static bool each_process(const bson_t *doc, void (*fn)(void *arg, const ob_process_count *pc),
                         void *arg)
{
    bson_iter_t it, arr, e;
    if (!bson_iter_init_find(&it, doc, "processes") || !BSON_ITER_HOLDS_ARRAY(&it) ||
        !bson_iter_recurse(&it, &arr))
        return false;
    while (bson_iter_next(&arr)) {
        if (!BSON_ITER_HOLDS_DOCUMENT(&arr) || !bson_iter_recurse(&arr, &e))
            continue;
        ob_process_count pc = {0};
        bool has_process = false;
        while (bson_iter_next(&e)) {
            const char *k = bson_iter_key(&e);
            if (strcmp(k, "process") == 0) {
                int64_t v = bson_iter_as_int64(&e);
                has_process = v >= 0 && v <= UINT32_MAX;
                pc.process = (uint32_t)v;
            } else if (strcmp(k, "persisted") == 0) {
                pc.persisted = bson_iter_as_int64(&e);
            } else if (strcmp(k, "duplicates") == 0) {
                pc.duplicates = bson_iter_as_int64(&e);
            }
        }
        if (has_process)
            fn(arg, &pc);
    }
    return true;
}

typedef struct process_sum {
    int64_t process;
    ob_sink_totals *acc;
} process_sum;

static void add_process(void *arg, const ob_process_count *pc)
{
    process_sum *ps = arg;
    if (pc->process == ps->process) {
        ps->acc->process_persisted += pc->persisted;
        ps->acc->process_duplicates += pc->duplicates;
    }
}

/* Adds one sink_stats document's counts into *acc (and its histogram into e2e, if not
 * NULL); acc->sinks counts the documents. With process >= 0 (and acc's process figures
 * not yet -1) adds that process's share, or sets them to -1 when the document does not
 * split its counts by process. -1 with err naming the document if its histogram is
 * malformed. */
/* The entry of `way` in acc->ways, added if new; NULL when they are full. */
static ob_way_persisted *way_entry(ob_sink_totals *acc, const char *way, int64_t process)
{
    for (int i = 0; i < acc->nways; i++)
        if (strcmp(acc->ways[i].way, way) == 0)
            return &acc->ways[i];
    if (acc->nways == OB_SINK_WAYS_MAX)
        return NULL;
    ob_way_persisted *w = &acc->ways[acc->nways++];
    snprintf(w->way, sizeof w->way, "%s", way);
    w->persisted = 0;
    w->process_persisted = process >= 0 ? 0 : -1;
    return w;
}

static int add_stats_doc(const bson_t *doc, int64_t process, ob_sink_totals *acc, ob_hist *e2e,
                         ob_err *err)
{
    bson_iter_t it;
    acc->sinks++;
    /* this document's part of the process's share (-1: it does not split by process) */
    int64_t doc_process = -1;
    if (process >= 0) {
        ob_sink_totals one = {0};
        process_sum ps = {.process = process, .acc = &one};
        if (each_process(doc, add_process, &ps))
            doc_process = one.process_persisted;
        if (acc->process_persisted >= 0 && doc_process >= 0) {
            acc->process_persisted += one.process_persisted;
            acc->process_duplicates += one.process_duplicates;
        } else {
            acc->process_persisted = acc->process_duplicates = -1;
        }
    }
    int64_t doc_persisted = 0;
    if (bson_iter_init_find(&it, doc, "persisted"))
        doc_persisted = bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, doc, "way") && BSON_ITER_HOLDS_UTF8(&it)) {
        ob_way_persisted *w = way_entry(acc, bson_iter_utf8(&it, NULL), process);
        if (w) {
            w->persisted += doc_persisted;
            if (w->process_persisted >= 0)
                w->process_persisted = doc_process >= 0 ? w->process_persisted + doc_process : -1;
        }
    }
    acc->persisted += doc_persisted;
    if (bson_iter_init_find(&it, doc, "duplicates"))
        acc->duplicates += bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, doc, "invalid"))
        acc->invalid += bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, doc, "unsure"))
        acc->unsure += bson_iter_as_int64(&it);
    if (bson_iter_init_find(&it, doc, "last_persisted_ns") && bson_iter_as_int64(&it) > acc->last_persisted_ns)
        acc->last_persisted_ns = bson_iter_as_int64(&it);
    if (!acc->way[0] && bson_iter_init_find(&it, doc, "way") && BSON_ITER_HOLDS_UTF8(&it))
        snprintf(acc->way, sizeof acc->way, "%s", bson_iter_utf8(&it, NULL));
    if (e2e && bson_iter_init_find(&it, doc, "e2e_hist") && BSON_ITER_HOLDS_UTF8(&it)) {
        ob_err herr;
        if (ob_hist_decode_add(e2e, bson_iter_utf8(&it, NULL), &herr) != 0) {
            bson_iter_init_find(&it, doc, "_id");
            return ob_err_set(err, "sink_stats %s: e2e_hist: %s",
                              BSON_ITER_HOLDS_UTF8(&it) ? bson_iter_utf8(&it, NULL) : "?",
                              herr.msg);
        }
    }
    return 0;
}

typedef struct process_list {
    ob_process_count *items;
    size_t n, cap;
    bool oom;
} process_list;

static void collect_process(void *arg, const ob_process_count *pc)
{
    process_list *l = arg;
    if (l->oom)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 4;
        ob_process_count *items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            l->oom = true;
            return;
        }
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = *pc;
}

int ob_store_get_sink_stats(ob_store *s, const char *run, const char *sink, ob_sink_totals *one,
                            ob_hist *e2e, ob_process_count **procs, size_t *nprocs, ob_err *err)
{
    char id[OB_RUN_CAP + 256];
    snprintf(id, sizeof id, "%s/%s", run, sink);
    memset(one, 0, sizeof *one);
    if (procs) {
        *procs = NULL;
        *nprocs = 0;
    }
    bson_t *filter = BCON_NEW("_id", BCON_UTF8(id));
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(s->sink_stats, filter, NULL, NULL);
    bson_destroy(filter);
    const bson_t *doc;
    int rc = 0;
    if (mongoc_cursor_next(cur, &doc)) {
        rc = add_stats_doc(doc, -1, one, e2e, err) == 0 ? 1 : -1;
        if (rc == 1 && procs) {
            process_list l = {0};
            each_process(doc, collect_process, &l);
            if (l.oom) {
                free(l.items);
                rc = ob_err_set(err, "out of memory reading sink_stats %s", id);
            } else {
                *procs = l.items;
                *nprocs = l.n;
            }
        }
    }
    bson_error_t error;
    if (mongoc_cursor_error(cur, &error))
        rc = ob_err_set(err, "reading sink_stats %s from MongoDB at %s: %s", id, s->address,
                        ob_store_errmsg(&error));
    mongoc_cursor_destroy(cur);
    return rc;
}

void ob_store_run_sink_doc(bson_t *sel, bson_t *doc, const ob_sink_stats *st)
{
    char id[OB_RUN_CAP + 256];
    snprintf(id, sizeof id, "%s/%s", st->run, st->sink);
    bson_init(sel);
    bson_init(doc);
    BSON_APPEND_UTF8(sel, "_id", id);
    BSON_APPEND_UTF8(doc, "_id", id);
    BSON_APPEND_UTF8(doc, "run", st->run);
    BSON_APPEND_UTF8(doc, "sink", st->sink);
    BSON_APPEND_UTF8(doc, "way", st->way);
}

int ob_store_put_sink_stats(ob_store *s, const ob_sink_stats *st, ob_err *err)
{
    char *hist = st->e2e ? ob_hist_encode(st->e2e) : NULL;
    if (st->e2e && !hist)
        return ob_err_set(err, "out of memory encoding the histogram of run %s", st->run);
    char *by_second = st->by_second ? ob_per_second_encode(st->by_second) : NULL;
    if (st->by_second && !by_second) {
        free(hist);
        return ob_err_set(err, "out of memory encoding the counts per second of run %s", st->run);
    }
    bson_t sel, doc;
    ob_store_run_sink_doc(&sel, &doc, st);
    BSON_APPEND_INT64(&doc, "persisted", st->persisted);
    BSON_APPEND_INT64(&doc, "duplicates", st->duplicates);
    BSON_APPEND_INT64(&doc, "invalid", st->invalid);
    BSON_APPEND_INT64(&doc, "unsure", st->unsure);
    bson_t arr, one;
    BSON_APPEND_ARRAY_BEGIN(&doc, "processes", &arr);
    for (size_t i = 0; i < st->nprocesses; i++) {
        char key[24];
        const char *k;
        bson_uint32_to_string((uint32_t)i, &k, key, sizeof key);
        BSON_APPEND_DOCUMENT_BEGIN(&arr, k, &one);
        BSON_APPEND_INT64(&one, "process", (int64_t)st->processes[i].process);
        BSON_APPEND_INT64(&one, "persisted", st->processes[i].persisted);
        BSON_APPEND_INT64(&one, "duplicates", st->processes[i].duplicates);
        bson_append_document_end(&arr, &one);
    }
    bson_append_array_end(&doc, &arr);
    BSON_APPEND_INT64(&doc, "last_persisted_ns", st->last_persisted_ns);
    BSON_APPEND_UTF8(&doc, "e2e_hist", hist ? hist : "h1:");
    BSON_APPEND_UTF8(&doc, "persisted_by_second", by_second ? by_second : "");
    BSON_APPEND_DATE_TIME(&doc, "updated_at", ob_real_ns() / OB_NS_PER_MS);
    free(hist);
    free(by_second);
    char what[OB_RUN_CAP + 40];
    snprintf(what, sizeof what, "sink stats of run %s", st->run);
    int rc = ob_store_upsert(s, s->sink_stats, &sel, &doc, what, err);
    bson_destroy(&sel);
    bson_destroy(&doc);
    if (rc == 0 && st->dash)
        rc = ob_store_put_sink_dash(s, st, err);
    return rc;
}

int64_t ob_store_last_insert_ms(const ob_store *s)
{
    return s->last_insert_ms;
}

/* ---- read side ----------------------------------------------------------------- */

/* A cursor over the sink_stats documents of `run`; `field` (may be NULL: all) is the one
 * field wanted. The caller destroys it. */
static mongoc_cursor_t *run_stats(ob_store *s, const char *run, const char *field)
{
    bson_t *filter = BCON_NEW("run", BCON_UTF8(run));
    bson_t *opts = field ? BCON_NEW("projection", "{", field, BCON_INT32(1), "}") : NULL;
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(s->sink_stats, filter, opts, NULL);
    bson_destroy(filter);
    if (opts)
        bson_destroy(opts);
    return cur;
}

int ob_store_sink_totals(ob_store *s, const char *run, int64_t process, ob_sink_totals *out,
                         ob_hist *e2e, ob_err *err)
{
    memset(out, 0, sizeof *out);
    if (process < 0)
        out->process_persisted = out->process_duplicates = -1;
    mongoc_cursor_t *cur = run_stats(s, run, NULL);
    const bson_t *doc;
    int rc = 0;
    while (mongoc_cursor_next(cur, &doc))
        if ((rc = add_stats_doc(doc, process, out, e2e, err)) != 0)
            goto done;
    bson_error_t error;
    if (mongoc_cursor_error(cur, &error))
        rc = ob_err_set(err, "reading sink_stats of run %s from MongoDB at %s: %s", run,
                        s->address, ob_store_errmsg(&error));
done:
    mongoc_cursor_destroy(cur);
    return rc;
}

int ob_store_persisted_by_second(ob_store *s, const char *run, ob_per_second *out, ob_err *err)
{
    mongoc_cursor_t *cur = run_stats(s, run, "persisted_by_second");
    const bson_t *doc;
    int rc = 0;
    while (rc == 0 && mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        if (bson_iter_init_find(&it, doc, "persisted_by_second") && BSON_ITER_HOLDS_UTF8(&it) &&
            ob_per_second_decode_add(out, bson_iter_utf8(&it, NULL), err) != 0)
            rc = ob_err_prefix(err, "sink_stats of run %s", run);
    }
    bson_error_t error;
    if (rc == 0 && mongoc_cursor_error(cur, &error))
        rc = ob_err_set(err, "reading sink_stats of run %s from MongoDB at %s: %s", run,
                        s->address, ob_store_errmsg(&error));
    mongoc_cursor_destroy(cur);
    return rc;
}

int ob_store_count_records(ob_store *s, const char *run, int64_t process, int limit_ms,
                           int64_t *out, ob_err *err)
{
    bson_t *filter = BCON_NEW("run", BCON_UTF8(run));
    if (process >= 0) {
        int64_t lo = process << OB_PRODUCER_WORKER_BITS, hi = (process + 1) << OB_PRODUCER_WORKER_BITS;
        BCON_APPEND(filter, "producer", "{", "$gte", BCON_INT64(lo), "$lt", BCON_INT64(hi), "}");
    }
    bson_t *opts = limit_ms > 0 ? BCON_NEW("maxTimeMS", BCON_INT64(limit_ms)) : NULL;
    bson_error_t error = {0};
    int64_t n = mongoc_collection_count_documents(s->records, filter, opts, NULL, NULL, &error);
    bson_destroy(filter);
    bson_destroy(opts);
    if (n < 0 && error.code == MAX_TIME_MS_EXPIRED)
        return ob_err_setk(err, OB_ERR_TIMEOUT, "counting records of run %s in MongoDB at %s: no answer within %d ms",
                           run, s->address, limit_ms);
    if (n < 0)
        return ob_err_set(err, "counting records of run %s in MongoDB at %s: %s", run,
                          s->address, ob_store_errmsg(&error));
    *out = n;
    return 0;
}

int ob_store_put_sink_beat(ob_store *s, const ob_sink_beat *b, ob_err *err)
{
    bson_t sel = BSON_INITIALIZER, doc = BSON_INITIALIZER;
    int64_t now = ob_real_ns();
    BSON_APPEND_UTF8(&sel, "_id", b->sink);
    BSON_APPEND_UTF8(&doc, "_id", b->sink);
    BSON_APPEND_UTF8(&doc, "sink", b->sink);
    BSON_APPEND_UTF8(&doc, "way", b->way);
    BSON_APPEND_UTF8(&doc, "state", b->stopped ? "stopped" : "running");
    BSON_APPEND_DATE_TIME(&doc, "started_at", b->started_ns / OB_NS_PER_MS);
    BSON_APPEND_DATE_TIME(&doc, "updated_at", now / OB_NS_PER_MS);
    BSON_APPEND_INT64(&doc, "updated_ns", now);
    BSON_APPEND_INT32(&doc, "interval_ms", b->interval_ms);
    BSON_APPEND_INT64(&doc, "persisted", b->persisted);
    BSON_APPEND_INT64(&doc, "duplicates", b->duplicates);
    BSON_APPEND_INT64(&doc, "invalid", b->invalid);
    BSON_APPEND_INT64(&doc, "nacked", b->nacked);
    BSON_APPEND_INT64(&doc, "queued", b->queued);
    char what[300];
    snprintf(what, sizeof what, "the heartbeat of sink %s", b->sink);
    int rc = ob_store_upsert(s, s->sinks, &sel, &doc, what, err);
    bson_destroy(&sel);
    bson_destroy(&doc);
    return rc;
}

/* True if the sink_stats documents of `run` name `sink` (ids: the run's documents' sink
 * fields, NUL-separated, ids_len bytes). */
static bool names_sink(const char *ids, size_t ids_len, const char *sink)
{
    for (size_t i = 0; i < ids_len; i += strlen(ids + i) + 1)
        if (strcmp(ids + i, sink) == 0)
            return true;
    return false;
}

/* The sink ids that reported for `run`, NUL-separated, into a malloc'd *ids (NULL and 0
 * if none). */
static int run_sink_ids(ob_store *s, const char *run, char **ids, size_t *len, ob_err *err)
{
    *ids = NULL;
    *len = 0;
    mongoc_cursor_t *cur = run_stats(s, run, "sink");
    const bson_t *doc;
    int rc = 0;
    while (rc == 0 && mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        if (!bson_iter_init_find(&it, doc, "sink") || !BSON_ITER_HOLDS_UTF8(&it))
            continue;
        uint32_t n;
        const char *id = bson_iter_utf8(&it, &n);
        char *grown = realloc(*ids, *len + n + 1);
        if (!grown) {
            rc = ob_err_set(err, "out of memory reading the sinks of run %s", run);
            break;
        }
        memcpy(grown + *len, id, n + 1);
        *ids = grown;
        *len += n + 1;
    }
    bson_error_t error;
    if (rc == 0 && mongoc_cursor_error(cur, &error))
        rc = ob_err_set(err, "reading sink_stats of run %s from MongoDB at %s: %s", run,
                        s->address, ob_store_errmsg(&error));
    mongoc_cursor_destroy(cur);
    return rc;
}

int ob_store_sink_activity(ob_store *s, const char *way, const char *run, ob_sink_activity *out,
                           ob_err *err)
{
    memset(out, 0, sizeof *out);
    char *ids = NULL;
    size_t ids_len = 0;
    if (run && run_sink_ids(s, run, &ids, &ids_len, err) != 0)
        return -1;
    int64_t now = ob_real_ns();
    /* way NULL: every way's sinks (a relay's records reach them all) */
    bson_t *filter = way ? BCON_NEW("way", BCON_UTF8(way)) : bson_new();
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(s->sinks, filter, NULL, NULL);
    bson_destroy(filter);
    const bson_t *doc;
    while (mongoc_cursor_next(cur, &doc)) {
        bson_iter_t it;
        out->sinks++;
        if (bson_iter_init_find(&it, doc, "state") && BSON_ITER_HOLDS_UTF8(&it) &&
            strcmp(bson_iter_utf8(&it, NULL), "stopped") == 0)
            continue;
        int64_t updated = 0, interval_ms = 1000;
        if (bson_iter_init_find(&it, doc, "updated_ns"))
            updated = bson_iter_as_int64(&it);
        if (bson_iter_init_find(&it, doc, "interval_ms"))
            interval_ms = bson_iter_as_int64(&it);
        if (now - updated > (3 * interval_ms + 2000) * OB_NS_PER_MS) {
            if (ids && bson_iter_init_find(&it, doc, "sink") && BSON_ITER_HOLDS_UTF8(&it) &&
                names_sink(ids, ids_len, bson_iter_utf8(&it, NULL)))
                out->dead++;
            continue; /* silent: not working */
        }
        out->running++;
        static const char *const work[] = {"persisted", "duplicates", "invalid", "nacked"};
        for (size_t i = 0; i < sizeof work / sizeof work[0]; i++)
            if (bson_iter_init_find(&it, doc, work[i]))
                out->work += bson_iter_as_int64(&it);
        if (bson_iter_init_find(&it, doc, "queued"))
            out->queued += bson_iter_as_int64(&it);
    }
    bson_error_t error;
    int rc = 0;
    if (mongoc_cursor_error(cur, &error))
        rc = ob_err_set(err, "reading the sinks' heartbeats from MongoDB at %s: %s", s->address,
                        ob_store_errmsg(&error));
    mongoc_cursor_destroy(cur);
    free(ids);
    return rc;
}

/* Copies src into dst with every '.' in a key, and a leading '$', turned into '_':
 * MongoDB before 5.0 and FerretDB refuse such keys, and the summary has "p99.9". */
static bool copy_safe_keys(const bson_t *src, bson_t *dst, int depth)
{
    bson_iter_t it;
    if (depth > 32 || !bson_iter_init(&it, src))
        return false;
    while (bson_iter_next(&it)) {
        char key[128];
        snprintf(key, sizeof key, "%s", bson_iter_key(&it));
        for (char *p = key; *p; p++)
            if (*p == '.' || (*p == '$' && p == key))
                *p = '_';
        if (BSON_ITER_HOLDS_DOCUMENT(&it) || BSON_ITER_HOLDS_ARRAY(&it)) {
            const uint8_t *data;
            uint32_t len;
            bson_t sub, child;
            bool array = BSON_ITER_HOLDS_ARRAY(&it);
            if (array)
                bson_iter_array(&it, &len, &data);
            else
                bson_iter_document(&it, &len, &data);
            if (!bson_init_static(&sub, data, len))
                return false;
            if (array)
                bson_append_array_begin(dst, key, -1, &child);
            else
                bson_append_document_begin(dst, key, -1, &child);
            bool ok = copy_safe_keys(&sub, &child, depth + 1);
            if (array)
                bson_append_array_end(dst, &child);
            else
                bson_append_document_end(dst, &child);
            if (!ok)
                return false;
        } else if (!bson_append_iter(dst, key, -1, &it)) {
            return false;
        }
    }
    return true;
}

int ob_store_save_summary(ob_store *s, const char *run, const char *summary_json, ob_err *err)
{
    bson_error_t error;
    const char *p = summary_json + strspn(summary_json, " \t\r\n");
    if (*p != '{')
        return ob_err_set(err, "summary of run %s is not a JSON object", run);
    bson_t *summary = bson_new_from_json((const uint8_t *)summary_json, -1, &error);
    if (!summary)
        return ob_err_set(err, "summary of run %s is not a JSON object: %s", run, ob_store_errmsg(&error));
    /* The document: _id = run, the exact summary text in "json" (what readers should
     * parse), and its fields alongside for queries, keys made storable ("p99.9" is
     * stored as "p99_9"). A summary's own _id and json keys are not copied. */
    bson_t doc = BSON_INITIALIZER, fields = BSON_INITIALIZER, sel = BSON_INITIALIZER;
    int rc = 0;
    BSON_APPEND_UTF8(&doc, "_id", run);
    BSON_APPEND_UTF8(&doc, "json", summary_json);
    bson_copy_to_excluding_noinit(summary, &fields, "_id", "json", NULL);
    if (!copy_safe_keys(&fields, &doc, 0)) {
        rc = ob_err_set(err, "summary of run %s: cannot convert it to a document", run);
        goto done;
    }
    BSON_APPEND_UTF8(&sel, "_id", run);
    char what[OB_RUN_CAP + 40];
    snprintf(what, sizeof what, "the summary of run %s", run);
    rc = ob_store_upsert(s, s->runs, &sel, &doc, what, err);
done:
    bson_destroy(&sel);
    bson_destroy(&fields);
    bson_destroy(&doc);
    bson_destroy(summary);
    return rc;
}

static bool utf8_ok(const char *str)
{
    return bson_utf8_validate(str, strlen(str), false);
}

const char *ob_store_record_problem(const ob_record *r, const ob_meta *m)
{
    if (!ob_run_id_valid(m->run))
        return "run id is not [A-Za-z0-9._-]+";
    if (!utf8_ok(r->name) || !utf8_ok(r->location) || !utf8_ok(r->infectedtype) ||
        !utf8_ok(r->state))
        return "a field is not valid UTF-8";
    return NULL;
}
