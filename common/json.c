/* json.c — the pull JSON reader of json.h: grammar checks, string decoding (escapes,
 * surrogate pairs, UTF-8 validation), integer parsing with range checks, and error
 * positions. Newlines are counted only while skipping whitespace: a raw newline is
 * invalid anywhere else, so a position is always (current line, pointer - line start). */
#include "json.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bytes of strings copied as they are, reading and writing: printable ASCII (DEL too) but
 * '"' and '\\'. The rest takes the slow path: escapes, and UTF-8 checked a character at
 * a time. */
enum { PLAIN = 1 };
static const unsigned char byte_class[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

void ob_json_init(ob_json *j, const char *buf, size_t len)
{
    if (!buf) /* (NULL, 0): no arithmetic on a null pointer */
        buf = "", len = 0;
    j->p = buf;
    j->end = buf + len;
    j->line_start = buf;
    j->line = 1;
    j->depth = 0;
    j->started = 0;
    j->arrays = 0;
    j->failed = false;
    j->err_pos = (ob_json_pos){0, 0};
    j->msg[0] = '\0';
}

static ob_json_pos pos_of(const ob_json *j, const char *at)
{
    return (ob_json_pos){j->line, (int)(at - j->line_start) + 1};
}

ob_json_pos ob_json_where(const ob_json *j)
{
    return pos_of(j, j->p);
}

int ob_json_fail(ob_json *j, ob_json_pos at, const char *fmt, ...)
{
    if (j->failed)
        return -1;
    j->failed = true;
    j->err_pos = at;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(j->msg, sizeof j->msg, fmt, ap);
    va_end(ap);
    return -1;
}

int ob_json_prefix(ob_json *j, const char *fmt, ...)
{
    char prefix[100], old[sizeof j->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, j->msg, sizeof old);
    if (snprintf(j->msg, sizeof j->msg, "%s: %s", prefix, old) >= (int)sizeof j->msg)
        memcpy(j->msg + sizeof j->msg - 4, "...", 4);
    return -1;
}

int ob_json_err(const ob_json *j, const char *name, ob_err *err)
{
    if (name)
        return ob_err_set(err, "%s:%d:%d: %s", name, j->err_pos.line, j->err_pos.col, j->msg);
    return ob_err_set(err, "line %d, column %d: %s", j->err_pos.line, j->err_pos.col, j->msg);
}

static inline void skip_ws(ob_json *j)
{
    const char *p = j->p, *end = j->end;
    if (p < end && (unsigned char)*p > ' ') /* the common case: nothing to skip */
        return;
    while (p < end) {
        char c = *p;
        if (c == ' ' || c == '\t' || c == '\r') {
            p++;
        } else if (c == '\n') {
            j->line++;
            j->line_start = ++p;
        } else {
            break;
        }
    }
    j->p = p;
}

/* "expected X" at the next byte, saying so when the input has run out. */
static int expected(ob_json *j, const char *what)
{
    if (j->p >= j->end)
        return ob_json_fail(j, pos_of(j, j->p), "unexpected end of input, expected %s", what);
    return ob_json_fail(j, pos_of(j, j->p), "expected %s", what);
}

ob_json_type ob_json_peek(ob_json *j)
{
    skip_ws(j);
    if (j->p >= j->end)
        return OB_JSON_END;
    switch (*j->p) {
    case '{': return OB_JSON_OBJECT;
    case '[': return OB_JSON_ARRAY;
    case '"': return OB_JSON_STRING;
    case 't': return OB_JSON_TRUE;
    case 'f': return OB_JSON_FALSE;
    case 'n': return OB_JSON_NULL;
    case '-':
    case '0': case '1': case '2': case '3': case '4':
    case '5': case '6': case '7': case '8': case '9':
        return OB_JSON_NUMBER;
    default: return OB_JSON_INVALID;
    }
}

bool ob_json_at_end(ob_json *j)
{
    skip_ws(j);
    return j->p >= j->end;
}

bool ob_json_at_eol(ob_json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r'))
        j->p++;
    return j->p >= j->end || *j->p == '\n';
}

/* ---- containers ---- */

static int container_begin(ob_json *j, char open, bool array)
{
    if (j->failed)
        return -1;
    skip_ws(j);
    if (j->p >= j->end || *j->p != open)
        return expected(j, array ? "'['" : "'{'");
    if (j->depth >= OB_JSON_MAX_DEPTH)
        return ob_json_fail(j, pos_of(j, j->p), "nesting deeper than %d levels",
                            OB_JSON_MAX_DEPTH);
    uint64_t bit = 1ull << j->depth;
    j->depth++;
    j->started &= ~bit;
    if (array)
        j->arrays |= bit;
    else
        j->arrays &= ~bit;
    j->p++;
    return 0;
}

int ob_json_object_begin(ob_json *j)
{
    return container_begin(j, '{', false);
}

int ob_json_array_begin(ob_json *j)
{
    return container_begin(j, '[', true);
}

/* Common part of _next: 1 if a member/element follows (separator consumed), 0 if the
 * container was closed, -1 on error. */
static int container_next(ob_json *j, bool array)
{
    if (j->failed)
        return -1;
    if (j->depth == 0 || ((j->arrays >> (j->depth - 1)) & 1) != array)
        return ob_json_fail(j, pos_of(j, j->p), "internal: not inside %s",
                            array ? "an array" : "an object");
    char close = array ? ']' : '}';
    uint64_t bit = 1ull << (j->depth - 1);
    skip_ws(j);
    if (j->p < j->end && *j->p == close) {
        j->p++;
        j->depth--;
        return 0;
    }
    if (j->started & bit) {
        if (j->p >= j->end || *j->p != ',')
            return expected(j, array ? "',' or ']'" : "',' or '}'");
        j->p++;
        skip_ws(j);
    } else {
        j->started |= bit;
    }
    return 1;
}

int ob_json_object_next(ob_json *j, char *key, size_t cap, size_t *len)
{
    int rc = container_next(j, false);
    if (rc <= 0)
        return rc;
    if (j->p >= j->end || *j->p != '"')
        return expected(j, "a string key");
    if (ob_json_string(j, key, cap, len) < 0)
        return -1;
    skip_ws(j);
    if (j->p >= j->end || *j->p != ':')
        return expected(j, "':' after key");
    j->p++;
    return 1;
}

int ob_json_array_next(ob_json *j)
{
    int rc = container_next(j, true);
    if (rc <= 0)
        return rc;
    if (j->p >= j->end || *j->p == ']')
        return expected(j, "a value");
    return 1;
}

/* ---- strings ---- */

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0 (Unicode Table 3-7:
 * no overlong forms, no surrogates, nothing above U+10FFFF). */
static size_t utf8_len(const unsigned char *p, const unsigned char *end)
{
    unsigned char c = p[0];
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if ((size_t)(end - p) < n)
        return 0;
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

/* utf8_len of the character at s, a C string (its NUL ends any sequence). */
static size_t utf8_len_z(const char *s)
{
    return utf8_len((const unsigned char *)s, (const unsigned char *)s + strnlen(s, 4));
}

static int hex4(const char *p, const char *end, unsigned *out)
{
    if (end - p < 4)
        return -1;
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

/* Appends k bytes to buf[0..cap), keeping room for the NUL; n counts every byte. */
static inline void put(char *buf, size_t cap, size_t *n, const char *s, size_t k)
{
    if (*n + k < cap)
        memcpy(buf + *n, s, k);
    else if (*n + 1 < cap)
        memcpy(buf + *n, s, cap - 1 - *n);
    *n += k;
}

/* Decodes the escape at p (p[0] == '\\'); returns the bytes consumed or -1. */
static int unescape(ob_json *j, const char *p, char *buf, size_t cap, size_t *n)
{
    const char *end = j->end;
    if (end - p < 2)
        return ob_json_fail(j, pos_of(j, p), "unterminated string");
    char c = p[1], one;
    switch (c) {
    case '"': one = '"'; break;
    case '\\': one = '\\'; break;
    case '/': one = '/'; break;
    case 'b': one = '\b'; break;
    case 'f': one = '\f'; break;
    case 'n': one = '\n'; break;
    case 'r': one = '\r'; break;
    case 't': one = '\t'; break;
    case 'u': {
        unsigned cp, lo;
        int used = 6;
        if (hex4(p + 2, end, &cp) < 0)
            return ob_json_fail(j, pos_of(j, p), "invalid \\u escape (need 4 hex digits)");
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return ob_json_fail(j, pos_of(j, p), "unpaired low surrogate \\u%04X", cp);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end - p < 12 || p[6] != '\\' || p[7] != 'u' || hex4(p + 8, end, &lo) < 0 ||
                lo < 0xDC00 || lo > 0xDFFF)
                return ob_json_fail(j, pos_of(j, p), "unpaired high surrogate \\u%04X", cp);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            used = 12;
        }
        if (cp == 0)
            return ob_json_fail(j, pos_of(j, p), "\\u0000 is not allowed in strings");
        char u[4];
        size_t k;
        if (cp < 0x80) {
            u[0] = (char)cp;
            k = 1;
        } else if (cp < 0x800) {
            u[0] = (char)(0xC0 | cp >> 6);
            u[1] = (char)(0x80 | (cp & 0x3F));
            k = 2;
        } else if (cp < 0x10000) {
            u[0] = (char)(0xE0 | cp >> 12);
            u[1] = (char)(0x80 | (cp >> 6 & 0x3F));
            u[2] = (char)(0x80 | (cp & 0x3F));
            k = 3;
        } else {
            u[0] = (char)(0xF0 | cp >> 18);
            u[1] = (char)(0x80 | (cp >> 12 & 0x3F));
            u[2] = (char)(0x80 | (cp >> 6 & 0x3F));
            u[3] = (char)(0x80 | (cp & 0x3F));
            k = 4;
        }
        put(buf, cap, n, u, k);
        return used;
    }
    default:
        if (c >= 0x20 && c < 0x7F)
            return ob_json_fail(j, pos_of(j, p), "invalid escape '\\%c'", c);
        return ob_json_fail(j, pos_of(j, p), "invalid escape (byte 0x%02X after '\\')",
                            (unsigned char)c);
    }
    put(buf, cap, n, &one, 1);
    return 2;
}

/* How many of the n bytes of valid UTF-8 at buf to keep so that the cut falls between two
 * characters: n, or less by the bytes of a character the cut would split. */
static size_t whole_chars(const char *buf, size_t n)
{
    size_t lead = n, tail = 0;
    while (lead > 0 && tail < 3 && ((unsigned char)buf[lead - 1] & 0xC0) == 0x80)
        lead--, tail++;
    if (lead == 0)
        return n;
    unsigned char c = (unsigned char)buf[lead - 1];
    size_t want = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
    return tail + 1 >= want ? n : lead - 1;
}

int ob_json_string(ob_json *j, char *buf, size_t cap, size_t *len)
{
    if (j->failed)
        return -1;
    skip_ws(j);
    if (j->p >= j->end || *j->p != '"')
        return expected(j, "a string");
    const char *start = j->p, *end = j->end;
    const char *p = start + 1;
    size_t n = 0;
    for (;;) {
        const char *run = p;
        while (p < end && (byte_class[(unsigned char)*p] & PLAIN))
            p++;
        if (p > run)
            put(buf, cap, &n, run, (size_t)(p - run));
        if (p >= end)
            return ob_json_fail(j, pos_of(j, start), "unterminated string");
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            p++;
            break;
        }
        if (c == '\\') {
            int used = unescape(j, p, buf, cap, &n);
            if (used < 0)
                return -1;
            p += used;
        } else if (c < 0x20) {
            return ob_json_fail(j, pos_of(j, p),
                                c == '\n' ? "unterminated string (newline in string)"
                                          : "control character 0x%02X in string (must be escaped)",
                                c);
        } else {
            size_t k = utf8_len((const unsigned char *)p, (const unsigned char *)end);
            if (k == 0)
                return ob_json_fail(j, pos_of(j, p), "invalid UTF-8 in string");
            put(buf, cap, &n, p, k);
            p += k;
        }
    }
    if (cap > 0)
        buf[n < cap ? n : whole_chars(buf, cap - 1)] = '\0';
    if (len)
        *len = n;
    j->p = p;
    return 0;
}

/* ---- numbers and literals ---- */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Validates the number at j->p and consumes it: [s, e) is the token. */
static int scan_number(ob_json *j, const char **s, const char **e, bool *is_int)
{
    if (j->failed)
        return -1;
    skip_ws(j);
    const char *p = j->p, *end = j->end;
    if (p >= end || (*p != '-' && !is_digit(*p)))
        return expected(j, "a number");
    *s = p;
    *is_int = true;
    if (*p == '-')
        p++;
    if (p >= end || !is_digit(*p))
        return ob_json_fail(j, pos_of(j, p), "expected a digit after '-'");
    if (*p == '0') {
        p++;
        if (p < end && is_digit(*p))
            return ob_json_fail(j, pos_of(j, *s), "leading zeros are not allowed");
    } else {
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && *p == '.') {
        *is_int = false;
        p++;
        if (p >= end || !is_digit(*p))
            return ob_json_fail(j, pos_of(j, p), "expected a digit after '.'");
        while (p < end && is_digit(*p))
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        *is_int = false;
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || !is_digit(*p))
            return ob_json_fail(j, pos_of(j, p), "expected a digit in the exponent");
        while (p < end && is_digit(*p))
            p++;
    }
    *e = p;
    j->p = p;
    return 0;
}

/* Parses an integer token [s, e): magnitude into *mag, sign into *neg; -1 on overflow. */
static int parse_magnitude(const char *s, const char *e, uint64_t *mag, bool *neg)
{
    *neg = *s == '-';
    if (*neg)
        s++;
    uint64_t v = 0;
    for (; s < e; s++) {
        unsigned d = (unsigned)(*s - '0');
        if (v >= UINT64_MAX / 10 && (v > UINT64_MAX / 10 || d > UINT64_MAX % 10))
            return -1;
        v = v * 10 + d;
    }
    *mag = v;
    return 0;
}

static int integer_token(ob_json *j, const char **s, const char **e)
{
    bool is_int;
    ob_json_pos at;
    skip_ws(j);
    at = pos_of(j, j->p);
    if (scan_number(j, s, e, &is_int) < 0)
        return -1;
    if (!is_int)
        return ob_json_fail(j, at, "expected an integer, got %.*s",
                            (int)(*e - *s > 40 ? 40 : *e - *s), *s);
    return 0;
}

int ob_json_int64(ob_json *j, int64_t min, int64_t max, int64_t *out)
{
    const char *s, *e;
    if (integer_token(j, &s, &e) < 0)
        return -1;
    ob_json_pos at = pos_of(j, s);
    uint64_t mag;
    bool neg;
    int64_t v;
    if (parse_magnitude(s, e, &mag, &neg) < 0)
        goto range;
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1)
            goto range;
        v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
    } else {
        if (mag > (uint64_t)INT64_MAX)
            goto range;
        v = (int64_t)mag;
    }
    if (v < min || v > max)
        goto range;
    *out = v;
    return 0;
range:
    return ob_json_fail(j, at, "integer %.*s out of range %lld..%lld",
                        (int)(e - s > 40 ? 40 : e - s), s, (long long)min, (long long)max);
}

int ob_json_uint64(ob_json *j, uint64_t max, uint64_t *out)
{
    const char *s, *e;
    if (integer_token(j, &s, &e) < 0)
        return -1;
    uint64_t mag;
    bool neg;
    if (parse_magnitude(s, e, &mag, &neg) < 0 || (neg && mag != 0) || mag > max)
        return ob_json_fail(j, pos_of(j, s), "integer %.*s out of range 0..%llu",
                            (int)(e - s > 40 ? 40 : e - s), s, (unsigned long long)max);
    *out = mag;
    return 0;
}

int ob_json_double(ob_json *j, double *out)
{
    const char *s, *e;
    bool is_int;
    if (scan_number(j, &s, &e, &is_int) < 0)
        return -1;
    char tmp[512];
    if ((size_t)(e - s) >= sizeof tmp)
        return ob_json_fail(j, pos_of(j, s), "number too long");
    memcpy(tmp, s, (size_t)(e - s));
    tmp[e - s] = '\0';
    *out = strtod(tmp, NULL);
    return 0;
}

static int literal(ob_json *j, const char *word, size_t n)
{
    if (j->failed)
        return -1;
    skip_ws(j);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0)
        return expected(j, word);
    j->p += n;
    return 0;
}

int ob_json_bool(ob_json *j, bool *out)
{
    ob_json_type t = ob_json_peek(j);
    if (t == OB_JSON_TRUE) {
        *out = true;
        return literal(j, "true", 4);
    }
    if (t == OB_JSON_FALSE) {
        *out = false;
        return literal(j, "false", 5);
    }
    return expected(j, "true or false");
}

int ob_json_null(ob_json *j)
{
    return literal(j, "null", 4);
}

int ob_json_skip(ob_json *j)
{
    if (j->failed)
        return -1;
    const char *s, *e;
    bool is_int;
    int rc;
    switch (ob_json_peek(j)) {
    case OB_JSON_OBJECT:
        if (ob_json_object_begin(j) < 0)
            return -1;
        while ((rc = ob_json_object_next(j, NULL, 0, NULL)) > 0)
            if (ob_json_skip(j) < 0)
                return -1;
        return rc;
    case OB_JSON_ARRAY:
        if (ob_json_array_begin(j) < 0)
            return -1;
        while ((rc = ob_json_array_next(j)) > 0)
            if (ob_json_skip(j) < 0)
                return -1;
        return rc;
    case OB_JSON_STRING: return ob_json_string(j, NULL, 0, NULL);
    case OB_JSON_NUMBER: return scan_number(j, &s, &e, &is_int);
    case OB_JSON_TRUE: return literal(j, "true", 4);
    case OB_JSON_FALSE: return literal(j, "false", 5);
    case OB_JSON_NULL: return literal(j, "null", 4);
    case OB_JSON_END: return expected(j, "a value");
    case OB_JSON_INVALID: break;
    }
    unsigned char c = (unsigned char)*j->p;
    if (c >= 0x20 && c < 0x7F)
        return ob_json_fail(j, pos_of(j, j->p), "unexpected character '%c', expected a value", c);
    return ob_json_fail(j, pos_of(j, j->p), "unexpected byte 0x%02X, expected a value", c);
}

/* ---- writing ---- */

static int write_string(char *buf, size_t cap, const char *s);

int ob_json_write_string(char *buf, size_t cap, const char *s)
{
    if (cap == 0)
        return -1;
    int n = write_string(buf, cap, s);
    if (n < 0)
        buf[0] = '\0';
    return n;
}

/* ob_json_write_string without the clean-up of a failure. */
static int write_string(char *buf, size_t cap, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    char *p = buf, *last = buf + cap - 1; /* last: where the NUL goes at the latest */
    if (p >= last)
        return -1;
    *p++ = '"';
    for (;;) {
        const char *run = s;
        while (byte_class[(unsigned char)*s] & PLAIN)
            s++;
        size_t k = (size_t)(s - run);
        if (k > (size_t)(last - p))
            return -1;
        memcpy(p, run, k);
        p += k;
        unsigned char c = (unsigned char)*s;
        if (c == '\0')
            break;
        if (c >= 0x80) {
            /* a whole character as it is; a byte that starts none (a string cut inside
             * a character, or not UTF-8) as U+FFFD: what is written is always JSON */
            size_t k = utf8_len_z(s);
            if (k > 0) {
                if ((size_t)(last - p) < k)
                    return -1;
                memcpy(p, s, k);
                p += k;
                s += k;
                continue;
            }
            if (last - p < 6)
                return -1;
            memcpy(p, "\\ufffd", 6);
            p += 6;
        } else if (c == '"' || c == '\\') {
            if (last - p < 2)
                return -1;
            *p++ = '\\';
            *p++ = (char)c;
        } else {
            if (last - p < 6)
                return -1;
            memcpy(p, "\\u00", 4);
            p[4] = hex[c >> 4];
            p[5] = hex[c & 15];
            p += 6;
        }
        s++;
    }
    if (p >= last)
        return -1;
    *p++ = '"';
    *p = '\0';
    return (int)(p - buf);
}

void ob_utf8_copy(char *dst, size_t cap, const char *src)
{
    if (cap == 0)
        return;
    if (!src)
        src = "";
    size_t n = strnlen(src, cap);
    if (n == cap)
        n = whole_chars(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

bool ob_utf8_valid(const char *s)
{
    while (*s) {
        if ((unsigned char)*s < 0x80) {
            s++;
            continue;
        }
        size_t k = utf8_len_z(s);
        if (k == 0)
            return false;
        s += k;
    }
    return true;
}

int ob_json_put_string(FILE *f, const char *s)
{
    /* the escaper of ob_json_write_string, into a buffer that is always large enough
     * (an escaped byte takes at most six) */
    char local[2048];
    size_t cap = strlen(s) * 6 + 3;
    char *buf = cap <= sizeof local ? local : malloc(cap);
    if (!buf)
        return -1;
    int n = write_string(buf, cap, s);
    int rc = n < 0 || fwrite(buf, 1, (size_t)n, f) != (size_t)n ? -1 : 0;
    if (buf != local)
        free(buf);
    return rc;
}

void ob_jw_init(ob_jw *w, FILE *f)
{
    memset(w, 0, sizeof *w);
    w->f = f;
}

/* The comma before a member, where one is due. */
static void jw_comma(ob_jw *w)
{
    if (w->depth > 0) {
        uint64_t bit = 1ull << (w->depth - 1);
        if ((w->has_member & bit) && putc(',', w->f) == EOF)
            w->failed = true;
        w->has_member |= bit;
    }
}

/* Before a value: after its key in an object, after a comma in an array. */
static void jw_before_value(ob_jw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth > 0 && !((w->arrays >> (w->depth - 1)) & 1))
        w->failed = true; /* a value in an object needs its key */
    jw_comma(w);
}

static void jw_open(ob_jw *w, char c, bool array)
{
    jw_before_value(w);
    if (w->depth >= 64) {
        w->failed = true;
        return;
    }
    uint64_t bit = 1ull << w->depth;
    w->depth++;
    w->has_member &= ~bit;
    if (array)
        w->arrays |= bit;
    else
        w->arrays &= ~bit;
    if (putc(c, w->f) == EOF)
        w->failed = true;
}

void ob_jw_object(ob_jw *w)
{
    jw_open(w, '{', false);
}

void ob_jw_array(ob_jw *w)
{
    jw_open(w, '[', true);
}

void ob_jw_end(ob_jw *w)
{
    if (w->depth == 0 || w->after_key) {
        w->failed = true;
        return;
    }
    w->depth--;
    char c = (w->arrays >> w->depth) & 1 ? ']' : '}';
    if (putc(c, w->f) == EOF)
        w->failed = true;
}

void ob_jw_key(ob_jw *w, const char *key)
{
    if (w->depth == 0 || ((w->arrays >> (w->depth - 1)) & 1) || w->after_key) {
        w->failed = true;
        return;
    }
    jw_comma(w);
    if (ob_json_put_string(w->f, key) != 0 || putc(':', w->f) == EOF)
        w->failed = true;
    w->after_key = true;
}

void ob_jw_str(ob_jw *w, const char *s)
{
    if (!s) {
        ob_jw_null(w);
        return;
    }
    jw_before_value(w);
    if (ob_json_put_string(w->f, s) != 0)
        w->failed = true;
}

void ob_jw_int(ob_jw *w, int64_t v)
{
    jw_before_value(w);
    if (fprintf(w->f, "%lld", (long long)v) < 0)
        w->failed = true;
}

/* A number in the given printf conversion ('f' or 'g') and precision; null when not
 * finite. precision < 0: the shortest %g that reads back as the same double. */
static void jw_number(ob_jw *w, double v, char conversion, int precision)
{
    if (!isfinite(v)) {
        ob_jw_null(w);
        return;
    }
    jw_before_value(w);
    char buf[64];
    if (precision >= 0) {
        char fmt[8] = {'%', '.', '*', conversion, '\0'};
        snprintf(buf, sizeof buf, fmt, precision, v);
    } else {
        for (int digits = 6; digits <= 17; digits++) {
            snprintf(buf, sizeof buf, "%.*g", digits, v);
            if (strtod(buf, NULL) == v)
                break;
        }
    }
    if (fputs(buf, w->f) == EOF)
        w->failed = true;
}

void ob_jw_num(ob_jw *w, double v, int decimals)
{
    jw_number(w, v, 'f', decimals < 0 ? 0 : decimals);
}

void ob_jw_numg(ob_jw *w, double v, int digits)
{
    jw_number(w, v, 'g', digits < 1 ? 1 : digits);
}

void ob_jw_double(ob_jw *w, double v)
{
    jw_number(w, v, 'g', -1);
}

void ob_jw_bool(ob_jw *w, bool v)
{
    jw_before_value(w);
    if (fputs(v ? "true" : "false", w->f) == EOF)
        w->failed = true;
}

void ob_jw_null(ob_jw *w)
{
    jw_before_value(w);
    if (fputs("null", w->f) == EOF)
        w->failed = true;
}

void ob_jw_raw(ob_jw *w, const char *json, size_t len)
{
    jw_before_value(w);
    if (len && fwrite(json, 1, len, w->f) != len)
        w->failed = true;
}

int ob_jw_status(const ob_jw *w)
{
    return w->failed || w->depth != 0 || w->after_key ? -1 : 0;
}
