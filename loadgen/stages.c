/* stages.c — the load's stages (see stages.h): parsing, the target over time, and the
 * open model's arrival times. */
#include "stages.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "units.h"

#define MAX_STAGE_RATE 1e9
#define MAX_STAGE_USERS 1000000
/* 100 days: 64 of them still add up within int64_t nanoseconds */
#define MAX_STAGE_NS (100LL * 86400 * 1000000000)

/* One "DUR:TARGET" of len bytes at s into *stage; *rates says its kind. */
static int parse_stage(const char *s, size_t len, ob_stage *stage, bool *rates, ob_err *err)
{
    char buf[96];
    if (len == 0)
        return ob_err_set(err, "an empty stage (expected DURATION:TARGET, e.g. 30s:100 or 30s:1000/s)");
    if (len >= sizeof buf)
        return ob_err_set(err, "the stage \"%.40s...\" is too long", s);
    memcpy(buf, s, len);
    buf[len] = 0;
    char *colon = strchr(buf, ':');
    if (!colon)
        return ob_err_set(err, "the stage \"%s\" has no target (expected DURATION:TARGET, e.g. 30s:100 or 30s:1000/s)",
                          buf);
    *colon = 0;
    const char *target = colon + 1;
    ob_err sub = {0};
    if (ob_parse_duration(buf, &stage->duration_ns, &sub) != 0) {
        *colon = ':';
        return ob_err_set(err, "the stage \"%s\": %s", buf, sub.msg);
    }
    if (stage->duration_ns > MAX_STAGE_NS) {
        *colon = ':';
        return ob_err_set(err, "the stage \"%s\": a stage lasts at most 100 days", buf);
    }
    char num[96];
    size_t tlen = strlen(target);
    *rates = tlen >= 2 && strcmp(target + tlen - 2, "/s") == 0;
    if (*rates)
        tlen -= 2;
    memcpy(num, target, tlen);
    num[tlen] = 0;
    *colon = ':';
    double v;
    if (ob_parse_count(num, &v, &sub) != 0)
        return ob_err_set(err, "the stage \"%s\": the target: expected users like 100 or a rate like 1000/s or 10k/s",
                          buf);
    if (*rates && v > MAX_STAGE_RATE)
        return ob_err_set(err, "the stage \"%s\": at most %g records per second", buf, MAX_STAGE_RATE);
    if (*rates && v > 0 && v < 0.001)
        return ob_err_set(err, "the stage \"%s\": a rate is 0 or at least 0.001 records per second", buf);
    if (!*rates && (v != floor(v) || v > MAX_STAGE_USERS))
        return ob_err_set(err, "the stage \"%s\": users are a whole number up to %d (a rate ends in /s)", buf,
                          MAX_STAGE_USERS);
    stage->target = v;
    return 0;
}

int ob_stages_parse(const char *spec, ob_stages *out, ob_err *err)
{
    ob_stages st = *out;
    const char *p = spec;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (st.n == OB_MAX_STAGES)
            return ob_err_set(err, "at most %d stages", OB_MAX_STAGES);
        bool rates = false;
        if (parse_stage(p, len, &st.s[st.n], &rates, err) != 0)
            return -1;
        if (st.n > 0 && rates != st.rates)
            return ob_err_set(err, "the stage \"%.*s\" is %s, the one before %s: every stage is users (a bare number) "
                                   "or every one a rate (/s)",
                              (int)(len > 60 ? 60 : len), p, rates ? "a rate" : "users",
                              st.rates ? "a rate" : "users");
        st.rates = rates;
        st.n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    *out = st;
    return 0;
}

int ob_stages_check(const ob_stages *st, ob_err *err)
{
    if (ob_stages_duration_ns(st) <= 0)
        return ob_err_set(err, "the stages last 0 s: give at least one a duration");
    if (!(ob_stages_peak(st) > 0))
        return ob_err_set(err, "every stage's target is 0: nothing would be sent");
    return 0;
}

int64_t ob_stages_duration_ns(const ob_stages *st)
{
    int64_t sum = 0;
    for (int i = 0; i < st->n; i++)
        sum += st->s[i].duration_ns;
    return sum;
}

double ob_stages_peak(const ob_stages *st)
{
    double peak = 0;
    for (int i = 0; i < st->n; i++)
        if (st->s[i].target > peak)
            peak = st->s[i].target;
    return peak;
}

int64_t ob_stages_start_ns(const ob_stages *st, int i)
{
    int64_t t = 0;
    for (int k = 0; k < i && k < st->n; k++)
        t += st->s[k].duration_ns;
    return t;
}

double ob_stages_start_target(const ob_stages *st, int i)
{
    return i > 0 && i <= st->n ? st->s[i - 1].target : 0;
}

int ob_stages_index_at(const ob_stages *st, int64_t t_ns)
{
    int64_t start = 0;
    for (int i = 0; i < st->n; i++) {
        int64_t end = start + st->s[i].duration_ns;
        if (t_ns < end)
            return i;
        start = end;
    }
    return st->n;
}

double ob_stages_target_at(const ob_stages *st, int64_t t_ns)
{
    int i = ob_stages_index_at(st, t_ns);
    if (i >= st->n)
        return st->n ? st->s[st->n - 1].target : 0;
    double from = ob_stages_start_target(st, i), to = st->s[i].target;
    double f = (double)(t_ns - ob_stages_start_ns(st, i)) / (double)st->s[i].duration_ns;
    if (f < 0)
        f = 0;
    return from + (to - from) * f;
}

double ob_stages_expected(const ob_stages *st, int64_t t_ns)
{
    double sum = 0, from = 0;
    int64_t start = 0;
    for (int i = 0; i < st->n && start < t_ns; i++) {
        const ob_stage *s = &st->s[i];
        double d = (double)s->duration_ns / 1e9;
        if (start + s->duration_ns <= t_ns) {
            sum += (from + s->target) / 2 * d;
        } else {
            double x = (double)(t_ns - start) / 1e9;
            double at = from + (s->target - from) * x / d;
            sum += (from + at) / 2 * x;
        }
        start += s->duration_ns;
        from = s->target;
    }
    return sum;
}

void ob_stages_cursor_init(ob_stages_cursor *c)
{
    c->i = 0;
    c->base = 0;
    c->start_s = 0;
}

double ob_stages_arrival_ns(const ob_stages *st, ob_stages_cursor *c, double j)
{
    while (c->i < st->n) {
        const ob_stage *s = &st->s[c->i];
        double r0 = ob_stages_start_target(st, c->i), r1 = s->target;
        double d = (double)s->duration_ns / 1e9;
        double count = (r0 + r1) / 2 * d;
        double x = j - c->base;
        if (x < count) {
            /* r0 τ + (r1 - r0) τ² / 2d = x, in the form that stays exact when r1 ≈ r0 */
            double tau = 0;
            if (x > 0) {
                double disc = r0 * r0 + 2 * (r1 - r0) * x / d;
                tau = 2 * x / (r0 + sqrt(disc > 0 ? disc : 0));
            }
            if (tau > d)
                tau = d;
            return (c->start_s + tau) * 1e9;
        }
        c->base += count;
        c->start_s += d;
        c->i++;
    }
    return INFINITY;
}

/* A duration in the shortest of the units ob_parse_duration reads back exactly. */
static void format_duration(int64_t ns, char *buf, size_t cap)
{
    static const struct {
        const char *unit;
        int64_t ns;
    } units[] = {{"h", 3600LL * 1000000000}, {"m", 60LL * 1000000000}, {"s", 1000000000},
                 {"ms", 1000000},            {"us", 1000},            {"ns", 1}};
    if (ns == 0) {
        snprintf(buf, cap, "0s");
        return;
    }
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (ns % units[i].ns == 0) {
            snprintf(buf, cap, "%lld%s", (long long)(ns / units[i].ns), units[i].unit);
            return;
        }
}

size_t ob_stages_format(const ob_stages *st, char *buf, size_t cap)
{
    size_t len = 0;
    if (cap)
        buf[0] = 0;
    for (int i = 0; i < st->n; i++) {
        char dur[32];
        format_duration(st->s[i].duration_ns, dur, sizeof dur);
        int n = snprintf(len < cap ? buf + len : NULL, len < cap ? cap - len : 0, "%s%s:%.10g%s", i ? "," : "", dur,
                         st->s[i].target, st->rates ? "/s" : "");
        if (n > 0)
            len += (size_t)n;
    }
    return len;
}

void ob_stages_json(ob_jw *w, const ob_stages *st)
{
    char spec[OB_STAGES_SPEC_CAP];
    ob_stages_format(st, spec, sizeof spec);
    ob_jw_key(w, "stages");
    ob_jw_object(w);
    ob_jw_key(w, "spec");
    ob_jw_str(w, spec);
    ob_jw_key(w, "target");
    ob_jw_str(w, st->rates ? "records/s" : "users");
    ob_jw_key(w, "list");
    ob_jw_array(w);
    for (int i = 0; i < st->n; i++) {
        ob_jw_object(w);
        ob_jw_key(w, "duration_s");
        ob_jw_numg(w, (double)st->s[i].duration_ns / 1e9, 12);
        ob_jw_key(w, "target");
        ob_jw_numg(w, st->s[i].target, 12);
        ob_jw_end(w);
    }
    ob_jw_end(w);
    ob_jw_end(w);
}
