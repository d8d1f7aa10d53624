/* test_run_doc.c — a worker's figures as text and back (loadgen/run_doc.h): every count,
 * the load, the durability object with its extras, the failures and the histograms
 * bucket by bucket survive the round trip; series points likewise; and the merge's
 * premise: adding the decoded histograms of several workers gives exactly the histogram
 * of all their samples (every percentile equal). Malformed texts are refused with a
 * message. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "generator.h"
#include "histogram.h"
#include "run_doc.h"

static void fill(ob_hist *h, ob_gen *g, int n)
{
    for (int i = 0; i < n; i++)
        ob_hist_record(h, 1000 + (int64_t)(ob_gen_unit(g) * ob_gen_unit(g) * 2e9));
}

static bool same_hist(const ob_hist *a, const ob_hist *b)
{
    char *x = ob_hist_encode(a), *y = ob_hist_encode(b);
    bool same = x && y && strcmp(x, y) == 0;
    free(x);
    free(y);
    return same;
}

static void test_round_trip(void)
{
    ob_gen g;
    ob_gen_init(&g, 7);
    ob_run_opts o;
    memset(&o, 0, sizeof o);
    o.rate = 8000;
    o.users = 1;
    o.threads = 2;
    o.workers = 4;
    o.worker = 3;
    o.seed = 18446744073709551615ULL;
    o.pool = 1000;
    o.records = "traffic \"x\".json";
    o.run_time_ns = 10000000000LL;
    o.warmup_ns = 5000000000LL;
    o.stop_timeout_ns = 30000000000LL;
    ob_err serr = {0};
    CHECK(ob_stages_parse("2s:4000/s,6s:8000/s,1500ms:0/s", &o.stages, &serr) == 0);
    ob_run_result r;
    memset(&r, 0, sizeof r);
    r.opts = &o;
    r.way = "nats";
    snprintf(r.url, sizeof r.url, "nats://127.0.0.1:4222?jetstream=1");
    ob_durability_set(&r.durability, "jetstream", true, "PubAck", "at-least-once", NULL);
    ob_durability_str(&r.durability, "stream", "OUTBREAK");
    ob_durability_int(&r.durability, "replicas", 3);
    ob_durability_bool(&r.durability, "tls", false);
    ob_durability_str(&r.durability, "token", NULL);
    r.t0_real_ns = 1796194800000000000LL;
    r.duration_s = 10.002;
    r.persist_s = 12.5;
    r.sent = 20000;
    r.acked = 19990;
    r.failed = 10;
    r.bytes_sent = 3780000;
    r.persisted = 19990;
    r.duplicates = 2;
    r.invalid = 0;
    r.lost = 0;
    r.unconfirmed = 0;
    r.warmup_s = 4.25; /* stopped during its warm-up */
    r.warmup_sent = 8500;
    r.warmup_acked = 8499;
    r.warmup_failed = 1;
    r.warmup_persisted = 8498;
    r.persisted_source = "mongodb_count";
    r.process = 0xabcdef;
    r.sinks = 2;
    r.behind_s = NAN;
    r.window_full_share = 0.25;
    r.worker_busy_share = NAN;
    r.publish_blocked_share = 0;
    snprintf(r.rate_cause, sizeof r.rate_cause, "the window \"was\" full");
    r.loadgen_cpu_s = 1.5;
    r.loadgen_peak_rss_mb = 24.3;
    r.nfailure_kinds = 2;
    snprintf(r.failures[0].msg, sizeof r.failures[0].msg, "nats: timeout");
    r.failures[0].count = 7;
    snprintf(r.failures[1].msg, sizeof r.failures[1].msg, "nats: no responders");
    r.failures[1].count = 3;
    r.publish = ob_hist_new();
    r.publish_raw = ob_hist_new();
    r.send_delay = ob_hist_new();
    r.e2e = NULL; /* unknown */
    fill(r.publish, &g, 5000);
    fill(r.publish_raw, &g, 5000);
    char *text = ob_run_doc_encode(&r, true);
    CHECK(text != NULL);
    ob_run_doc d;
    ob_err err = {0};
    CHECK_MSG(ob_run_doc_decode(text, &d, &err) == 0, "%s", err.msg);
    CHECK(d.final);
    CHECK(strcmp(d.r.way, "nats") == 0 && strcmp(d.r.url, r.url) == 0);
    CHECK(d.r.sent == 20000 && d.r.acked == 19990 && d.r.failed == 10 && d.r.bytes_sent == 3780000);
    CHECK(d.r.persisted == 19990 && d.r.duplicates == 2 && d.r.invalid == 0 && d.r.lost == 0 && d.r.unconfirmed == 0);
    CHECK(d.r.persisted_source && strcmp(d.r.persisted_source, "mongodb_count") == 0);
    CHECK(d.r.process == 0xabcdef && d.r.sinks == 2 && d.r.t0_real_ns == r.t0_real_ns);
    CHECK(d.r.duration_s == 10.002 && d.r.persist_s == 12.5 && d.r.window_full_share == 0.25);
    CHECK(isnan(d.r.behind_s) && isnan(d.r.worker_busy_share) && d.r.publish_blocked_share == 0);
    CHECK(strcmp(d.r.rate_cause, r.rate_cause) == 0);
    CHECK(d.r.loadgen_cpu_s == 1.5 && d.r.loadgen_peak_rss_mb == 24.3);
    CHECK(d.r.nfailure_kinds == 2 && d.r.failures[1].count == 3 &&
          strcmp(d.r.failures[0].msg, "nats: timeout") == 0);
    CHECK(d.opts.rate == 8000 && d.opts.threads == 2 && d.opts.workers == 4 && d.opts.worker == 3);
    CHECK(d.opts.seed == 18446744073709551615ULL && d.opts.pool == 1000);
    CHECK(d.opts.records && strcmp(d.opts.records, o.records) == 0);
    CHECK(d.opts.run_time_ns == o.run_time_ns && d.opts.stop_timeout_ns == o.stop_timeout_ns);
    CHECK(d.opts.warmup_ns == o.warmup_ns && d.r.warmup_s == 4.25);
    CHECK(d.opts.stages.n == 3 && d.opts.stages.rates && memcmp(&d.opts.stages, &o.stages, sizeof o.stages) == 0);
    CHECK(d.r.warmup_sent == 8500 && d.r.warmup_acked == 8499 && d.r.warmup_failed == 1 &&
          d.r.warmup_persisted == 8498);
    CHECK(strcmp(d.r.mode, "jetstream") == 0 && d.r.broker_acks && strcmp(d.r.durability.publish_ack, "PubAck") == 0);
    CHECK(d.r.durability.nextras == 4);
    CHECK(d.r.durability.nextras == 4 && strcmp(d.r.durability.extras[0].str, "OUTBREAK") == 0 &&
          d.r.durability.extras[1].num == 3 && d.r.durability.extras[2].type == OB_DUR_BOOL &&
          !d.r.durability.extras[2].flag && d.r.durability.extras[3].str == NULL);
    CHECK(same_hist(d.r.publish, r.publish) && same_hist(d.r.publish_raw, r.publish_raw));
    CHECK(ob_hist_count(d.r.send_delay) == 0 && d.r.e2e == NULL);
    ob_run_doc_free(&d);
    free(text);
    ob_hist_free(r.publish);
    ob_hist_free(r.publish_raw);
    ob_hist_free(r.send_delay);
    ob_durability_free(&r.durability);
}

/* Four workers' histograms through their text, added: the histogram of all samples. */
static void test_merge_exact(void)
{
    ob_gen g;
    ob_gen_init(&g, 11);
    ob_hist *all = ob_hist_new(), *merged = ob_hist_new();
    for (int w = 0; w < 4; w++) {
        ob_hist *h = ob_hist_new();
        fill(h, &g, 3000 + 1000 * w);
        ob_hist_merge(all, h);
        char *text = ob_hist_encode(h);
        ob_err err;
        CHECK(text && ob_hist_decode_add(merged, text, &err) == 0);
        free(text);
        ob_hist_free(h);
    }
    CHECK(same_hist(all, merged));
    CHECK(ob_hist_count(merged) == 18000);
    for (int i = 0; i < OB_PERCENTILE_COUNT; i++)
        CHECK(ob_hist_percentile(all, ob_percentiles[i]) == ob_hist_percentile(merged, ob_percentiles[i]));
    ob_hist_free(all);
    ob_hist_free(merged);
}

typedef struct seen {
    int n;
    double t[4];
    int64_t sent[4];
    int64_t count[4];
    double e2e[4];
} seen;

static int on_point(void *arg, const ob_doc_point *p)
{
    seen *s = arg;
    if (s->n < 4) {
        s->t[s->n] = p->t;
        s->sent[s->n] = p->sent;
        s->count[s->n] = ob_hist_count(p->publish);
        s->e2e[s->n] = p->e2e_p99_ms;
    }
    s->n++;
    return 0;
}

static void test_points(void)
{
    char *text = NULL;
    ob_hist *h = ob_hist_new();
    ob_gen g;
    ob_gen_init(&g, 3);
    for (int k = 1; k <= 3; k++) {
        ob_hist_reset(h);
        fill(h, &g, 100 * k);
        ob_series_point p = {.t = k == 3 ? 2.04 : k, .users = 1, .sent = 100 * k, .acked = 100 * k,
                             .e2e_p99_ms = k == 2 ? -1 : 12.5};
        CHECK(ob_doc_points_append(&text, &p, h) == 0);
    }
    seen s = {0};
    ob_err err = {0};
    CHECK_MSG(ob_doc_points_each(text, on_point, &s, &err) == 0, "%s", err.msg);
    CHECK(s.n == 3 && s.t[0] == 1 && s.t[2] == 2.04 && s.sent[1] == 200 && s.count[2] == 300);
    CHECK(s.e2e[0] == 12.5 && s.e2e[1] == -1);
    free(text);
    ob_hist_free(h);
}

static void test_malformed(void)
{
    const char *bad[] = {"", "{", "[]", "{\"v\":2}", "{\"v\":1,\"publish\":\"h1:x\"}", "{\"v\":1,\"sent\":\"many\"}",
                         "{\"v\":1} x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ob_run_doc d;
        ob_err err = {0};
        CHECK_MSG(ob_run_doc_decode(bad[i], &d, &err) == -1 && err.msg[0] && !strchr(err.msg, '\n'), "%s", bad[i]);
        ob_run_doc_free(&d);
    }
    ob_err err = {0};
    seen s = {0};
    CHECK(ob_doc_points_each("[{\"t\":1,\"publish\":\"h1:1:\"}]", on_point, &s, &err) == -1 && err.msg[0]);
    CHECK(ob_doc_points_each("{}", on_point, &s, &err) == -1);
}

/* Strings longer than the fields they are read into (a document outbreak did not write)
 * keep their first whole characters: what is encoded again reads back (a cut inside a
 * character made invalid UTF-8, which the second read refused; found by fuzz_run_doc). */
static void test_long_strings(void)
{
    char mode[400] = "", text[1200];
    while (strlen(mode) + 5 <= sizeof mode)
        strcat(mode, "m\xE1\x8C\xA0"); /* m and U+1320, three bytes: the cut falls inside one */
    snprintf(text, sizeof text,
             "{\"v\":1,\"final\":false,\"way\":\"n\xC3\xA1ts-far-longer-than-thirty-two-bytes\","
             "\"durability\":{\"mode\":\"%s\",\"broker_ack\":false,\"publish_ack\":\"\","
             "\"delivery\":\"at-most-once\",\"%.60s\":1},\"sent\":5,\"acked\":4,\"publish\":\"h1:\"}",
             mode, mode);
    ob_run_doc d, e;
    ob_err err = {0};
    CHECK_MSG(ob_run_doc_decode(text, &d, &err) == 0, "%s", err.msg);
    CHECK(d.r.sent == 5 && d.r.acked == 4);
    /* 63 bytes fit: 15 times m and its character, then m, and not the two bytes of the next */
    CHECK(strncmp(d.r.mode, "m\xE1\x8C\xA0m", 5) == 0 && strlen(d.r.mode) == 61);
    CHECK(strncmp(d.r.way, "n\xC3\xA1ts", 5) == 0);
    char *again = ob_run_doc_encode(&d.r, d.final);
    CHECK(again != NULL);
    CHECK_MSG(again && ob_run_doc_decode(again, &e, &err) == 0, "%s", err.msg);
    /* an extra's key (31 bytes fit): 7 times m and its character, then m */
    CHECK(d.r.durability.nextras == 1 && strlen(d.r.durability.extras[0].key) == 29);
    CHECK(strcmp(e.r.mode, d.r.mode) == 0 && strcmp(e.r.way, d.r.way) == 0 && e.r.acked == 4);
    CHECK(e.r.durability.nextras == 1 && strcmp(e.r.durability.extras[0].key, d.r.durability.extras[0].key) == 0);
    ob_run_doc_free(&e);
    ob_run_doc_free(&d);
    free(again);
}

int main(void)
{
    test_round_trip();
    test_merge_exact();
    test_points();
    test_malformed();
    test_long_strings();
    CHECK_DONE();
}
