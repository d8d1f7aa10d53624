/* test_prom.c — Prometheus' text format (common/prom.h): label sets and their escaping,
 * one more label added, families, special values, and the latency histogram's
 * cumulative `le` buckets against a brute-force count of the same samples (each bucket
 * within the histogram's 0.05 % of its bound), its _sum and _count, and that two
 * processes' buckets add up to the buckets of all their samples (what sum by (le) does). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "prom.h"

/* The text `write` produced, in a static buffer. */
static const char *render_hist(const char *name, const char *labels, const ob_hist *h)
{
    static char buf[16384];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    ob_prom_histogram(f, name, labels, h);
    fclose(f);
    return buf;
}

static void test_labels(void)
{
    char buf[256];
    CHECK(ob_prom_labels(buf, sizeof buf, (const char *[]){"role", "sink", "run", "r1", NULL}) > 0);
    CHECK_STR(buf, "{role=\"sink\",run=\"r1\"}");
    ob_prom_labels(buf, sizeof buf, (const char *[]){"reason", "a \"quoted\" \\ path\nline 2", NULL});
    CHECK_STR(buf, "{reason=\"a \\\"quoted\\\" \\\\ path\\nline 2\"}");
    /* a NULL value skips its pair; no pairs at all: no braces */
    ob_prom_labels(buf, sizeof buf, (const char *[]){"a", NULL, "b", "2", NULL});
    CHECK_STR(buf, "{b=\"2\"}");
    CHECK(ob_prom_labels(buf, sizeof buf, (const char *[]){"a", NULL, NULL}) == 0);
    CHECK_STR(buf, "");
    /* too small: -1 and an empty string, never a cut label set */
    char small[10];
    CHECK(ob_prom_labels(small, sizeof small, (const char *[]){"role", "loadgen", NULL}) == -1);
    CHECK_STR(small, "");
    char with[256];
    CHECK(ob_prom_labels_add(with, sizeof with, "{role=\"sink\"}", "le", "0.5") > 0);
    CHECK_STR(with, "{role=\"sink\",le=\"0.5\"}");
    CHECK(ob_prom_labels_add(with, sizeof with, "", "le", "+Inf") > 0);
    CHECK_STR(with, "{le=\"+Inf\"}");
}

static void test_lines(void)
{
    char buf[1024];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    ob_prom_family(f, "outbreak_x_total", "counter", "Two\nlines \\ here.");
    ob_prom_int(f, "outbreak_x_total", "{a=\"1\"}", 42);
    ob_prom_double(f, "outbreak_y", "", 0.25);
    ob_prom_double(f, "outbreak_y", "{b=\"2\"}", NAN);
    ob_prom_double(f, "outbreak_y", "{b=\"3\"}", -INFINITY);
    fclose(f);
    CHECK_STR(buf, "# HELP outbreak_x_total Two\\nlines \\\\ here.\n"
                   "# TYPE outbreak_x_total counter\n"
                   "outbreak_x_total{a=\"1\"} 42\n"
                   "outbreak_y 0.25\n"
                   "outbreak_y{b=\"2\"} NaN\n"
                   "outbreak_y{b=\"3\"} -Inf\n");
}

/* The value of the line "NAME{...le="LE"} V" in text, or -1. */
static long long bucket_of(const char *text, const char *le)
{
    char needle[64];
    snprintf(needle, sizeof needle, "le=\"%s\"} ", le);
    const char *p = strstr(text, needle);
    return p ? atoll(p + strlen(needle)) : -1;
}

static void test_histogram(void)
{
    ob_hist *h = ob_hist_new(), *a = ob_hist_new(), *b = ob_hist_new();
    /* a spread of latencies from 3 µs to 40 s, some exactly at bounds */
    enum { N = 20000 };
    static int64_t v[N];
    unsigned seed = 7;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        double e = 3.5 + 7.1 * (double)(seed >> 8) / (double)(1u << 24); /* 10^3.5 .. 10^10.6 ns */
        v[i] = i % 50 == 0 ? ob_prom_latency_bounds_ns[i % OB_PROM_LATENCY_BOUNDS] : (int64_t)pow(10, e);
        ob_hist_record(h, v[i]);
        ob_hist_record(i % 3 ? a : b, v[i]);
    }
    int64_t le[OB_PROM_LATENCY_BOUNDS];
    double sum = 0;
    ob_hist_cumulative(h, ob_prom_latency_bounds_ns, OB_PROM_LATENCY_BOUNDS, le, &sum);
    double true_sum = 0;
    for (int i = 0; i < N; i++)
        true_sum += (double)v[i];
    for (int j = 0; j < OB_PROM_LATENCY_BOUNDS; j++) {
        double bound = (double)ob_prom_latency_bounds_ns[j];
        long long lo = 0, hi = 0; /* samples <= bound*(1-0.0005) and <= bound*(1+0.0005) */
        for (int i = 0; i < N; i++) {
            lo += (double)v[i] <= bound * (1 - 0.0005);
            hi += (double)v[i] <= bound * (1 + 0.0005);
        }
        CHECK_MSG(le[j] >= lo && le[j] <= hi, "bucket %d (%.0f ns): %lld not in [%lld, %lld]", j, bound,
                  (long long)le[j], lo, hi);
        if (j > 0)
            CHECK(le[j] >= le[j - 1]);
    }
    CHECK_MSG(fabs(sum - true_sum) / true_sum < 0.0005, "sum %.0f vs %.0f", sum, true_sum);

    const char *text = render_hist("outbreak_t_seconds", "{role=\"loadgen\"}", h);
    CHECK(strstr(text, "outbreak_t_seconds_bucket{role=\"loadgen\",le=\"1e-05\"} ") == text);
    CHECK(bucket_of(text, "0.001") == le[6]);
    CHECK(bucket_of(text, "60") == le[OB_PROM_LATENCY_BOUNDS - 1]);
    CHECK(bucket_of(text, "+Inf") == N);
    char want[128];
    snprintf(want, sizeof want, "outbreak_t_seconds_count{role=\"loadgen\"} %d\n", N);
    CHECK(strstr(text, want) != NULL);
    const char *s = strstr(text, "outbreak_t_seconds_sum{role=\"loadgen\"} ");
    CHECK(s && fabs(atof(s + strlen("outbreak_t_seconds_sum{role=\"loadgen\"} ")) - sum / 1e9) < 1e-6 * sum / 1e9);

    /* two processes' buckets add up to the buckets of all the samples */
    int64_t la[OB_PROM_LATENCY_BOUNDS], lb[OB_PROM_LATENCY_BOUNDS];
    double sa, sb;
    ob_hist_cumulative(a, ob_prom_latency_bounds_ns, OB_PROM_LATENCY_BOUNDS, la, &sa);
    ob_hist_cumulative(b, ob_prom_latency_bounds_ns, OB_PROM_LATENCY_BOUNDS, lb, &sb);
    int same = 1;
    for (int j = 0; j < OB_PROM_LATENCY_BOUNDS; j++)
        same &= la[j] + lb[j] == le[j];
    CHECK(same);
    CHECK(fabs(sa + sb - sum) < 1e-6 * sum);

    /* empty: every bucket 0, sum 0 */
    ob_hist_reset(h);
    text = render_hist("outbreak_t_seconds", "", h);
    CHECK(bucket_of(text, "+Inf") == 0 && bucket_of(text, "0.5") == 0);
    CHECK(strstr(text, "outbreak_t_seconds_sum 0\n") != NULL);
    ob_hist_free(h);
    ob_hist_free(a);
    ob_hist_free(b);
}

int main(void)
{
    test_labels();
    test_lines();
    test_histogram();
    CHECK_DONE();
}
