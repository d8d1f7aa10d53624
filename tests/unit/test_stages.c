/* test_stages.c — --stages: parsing (good and bad specs, one-line errors, repetition),
 * the target over time, the expected count (the integral) and the open model's arrival
 * times against it, the format read back. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "stages.h"

#define S(x) ((int64_t)((x) * 1e9))

static void parsing(void)
{
    ob_stages st = {0};
    ob_err err = {0};
    CHECK(ob_stages_parse("30s:1000/s,2m:1000/s,30s:0/s", &st, &err) == 0);
    CHECK(st.n == 3 && st.rates);
    CHECK(st.s[0].duration_ns == S(30) && st.s[0].target == 1000);
    CHECK(st.s[1].duration_ns == S(120) && st.s[2].target == 0);
    CHECK(ob_stages_duration_ns(&st) == S(180));
    CHECK(ob_stages_peak(&st) == 1000);
    CHECK(ob_stages_check(&st, &err) == 0);

    /* repeated, as k6's --stage: appended */
    ob_stages u = {0};
    CHECK(ob_stages_parse("10s:5", &u, &err) == 0);
    CHECK(ob_stages_parse("0s:20,1m30s:20", &u, &err) == 0);
    CHECK(u.n == 3 && !u.rates && u.s[1].duration_ns == 0 && u.s[2].duration_ns == S(90));
    CHECK(ob_stages_parse("5s:10k/s", &u, &err) == -1); /* a rate after users */
    CHECK(u.n == 3);                                     /* unchanged on error */
    CHECK_MSG(strstr(err.msg, "\"5s:10k/s\" is a rate, the one before users") != NULL, "%s", err.msg);

    ob_stages k = {0};
    CHECK(ob_stages_parse("1m:10k/s", &k, &err) == 0 && k.s[0].target == 10000);

    static const struct {
        const char *spec, *msg;
    } bad[] = {
        {"", "an empty stage"},
        {"30s:10,", "an empty stage"},
        {"30s", "has no target"},
        {"x:10", "invalid duration"},
        {"-1s:10", "the stage \"-1s:10\""},
        {"10s:", "the target: expected users"},
        {"10s:1.5", "users are a whole number"},
        {"10s:2000001", "users are a whole number up to 1000000"},
        {"10s:2G/s", "at most 1e+09 records per second"},
        {"10s:-5/s", "the target"},
        {"10s:5/m", "the target"},
        {"2401h:5", "a stage lasts at most 100 days"},
        {"10s:0.00000000000001/s", "a rate is 0 or at least 0.001"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ob_stages b = {0};
        err.msg[0] = 0;
        CHECK_MSG(ob_stages_parse(bad[i].spec, &b, &err) == -1, "%s", bad[i].spec);
        CHECK_MSG(strstr(err.msg, bad[i].msg) != NULL && !strchr(err.msg, '\n'), "%s: %s", bad[i].spec, err.msg);
        CHECK(b.n == 0);
    }
    char many[OB_MAX_STAGES * 8 + 16] = "";
    for (int i = 0; i <= OB_MAX_STAGES; i++)
        strcat(many, i ? ",1s:1" : "1s:1");
    ob_stages m = {0};
    CHECK(ob_stages_parse(many, &m, &err) == -1 && strstr(err.msg, "at most 64 stages"));

    ob_stages zero = {0};
    CHECK(ob_stages_parse("0s:10", &zero, &err) == 0 && ob_stages_check(&zero, &err) == -1);
    CHECK(strstr(err.msg, "last 0 s") != NULL);
    ob_stages none = {0};
    CHECK(ob_stages_parse("10s:0/s,5s:0/s", &none, &err) == 0 && ob_stages_check(&none, &err) == -1);
    CHECK(strstr(err.msg, "every stage's target is 0") != NULL);
}

static void over_time(void)
{
    ob_stages st = {0};
    ob_err err = {0};
    CHECK(ob_stages_parse("2s:400/s,2s:400/s,2s:0/s", &st, &err) == 0);
    CHECK(ob_stages_target_at(&st, 0) == 0);
    CHECK(fabs(ob_stages_target_at(&st, S(1)) - 200) < 1e-9);
    CHECK(ob_stages_target_at(&st, S(3)) == 400);
    CHECK(fabs(ob_stages_target_at(&st, S(5.5)) - 100) < 1e-9);
    CHECK(ob_stages_target_at(&st, S(7)) == 0);
    CHECK(ob_stages_index_at(&st, S(1.999)) == 0 && ob_stages_index_at(&st, S(2)) == 1);
    CHECK(ob_stages_index_at(&st, S(6)) == 3);
    CHECK(ob_stages_start_ns(&st, 2) == S(4) && ob_stages_start_target(&st, 2) == 400);
    /* the integral: 400 + 800 + 400 records, second by second 100, 300, 400, 400, 300, 100 */
    static const double by_second[] = {0, 100, 400, 800, 1200, 1500, 1600, 1600};
    for (int t = 0; t < 8; t++)
        CHECK_MSG(fabs(ob_stages_expected(&st, S(t)) - by_second[t]) < 1e-6, "t=%d: %g", t,
                  ob_stages_expected(&st, S(t)));

    /* a jump (0 s) then a hold: users 20 from the start */
    ob_stages j = {0};
    CHECK(ob_stages_parse("0s:20,10s:20,5s:0", &j, &err) == 0);
    CHECK(ob_stages_index_at(&j, 0) == 1 && ob_stages_target_at(&j, 0) == 20);
    CHECK(ob_stages_start_target(&j, 1) == 20);
    CHECK(fabs(ob_stages_target_at(&j, S(12.5)) - 10) < 1e-9);
}

/* Arrival j goes when the expected count reaches j: every arrival of a schedule, in
 * order, against the integral; none after the stages' last record. */
static void arrivals(const char *spec, double want_total)
{
    ob_stages st = {0};
    ob_err err = {0};
    CHECK(ob_stages_parse(spec, &st, &err) == 0);
    ob_stages_cursor c;
    ob_stages_cursor_init(&c);
    double prev = -1, worst = 0;
    long n = 0;
    for (;; n++) {
        double t = ob_stages_arrival_ns(&st, &c, (double)n);
        if (isinf(t))
            break;
        if (t < prev) {
            CHECK_MSG(t >= prev, "%s: arrival %ld at %.0f ns before the one before (%.0f)", spec, n, t, prev);
            break;
        }
        prev = t;
        double e = ob_stages_expected(&st, (int64_t)t);
        if (fabs(e - (double)n) > worst)
            worst = fabs(e - (double)n);
    }
    CHECK_MSG(fabs((double)n - want_total) <= 1, "%s: %ld arrivals, want %g", spec, n, want_total);
    CHECK_MSG(worst < 0.01, "%s: an arrival %.4f records off its expected count", spec, worst);
    CHECK(prev <= (double)ob_stages_duration_ns(&st));
}

static void schedule(void)
{
    arrivals("2s:400/s,2s:400/s,2s:0/s", 1600);
    arrivals("10s:1000/s", 5000);
    arrivals("0s:500/s,4s:500/s", 2000);
    arrivals("3s:0/s,1s:0/s,2s:300/s,1s:300/s", 600);
    arrivals("1s:1/s,1s:3/s", 3);
    arrivals("5s:100k/s,5s:99999/s", 250000 + 499997.5);

    /* a while at rate 0: the next arrival waits for its end */
    ob_stages st = {0};
    ob_err err = {0};
    CHECK(ob_stages_parse("1s:10/s,2s:10/s,0s:0/s,3s:0/s,1s:10/s", &st, &err) == 0);
    ob_stages_cursor c;
    ob_stages_cursor_init(&c);
    CHECK(ob_stages_arrival_ns(&st, &c, 0) == 0);
    CHECK(fabs(ob_stages_arrival_ns(&st, &c, 24) - 2.9e9) < 1);
    /* the expected count is 25 from 3 s to 6 s: arrival 25 comes when it grows again */
    double t25 = ob_stages_arrival_ns(&st, &c, 25);
    CHECK_MSG(t25 >= 6e9 && t25 < 6.01e9, "%g", t25);
    CHECK(isinf(ob_stages_arrival_ns(&st, &c, 30)));
}

static void format(void)
{
    ob_stages st = {0};
    ob_err err = {0};
    CHECK(ob_stages_parse("30s:1000/s,2m:1.5k/s,90s:0/s,0s:7/s,1500ms:7/s", &st, &err) == 0);
    char buf[OB_STAGES_SPEC_CAP];
    ob_stages_format(&st, buf, sizeof buf);
    CHECK_STR(buf, "30s:1000/s,2m:1500/s,90s:0/s,0s:7/s,1500ms:7/s");
    ob_stages back = {0};
    CHECK(ob_stages_parse(buf, &back, &err) == 0 && memcmp(&back, &st, sizeof st) == 0);
    ob_stages u = {0};
    CHECK(ob_stages_parse("1h:100000,1m:3", &u, &err) == 0);
    ob_stages_format(&u, buf, sizeof buf);
    CHECK_STR(buf, "1h:100000,1m:3");
    char small[8];
    size_t need = ob_stages_format(&u, small, sizeof small);
    CHECK(need == strlen("1h:100000,1m:3") && strlen(small) == sizeof small - 1);
}

int main(void)
{
    parsing();
    over_time();
    schedule();
    format();
    CHECK_DONE();
}
