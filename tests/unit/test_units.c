/* test_units.c — durations, counts and ranges: tables of good inputs with their values
 * and of bad inputs, with the exact message for some of them. */
#include "units.h"

#include <stdint.h>

#include "check.h"

#define S 1000000000LL

static void test_durations(void)
{
    static const struct {
        const char *in;
        int64_t ns;
    } good[] = {
        {"30s", 30 * S},
        {"1m30s", 90 * S},
        {"1h", 3600 * S},
        {"1h30m", 5400 * S},
        {"2h45m30s", (2 * 3600 + 45 * 60 + 30) * S},
        {"500ms", 500000000},
        {"250us", 250000},
        {"250\xc2\xb5s", 250000},
        {"10ns", 10},
        {"1.5s", 1500000000},
        {"0.25ms", 250000},
        {"1.5h", 5400 * S},
        {"10", 10 * S},
        {"0.5", S / 2},
        {"0", 0},
        {"0s", 0},
        {"1s500ms", 1500000000},
        {"0.000000001s", 1},
        {"9223372036854775807ns", INT64_MAX},
        {"2562047h", 2562047LL * 3600 * S},
        {"007s", 7 * S},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t ns = -1;
        ob_err err = {0};
        int rc = ob_parse_duration(good[i].in, &ns, &err);
        CHECK_MSG(rc == 0 && ns == good[i].ns, "\"%s\": rc %d, %lld ns, %s", good[i].in, rc,
                  (long long)ns, err.msg);
    }

    static const char *const bad[] = {
        "", "-1s", "10x", "s", "1s2", "1m30", "1 s", " 1s", "1s ", "+1s", ".5s", "1.s", "1..5s",
        "1e3s", "1S", "1sec", "1s-2s", "9223372036854775808ns", "2562048h", "99999999999999999999s",
        "1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h1h9999999999999h",
        "inf", "nan", "1,5s", "0x10s",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t ns = -7;
        ob_err err = {0};
        int rc = ob_parse_duration(bad[i], &ns, &err);
        CHECK_MSG(rc == -1 && ns == -7 && err.msg[0] && !strchr(err.msg, '\n'),
                  "\"%s\" accepted as %lld", bad[i], (long long)ns);
        CHECK_MSG(strncmp(err.msg, "invalid duration \"", 18) == 0, "\"%s\": %s", bad[i], err.msg);
    }

    static const struct {
        const char *in, *msg;
    } msgs[] = {
        {"10x", "invalid duration \"10x\": unknown unit \"x\" (use ns, us, ms, s, m, h)"},
        {"", "invalid duration \"\": empty (use e.g. 30s, 1m30s, 500ms)"},
        {"-1s", "invalid duration \"-1s\": negative durations are not allowed"},
        {"s", "invalid duration \"s\": expected a number at \"s\""},
        {"1s2", "invalid duration \"1s2\": missing unit after \"2\" (use ns, us, ms, s, m, h)"},
        {"1 s", "invalid duration \"1 s\": unexpected \" s\" after \"1\""},
        {"1.s", "invalid duration \"1.s\": expected a digit after \".\""},
        {"2562048h", "invalid duration \"2562048h\": out of range (at most 2562047h)"},
        {"1\"s", "invalid duration \"1\\x22s\": unexpected \"\\x22s\" after \"1\""},
    };
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        int64_t ns;
        ob_err err = {0};
        CHECK(ob_parse_duration(msgs[i].in, &ns, &err) == -1);
        CHECK_STR(err.msg, msgs[i].msg);
    }
    int64_t ns;
    CHECK(ob_parse_duration(NULL, &ns, NULL) == -1);
    CHECK(ob_parse_duration("bad", &ns, NULL) == -1);
}

static void test_counts(void)
{
    static const struct {
        const char *in;
        double v;
    } good[] = {
        {"10000", 10000}, {"10k", 10000}, {"10K", 10000}, {"1.5M", 1500000}, {"2G", 2e9},
        {"0.5", 0.5},     {"0", 0},       {"0.1", 0.1},   {"2.5k", 2500},    {"1000000000000", 1e12},
        {"9.2G", 9.2e9},  {"007", 7},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = -1;
        ob_err err = {0};
        int rc = ob_parse_count(good[i].in, &v, &err);
        CHECK_MSG(rc == 0 && v == good[i].v, "\"%s\": rc %d, %g, %s", good[i].in, rc, v, err.msg);
    }

    static const char *const bad[] = {
        "", "k", "-3", "1kk", "1m", "1g", "1 k", " 1", "1e3", "+1", ".5", "5.", "1.5.5", "10x",
        "99999999999999999999", "9300000000G", "inf", "NaN", "0x10", "1,000", "1k ",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = -7;
        ob_err err = {0};
        int rc = ob_parse_count(bad[i], &v, &err);
        CHECK_MSG(rc == -1 && v == -7 && err.msg[0] && !strchr(err.msg, '\n'), "\"%s\" accepted as %g",
                  bad[i], v);
        CHECK_MSG(strncmp(err.msg, "invalid count \"", 15) == 0, "\"%s\": %s", bad[i], err.msg);
    }

    static const struct {
        const char *in, *msg;
    } msgs[] = {
        {"", "invalid count \"\": empty (use e.g. 1000, 10k, 1.5M)"},
        {"k", "invalid count \"k\": expected a number at \"k\""},
        {"-3", "invalid count \"-3\": negative values are not allowed"},
        {"1kk", "invalid count \"1kk\": unexpected \"k\" after \"1k\""},
        {"10x", "invalid count \"10x\": unknown suffix \"x\" (use k, M, G)"},
        {"99999999999999999999", "invalid count \"99999999999999999999\": out of range (at most 9.2e18)"},
    };
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        double v;
        ob_err err = {0};
        CHECK(ob_parse_count(msgs[i].in, &v, &err) == -1);
        CHECK_STR(err.msg, msgs[i].msg);
    }
}

static void test_ranges(void)
{
    static const struct {
        const char *in;
        double lo, hi;
    } good[] = {
        {"0.1-0.9", 0.1, 0.9}, {"1", 1, 1},     {"0-0", 0, 0},     {"0.5-2", 0.5, 2},
        {"3-3", 3, 3},         {"0", 0, 0},     {"1-10.25", 1, 10.25},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double lo = -1, hi = -1;
        ob_err err = {0};
        int rc = ob_parse_range(good[i].in, &lo, &hi, &err);
        CHECK_MSG(rc == 0 && lo == good[i].lo && hi == good[i].hi, "\"%s\": rc %d, %g-%g, %s",
                  good[i].in, rc, lo, hi, err.msg);
    }

    static const char *const bad[] = {
        "", "0.9-0.1", "a-b", "1-", "-1", "1--2", "1-2-3", "1 - 2", "1s-2s", "-", "1-a", ".5-1",
        "1-2.", "2-1",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double lo = -7, hi = -7;
        ob_err err = {0};
        int rc = ob_parse_range(bad[i], &lo, &hi, &err);
        CHECK_MSG(rc == -1 && lo == -7 && hi == -7 && err.msg[0] && !strchr(err.msg, '\n'),
                  "\"%s\" accepted as %g-%g", bad[i], lo, hi);
        CHECK_MSG(strncmp(err.msg, "invalid range \"", 15) == 0, "\"%s\": %s", bad[i], err.msg);
    }

    static const struct {
        const char *in, *msg;
    } msgs[] = {
        {"0.9-0.1", "invalid range \"0.9-0.1\": minimum 0.9 is greater than maximum 0.1"},
        {"1-", "invalid range \"1-\": expected a number after \"-\" (use MIN-MAX in seconds, e.g. 0.5-2, or one number)"},
        {"-1", "invalid range \"-1\": expected a non-negative number at \"-1\" (use MIN-MAX in seconds, e.g. 0.5-2, or one number)"},
        {"a-b", "invalid range \"a-b\": expected a non-negative number at \"a-b\" (use MIN-MAX in seconds, e.g. 0.5-2, or one number)"},
    };
    for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++) {
        double lo, hi;
        ob_err err = {0};
        CHECK(ob_parse_range(msgs[i].in, &lo, &hi, &err) == -1);
        CHECK_STR(err.msg, msgs[i].msg);
    }
}

int main(void)
{
    test_durations();
    test_counts();
    test_ranges();
    CHECK_DONE();
}
