/* test_summary.c — reading a JSON summary back (figures, nulls, errors with line and
 * column), splicing the measured cost into it, the cost object's totals and derived
 * figures (null, never 0, when a part is unknown), passwords masked in the command line
 * and the results document (valid JSON whatever the reasons hold). */
#include "results.h"
#include "summary.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "check.h"
#include "json.h"

/* What `outbreak run --broker nats://... --rate 500 -t 1s --json` wrote (latency
 * objects, curves and series trimmed), with no sink: persisted, lost, e2e are null. */
static const char RUN_NO_SINK[] =
    "{\"run\":\"20261122T091847-df40\",\"middleware\":\"nats\",\"mode\":\"core\","
    "\"url\":\"nats://127.0.0.1:4222\",\"durability\":{\"mode\":\"core\",\"broker_ack\":false,"
    "\"delivery\":\"at-most-once\",\"publish_ack\":\"none\",\"acked_means\":\"the server read it "
    "(a marker's round trip every 2048 messages or when idle)\",\"subject\":\"outbreak.records\","
    "\"queue_group\":\"outbreak-sink\"},\"broker_acks\":false,\"load\":{\"model\":\"open\","
    "\"rate\":500,\"threads\":1,\"records\":\"generator(seed=1,pool=1000)\",\"once\":false},"
    "\"duration_s\":1.000,\"sent\":500,\"acked\":500,\"failed\":0,\"bytes_sent\":94357,"
    "\"avg_record_bytes\":188.714,\"persisted\":null,\"duplicates\":null,\"invalid\":null,"
    "\"lost\":null,\"sinks\":null,\"throughput\":{\"sent_per_s\":500,\"acked_per_s\":500,"
    "\"persisted_per_s\":null,\"persist_s\":null},\"publish_latency_ms\":{\"p50\":138.215,"
    "\"p66\":176.62,\"p99\":346.423,\"p99.9\":356.385,\"max\":356.385,\"min\":0.278655,"
    "\"mean\":137.724,\"count\":500},\"publish_latency_uncorrected_ms\":{\"p50\":73.0399,"
    "\"p99\":252.248,\"count\":500},\"send_delay_ms\":{\"p50\":27.1729,\"p99\":245.301,"
    "\"count\":500},\"e2e_latency_ms\":null,\"latency_curves\":{\"publish\":{\"percentile\":"
    "[0,50,75,100],\"ms\":[0.278655,138.215,204.538,356.385]},\"e2e\":null},"
    "\"cost\":{\"broker_cpu_s\":null,\"broker_peak_rss_mb\":null,\"broker_process\":null,"
    "\"sink_cpu_s\":null,\"sink_peak_rss_mb\":null,\"db_cpu_s\":null,\"db_peak_rss_mb\":null,"
    "\"total_cpu_s\":null,\"records_per_cpu_s\":null,\"cpu_ms_per_1000_records\":null,"
    "\"rss_mb_per_1000_records_per_s\":null,\"loadgen_cpu_s\":0.296712,"
    "\"loadgen_peak_rss_mb\":21.8125,\"records_per_loadgen_cpu_s\":1685.14},\"failures\":[],"
    "\"series\":[{\"t\":1.000,\"users\":0,\"sent\":419,\"acked\":416,\"failed\":0,"
    "\"persisted\":null,\"p99_ms\":348.52,\"e2e_p99_ms\":null}]}\n";

/* The same run with a sink: every figure known (and keys in another order). */
static const char RUN_SINK[] =
    "{\"run\":\"20261122T092000-a1b2\",\"middleware\":\"rabbitmq\",\"mode\":\"quorum\","
    "\"url\":\"amqp://guest:***@127.0.0.1:5672/\",\"durability\":{\"mode\":\"quorum\"},"
    "\"sent\":10000,\"acked\":9998,\"failed\":2,\"persisted\":9997,\"duplicates\":3,"
    "\"invalid\":0,\"lost\":1,\"sinks\":1,\"throughput\":{\"sent_per_s\":1000,"
    "\"acked_per_s\":999.8,\"persisted_per_s\":998.25,\"persist_s\":10.014},"
    "\"e2e_latency_ms\":{\"p50\":4.25,\"p99\":17.5,\"count\":9997},"
    "\"publish_latency_ms\":{\"p50\":1.125,\"p66\":1.5,\"p99\":8.75,\"count\":9998},"
    "\"cost\":{\"broker_cpu_s\":null,\"loadgen_cpu_s\":1.5},\"failures\":[{\"error\":"
    "\"nack\",\"count\":2}],\"series\":[]}\n";

static void test_read(void)
{
    ob_summary_figures fig;
    ob_err err = {0};
    int rc = ob_summary_read(RUN_NO_SINK, strlen(RUN_NO_SINK), &fig, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK_STR(fig.middleware, "nats");
    CHECK_STR(fig.mode, "core");
    CHECK(fig.sent == 500 && fig.acked == 500 && fig.failed == 0);
    CHECK(fig.persisted == -1 && fig.duplicates == -1 && fig.lost == -1);
    CHECK(fig.acked_per_s == 500);
    CHECK(isnan(fig.persisted_per_s));
    CHECK(fig.publish_p50_ms == 138.215 && fig.publish_p99_ms == 346.423);
    CHECK(isnan(fig.e2e_p50_ms) && isnan(fig.e2e_p99_ms));

    rc = ob_summary_read(RUN_SINK, strlen(RUN_SINK), &fig, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK_STR(fig.middleware, "rabbitmq");
    CHECK_STR(fig.mode, "quorum");
    CHECK(fig.sent == 10000 && fig.acked == 9998 && fig.failed == 2);
    CHECK(fig.persisted == 9997 && fig.duplicates == 3 && fig.lost == 1);
    CHECK(fig.acked_per_s == 999.8 && fig.persisted_per_s == 998.25);
    CHECK(fig.publish_p50_ms == 1.125 && fig.publish_p99_ms == 8.75);
    CHECK(fig.e2e_p50_ms == 4.25 && fig.e2e_p99_ms == 17.5);

    /* not NUL-terminated: only len bytes are read */
    size_t len = strlen(RUN_SINK);
    char *copy = malloc(len);
    memcpy(copy, RUN_SINK, len);
    rc = ob_summary_read(copy, len, &fig, &err);
    CHECK_MSG(rc == 0 && fig.lost == 1, "%s", err.msg);
    free(copy);

    /* a latency object without p99 leaves it NAN; missing keys stay unknown */
    static const char partial[] = "{\"sent\":7,\"publish_latency_ms\":{\"p50\":2}}";
    rc = ob_summary_read(partial, strlen(partial), &fig, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(fig.sent == 7 && fig.acked == -1 && fig.persisted == -1);
    CHECK(fig.publish_p50_ms == 2 && isnan(fig.publish_p99_ms) && isnan(fig.acked_per_s));
    CHECK_STR(fig.middleware, "");
    CHECK(fig.started_at_ns == -1 && fig.warmup_s == 0 && isnan(fig.loadgen_cpu_s));

    /* the measured time's start, the warm-up's length and the loadgen's CPU (what compare
     * takes the cost window from); a null warm-up is none */
    CHECK(ob_summary_read(RUN_SINK, strlen(RUN_SINK), &fig, &err) == 0 && fig.loadgen_cpu_s == 1.5);
    static const char warm[] = "{\"started_at_ns\":1796371200000000000,\"warmup\":{\"duration_s\":30,"
                               "\"run\":\"r.warmup\",\"sent\":9},\"cost\":{\"loadgen_cpu_s\":0.25,\"x\":[1]}}";
    rc = ob_summary_read(warm, strlen(warm), &fig, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(fig.started_at_ns == 1796371200000000000LL && fig.warmup_s == 30 && fig.loadgen_cpu_s == 0.25);
    static const char none[] = "{\"warmup\":null,\"cost\":null}";
    rc = ob_summary_read(none, strlen(none), &fig, &err);
    CHECK_MSG(rc == 0 && fig.warmup_s == 0 && isnan(fig.loadgen_cpu_s), "%s", err.msg);
    static const char bad[] = "{\"warmup\":{\"duration_s\":\"long\"}}";
    CHECK(ob_summary_read(bad, strlen(bad), &fig, &err) == -1);
}

/* "NAME:L:C: msg" or "line L, column C: msg": the line and column, or -1. */
static void where(const char *msg, int *line, int *col)
{
    *line = *col = -1;
    if (sscanf(msg, "line %d, column %d:", line, col) == 2)
        return;
    const char *p = strchr(msg, ':');
    if (!p || sscanf(p, ":%d:%d:", line, col) != 2)
        *line = *col = -1;
}

static void test_read_errors(void)
{
    ob_summary_figures fig;
    ob_err err = {0};
    int line, col;

    /* truncated in the middle of the object, on its third line */
    static const char cut[] = "{\"middleware\":\"nats\",\n\"sent\":500,\n\"acked\":5";
    int rc = ob_summary_read(cut, strlen(cut), &fig, &err);
    where(err.msg, &line, &col);
    CHECK_MSG(rc == -1 && line == 3 && col >= 1 && col <= 11, "rc %d: %s", rc, err.msg);

    /* the real summary cut short anywhere fails, with a position on line 1 within it */
    size_t full = strlen(RUN_NO_SINK) - 1; /* without the newline */
    size_t cuts[] = {1, 2, 10, 100, 700, 1200, full / 2, full - 30, full - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
        err.msg[0] = '\0';
        rc = ob_summary_read(RUN_NO_SINK, cuts[i], &fig, &err);
        where(err.msg, &line, &col);
        CHECK_MSG(rc == -1 && line == 1 && col >= 1 && (size_t)col <= cuts[i] + 1,
                  "cut at %zu: rc %d: %s", cuts[i], rc, err.msg);
    }

    /* a wrong type for a figure, and text after the object */
    static const char bad_type[] = "{\"sent\":\"500\"}";
    rc = ob_summary_read(bad_type, strlen(bad_type), &fig, &err);
    where(err.msg, &line, &col);
    CHECK_MSG(rc == -1 && line == 1 && col == 9, "%s", err.msg);
    static const char negative[] = "{\"sent\":-1}";
    CHECK(ob_summary_read(negative, strlen(negative), &fig, &err) == -1);
    static const char trailing[] = "{\"sent\":1}\n{\"sent\":2}";
    rc = ob_summary_read(trailing, strlen(trailing), &fig, &err);
    where(err.msg, &line, &col);
    CHECK_MSG(rc == -1 && line == 2 && col == 1, "%s", err.msg);
    CHECK(ob_summary_read("[]", 2, &fig, &err) == -1);
    CHECK(ob_summary_read("", 0, &fig, &err) == -1);
    CHECK(ob_summary_read(NULL, 0, &fig, &err) == -1);
}

/* Whether text[0..len) is one JSON value and nothing else. */
static bool valid_json(const char *text, size_t len)
{
    ob_json j;
    ob_json_init(&j, text, len);
    return ob_json_skip(&j) == 0 && ob_json_at_end(&j);
}

static void test_with_cost(void)
{
    static const char cost[] = "{\"broker_cpu_s\":1.25,\"broker_process\":\"nats-server (pid 12)\","
                               "\"total_cpu_s\":3}";
    ob_err err = {0};
    size_t len = strlen(RUN_NO_SINK);
    char *out = ob_summary_with_cost(RUN_NO_SINK, len, cost, &err);
    CHECK_MSG(out != NULL, "%s", err.msg);
    if (out) {
        size_t olen = strlen(out);
        CHECK(valid_json(out, olen));
        CHECK(olen > 0 && out[olen - 1] == '}'); /* no trailing newline */
        /* the text before and after the cost object is unchanged */
        const char *old = strstr(RUN_NO_SINK, "\"cost\":{");
        size_t head = (size_t)(old - RUN_NO_SINK) + strlen("\"cost\":");
        CHECK(strncmp(out, RUN_NO_SINK, head) == 0);
        CHECK(strncmp(out + head, cost, strlen(cost)) == 0);
        const char *after = strstr(RUN_NO_SINK, ",\"failures\":");
        size_t tail = len - 1 - (size_t)(after - RUN_NO_SINK);
        CHECK(olen == head + strlen(cost) + tail);
        CHECK(strncmp(out + head + strlen(cost), after, tail) == 0);
        /* the new keys are there, the old ones gone, the figures still read */
        CHECK(strstr(out, "\"broker_process\":\"nats-server (pid 12)\"") != NULL);
        CHECK(strstr(out, "records_per_loadgen_cpu_s") == NULL);
        CHECK(strstr(out, "loadgen_peak_rss_mb") == NULL);
        ob_summary_figures fig;
        CHECK_MSG(ob_summary_read(out, olen, &fig, &err) == 0 && fig.sent == 500, "%s", err.msg);
        free(out);
    }

    /* several trailing newlines and spaces all go */
    static const char spaced[] = "{\"a\":1,\"cost\":{\"x\":null}}\n\n  \n";
    out = ob_summary_with_cost(spaced, strlen(spaced), "{\"y\":2}", &err);
    CHECK(out && strcmp(out, "{\"a\":1,\"cost\":{\"y\":2}}") == 0);
    free(out);

    /* the top-level "cost" is replaced, not a "cost" key inside another object */
    static const char nested[] = "{\"durability\":{\"cost\":{\"per\":\"message\"}},\"cost\":{\"x\":1},"
                                 "\"failures\":[]}";
    out = ob_summary_with_cost(nested, strlen(nested), "{\"y\":2}", &err);
    CHECK_MSG(out && strcmp(out, "{\"durability\":{\"cost\":{\"per\":\"message\"}},\"cost\":"
                                 "{\"y\":2},\"failures\":[]}") == 0,
              "%s", out ? out : err.msg);
    free(out);
    /* a '}' inside a string of the old cost object does not end it (a summary whose
     * cost compare already filled in: "broker_process":"none (...)") */
    static const char brace[] = "{\"cost\":{\"broker_process\":\"x (})\",\"loadgen_cpu_s\":1},"
                                "\"failures\":[]}";
    out = ob_summary_with_cost(brace, strlen(brace), "{\"y\":2}", &err);
    CHECK_MSG(out && strcmp(out, "{\"cost\":{\"y\":2},\"failures\":[]}") == 0, "%s",
              out ? out : err.msg);
    free(out);
    /* spaces around the colon, as another writer may put them */
    static const char spaced2[] = "{ \"cost\" : { \"x\" : 1 } , \"a\" : 2 }";
    out = ob_summary_with_cost(spaced2, strlen(spaced2), "{\"y\":2}", &err);
    CHECK_MSG(out && strcmp(out, "{ \"cost\" : {\"y\":2} , \"a\" : 2 }") == 0, "%s",
              out ? out : err.msg);
    free(out);

    /* no "cost" object: NULL with a message */
    static const char none[] = "{\"sent\":1,\"costs\":{},\"cost\":null}";
    err.msg[0] = '\0';
    out = ob_summary_with_cost(none, strlen(none), "{}", &err);
    CHECK(out == NULL && strstr(err.msg, "cost") != NULL);
    free(out);
    err.msg[0] = '\0';
    out = ob_summary_with_cost("{}", 2, "{}", &err);
    CHECK(out == NULL && err.msg[0] != '\0');
    free(out);
    /* a "cost" cut short is no object either */
    static const char cut[] = "{\"sent\":1,\"cost\":{\"x\":1";
    err.msg[0] = '\0';
    out = ob_summary_with_cost(cut, strlen(cut), "{}", &err);
    int line, col;
    where(err.msg, &line, &col);
    CHECK_MSG(out == NULL && line == 1 && col == (int)strlen(cut) + 1, "%s", err.msg);
    free(out);
}

/* Looks a key up in a flat JSON object: 1 with *v (NAN for null), 0 if absent, -1 if
 * the text is not a valid flat object. Strings are skipped (*v untouched). */
static int cost_field(const char *text, const char *want, double *v)
{
    ob_json j;
    ob_json_init(&j, text, strlen(text));
    if (ob_json_object_begin(&j) < 0)
        return -1;
    char key[64];
    int rc, found = 0;
    while ((rc = ob_json_object_next(&j, key, sizeof key, NULL)) > 0) {
        bool match = strcmp(key, want) == 0;
        ob_json_type t = ob_json_peek(&j);
        if (t == OB_JSON_NULL) {
            rc = ob_json_null(&j);
            if (match)
                *v = NAN;
        } else if (t == OB_JSON_NUMBER) {
            double d;
            rc = ob_json_double(&j, &d);
            if (match)
                *v = d;
        } else if (t == OB_JSON_STRING) {
            rc = ob_json_skip(&j);
        } else {
            return -1; /* the cost object is flat */
        }
        if (rc < 0)
            return -1;
        found |= match;
    }
    return rc < 0 || !ob_json_at_end(&j) ? -1 : found;
}

static bool near(double a, double b)
{
    return fabs(a - b) <= 1e-6 * fabs(b) + 1e-12;
}

#define FIELD(text, key, expect)                                                            \
    do {                                                                                    \
        double v_ = -12345;                                                                 \
        int r_ = cost_field((text), (key), &v_);                                            \
        CHECK_MSG(r_ == 1 && near(v_, (expect)), "%s: %s = %g (rc %d), want %g", #text, (key), \
                  v_, r_, (double)(expect));                                                \
    } while (0)
#define NULLFIELD(text, key)                                                                    \
    do {                                                                                        \
        double v_ = -12345;                                                                     \
        int r_ = cost_field((text), (key), &v_);                                                \
        CHECK_MSG(r_ == 1 && isnan(v_), "%s: %s = %g (rc %d), want null", #text, (key), v_, r_); \
    } while (0)

static void test_cost_json(void)
{
    ob_cost c = {.broker_cpu_s = 1.0,
                 .broker_peak_rss_mb = 60,
                 .broker_process = "nats-server (pid 12)",
                 .sink_cpu_s = 0.5,
                 .sink_peak_rss_mb = 20,
                 .loadgen_cpu_s = 0.5,
                 .loadgen_peak_rss_mb = 20,
                 .db_cpu_s = 3,
                 .db_peak_rss_mb = 300,
                 .db_process = "mongod (pid 40)",
                 .sampled_every_ms = 200};
    char *all = ob_cost_json(&c, 10000, 2000);
    CHECK(all && valid_json(all, strlen(all)));
    if (all) {
        FIELD(all, "sampled_every_ms", 200);
        FIELD(all, "broker_cpu_s", 1.0);
        FIELD(all, "sink_cpu_s", 0.5);
        FIELD(all, "loadgen_cpu_s", 0.5);
        FIELD(all, "db_cpu_s", 3);
        FIELD(all, "broker_peak_rss_mb", 60);
        FIELD(all, "db_peak_rss_mb", 300);
        FIELD(all, "total_cpu_s", 2.0);
        FIELD(all, "records_per_cpu_s", 5000);
        FIELD(all, "records_per_loadgen_cpu_s", 20000);
        FIELD(all, "cpu_ms_per_1000_records", 200);
        /* (60 + 20 + 20) MB at 2000 records/s: 50 MB per 1000 records/s */
        FIELD(all, "rss_mb_per_1000_records_per_s", 50);
        CHECK(strstr(all, "\"broker_process\":\"nats-server (pid 12)\"") != NULL);
        CHECK(strstr(all, "\"db_process\":\"mongod (pid 40)\"") != NULL);
        CHECK(strstr(all, "\"covers\":\"the whole run\"") != NULL);
        c.after_warmup = true;
        char *after = ob_cost_json(&c, 10000, 2000);
        CHECK(after && strstr(after, "\"covers\":\"the measured time, after the warm-up\"") != NULL);
        free(after);
        c.after_warmup = false;
    }
    free(all);

    /* an unknown part: the total and what depends on it are null, never 0 */
    const double *parts[] = {&c.broker_cpu_s, &c.sink_cpu_s, &c.loadgen_cpu_s};
    const char *names[] = {"broker", "sink", "loadgen"};
    for (int i = 0; i < 3; i++) {
        ob_cost u = c;
        *(double *)((char *)&u + ((const char *)parts[i] - (const char *)&c)) = -1;
        char *t = ob_cost_json(&u, 10000, 2000);
        CHECK_MSG(t && valid_json(t, strlen(t)), "%s unknown", names[i]);
        if (!t)
            continue;
        NULLFIELD(t, "total_cpu_s");
        NULLFIELD(t, "records_per_cpu_s");
        NULLFIELD(t, "cpu_ms_per_1000_records");
        FIELD(t, "rss_mb_per_1000_records_per_s", 50); /* memory was measured */
        if (i == 2)
            NULLFIELD(t, "records_per_loadgen_cpu_s");
        else
            FIELD(t, "records_per_loadgen_cpu_s", 20000);
        CHECK_MSG(strstr(t, ":0,") == NULL && strstr(t, ":0}") == NULL, "%s", t);
        free(t);
    }

    /* unknown memory, records and rate */
    ob_cost m = c;
    m.sink_peak_rss_mb = -1;
    m.broker_process[0] = '\0';
    char *t = ob_cost_json(&m, -1, NAN);
    CHECK(t && valid_json(t, strlen(t)));
    if (t) {
        FIELD(t, "total_cpu_s", 2.0);
        NULLFIELD(t, "sink_peak_rss_mb");
        NULLFIELD(t, "records_per_cpu_s");
        NULLFIELD(t, "records_per_loadgen_cpu_s");
        NULLFIELD(t, "cpu_ms_per_1000_records");
        NULLFIELD(t, "rss_mb_per_1000_records_per_s");
        CHECK(strstr(t, "\"broker_process\":null") != NULL);
    }
    free(t);

    /* no CPU at all (0 s) and no records: no division by zero, no inf */
    ob_cost z = {.sampled_every_ms = 100};
    t = ob_cost_json(&z, 0, 0);
    CHECK(t && valid_json(t, strlen(t)));
    if (t) {
        FIELD(t, "total_cpu_s", 0);
        NULLFIELD(t, "records_per_cpu_s");
        NULLFIELD(t, "records_per_loadgen_cpu_s");
        NULLFIELD(t, "cpu_ms_per_1000_records");
        NULLFIELD(t, "rss_mb_per_1000_records_per_s");
    }
    free(t);

    /* a process name that needs escaping */
    ob_cost q = c;
    snprintf(q.broker_process, sizeof q.broker_process, "we\"ird\\ \n(pid 1)");
    t = ob_cost_json(&q, 10, 10);
    CHECK(t && valid_json(t, strlen(t)) && strstr(t, "we\\\"ird\\\\ \\u000a(pid 1)") != NULL);
    free(t);
}

static void test_command_line(void)
{
    char buf[1024];
    char *argv[] = {"compare", "--url", "rabbitmq=amqp://guest:secret@h:5672/",
                    "--broker", "nats://alice:hunter2@127.0.0.1:4222", "--mongo=mongodb://u:pw1@db/x",
                    "-t", "10s"};
    ob_command_line(buf, sizeof buf, (int)(sizeof argv / sizeof argv[0]), argv);
    CHECK_MSG(strncmp(buf, "outbreak compare --url rabbitmq=amqp://guest:", 45) == 0, "%s", buf);
    CHECK_MSG(strstr(buf, "secret") == NULL && strstr(buf, "hunter2") == NULL &&
                  strstr(buf, "pw1") == NULL,
              "%s", buf);
    CHECK_MSG(strstr(buf, "amqp://guest:***@h:5672/") != NULL, "%s", buf);
    CHECK_MSG(strstr(buf, "nats://alice:***@127.0.0.1:4222") != NULL, "%s", buf);
    CHECK_MSG(strstr(buf, "--mongo=mongodb://u:***@db/x") != NULL, "%s", buf);
    CHECK_MSG(strstr(buf, " -t 10s") != NULL && buf[strlen(buf) - 1] == 's', "%s", buf);

    /* nothing to mask stays as it is; a small buffer is cut, not overrun */
    char *plain[] = {"run", "--rate", "500"};
    ob_command_line(buf, sizeof buf, 3, plain);
    CHECK_STR(buf, "outbreak run --rate 500");
    ob_command_line(buf, sizeof buf, 0, plain);
    CHECK_STR(buf, "outbreak");
    char small[20];
    ob_command_line(small, sizeof small, (int)(sizeof argv / sizeof argv[0]), argv);
    CHECK(strlen(small) == sizeof small - 1 && strstr(small, "secret") == NULL);
}

/* Reads the document's "missing" array: how many entries, reasons into reasons[]. */
static int read_missing(const char *doc, size_t len, char reasons[][1500], int cap, int *nresults)
{
    ob_json j;
    ob_json_init(&j, doc, len);
    if (ob_json_object_begin(&j) < 0)
        return -1;
    char key[64];
    int rc, n = -1;
    while ((rc = ob_json_object_next(&j, key, sizeof key, NULL)) > 0) {
        if (strcmp(key, "results") == 0) {
            if (ob_json_array_begin(&j) < 0)
                return -1;
            *nresults = 0;
            while ((rc = ob_json_array_next(&j)) > 0 && ob_json_skip(&j) == 0)
                (*nresults)++;
        } else if (strcmp(key, "missing") == 0) {
            n = 0;
            if (ob_json_array_begin(&j) < 0)
                return -1;
            while ((rc = ob_json_array_next(&j)) > 0) {
                if (ob_json_object_begin(&j) < 0)
                    return -1;
                while ((rc = ob_json_object_next(&j, key, sizeof key, NULL)) > 0) {
                    if (strcmp(key, "reason") == 0 && n < cap)
                        rc = ob_json_string(&j, reasons[n], sizeof reasons[n], NULL);
                    else
                        rc = ob_json_skip(&j);
                    if (rc < 0)
                        return -1;
                }
                n++;
            }
        } else {
            rc = ob_json_skip(&j);
        }
        if (rc < 0)
            return -1;
    }
    return rc < 0 || !ob_json_at_end(&j) ? -1 : n;
}

static void test_results_write(void)
{
    char *summaries[2];
    ob_err err;
    summaries[0] = ob_summary_with_cost(RUN_NO_SINK, strlen(RUN_NO_SINK), "{\"total_cpu_s\":null}", &err);
    summaries[1] = ob_summary_with_cost(RUN_SINK, strlen(RUN_SINK), "{\"total_cpu_s\":2}", &err);
    CHECK(summaries[0] && summaries[1]);
    if (!summaries[0] || !summaries[1])
        return;

    ob_missing missing[3] = {{"kafka", "outbreak run exited with status 1: \"broker down\"\n"
                                       "second line\twith a tab and a \\ backslash"},
                             {"mq\"tt", ""},
                             {"pulsar", ""}};
    /* a reason as long as the field holds, nearly all of it characters to escape */
    memset(missing[2].reason, '"', sizeof missing[2].reason - 1);
    missing[2].reason[sizeof missing[2].reason - 1] = '\0';
    missing[2].reason[0] = 'x';

    ob_results r = {.kind = "compare",
                    .id = "20261122T091847-df40",
                    .started_real_ns = 1763803127000000000LL,
                    .finished_real_ns = 1763803187000000000LL,
                    .params_json = "{\"argv\":\"outbreak compare --url nats=nats://h:4222\"}",
                    .summaries = summaries,
                    .nsummaries = 2,
                    .missing = missing,
                    .nmissing = 3};
    char *doc = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&doc, &len);
    CHECK(ob_results_write(f, &r) == 0);
    fclose(f);
    CHECK(valid_json(doc, len));
    CHECK(len > 0 && doc[len - 1] == '\n');
    CHECK(strstr(doc, "{\"outbreak\":\"compare\",\"version\":1,\"id\":\"20261122T091847-df40\"") == doc);
    CHECK(strstr(doc, "\"started\":\"2025-11-22T09:18:47Z\"") != NULL);
    CHECK(strstr(doc, "\"finished\":\"2025-11-22T09:19:47Z\"") != NULL);
    CHECK(strstr(doc, "\"host\":{\"hostname\":") != NULL);
    CHECK(strstr(doc, "\"middleware\":\"mq\\\"tt\"") != NULL);
    static char reasons[3][1500];
    int nresults = -1;
    int n = read_missing(doc, len, reasons, 3, &nresults);
    CHECK_MSG(n == 3 && nresults == 2, "%d missing, %d results", n, nresults);
    if (n == 3) {
        CHECK_STR(reasons[0], missing[0].reason);
        CHECK_STR(reasons[1], "");
        /* the long one is whole: the writer never cuts a string */
        CHECK_STR(reasons[2], missing[2].reason);
    }
    free(doc);

    /* an empty document */
    ob_results e = {.kind = "run", .id = "x", .params_json = "{}"};
    f = open_memstream(&doc, &len);
    CHECK(ob_results_write(f, &e) == 0);
    fclose(f);
    CHECK(valid_json(doc, len) && strstr(doc, "\"results\":[]") != NULL && strstr(doc, "\"missing\":[]}") != NULL);
    free(doc);

    /* a write error is seen (by the time the file is closed, as compare checks it) */
    f = fopen("/dev/full", "w");
    if (f) {
        int bad = ob_results_write(f, &r);
        bad |= fclose(f);
        CHECK(bad != 0);
    }
    free(summaries[0]);
    free(summaries[1]);
}

int main(void)
{
    test_read();
    test_read_errors();
    test_with_cost();
    test_cost_json();
    test_command_line();
    test_results_write();
    CHECK_DONE();
}
