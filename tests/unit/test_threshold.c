/* test_threshold.c — k6's thresholds on a summary (common/threshold.h): the expressions
 * and their units, each bad one refused naming what is wrong, the evaluation on a
 * summary's figures (nested latencies, counts, derived rates, throughput), unknown
 * figures failing, the middleware prefix, the table and the JSON. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "threshold.h"

static const char summary[] =
    "{\"run\":\"r1\",\"middleware\":\"nats\",\"sent\":1000,\"acked\":990,\"failed\":10,\"persisted\":990,"
    "\"duplicates\":0,\"lost\":0,\"unconfirmed\":null,"
    "\"throughput\":{\"sent_per_s\":100,\"acked_per_s\":99,\"persisted_per_s\":98.5},"
    "\"publish_latency_ms\":{\"p50\":1.5,\"p99\":12.25,\"p99.9\":20,\"max\":30,\"mean\":2},"
    "\"e2e_latency_ms\":null}\n";

static void test_parse(void)
{
    ob_threshold t;
    ob_err err;
    CHECK(ob_threshold_parse("publish_p99<50ms", &t, &err) == 0 && t.op == OB_TH_LT && t.limit == 50 &&
          strcmp(t.metric, "publish_p99") == 0 && !t.middleware[0]);
    CHECK(ob_threshold_parse("e2e_p95 <= 0.2s", &t, &err) == 0 && t.op == OB_TH_LE && t.limit == 200 &&
          strcmp(t.text, "e2e_p95<=0.2s") == 0);
    CHECK(ob_threshold_parse("publish_p99.9<500us", &t, &err) == 0 && t.limit == 0.5);
    CHECK(ob_threshold_parse("failed_rate<0.1%", &t, &err) == 0 && fabs(t.limit - 0.001) < 1e-12);
    CHECK(ob_threshold_parse("persisted_per_s>=1.9k", &t, &err) == 0 && t.op == OB_TH_GE && t.limit == 1900);
    CHECK(ob_threshold_parse("kafka:e2e_p99<500", &t, &err) == 0 && strcmp(t.middleware, "kafka") == 0 &&
          t.limit == 500);
    CHECK(ob_threshold_parse("lost==0", &t, &err) == 0 && t.op == OB_TH_EQ);
    CHECK(ob_threshold_parse("duplicates!=0", &t, &err) == 0 && t.op == OB_TH_NE);
    static const struct {
        const char *expr, *says;
    } bad[] = {
        {"p99<5", "unknown figure \"p99\""},
        {"publish_p99", "expected an operator"},
        {"publish_p99=5", "expected an operator"},
        {"publish_p99<", "expected a number"},
        {"publish_p99<fast", "expected a number"},
        {"publish_p99<5kg", "unit \"kg\" is not a time"},
        {"lost==0ms", "unit \"ms\" does not fit a count"},
        {"failed_rate<5ms", "unit \"ms\" does not fit a rate"},
        {"Kafka:lost==0", "a middleware name is lower-case"},
        {":lost==0", "expected MIDDLEWARE:FIGURE"},
        {"publish_p99<inf", "expected a number"},
        {"", "expected FIGURE OP NUMBER"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = ob_threshold_parse(bad[i].expr, &t, &err);
        CHECK_MSG(rc == -1 && err.kind == OB_ERR_USAGE && strstr(err.msg, bad[i].says), "%s: %s", bad[i].expr,
                  err.msg);
    }
    /* the flag: at most OB_MAX_THRESHOLDS */
    ob_threshold_set set = {.n = 0};
    for (int i = 0; i < OB_MAX_THRESHOLDS; i++)
        CHECK(ob_threshold_flag("lost==0", &set, &err) == 0);
    CHECK(ob_threshold_flag("lost==0", &set, &err) == -1 && strstr(err.msg, "at most"));
}

static ob_threshold_set set_of(const char *const *exprs, int n)
{
    ob_threshold_set set = {.n = 0};
    ob_err err;
    for (int i = 0; i < n; i++)
        if (ob_threshold_flag(exprs[i], &set, &err) != 0)
            fprintf(stderr, "%s: %s\n", exprs[i], err.msg);
    return set;
}

static void test_eval(void)
{
    const char *exprs[] = {"publish_p99<50ms",    /* 12.25: pass */
                           "publish_p99<=12ms",   /* fail */
                           "publish_p99.9==20",   /* pass */
                           "lost==0",             /* pass */
                           "failed_rate<0.5%",    /* 10/1000 = 1 %: fail */
                           "failed_rate<=1%",     /* pass */
                           "persisted_per_s>=98", /* 98.5: pass */
                           "e2e_p99<100ms",       /* null: unknown, fail */
                           "unconfirmed==0",      /* null: unknown, fail */
                           "kafka:lost==0",       /* another middleware: not evaluated */
                           "nats:acked>=990"};    /* pass */
    ob_threshold_set set = set_of(exprs, 11);
    CHECK(set.n == 11);
    ob_threshold_result res[OB_MAX_THRESHOLDS];
    int n = 0;
    ob_err err;
    int failed = ob_thresholds_eval(&set, summary, sizeof summary - 1, NULL, res, &n, &err);
    CHECK_MSG(failed == 4 && n == 10, "failed %d, n %d", failed, n);
    bool want[] = {true, false, true, true, false, true, true, false, false, true};
    for (int i = 0; i < n && i < 10; i++)
        CHECK_MSG(res[i].pass == want[i], "%s: pass %d", res[i].t->text, res[i].pass);
    CHECK(res[0].known && res[0].value == 12.25 && strcmp(res[0].middleware, "nats") == 0);
    CHECK(res[4].known && fabs(res[4].value - 0.01) < 1e-12);
    CHECK(!res[7].known && !res[8].known);
    /* a name given: the prefix matches it, not the summary's middleware */
    n = 0;
    failed = ob_thresholds_eval(&set, summary, sizeof summary - 1, "kafka", res, &n, &err);
    CHECK(n == 10 && strcmp(res[9].t->text, "kafka:lost==0") == 0 && res[9].pass);
    /* not JSON */
    n = 0;
    CHECK(ob_thresholds_eval(&set, "nope", 4, NULL, res, &n, &err) == -1 && strstr(err.msg, "summary"));

    /* the table and the JSON */
    n = 0;
    ob_thresholds_eval(&set, summary, sizeof summary - 1, NULL, res, &n, &err);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    ob_thresholds_print(m, res, n);
    fclose(m);
    CHECK_MSG(strstr(text, "thresholds: 6 of 10 passed (exit 99)") != NULL, "%s", text);
    CHECK(strstr(text, "FAIL publish_p99<=12ms") && strstr(text, "12.2 ms") && strstr(text, "unknown"));
    CHECK(strstr(text, "ok   failed_rate<=1%") && strstr(text, "1 %"));
    free(text);
    char *with = ob_thresholds_into_summary(summary, sizeof summary - 1, res, n);
    CHECK(with && strstr(with, ",\"thresholds\":[{\"threshold\":\"publish_p99<50ms\",\"middleware\":\"nats\","
                               "\"value\":12.25,\"pass\":true}"));
    CHECK(with && strstr(with, "{\"threshold\":\"e2e_p99<100ms\",\"middleware\":\"nats\",\"value\":null,\"pass\":false}"));
    CHECK(with && strncmp(with, summary, 40) == 0 && with[strlen(with) - 2] == '}');
    free(with);
    CHECK(ob_thresholds_into_summary("[1]", 3, res, n) == NULL);
}

int main(void)
{
    test_parse();
    test_eval();
    CHECK_DONE();
}
