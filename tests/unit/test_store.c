/* test_store.c — the MongoDB store (store.h and the sink's write side in sink.h) against
 * the real MongoDB-wire server of scripts/stack (FerretDB on 127.0.0.1:27017, or
 * OB_TEST_MONGO). Each run uses its own database, obtest_<pid>, dropped at the end.
 * A missing server is a failure, not a skip. */
#include <mongoc/mongoc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"
#include "err.h"
#include "histogram.h"
#include "record.h"
#include "sink.h"
#include "store.h"

static char db_name[64];
static char store_url[256];

/* A raw client for looking at what the store wrote (mongoc_init done by the store). */
static mongoc_client_t *raw_client(void)
{
    const char *base = getenv("OB_TEST_MONGO");
    char url[256];
    snprintf(url, sizeof url, "%s/?serverSelectionTimeoutMS=3000",
             base ? base : "mongodb://127.0.0.1:27017");
    return mongoc_client_new(url);
}

static void test_unreachable(void)
{
    ob_store *s = NULL;
    ob_err err = {0};
    int64_t t0 = ob_mono_ns();
    int rc = ob_store_open(&s, "mongodb://127.0.0.1:1/obtest", &err);
    double secs = (double)(ob_mono_ns() - t0) / OB_NS_PER_S;
    CHECK(rc == -1);
    CHECK(s == NULL);
    CHECK_MSG(secs < 5.0, "took %.1f s", secs);
    CHECK_MSG(strstr(err.msg, "cannot reach MongoDB at 127.0.0.1:1:") != NULL, "%s", err.msg);

    rc = ob_store_open(&s, "http://nope", &err);
    CHECK(rc == -1);
    CHECK_MSG(strstr(err.msg, "invalid MongoDB URL \"http://nope\"") != NULL, "%s", err.msg);
}

static bool find_one(mongoc_client_t *c, const char *coll, const char *id, bson_t *out)
{
    mongoc_collection_t *col = mongoc_client_get_collection(c, db_name, coll);
    bson_t *filter = BCON_NEW("_id", BCON_UTF8(id));
    mongoc_cursor_t *cur = mongoc_collection_find_with_opts(col, filter, NULL, NULL);
    const bson_t *doc;
    bool found = mongoc_cursor_next(cur, &doc);
    if (found)
        bson_copy_to(doc, out);
    else
        bson_init(out);
    mongoc_cursor_destroy(cur);
    bson_destroy(filter);
    mongoc_collection_destroy(col);
    return found;
}

static int64_t get_int(const bson_t *doc, const char *dotted)
{
    bson_iter_t it, f;
    if (bson_iter_init(&it, doc) && bson_iter_find_descendant(&it, dotted, &f))
        return bson_iter_as_int64(&f);
    return -12345;
}

static double get_double(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_DOUBLE(&it))
        return bson_iter_double(&it);
    return -1;
}

static const char *get_str(const bson_t *doc, const char *key)
{
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_UTF8(&it))
        return bson_iter_utf8(&it, NULL);
    return "(missing)";
}

static void test_save_summary(ob_store *s, mongoc_client_t *raw)
{
    ob_err err = {0};
    const char *json1 =
        "{\"run\":\"r-sum\",\"middleware\":\"nats\",\"duration_s\":30.5,\"sent\":1000,"
        "\"acked\":999,\"lost\":0,\"e2e_latency_ms\":{\"p50\":1.25,\"p99.9\":7.5,\"max\":null},"
        "\"series\":[{\"t\":1,\"sent\":500}]}";
    CHECK_MSG(ob_store_save_summary(s, "r-sum", json1, &err) == 0, "%s", err.msg);
    bson_t doc;
    CHECK(find_one(raw, "runs", "r-sum", &doc));
    CHECK_STR(get_str(&doc, "middleware"), "nats");
    CHECK(get_double(&doc, "duration_s") == 30.5);
    CHECK(get_int(&doc, "sent") == 1000);
    CHECK(get_int(&doc, "acked") == 999);
    CHECK(get_int(&doc, "series.0.sent") == 500);
    bson_iter_t it, f;
    CHECK(bson_iter_init(&it, &doc) && bson_iter_find_descendant(&it, "e2e_latency_ms.p50", &f) &&
          bson_iter_double(&f) == 1.25);
    /* null stays null (never 0 for unknown) */
    CHECK(bson_iter_init(&it, &doc) && bson_iter_find_descendant(&it, "e2e_latency_ms.max", &f) &&
          BSON_ITER_HOLDS_NULL(&f));
    /* "p99.9" is not a storable key: stored as p99_9, and the exact text in "json". */
    CHECK(bson_iter_init(&it, &doc) &&
          bson_iter_find_descendant(&it, "e2e_latency_ms.p99_9", &f) && bson_iter_double(&f) == 7.5);
    CHECK_STR(get_str(&doc, "json"), json1);
    bson_destroy(&doc);

    /* Saving again replaces the document. */
    CHECK_MSG(ob_store_save_summary(s, "r-sum", "{\"sent\":2000,\"_id\":\"ignored\"}", &err) == 0,
              "%s", err.msg);
    CHECK(find_one(raw, "runs", "r-sum", &doc));
    CHECK(get_int(&doc, "sent") == 2000);
    CHECK(get_int(&doc, "acked") == -12345);
    bson_destroy(&doc);

    CHECK(ob_store_save_summary(s, "r-bad", "{\"sent\":", &err) == -1);
    CHECK_MSG(strstr(err.msg, "summary of run r-bad is not a JSON object") != NULL, "%s", err.msg);
    CHECK(ob_store_save_summary(s, "r-bad", "[1,2]", &err) == -1);
}

static void fill(ob_record *r, ob_meta *m, const char *run, uint32_t producer, uint64_t seq)
{
    memset(r, 0, sizeof *r);
    memset(m, 0, sizeof *m);
    snprintf(r->name, sizeof r->name, "Urban Beldum");
    snprintf(r->location, sizeof r->location, "Escuintla");
    r->age = 4;
    snprintf(r->infectedtype, sizeof r->infectedtype, "non-imported");
    snprintf(r->state, sizeof r->state, "symptomatic");
    snprintf(m->run, sizeof m->run, "%s", run);
    m->producer = producer;
    m->seq = seq;
    m->sent_ns = 1700000000123456789LL + (int64_t)seq;
}

static void test_insert_and_count(ob_store *s, mongoc_client_t *raw)
{
    enum { N = 6 };
    ob_record r[N];
    ob_meta m[N];
    ob_store_rec recs[N];
    ob_insert_result res[N];
    ob_err err = {0};
    fill(&r[0], &m[0], "r-a", 1, 1);
    fill(&r[1], &m[1], "r-a", 1, 2);
    fill(&r[2], &m[2], "r-a", 2, 1);
    fill(&r[3], &m[3], "r-b", 1, 1);
    fill(&r[4], &m[4], "r-b", 1, 2);
    fill(&r[5], &m[5], "r-a", 1, 2); /* same _id as [1], within one batch */
    for (int i = 0; i < N; i++)
        recs[i] = (ob_store_rec){.r = &r[i], .m = &m[i]};
    CHECK_MSG(ob_store_insert_records(s, recs, N, "nats", res, &err) == 0, "%s", err.msg);
    for (int i = 0; i < 5; i++)
        CHECK_MSG(res[i] == OB_INSERT_OK, "record %d: result %d", i, (int)res[i]);
    CHECK_MSG(res[5] == OB_INSERT_DUPLICATE, "result %d", (int)res[5]);

    /* A second batch: two redeliveries and one new record. */
    fill(&r[0], &m[0], "r-a", 1, 1);
    fill(&r[1], &m[1], "r-a", 3, 1);
    fill(&r[2], &m[2], "r-b", 1, 2);
    CHECK_MSG(ob_store_insert_records(s, recs, 3, "nats", res, &err) == 0, "%s", err.msg);
    CHECK(res[0] == OB_INSERT_DUPLICATE);
    CHECK(res[1] == OB_INSERT_OK);
    CHECK(res[2] == OB_INSERT_DUPLICATE);

    int64_t n = -1;
    CHECK_MSG(ob_store_count_records(s, "r-a", -1, 0, &n, &err) == 0, "%s", err.msg);
    CHECK_MSG(n == 4, "r-a: %lld", (long long)n);
    CHECK_MSG(ob_store_count_records(s, "r-b", -1, 10000, &n, &err) == 0, "%s", err.msg);
    CHECK_MSG(n == 2, "r-b: %lld", (long long)n);
    CHECK_MSG(ob_store_count_records(s, "r-none", -1, 0, &n, &err) == 0, "%s", err.msg);
    CHECK_MSG(n == 0, "r-none: %lld", (long long)n);

    /* The document as the design describes it. */
    bson_t doc;
    CHECK(find_one(raw, "records", "r-a/2/1", &doc));
    CHECK_STR(get_str(&doc, "name"), "Urban Beldum");
    CHECK_STR(get_str(&doc, "location"), "Escuintla");
    CHECK(get_int(&doc, "age") == 4);
    CHECK_STR(get_str(&doc, "infectedtype"), "non-imported");
    CHECK_STR(get_str(&doc, "state"), "symptomatic");
    CHECK_STR(get_str(&doc, "run"), "r-a");
    CHECK_STR(get_str(&doc, "way"), "nats");
    bson_iter_t it;
    CHECK(bson_iter_init_find(&it, &doc, "producer") && BSON_ITER_HOLDS_INT64(&it) &&
          bson_iter_int64(&it) == 2);
    CHECK(bson_iter_init_find(&it, &doc, "seq") && BSON_ITER_HOLDS_INT64(&it) &&
          bson_iter_int64(&it) == 1);
    CHECK(bson_iter_init_find(&it, &doc, "sent_ns") && BSON_ITER_HOLDS_INT64(&it) &&
          bson_iter_int64(&it) == 1700000000123456790LL);
    CHECK(bson_iter_init_find(&it, &doc, "persisted_at") && BSON_ITER_HOLDS_DATE_TIME(&it));
    int64_t age_ms = ob_real_ns() / OB_NS_PER_MS - bson_iter_date_time(&it);
    CHECK_MSG(age_ms >= 0 && age_ms < 60000, "persisted_at %lld ms ago", (long long)age_ms);
    bson_destroy(&doc);
}

/* Batches of growing size reuse and extend the store's document buffers. */
static void test_growing_batches(ob_store *s)
{
    enum { BIG = 700 };
    static ob_record r[BIG];
    static ob_meta m[BIG];
    static ob_store_rec recs[BIG];
    static ob_insert_result res[BIG];
    ob_err err = {0};
    size_t sizes[] = {1, 10, 300, BIG, 2};
    uint64_t seq = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        for (size_t i = 0; i < sizes[k]; i++) {
            fill(&r[i], &m[i], "r-grow", 9, ++seq);
            recs[i] = (ob_store_rec){.r = &r[i], .m = &m[i]};
        }
        CHECK_MSG(ob_store_insert_records(s, recs, sizes[k], "nats", res, &err) == 0, "%s",
                  err.msg);
        size_t ok = 0;
        for (size_t i = 0; i < sizes[k]; i++)
            ok += res[i] == OB_INSERT_OK;
        CHECK_MSG(ok == sizes[k], "batch %zu: %zu of %zu inserted", k, ok, sizes[k]);
    }
    int64_t n = -1;
    CHECK(ob_store_count_records(s, "r-grow", -1, 0, &n, &err) == 0);
    CHECK_MSG(n == (int64_t)seq, "r-grow: %lld of %llu", (long long)n, (unsigned long long)seq);
}

static void insert_fake_stats(mongoc_client_t *raw, const char *run, const char *sinkid,
                              int64_t persisted, int64_t dups, int64_t invalid, const char *hist)
{
    mongoc_collection_t *col = mongoc_client_get_collection(raw, db_name, "sink_stats");
    char id[128];
    snprintf(id, sizeof id, "%s/%s", run, sinkid);
    bson_t *doc = BCON_NEW("_id", BCON_UTF8(id), "run", BCON_UTF8(run), "sink", BCON_UTF8(sinkid),
                           "way", BCON_UTF8("nats"), "persisted", BCON_INT64(persisted),
                           "duplicates", BCON_INT64(dups), "invalid", BCON_INT64(invalid),
                           "e2e_hist", BCON_UTF8(hist));
    bson_error_t error;
    bool ok = mongoc_collection_insert_one(col, doc, NULL, NULL, &error);
    CHECK_MSG(ok, "%s", error.message);
    bson_destroy(doc);
    mongoc_collection_destroy(col);
}

static void test_sink_totals(ob_store *s, mongoc_client_t *raw)
{
    ob_err err = {0};
    ob_hist *h1 = ob_hist_new(), *h2 = ob_hist_new(), *merged = ob_hist_new();
    ob_hist_record_n(h1, 1 * OB_NS_PER_MS, 90);
    ob_hist_record_n(h2, 5 * OB_NS_PER_MS, 10);
    char *e1 = ob_hist_encode(h1), *e2 = ob_hist_encode(h2);
    insert_fake_stats(raw, "r-t", "sink-1", 60, 3, 1, e1);
    insert_fake_stats(raw, "r-t", "sink-2", 40, 2, 0, e2);
    insert_fake_stats(raw, "r-other", "sink-1", 7, 7, 7, e2);

    ob_sink_totals t;
    CHECK_MSG(ob_store_sink_totals(s, "r-t", -1, &t, merged, &err) == 0, "%s", err.msg);
    CHECK(t.persisted == 100);
    CHECK(t.duplicates == 5);
    CHECK(t.invalid == 1);
    CHECK(t.unsure == 0); /* documents without the field (older sinks) */
    CHECK(t.sinks == 2);
    CHECK_STR(t.way, "nats");
    CHECK_MSG(ob_hist_count(merged) == 100, "%lld", (long long)ob_hist_count(merged));
    int64_t p50 = ob_hist_percentile(merged, 50), p99 = ob_hist_percentile(merged, 99);
    CHECK_MSG(p50 > 999 * OB_NS_PER_US && p50 < 1001 * OB_NS_PER_US, "p50 %lld", (long long)p50);
    CHECK_MSG(p99 > 4995 * OB_NS_PER_US && p99 < 5005 * OB_NS_PER_US, "p99 %lld", (long long)p99);

    /* A run no sink reported: zeros, no error, histogram untouched. */
    ob_hist_reset(merged);
    CHECK(ob_store_sink_totals(s, "r-nobody", -1, &t, merged, &err) == 0);
    CHECK(t.persisted == 0 && t.sinks == 0 && t.way[0] == '\0');
    CHECK(ob_hist_count(merged) == 0);

    /* e2e may be NULL. */
    CHECK(ob_store_sink_totals(s, "r-other", -1, &t, NULL, &err) == 0);
    CHECK(t.persisted == 7 && t.sinks == 1);
    CHECK(t.process_persisted == -1 && t.process_duplicates == -1); /* not asked */
    /* asked, but the documents do not split their counts by process (older sinks) */
    CHECK(ob_store_sink_totals(s, "r-other", 5, &t, NULL, &err) == 0);
    CHECK(t.persisted == 7 && t.process_persisted == -1 && t.process_duplicates == -1);

    /* The sink's own upsert: replaced, not added, on each call. */
    ob_sink_stats st = {.run = "r-u", .sink = "host-1", .way = "nats", .persisted = 10,
                        .duplicates = 1, .invalid = 0, .e2e = h1};
    CHECK_MSG(ob_store_put_sink_stats(s, &st, &err) == 0, "%s", err.msg);
    st.persisted = 20;
    st.unsure = 3;
    st.e2e = h2;
    CHECK_MSG(ob_store_put_sink_stats(s, &st, &err) == 0, "%s", err.msg);
    ob_hist_reset(merged);
    CHECK(ob_store_sink_totals(s, "r-u", -1, &t, merged, &err) == 0);
    CHECK(t.persisted == 20 && t.duplicates == 1 && t.sinks == 1 && t.unsure == 3);
    CHECK(ob_hist_count(merged) == 10);
    /* A restarted sink with the same id reads its counts back. */
    ob_sink_totals one = {.persisted = -1, .duplicates = -1, .invalid = -1, .unsure = -1};
    ob_process_count *procs = NULL;
    size_t nprocs = 99;
    ob_hist_reset(merged);
    CHECK_MSG(ob_store_get_sink_stats(s, "r-u", "host-1", &one, merged, &procs, &nprocs, &err) == 1,
              "%s", err.msg);
    CHECK(one.persisted == 20 && one.duplicates == 1 && one.invalid == 0 && one.unsure == 3);
    CHECK(procs == NULL && nprocs == 0);
    CHECK(ob_hist_count(merged) == 10);
    CHECK(ob_store_get_sink_stats(s, "r-u", "host-2", &one, merged, NULL, NULL, &err) == 0);
    CHECK(one.persisted == 0 && one.duplicates == 0 && one.invalid == 0 && one.unsure == 0);
    CHECK(ob_hist_count(merged) == 10);

    bson_t doc;
    CHECK(find_one(raw, "sink_stats", "r-u/host-1", &doc));
    CHECK_STR(get_str(&doc, "sink"), "host-1");
    bson_iter_t it;
    CHECK(bson_iter_init_find(&it, &doc, "updated_at") && BSON_ITER_HOLDS_DATE_TIME(&it));
    bson_destroy(&doc);

    /* A corrupt histogram is an error naming the document. */
    insert_fake_stats(raw, "r-corrupt", "sink-x", 1, 0, 0, "h1:zz");
    CHECK(ob_store_sink_totals(s, "r-corrupt", -1, &t, merged, &err) == -1);
    CHECK_MSG(strstr(err.msg, "r-corrupt/sink-x") != NULL, "%s", err.msg);

    free(e1);
    free(e2);
    ob_hist_free(h1);
    ob_hist_free(h2);
    ob_hist_free(merged);
}

/* Counts split by the producer's process part: two sinks, two processes sharing a run
 * id, each process sees its own share; a sink restarted with the same id reads its
 * shares back. */
static void test_process_counts(ob_store *s)
{
    ob_err err = {0};
    ob_process_count a[] = {{.process = 7, .persisted = 100, .duplicates = 2},
                            {.process = 9, .persisted = 50, .duplicates = 0}};
    ob_process_count b[] = {{.process = 9, .persisted = 25, .duplicates = 1}};
    ob_sink_stats st = {.run = "r-p", .sink = "sink-a", .way = "nats", .persisted = 150,
                        .duplicates = 2, .processes = a, .nprocesses = 2};
    CHECK_MSG(ob_store_put_sink_stats(s, &st, &err) == 0, "%s", err.msg);
    st = (ob_sink_stats){.run = "r-p", .sink = "sink-b", .way = "nats", .persisted = 25,
                         .duplicates = 1, .processes = b, .nprocesses = 1};
    CHECK_MSG(ob_store_put_sink_stats(s, &st, &err) == 0, "%s", err.msg);
    ob_sink_totals t;
    CHECK_MSG(ob_store_sink_totals(s, "r-p", 7, &t, NULL, &err) == 0, "%s", err.msg);
    CHECK(t.persisted == 175 && t.duplicates == 3 && t.sinks == 2);
    CHECK_MSG(t.process_persisted == 100 && t.process_duplicates == 2, "%lld %lld",
              (long long)t.process_persisted, (long long)t.process_duplicates);
    CHECK(ob_store_sink_totals(s, "r-p", 9, &t, NULL, &err) == 0);
    CHECK(t.process_persisted == 75 && t.process_duplicates == 1);
    CHECK(ob_store_sink_totals(s, "r-p", 8, &t, NULL, &err) == 0);
    CHECK(t.process_persisted == 0 && t.process_duplicates == 0);

    /* by way: a third sink of another way; each way's count and process 9's share of it */
    ob_process_count c[] = {{.process = 9, .persisted = 30, .duplicates = 0},
                            {.process = 7, .persisted = 4, .duplicates = 0}};
    st = (ob_sink_stats){.run = "r-p", .sink = "sink-c", .way = "kafka", .persisted = 34,
                         .processes = c, .nprocesses = 2};
    CHECK_MSG(ob_store_put_sink_stats(s, &st, &err) == 0, "%s", err.msg);
    CHECK(ob_store_sink_totals(s, "r-p", 9, &t, NULL, &err) == 0);
    CHECK_MSG(t.nways == 2, "%d ways", t.nways);
    for (int i = 0; i < t.nways; i++) {
        const ob_way_persisted *w = &t.ways[i];
        if (strcmp(w->way, "nats") == 0)
            CHECK_MSG(w->persisted == 175 && w->process_persisted == 75, "nats %lld %lld",
                      (long long)w->persisted, (long long)w->process_persisted);
        else
            CHECK_MSG(strcmp(w->way, "kafka") == 0 && w->persisted == 34 && w->process_persisted == 30,
                      "%s %lld %lld", w->way, (long long)w->persisted, (long long)w->process_persisted);
    }
    CHECK(t.process_persisted == 105 && t.persisted == 209);
    CHECK(ob_store_sink_totals(s, "r-p", -1, &t, NULL, &err) == 0);
    CHECK(t.nways == 2 && t.ways[0].process_persisted == -1 && t.ways[1].process_persisted == -1);

    ob_sink_totals one;
    ob_process_count *procs = NULL;
    size_t nprocs = 0;
    CHECK(ob_store_get_sink_stats(s, "r-p", "sink-a", &one, NULL, &procs, &nprocs, &err) == 1);
    CHECK(one.persisted == 150 && nprocs == 2);
    if (nprocs == 2) {
        CHECK(procs[0].process == 7 && procs[0].persisted == 100 && procs[0].duplicates == 2);
        CHECK(procs[1].process == 9 && procs[1].persisted == 50 && procs[1].duplicates == 0);
    }
    free(procs);
}

/* MongoDB's count of one process's records (producer = process << 8 | worker), and its
 * time limit. */
static void test_count_by_process(ob_store *s)
{
    enum { N = 5 };
    ob_record r[N];
    ob_meta m[N];
    ob_store_rec recs[N];
    ob_insert_result res[N];
    ob_err err = {0};
    uint32_t p1 = 0xabcdefu, p2 = 0xabcdf0u; /* neighbours: the range must not overlap */
    fill(&r[0], &m[0], "r-proc", p1 << OB_PRODUCER_WORKER_BITS | 1, 1);
    fill(&r[1], &m[1], "r-proc", p1 << OB_PRODUCER_WORKER_BITS | 2, 1);
    fill(&r[2], &m[2], "r-proc", p1 << OB_PRODUCER_WORKER_BITS | 255, 1);
    fill(&r[3], &m[3], "r-proc", p2 << OB_PRODUCER_WORKER_BITS | 1, 1);
    fill(&r[4], &m[4], "r-proc", 3, 1); /* process 0: an old-style producer */
    for (int i = 0; i < N; i++)
        recs[i] = (ob_store_rec){.r = &r[i], .m = &m[i]};
    CHECK_MSG(ob_store_insert_records(s, recs, N, "nats", res, &err) == 0, "%s", err.msg);
    CHECK(OB_PRODUCER_PROCESS(m[2].producer) == p1 && OB_PRODUCER_WORKER(m[2].producer) == 255);
    int64_t n = -1;
    CHECK_MSG(ob_store_count_records(s, "r-proc", p1, 10000, &n, &err) == 0, "%s", err.msg);
    CHECK_MSG(n == 3, "process p1: %lld", (long long)n);
    CHECK(ob_store_count_records(s, "r-proc", p2, 10000, &n, &err) == 0 && n == 1);
    CHECK(ob_store_count_records(s, "r-proc", 0, 10000, &n, &err) == 0 && n == 1);
    CHECK(ob_store_count_records(s, "r-proc", -1, 10000, &n, &err) == 0 && n == N);
    /* a limit the server cannot meet: an error of kind timeout, quickly */
    static ob_record big_r[2000];
    static ob_meta big_m[2000];
    static ob_store_rec big[2000];
    static ob_insert_result big_res[2000];
    for (int i = 0; i < 2000; i++) {
        fill(&big_r[i], &big_m[i], "r-many", 1, (uint64_t)i + 1);
        big[i] = (ob_store_rec){.r = &big_r[i], .m = &big_m[i]};
    }
    for (int k = 0; k < 10; k++) {
        for (int i = 0; i < 2000; i++)
            big_m[i].seq = (uint64_t)k * 2000 + (uint64_t)i + 1;
        CHECK(ob_store_insert_records(s, big, 2000, "nats", big_res, &err) == 0);
    }
    int64_t t0 = ob_mono_ns();
    n = -1;
    int rc = ob_store_count_records(s, "r-many", -1, 1, &n, &err);
    double secs = (double)(ob_mono_ns() - t0) / OB_NS_PER_S;
    CHECK_MSG(rc == -1 && err.kind == OB_ERR_TIMEOUT, "rc %d n %lld kind %d: %s", rc, (long long)n,
              (int)err.kind, err.msg);
    CHECK_MSG(secs < 2.0, "the 1 ms count took %.2f s", secs);
    CHECK_MSG(strstr(err.msg, "no answer within 1 ms") != NULL, "%s", err.msg);
    CHECK(ob_store_count_records(s, "r-many", -1, 60000, &n, &err) == 0 && n == 20000);
}

/* The sinks' heartbeats: replaced per sink, summed per way, stopped ones left out. */
static void test_sink_beats(ob_store *s, mongoc_client_t *raw)
{
    ob_err err = {0};
    ob_sink_activity a;
    CHECK(ob_store_sink_activity(s, "nats", NULL, &a, &err) == 0);
    CHECK(a.sinks == 0 && a.running == 0 && a.work == 0);
    ob_sink_beat b1 = {.sink = "s1", .way = "nats", .started_ns = ob_real_ns(), .interval_ms = 1000,
                       .persisted = 10, .duplicates = 1, .invalid = 1, .nacked = 3, .queued = 5};
    ob_sink_beat b2 = {.sink = "s2", .way = "nats", .started_ns = ob_real_ns(), .interval_ms = 1000,
                       .persisted = 100};
    ob_sink_beat b3 = {.sink = "s3", .way = "kafka", .started_ns = ob_real_ns(), .interval_ms = 1000,
                       .persisted = 1000};
    CHECK_MSG(ob_store_put_sink_beat(s, &b1, &err) == 0, "%s", err.msg);
    CHECK(ob_store_put_sink_beat(s, &b2, &err) == 0);
    CHECK(ob_store_put_sink_beat(s, &b3, &err) == 0);
    CHECK(ob_store_sink_activity(s, "nats", NULL, &a, &err) == 0);
    CHECK_MSG(a.sinks == 2 && a.running == 2 && a.work == 115 && a.queued == 5, "%d %d %lld %lld",
              a.sinks, a.running, (long long)a.work, (long long)a.queued);
    b1.persisted = 20;
    CHECK(ob_store_put_sink_beat(s, &b1, &err) == 0);
    b2.stopped = true;
    CHECK(ob_store_put_sink_beat(s, &b2, &err) == 0);
    CHECK(ob_store_sink_activity(s, "nats", NULL, &a, &err) == 0);
    CHECK_MSG(a.sinks == 2 && a.running == 1 && a.work == 25, "%d %d %lld", a.sinks, a.running,
              (long long)a.work);
    /* a sink of run r-dead that stopped beating without a clean stop (killed), and one
     * silent for as long that never reported for the run */
    mongoc_collection_t *col = mongoc_client_get_collection(raw, db_name, "sinks");
    int64_t old_ns = ob_real_ns() - 60 * OB_NS_PER_S;
    const char *silent[] = {"s-dead", "s-elsewhere"};
    for (int i = 0; i < 2; i++) {
        bson_t *beat = BCON_NEW("_id", BCON_UTF8(silent[i]), "sink", BCON_UTF8(silent[i]), "way",
                                BCON_UTF8("nats"), "state", BCON_UTF8("running"), "updated_ns",
                                BCON_INT64(old_ns), "interval_ms", BCON_INT32(1000), "persisted",
                                BCON_INT64(7));
        bson_error_t error;
        CHECK_MSG(mongoc_collection_insert_one(col, beat, NULL, NULL, &error), "%s", error.message);
        bson_destroy(beat);
    }
    mongoc_collection_destroy(col);
    ob_sink_stats dead = {.run = "r-dead", .sink = "s-dead", .way = "nats", .persisted = 7};
    ob_sink_stats alive = {.run = "r-dead", .sink = "s1", .way = "nats", .persisted = 3};
    CHECK(ob_store_put_sink_stats(s, &dead, &err) == 0 && ob_store_put_sink_stats(s, &alive, &err) == 0);
    CHECK(ob_store_sink_activity(s, "nats", "r-dead", &a, &err) == 0);
    CHECK_MSG(a.sinks == 4 && a.running == 1 && a.work == 25 && a.dead == 1, "%d %d %lld %d", a.sinks,
              a.running, (long long)a.work, a.dead);
    CHECK(ob_store_sink_activity(s, "nats", "r-p", &a, &err) == 0);
    CHECK(a.dead == 0);

    bson_t doc;
    CHECK(find_one(raw, "sinks", "s2", &doc));
    CHECK_STR(get_str(&doc, "state"), "stopped");
    CHECK_STR(get_str(&doc, "way"), "nats");
    bson_iter_t it;
    CHECK(bson_iter_init_find(&it, &doc, "updated_at") && BSON_ITER_HOLDS_DATE_TIME(&it));
    bson_destroy(&doc);
}

static void drop_db(mongoc_client_t *raw)
{
    mongoc_database_t *db = mongoc_client_get_database(raw, db_name);
    bson_error_t error;
    if (!mongoc_database_drop(db, &error))
        fprintf(stderr, "dropping %s: %s\n", db_name, error.message);
    mongoc_database_destroy(db);
}

int main(void)
{
    const char *base = getenv("OB_TEST_MONGO");
    snprintf(db_name, sizeof db_name, "obtest_%ld", (long)getpid());
    snprintf(store_url, sizeof store_url, "%s/%s", base ? base : "mongodb://127.0.0.1:27017",
             db_name);

    test_unreachable();

    ob_store *s = NULL;
    ob_err err = {0};
    int rc = ob_store_open(&s, store_url, &err);
    CHECK_MSG(rc == 0, "MongoDB needed for this test (scripts/stack up): %s", err.msg);
    if (rc != 0)
        CHECK_DONE();
    mongoc_client_t *raw = raw_client();
    test_save_summary(s, raw);
    test_insert_and_count(s, raw);
    test_growing_batches(s);
    test_sink_totals(s, raw);
    test_process_counts(s);
    test_count_by_process(s);
    test_sink_beats(s, raw);
    drop_db(raw);
    mongoc_client_destroy(raw);
    ob_store_close(s);
    CHECK_DONE();
}
