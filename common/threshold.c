/* threshold.c — thresholds on a summary's figures (threshold.h). */
#include "threshold.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef enum kind { LATENCY, COUNT, FRACTION, PER_S, SECONDS } kind;

/* Where a figure is in the summary (docs/measurement.md). */
typedef struct figure {
    char key[32], sub[16]; /* top-level key, and the member of it ("" : the key itself) */
    kind kind;
    char num[16], den[16]; /* FRACTION: num / den, both top-level counts */
} figure;

static const char *const latency_stats[] = {"p50", "p66",    "p75",    "p80", "p90", "p95", "p98",
                                            "p99", "p99.9", "p99.99", "max", "min", "mean"};
static const char *const counts[] = {"sent", "acked", "failed", "persisted", "duplicates", "lost", "unconfirmed"};

static const char known_list[] =
    "publish_p50 ... publish_p99.99, publish_max|min|mean, e2e_p50 ... e2e_max, sent, acked, failed, "
    "persisted, duplicates, lost, unconfirmed, failed_rate, lost_rate, sent_per_s, acked_per_s, persisted_per_s, "
    "rate_achieved, behind_s";

static bool figure_of(const char *metric, figure *f)
{
    memset(f, 0, sizeof *f);
    static const struct {
        const char *prefix, *key;
    } lat[] = {{"publish_", "publish_latency_ms"}, {"e2e_", "e2e_latency_ms"}};
    for (size_t i = 0; i < sizeof lat / sizeof lat[0]; i++) {
        size_t pl = strlen(lat[i].prefix);
        if (strncmp(metric, lat[i].prefix, pl) != 0)
            continue;
        for (size_t k = 0; k < sizeof latency_stats / sizeof latency_stats[0]; k++)
            if (strcmp(metric + pl, latency_stats[k]) == 0) {
                snprintf(f->key, sizeof f->key, "%s", lat[i].key);
                snprintf(f->sub, sizeof f->sub, "%s", latency_stats[k]);
                f->kind = LATENCY;
                return true;
            }
    }
    for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++)
        if (strcmp(metric, counts[k]) == 0) {
            snprintf(f->key, sizeof f->key, "%s", counts[k]);
            f->kind = COUNT;
            return true;
        }
    if (strcmp(metric, "failed_rate") == 0 || strcmp(metric, "lost_rate") == 0) {
        f->kind = FRACTION;
        snprintf(f->num, sizeof f->num, "%s", metric[0] == 'f' ? "failed" : "lost");
        snprintf(f->den, sizeof f->den, "%s", metric[0] == 'f' ? "sent" : "acked");
        return true;
    }
    if (strcmp(metric, "rate_achieved") == 0 || strcmp(metric, "behind_s") == 0) {
        snprintf(f->key, sizeof f->key, "%s", metric);
        f->kind = metric[0] == 'r' ? PER_S : SECONDS;
        return true;
    }
    static const char *const per_s[] = {"sent_per_s", "acked_per_s", "persisted_per_s"};
    for (size_t k = 0; k < sizeof per_s / sizeof per_s[0]; k++)
        if (strcmp(metric, per_s[k]) == 0) {
            snprintf(f->key, sizeof f->key, "throughput");
            snprintf(f->sub, sizeof f->sub, "%s", per_s[k]);
            f->kind = PER_S;
            return true;
        }
    return false;
}

static int bad(ob_err *err, const char *expr, const char *fmt, const char *a)
{
    char what[300];
    snprintf(what, sizeof what, fmt, a);
    return ob_err_setk(err, OB_ERR_USAGE, "\"%.80s\": %s", expr, what);
}

int ob_threshold_parse(const char *expr, ob_threshold *t, ob_err *err)
{
    memset(t, 0, sizeof *t);
    if (strlen(expr) >= sizeof t->text)
        return bad(err, expr, "longer than %s characters", "159");
    /* the text without spaces */
    char s[sizeof t->text];
    size_t n = 0;
    for (const char *p = expr; *p; p++)
        if (!isspace((unsigned char)*p))
            s[n++] = *p;
    s[n] = 0;
    snprintf(t->text, sizeof t->text, "%s", s);
    const char *p = s;
    const char *colon = strchr(p, ':');
    if (colon) {
        size_t ml = (size_t)(colon - p);
        if (ml == 0 || ml >= sizeof t->middleware)
            return bad(err, expr, "%s", "expected MIDDLEWARE:FIGURE OP NUMBER before the colon");
        for (size_t i = 0; i < ml; i++)
            if (!(islower((unsigned char)p[i]) || isdigit((unsigned char)p[i]) || p[i] == '-' || p[i] == '_'))
                return bad(err, expr, "%s", "a middleware name is lower-case letters, digits, - and _");
        memcpy(t->middleware, p, ml);
        t->middleware[ml] = 0;
        p = colon + 1;
    }
    size_t ml = strspn(p, "abcdefghijklmnopqrstuvwxyz0123456789_.");
    if (ml == 0)
        return bad(err, expr, "%s", "expected FIGURE OP NUMBER, e.g. publish_p99<50ms");
    if (ml >= sizeof t->metric)
        return bad(err, expr, "%s", "the figure's name is too long");
    memcpy(t->metric, p, ml);
    t->metric[ml] = 0;
    figure f;
    if (!figure_of(t->metric, &f)) {
        char what[400];
        snprintf(what, sizeof what, "unknown figure \"%s\" (%s)", t->metric, known_list);
        return ob_err_setk(err, OB_ERR_USAGE, "\"%.80s\": %s", expr, what);
    }
    p += ml;
    static const struct {
        const char *text;
        ob_threshold_op op;
    } ops[] = {{"<=", OB_TH_LE}, {">=", OB_TH_GE}, {"==", OB_TH_EQ}, {"!=", OB_TH_NE}, {"<", OB_TH_LT}, {">", OB_TH_GT}};
    size_t k = 0;
    while (k < sizeof ops / sizeof ops[0] && strncmp(p, ops[k].text, strlen(ops[k].text)) != 0)
        k++;
    if (k == sizeof ops / sizeof ops[0])
        return bad(err, expr, "%s", "expected an operator after the figure: <, <=, >, >=, == or !=");
    t->op = ops[k].op;
    p += strlen(ops[k].text);
    char *end;
    double v = strtod(p, &end);
    if (end == p || !isfinite(v) || *p == '+' || tolower((unsigned char)*p) == 'i' || tolower((unsigned char)*p) == 'n')
        return bad(err, expr, "%s", "expected a number after the operator");
    const char *unit = end;
    switch (f.kind) {
    case LATENCY:
        if (!*unit || strcmp(unit, "ms") == 0)
            ;
        else if (strcmp(unit, "s") == 0)
            v *= 1000;
        else if (strcmp(unit, "us") == 0)
            v /= 1000;
        else
            return bad(err, expr, "unit \"%s\" is not a time (ms, s or us; a bare number is ms)", unit);
        break;
    case FRACTION:
        if (strcmp(unit, "%") == 0)
            v /= 100;
        else if (*unit)
            return bad(err, expr, "unit \"%s\" does not fit a rate (%% or a fraction)", unit);
        break;
    case SECONDS:
        if (!*unit || strcmp(unit, "s") == 0)
            ;
        else if (strcmp(unit, "ms") == 0)
            v /= 1000;
        else
            return bad(err, expr, "unit \"%s\" is not a time in seconds (s or ms; a bare number is s)", unit);
        break;
    case COUNT:
    case PER_S:
        if (strcmp(unit, "k") == 0)
            v *= 1000;
        else if (strcmp(unit, "M") == 0)
            v *= 1e6;
        else if (*unit)
            return bad(err, expr, "unit \"%s\" does not fit a count or a rate per second (k or M, or none)", unit);
        break;
    }
    t->limit = v;
    return 0;
}

int ob_threshold_flag(const char *value, void *dest, ob_err *err)
{
    ob_threshold_set *set = dest;
    if (set->n == OB_MAX_THRESHOLDS)
        return ob_err_setk(err, OB_ERR_USAGE, "at most %d thresholds", OB_MAX_THRESHOLDS);
    if (ob_threshold_parse(value, &set->items[set->n], err) != 0)
        return -1;
    set->n++;
    return 0;
}

/* ---- reading a summary ---- */

/* A number (or null) of the summary: top-level `key`, or its member `sub`. */
static int read_number(const char *json, size_t len, const char *key, const char *sub, bool *known, double *v,
                       ob_err *err)
{
    *known = false;
    ob_json j;
    ob_json_init(&j, json, len);
    if (ob_json_object_begin(&j) < 0)
        return ob_json_err(&j, "summary", err);
    char k[64];
    int rc;
    while ((rc = ob_json_object_next(&j, k, sizeof k, NULL)) > 0) {
        if (strcmp(k, key) != 0) {
            if (ob_json_skip(&j) < 0)
                return ob_json_err(&j, "summary", err);
            continue;
        }
        if (sub[0]) {
            if (ob_json_peek(&j) != OB_JSON_OBJECT)
                return 0; /* null: unknown */
            if (ob_json_object_begin(&j) < 0)
                return ob_json_err(&j, "summary", err);
            while ((rc = ob_json_object_next(&j, k, sizeof k, NULL)) > 0) {
                if (strcmp(k, sub) == 0)
                    break;
                if (ob_json_skip(&j) < 0)
                    return ob_json_err(&j, "summary", err);
            }
            if (rc <= 0)
                return rc < 0 ? ob_json_err(&j, "summary", err) : 0;
        }
        if (ob_json_peek(&j) == OB_JSON_NUMBER) {
            if (ob_json_double(&j, v) < 0)
                return ob_json_err(&j, "summary", err);
            *known = true;
        }
        return 0;
    }
    return rc < 0 ? ob_json_err(&j, "summary", err) : 0;
}

static int read_middleware(const char *json, size_t len, char *buf, size_t cap)
{
    buf[0] = 0;
    ob_json j;
    ob_json_init(&j, json, len);
    if (ob_json_object_begin(&j) < 0)
        return -1;
    char k[64];
    while (ob_json_object_next(&j, k, sizeof k, NULL) > 0) {
        if (strcmp(k, "middleware") == 0 && ob_json_peek(&j) == OB_JSON_STRING)
            return ob_json_string(&j, buf, cap, NULL) < 0 ? -1 : 0;
        if (ob_json_skip(&j) < 0)
            return -1;
    }
    return 0;
}

static bool holds(ob_threshold_op op, double v, double limit)
{
    switch (op) {
    case OB_TH_LT: return v < limit;
    case OB_TH_LE: return v <= limit;
    case OB_TH_GT: return v > limit;
    case OB_TH_GE: return v >= limit;
    case OB_TH_EQ: return v == limit;
    case OB_TH_NE: return v != limit;
    }
    return false;
}

int ob_thresholds_eval(const ob_threshold_set *set, const char *summary, size_t len, const char *name,
                       ob_threshold_result *out, int *n, ob_err *err)
{
    char mw[32];
    if (read_middleware(summary, len, mw, sizeof mw) != 0) {
        ob_json j;
        ob_json_init(&j, summary, len);
        ob_json_object_begin(&j);
        return ob_json_err(&j, "summary", err);
    }
    if (name)
        snprintf(mw, sizeof mw, "%s", name);
    int failed = 0;
    for (int i = 0; i < set->n && *n < OB_MAX_THRESHOLDS; i++) {
        const ob_threshold *t = &set->items[i];
        if (t->middleware[0] && strcmp(t->middleware, mw) != 0)
            continue;
        figure f;
        figure_of(t->metric, &f);
        ob_threshold_result *r = &out[(*n)++];
        memset(r, 0, sizeof *r);
        r->t = t;
        snprintf(r->middleware, sizeof r->middleware, "%s", mw);
        if (f.kind == FRACTION) {
            double a, b;
            bool ka, kb;
            if (read_number(summary, len, f.num, "", &ka, &a, err) != 0 ||
                read_number(summary, len, f.den, "", &kb, &b, err) != 0)
                return -1;
            r->known = ka && kb && b >= 0 && a >= 0;
            r->value = r->known ? (b > 0 ? a / b : 0) : NAN;
        } else if (read_number(summary, len, f.key, f.sub, &r->known, &r->value, err) != 0) {
            return -1;
        }
        /* counts are -1 where unknown in some writers: never a real figure */
        if (r->known && f.kind == COUNT && r->value < 0)
            r->known = false;
        r->pass = r->known && holds(t->op, r->value, t->limit);
        failed += !r->pass;
    }
    return failed;
}

/* ---- showing them ---- */

static void value_text(const ob_threshold_result *r, char *buf, size_t cap)
{
    figure f;
    figure_of(r->t->metric, &f);
    if (!r->known) {
        snprintf(buf, cap, "unknown");
        return;
    }
    switch (f.kind) {
    case LATENCY: snprintf(buf, cap, "%.3g ms", r->value); break;
    case FRACTION: snprintf(buf, cap, "%.3g %%", r->value * 100); break;
    case COUNT: snprintf(buf, cap, "%.0f", r->value); break;
    case PER_S: snprintf(buf, cap, "%.1f/s", r->value); break;
    case SECONDS: snprintf(buf, cap, "%.3g s", r->value); break;
    }
}

void ob_thresholds_print(FILE *f, const ob_threshold_result *r, int n)
{
    if (n == 0)
        return;
    int failed = 0;
    for (int i = 0; i < n; i++)
        failed += !r[i].pass;
    fprintf(f, "thresholds: %d of %d passed%s\n", n - failed, n, failed ? " (exit 99)" : "");
    for (int i = 0; i < n; i++) {
        char v[48];
        value_text(&r[i], v, sizeof v);
        fprintf(f, "  %-4s %-28s %-12s %s\n", r[i].pass ? "ok" : "FAIL", r[i].t->text, r[i].middleware, v);
    }
}

void ob_thresholds_json(ob_jw *j, const ob_threshold_result *r, int n)
{
    ob_jw_array(j);
    for (int i = 0; i < n; i++) {
        ob_jw_object(j);
        ob_jw_key(j, "threshold");
        ob_jw_str(j, r[i].t->text);
        ob_jw_key(j, "middleware");
        ob_jw_str(j, r[i].middleware);
        ob_jw_key(j, "value");
        if (r[i].known)
            ob_jw_double(j, r[i].value);
        else
            ob_jw_null(j);
        ob_jw_key(j, "pass");
        ob_jw_bool(j, r[i].pass);
        ob_jw_end(j);
    }
    ob_jw_end(j);
}

char *ob_thresholds_into_summary(const char *summary, size_t len, const ob_threshold_result *r, int n)
{
    while (len && isspace((unsigned char)summary[len - 1]))
        len--;
    if (!len || summary[len - 1] != '}')
        return NULL;
    char *out = NULL;
    size_t outlen = 0;
    FILE *m = open_memstream(&out, &outlen);
    if (!m)
        return NULL;
    fwrite(summary, 1, len - 1, m);
    fputs(",\"thresholds\":", m);
    ob_jw j;
    ob_jw_init(&j, m);
    ob_thresholds_json(&j, r, n);
    fputs("}\n", m);
    bool bad = ob_jw_status(&j) != 0;
    if (fclose(m) != 0 || bad) {
        free(out);
        return NULL;
    }
    return out;
}
