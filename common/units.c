/* units.c — the command line's human units of units.h: durations ("1m30s"), counts
 * ("10k") and ranges ("0.1-0.9").
 *
 * A number is written digits [ '.' digits ]: no sign, no exponent, no leading '.', no
 * spaces, so that "1e3", " 5" or "+1" are rejected rather than half-read. Integer parts
 * are kept exact in 64 bits (overflow is an error); fractions keep 18 digits. */
#include "units.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define UNIT_HINT "(use ns, us, ms, s, m, h)"

/* `s` quoted for a one-line message: control bytes, '"' and '\' escaped, at most `max`
 * bytes of input then "...". Always NUL-terminates buf (cap >= 8). */
static const char *quote(const char *s, size_t max, char *buf, size_t cap)
{
    size_t o = 0, n = 0;
    for (; s[n] && n < max && o + 5 < cap; n++) {
        unsigned char ch = (unsigned char)s[n];
        if (ch < 0x20 || ch == 0x7f || ch == '"' || ch == '\\')
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
        else
            buf[o++] = (char)ch;
    }
    buf[o] = '\0';
    if (s[n] && o + 4 <= cap)
        memcpy(buf + o, "...", 4);
    return buf;
}

static inline bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

typedef struct number {
    uint64_t ip;       /* integer part */
    uint64_t frac;     /* first fdigits digits of the fraction */
    int fdigits;       /* 0..18 */
    bool overflow;     /* the integer part does not fit in 64 bits */
} number;

/* Reads a number at s + *pos. Returns 0 and advances *pos; -1 if there is no digit
 * there; -2 if a '.' is not followed by a digit (*pos then points at the '.'). */
static int scan_number(const char *s, size_t *pos, number *n)
{
    size_t i = *pos;
    memset(n, 0, sizeof *n);
    if (!is_digit(s[i]))
        return -1;
    for (; is_digit(s[i]); i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (n->ip > (UINT64_MAX - d) / 10)
            n->overflow = true;
        else
            n->ip = n->ip * 10 + d;
    }
    if (s[i] == '.') {
        if (!is_digit(s[i + 1])) {
            *pos = i;
            return -2;
        }
        for (i++; is_digit(s[i]); i++)
            if (n->fdigits < 18) {
                n->frac = n->frac * 10 + (uint64_t)(s[i] - '0');
                n->fdigits++;
            }
    }
    *pos = i;
    return 0;
}

static double pow10_int(int k)
{
    double p = 1;
    while (k-- > 0)
        p *= 10;
    return p;
}

static double number_value(const number *n)
{
    return (double)n->ip + (double)n->frac / pow10_int(n->fdigits);
}

/* ---- durations --------------------------------------------------------------------- */

static int64_t unit_ns(const char *u, size_t len)
{
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {
        {"ns", 1},
        {"us", 1000},
        {"\xc2\xb5s", 1000}, /* µs, MICRO SIGN */
        {"\xce\xbcs", 1000}, /* μs, GREEK SMALL LETTER MU */
        {"ms", 1000000},
        {"s", 1000000000},
        {"m", 60LL * 1000000000},
        {"h", 3600LL * 1000000000},
    };
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == len && memcmp(units[i].name, u, len) == 0)
            return units[i].ns;
    return 0;
}

/* Letters of a unit: ASCII letters and the bytes of a UTF-8 'µ'. */
static inline bool is_unit_byte(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (unsigned char)c >= 0x80;
}

int ob_parse_duration(const char *s, int64_t *out_ns, ob_err *err)
{
    char q[256], q2[160];
    if (!s || !*s)
        return ob_err_set(err, "invalid duration \"\": empty (use e.g. 30s, 1m30s, 500ms)");
    quote(s, 64, q, sizeof q);
    if (s[0] == '-')
        return ob_err_set(err, "invalid duration \"%s\": negative durations are not allowed", q);

    int64_t total = 0;
    size_t pos = 0;
    int terms = 0;
    while (s[pos]) {
        size_t start = pos;
        number n;
        int rc = scan_number(s, &pos, &n);
        if (rc == -1)
            return ob_err_set(err, "invalid duration \"%s\": expected a number at \"%s\"", q,
                              quote(s + pos, 32, q2, sizeof q2));
        if (rc == -2)
            return ob_err_set(err, "invalid duration \"%s\": expected a digit after \".\"", q);
        size_t ustart = pos;
        while (is_unit_byte(s[pos]))
            pos++;
        int64_t unit;
        if (pos == ustart) {
            if (s[pos] != '\0') {
                int len = (int)(ustart - start);
                return ob_err_set(err, "invalid duration \"%s\": unexpected \"%s\" after \"%.*s\"",
                                  q, quote(s + pos, 32, q2, sizeof q2), len > 32 ? 32 : len,
                                  s + start);
            }
            if (terms > 0) {
                int len = (int)(pos - start);
                return ob_err_set(err,
                                  "invalid duration \"%s\": missing unit after \"%.*s\" " UNIT_HINT,
                                  q, len > 32 ? 32 : len, s + start);
            }
            unit = 1000000000; /* a bare number is seconds */
        } else {
            unit = unit_ns(s + ustart, pos - ustart);
            if (!unit) {
                char u[160];
                size_t ulen = pos - ustart < 32 ? pos - ustart : 32;
                memcpy(q2, s + ustart, ulen);
                q2[ulen] = '\0';
                return ob_err_set(err, "invalid duration \"%s\": unknown unit \"%s\" " UNIT_HINT, q,
                                  quote(q2, 32, u, sizeof u));
            }
        }
        int64_t whole, term;
        int64_t frac = n.fdigits
                           ? llround((double)n.frac / pow10_int(n.fdigits) * (double)unit)
                           : 0;
        if (n.overflow || n.ip > (uint64_t)INT64_MAX ||
            __builtin_mul_overflow((int64_t)n.ip, unit, &whole) ||
            __builtin_add_overflow(whole, frac, &term) ||
            __builtin_add_overflow(total, term, &total))
            return ob_err_set(err, "invalid duration \"%s\": out of range (at most 2562047h)", q);
        terms++;
    }
    *out_ns = total;
    return 0;
}

/* ---- counts ------------------------------------------------------------------------ */

#define COUNT_MAX 9.2e18 /* still fits in an int64_t */

int ob_parse_count(const char *s, double *out, ob_err *err)
{
    char q[256], q2[160];
    if (!s || !*s)
        return ob_err_set(err, "invalid count \"\": empty (use e.g. 1000, 10k, 1.5M)");
    quote(s, 64, q, sizeof q);
    if (s[0] == '-')
        return ob_err_set(err, "invalid count \"%s\": negative values are not allowed", q);
    size_t pos = 0;
    number n;
    int rc = scan_number(s, &pos, &n);
    if (rc == -1)
        return ob_err_set(err, "invalid count \"%s\": expected a number at \"%s\"", q,
                          quote(s, 32, q2, sizeof q2));
    if (rc == -2)
        return ob_err_set(err, "invalid count \"%s\": expected a digit after \".\"", q);
    double mult = 1;
    switch (s[pos]) {
    case '\0':
        break;
    case 'k':
    case 'K':
        mult = 1e3;
        pos++;
        break;
    case 'M':
        mult = 1e6;
        pos++;
        break;
    case 'G':
        mult = 1e9;
        pos++;
        break;
    default:
        return ob_err_set(err, "invalid count \"%s\": unknown suffix \"%s\" (use k, M, G)", q,
                          quote(s + pos, 32, q2, sizeof q2));
    }
    if (s[pos] != '\0')
        return ob_err_set(err, "invalid count \"%s\": unexpected \"%s\" after \"%.*s\"", q,
                          quote(s + pos, 32, q2, sizeof q2), pos > 32 ? 32 : (int)pos, s);
    double v = number_value(&n) * mult;
    if (n.overflow || !(v <= COUNT_MAX))
        return ob_err_set(err, "invalid count \"%s\": out of range (at most 9.2e18)", q);
    *out = v;
    return 0;
}

/* ---- ranges ------------------------------------------------------------------------ */

#define RANGE_HINT "(use MIN-MAX in seconds, e.g. 0.5-2, or one number)"

static int range_number(const char *s, const char *q, size_t *pos, double *out, ob_err *err)
{
    char q2[160];
    number n;
    int rc = scan_number(s, pos, &n);
    if (rc == -1) {
        if (s[*pos] == '\0')
            return ob_err_set(err,
                              "invalid range \"%s\": expected a number after \"-\" " RANGE_HINT, q);
        return ob_err_set(err,
                          "invalid range \"%s\": expected a non-negative number at \"%s\" "
                          RANGE_HINT, q, quote(s + *pos, 32, q2, sizeof q2));
    }
    if (rc == -2)
        return ob_err_set(err, "invalid range \"%s\": expected a digit after \".\"", q);
    double v = number_value(&n);
    if (n.overflow || !isfinite(v))
        return ob_err_set(err, "invalid range \"%s\": number out of range", q);
    *out = v;
    return 0;
}

int ob_parse_range(const char *s, double *out_min, double *out_max, ob_err *err)
{
    char q[256], q2[160];
    if (!s || !*s)
        return ob_err_set(err, "invalid range \"\": empty " RANGE_HINT);
    quote(s, 64, q, sizeof q);
    size_t pos = 0;
    double lo, hi;
    if (range_number(s, q, &pos, &lo, err) != 0)
        return -1;
    hi = lo;
    if (s[pos] == '-') {
        pos++;
        if (range_number(s, q, &pos, &hi, err) != 0)
            return -1;
    }
    if (s[pos] != '\0')
        return ob_err_set(err, "invalid range \"%s\": unexpected \"%s\" " RANGE_HINT, q,
                          quote(s + pos, 32, q2, sizeof q2));
    if (lo > hi)
        return ob_err_set(err, "invalid range \"%s\": minimum %g is greater than maximum %g", q,
                          lo, hi);
    *out_min = lo;
    *out_max = hi;
    return 0;
}
