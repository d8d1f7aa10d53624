/* histogram.c — the latency histogram of histogram.h, written from scratch.
 *
 * Layout. Values are integer nanoseconds. Bucket 0 holds the values 0..2047 one
 * nanosecond apart; bucket k >= 1 holds [1024 << k, 2048 << k) in 1024 sub-buckets of
 * width 1 << k. Every value v >= 1 µs therefore lands in a slot whose width is at most
 * v / 1024, and reporting the slot's midpoint is off by at most v / 2048 (0.05 %).
 * All the slots sit in one flat array, indexed by
 *
 *     k = 53 - clz(v | 2047)              (the bucket: 0 while v < 2048)
 *     i = k * 1024 + (v >> k)             (v >> k is in [1024, 2048) when k >= 1)
 *
 * which is contiguous: bucket 0 uses 0..2047, bucket k uses (k+1)*1024..(k+2)*1024-1.
 * 1 h needs k = 31, so the array has 31 * 1024 + (1 h >> 31) + 1 = 33421 slots (261 KiB);
 * the slots below 1000 ns stay empty because smaller values are clamped to 1 µs.
 *
 * The span. Most of the slots of a run's histogram stay empty (latencies gather within a
 * few powers of two), so each histogram keeps the bounds of the slots that may be used,
 * [first, last] (empty: first > last), widened by the writer when a value lands outside
 * them; every pass over the slots (copy, merge, diff, reset, percentiles) walks only
 * that span. A run's controlling thread snapshots every worker's histograms each second,
 * which walked all 33 421 slots of each several times: about 1 ms of CPU a second.
 *
 * Threading: the single writer updates each counter with a relaxed load and a relaxed
 * store (a plain mov on x86-64, no lock prefix); readers use relaxed loads. The writer
 * widens the span before it stores the count, so a copy sees a count either inside the
 * span it read or, if the writer got there in between, at its next copy. */
#include "histogram.h"

#include <limits.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUB_BITS 10                      /* 1024 sub-buckets per half-bucket */
#define SUB_HALF (1 << SUB_BITS)         /* 1024 */
#define SUB_COUNT (2 * SUB_HALF)         /* 2048: 3 significant digits */
#define TOP_BUCKET 31                    /* the bucket that holds 1 h */
#define NSLOTS ((size_t)TOP_BUCKET * SUB_HALF + (size_t)(OB_HIST_HIGHEST_NS >> TOP_BUCKET) + 1)

_Static_assert((OB_HIST_HIGHEST_NS >> TOP_BUCKET) >= SUB_HALF &&
                   (OB_HIST_HIGHEST_NS >> TOP_BUCKET) < SUB_COUNT,
               "TOP_BUCKET must be the bucket that holds OB_HIST_HIGHEST_NS");
_Static_assert(OB_HIST_LOWEST_NS < SUB_COUNT, "1 µs must be resolved to the nanosecond");
_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_LONG_LOCK_FREE == 2,
               "64-bit counters must be lock-free");

typedef _Atomic int64_t counter;

struct ob_hist {
    counter total;
    counter clamped;
    counter first, last; /* the span: every non-empty slot is in [first, last] */
    counter counts[NSLOTS];
};

const double ob_percentiles[OB_PERCENTILE_COUNT] = {50, 66,  75,   80,    90, 95,
                                                    98, 99, 99.9, 99.99, 100};

static inline int64_t get(const counter *c)
{
    return atomic_load_explicit((counter *)c, memory_order_relaxed);
}

static inline void put(counter *c, int64_t v)
{
    atomic_store_explicit(c, v, memory_order_relaxed);
}

/* a + b for non-negative counts, saturating instead of overflowing. */
static inline int64_t add_sat(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

/* The span as [*from, *to): empty (0, 0) when first > last. */
static inline void span_of(const ob_hist *h, size_t *from, size_t *to)
{
    int64_t first = get(&h->first), last = get(&h->last);
    if (first < 0)
        first = 0;
    if (last >= (int64_t)NSLOTS)
        last = (int64_t)NSLOTS - 1;
    if (last < first) {
        *from = *to = 0;
        return;
    }
    *from = (size_t)first;
    *to = (size_t)last + 1;
}

/* Widens h's span to take slot i (the writer's, or an exclusive user's). */
static inline void widen(ob_hist *h, size_t i)
{
    if ((int64_t)i < get(&h->first))
        put(&h->first, (int64_t)i);
    if ((int64_t)i > get(&h->last))
        put(&h->last, (int64_t)i);
    /* the span before the count: a compiler barrier, free on the hardware (see above) */
    atomic_signal_fence(memory_order_release);
}

/* Widens [*from, *to) (empty when from >= to) to take h's span too. */
static inline void join_span(const ob_hist *h, size_t *from, size_t *to)
{
    size_t f, t;
    span_of(h, &f, &t);
    if (f >= t)
        return;
    if (*from >= *to || f < *from)
        *from = f;
    if (t > *to)
        *to = t;
}

static inline void set_empty_span(ob_hist *h)
{
    put(&h->first, (int64_t)NSLOTS);
    put(&h->last, -1);
}

static inline size_t slot_of(int64_t value)
{
    uint64_t v = (uint64_t)value;
    unsigned k = 53u - (unsigned)__builtin_clzll(v | (SUB_COUNT - 1));
    return (size_t)k * SUB_HALF + (size_t)(v >> k);
}

/* The value a slot stands for: the middle of the integers it holds, kept within
 * [lowest, highest] (the top slot reaches a little past 1 h). */
static int64_t slot_value(size_t i)
{
    unsigned k = i < SUB_COUNT ? 0 : (unsigned)(i >> SUB_BITS) - 1;
    int64_t lo = (int64_t)(i - (size_t)k * SUB_HALF) << k;
    int64_t mid = lo + (((int64_t)1 << k) - 1) / 2;
    if (mid < OB_HIST_LOWEST_NS)
        return OB_HIST_LOWEST_NS;
    return mid > OB_HIST_HIGHEST_NS ? OB_HIST_HIGHEST_NS : mid;
}

ob_hist *ob_hist_new(void)
{
    /* calloc's zero bytes are a valid zero for lock-free atomic integers. */
    ob_hist *h = calloc(1, sizeof(ob_hist));
    if (h)
        set_empty_span(h);
    return h;
}

void ob_hist_free(ob_hist *h)
{
    free(h);
}

void ob_hist_record_n(ob_hist *h, int64_t value_ns, int64_t count)
{
    if (count <= 0)
        return;
    if (value_ns < OB_HIST_LOWEST_NS || value_ns > OB_HIST_HIGHEST_NS) {
        value_ns = value_ns < OB_HIST_LOWEST_NS ? OB_HIST_LOWEST_NS : OB_HIST_HIGHEST_NS;
        put(&h->clamped, add_sat(get(&h->clamped), count));
    }
    size_t i = slot_of(value_ns);
    widen(h, i);
    counter *c = &h->counts[i];
    put(c, add_sat(get(c), count));
    put(&h->total, add_sat(get(&h->total), count));
}

void ob_hist_record(ob_hist *h, int64_t value_ns)
{
    if (__builtin_expect(value_ns < OB_HIST_LOWEST_NS || value_ns > OB_HIST_HIGHEST_NS, 0)) {
        ob_hist_record_n(h, value_ns, 1);
        return;
    }
    size_t i = slot_of(value_ns);
    widen(h, i);
    counter *c = &h->counts[i];
    put(c, add_sat(get(c), 1));
    put(&h->total, add_sat(get(&h->total), 1));
}

void ob_hist_merge(ob_hist *dst, const ob_hist *src)
{
    size_t from, to;
    span_of(src, &from, &to);
    if (from < to) {
        widen(dst, from);
        widen(dst, to - 1);
    }
    for (size_t i = from; i < to; i++) {
        int64_t n = get(&src->counts[i]);
        if (n)
            put(&dst->counts[i], add_sat(get(&dst->counts[i]), n));
    }
    put(&dst->total, add_sat(get(&dst->total), get(&src->total)));
    put(&dst->clamped, add_sat(get(&dst->clamped), get(&src->clamped)));
}

void ob_hist_diff(ob_hist *dst, const ob_hist *a, const ob_hist *b)
{
    /* Element by element, so dst may be a or b, over the three spans together (dst's
     * old counts outside a's and b's are cleared); what is left is within a's span. */
    size_t from, to;
    span_of(a, &from, &to);
    int64_t first = get(&a->first), last = get(&a->last);
    join_span(b, &from, &to);
    join_span(dst, &from, &to);
    int64_t total = 0;
    for (size_t i = from; i < to; i++) {
        int64_t n = get(&a->counts[i]) - get(&b->counts[i]);
        n = n < 0 ? 0 : n;
        put(&dst->counts[i], n);
        total = add_sat(total, n);
    }
    put(&dst->first, first);
    put(&dst->last, last);
    int64_t clamped = get(&a->clamped) - get(&b->clamped);
    put(&dst->total, total);
    put(&dst->clamped, clamped < 0 ? 0 : clamped);
}

void ob_hist_copy(ob_hist *dst, const ob_hist *src)
{
    /* The total is re-derived from the buckets read, so the snapshot is consistent with
     * itself even while src's writer moves on: dst gets the span read first and the
     * counts in it (src's writer widens its span before it stores a count). */
    if (dst == src)
        return;
    int64_t first = get(&src->first), last = get(&src->last);
    atomic_signal_fence(memory_order_acquire);
    ob_hist_reset(dst);
    put(&dst->first, first);
    put(&dst->last, last);
    size_t from, to;
    span_of(dst, &from, &to);
    int64_t total = 0;
    for (size_t i = from; i < to; i++) {
        int64_t n = get(&src->counts[i]);
        put(&dst->counts[i], n);
        total = add_sat(total, n);
    }
    put(&dst->total, total);
    put(&dst->clamped, get(&src->clamped));
}

void ob_hist_reset(ob_hist *h)
{
    size_t from, to;
    span_of(h, &from, &to);
    if (from < to)
        memset((void *)&h->counts[from], 0, (to - from) * sizeof h->counts[0]);
    put(&h->total, 0);
    put(&h->clamped, 0);
    set_empty_span(h);
}

int64_t ob_hist_count(const ob_hist *h)
{
    return get(&h->total);
}

int64_t ob_hist_clamped(const ob_hist *h)
{
    return get(&h->clamped);
}

/* The rank (1-based) of the value at percentile p among n: ceil(p/100 * n), in integer
 * arithmetic with p taken to 6 decimal places, so that 99.9 % of 1000 is exactly 999
 * (in floating point it can come out as 999.0000000001 and round up to 1000) and huge
 * counts keep every unit. With P = p * 10^6 <= 10^8 and n = q * 10^8 + r:
 * P * n / 10^8 = P * q + P * r / 10^8, where neither product can overflow. */
static int64_t rank_of(double p, int64_t n)
{
    if (!(p > 0))
        return 1;
    if (p >= 100)
        return n;
    const int64_t scale = 100000000; /* 100 % in millionths of a percent */
    int64_t pm = llround(p * 1e6);
    int64_t q = n / scale, r = n % scale;
    int64_t rank = pm * q + (pm * r + scale - 1) / scale;
    return rank < 1 ? 1 : rank > n ? n : rank;
}

void ob_hist_percentiles(const ob_hist *h, const double *ps, size_t n, int64_t *out)
{
    int64_t total = get(&h->total), seen = 0;
    size_t j = 0, last = 0, from, to;
    bool any = false;
    span_of(h, &from, &to);
    int64_t want = n > 0 && total > 0 ? rank_of(ps[0], total) : 0; /* ps[j]'s rank */
    for (size_t i = from; i < to && j < n && total > 0; i++) {
        int64_t c = get(&h->counts[i]);
        if (!c)
            continue;
        last = i;
        any = true;
        seen = add_sat(seen, c);
        while (j < n && seen >= want) {
            out[j++] = slot_value(i);
            if (j < n)
                want = rank_of(ps[j], total);
        }
    }
    /* an empty histogram (0), or the total ran ahead of the buckets (a histogram being
     * written while read directly rather than through ob_hist_copy): the last value */
    for (; j < n; j++)
        out[j] = any ? slot_value(last) : 0;
}

int64_t ob_hist_percentile(const ob_hist *h, double p)
{
    int64_t v;
    ob_hist_percentiles(h, &p, 1, &v);
    return v;
}

int64_t ob_hist_min(const ob_hist *h)
{
    size_t from, to;
    span_of(h, &from, &to);
    for (size_t i = from; i < to; i++)
        if (get(&h->counts[i]))
            return slot_value(i);
    return 0;
}

int64_t ob_hist_max(const ob_hist *h)
{
    size_t from, to;
    span_of(h, &from, &to);
    for (size_t i = to; i-- > from;)
        if (get(&h->counts[i]))
            return slot_value(i);
    return 0;
}

double ob_hist_mean(const ob_hist *h)
{
    double sum = 0, n = 0;
    size_t from, to;
    span_of(h, &from, &to);
    for (size_t i = from; i < to; i++) {
        int64_t c = get(&h->counts[i]);
        if (c) {
            sum += (double)c * (double)slot_value(i);
            n += (double)c;
        }
    }
    return n > 0 ? sum / n : 0;
}

void ob_hist_cumulative(const ob_hist *h, const int64_t *bounds_ns, size_t n, int64_t *le_counts,
                        double *sum_ns)
{
    double sum = 0;
    int64_t below = 0; /* values in the slots before i */
    size_t j = 0, from, to;
    span_of(h, &from, &to);
    for (size_t i = from; i < to; i++) {
        int64_t c = get(&h->counts[i]);
        if (!c)
            continue;
        int64_t v = slot_value(i);
        while (j < n && bounds_ns[j] < v)
            le_counts[j++] = below;
        below = add_sat(below, c);
        sum += (double)c * (double)v;
    }
    while (j < n)
        le_counts[j++] = below;
    *sum_ns = sum;
}

/* ---- encoding ---------------------------------------------------------------------- */

#define ENC_PREFIX "h1:"

char *ob_hist_encode(const ob_hist *h)
{
    /* Upper bound: 5 digits of index, ':', 19 digits of count, ',' per slot used. */
    size_t used = 0, from, to;
    span_of(h, &from, &to);
    for (size_t i = from; i < to; i++)
        used += get(&h->counts[i]) != 0;
    size_t cap = sizeof ENC_PREFIX + used * (5 + 1 + 19 + 1);
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t len = (size_t)snprintf(out, cap, "%s", ENC_PREFIX);
    bool first = true;
    for (size_t i = from; i < to && len < cap; i++) {
        int64_t c = get(&h->counts[i]);
        if (c <= 0)
            continue;
        len += (size_t)snprintf(out + len, cap - len, "%s%zu:%lld", first ? "" : ",", i,
                                (long long)c);
        first = false;
    }
    return out;
}

/* Writes `text` for an error message: at most 40 bytes, non-printable bytes escaped, so
 * the message stays one short line whatever the input. */
static const char *excerpt(const char *text, char *buf, size_t cap)
{
    size_t o = 0, n = 0;
    for (; text[n] && n < 40 && o + 5 < cap; n++) {
        unsigned char ch = (unsigned char)text[n];
        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
        else
            buf[o++] = (char)ch;
    }
    buf[o] = '\0';
    if (text[n] && o + 4 <= cap)
        memcpy(buf + o, "...", 4);
    return buf;
}

static int decode_error(ob_err *err, const char *text, size_t at, const char *what)
{
    char ex[256];
    return ob_err_set(err, "invalid histogram encoding at byte %zu (\"%s\"): %s", at,
                      excerpt(text + at, ex, sizeof ex), what);
}

/* Reads a non-negative decimal integer at *pos. Returns 0, or -1 with err set. */
static int read_number(const char *text, size_t *pos, const char *name, int64_t *out,
                       ob_err *err)
{
    size_t i = *pos;
    char what[64];
    if (text[i] == '-') {
        snprintf(what, sizeof what, "negative %s", name);
        return decode_error(err, text, i, what);
    }
    if (text[i] < '0' || text[i] > '9') {
        snprintf(what, sizeof what, "expected a digit (%s)", name);
        return decode_error(err, text, i, what);
    }
    int64_t v = 0;
    for (; text[i] >= '0' && text[i] <= '9'; i++) {
        int d = text[i] - '0';
        if (v > (INT64_MAX - d) / 10) {
            snprintf(what, sizeof what, "%s overflows a 64-bit integer", name);
            return decode_error(err, text, *pos, what);
        }
        v = v * 10 + d;
    }
    *out = v;
    *pos = i;
    return 0;
}

/* Walks the encoding; with h NULL only validates it and sums the counts into *sum. */
static int decode_walk(ob_hist *h, const char *text, int64_t *sum, ob_err *err)
{
    size_t pos = sizeof ENC_PREFIX - 1;
    *sum = 0;
    if (text[pos] == '\0')
        return 0;
    for (;;) {
        int64_t index, count;
        size_t at = pos;
        if (read_number(text, &pos, "index", &index, err) != 0)
            return -1;
        if (index < (int64_t)slot_of(OB_HIST_LOWEST_NS) || index >= (int64_t)NSLOTS) {
            char what[96];
            snprintf(what, sizeof what, "index %lld out of range [%zu, %zu]", (long long)index,
                     slot_of(OB_HIST_LOWEST_NS), NSLOTS - 1);
            return decode_error(err, text, at, what);
        }
        if (text[pos] != ':')
            return decode_error(err, text, pos, "expected ':' after the index");
        pos++;
        at = pos;
        if (read_number(text, &pos, "count", &count, err) != 0)
            return -1;
        if (*sum > INT64_MAX - count)
            return decode_error(err, text, at, "total count overflows a 64-bit integer");
        *sum += count;
        if (h && count) {
            widen(h, (size_t)index);
            counter *c = &h->counts[index];
            put(c, get(c) + count);
        }
        if (text[pos] == '\0')
            return 0;
        if (text[pos] != ',')
            return decode_error(err, text, pos, "expected ',' or the end after the count");
        pos++;
    }
}

int ob_hist_decode_add(ob_hist *h, const char *text, ob_err *err)
{
    if (!text)
        return ob_err_set(err, "invalid histogram encoding: no text");
    if (strncmp(text, ENC_PREFIX, sizeof ENC_PREFIX - 1) != 0)
        return decode_error(err, text, 0, "expected the \"" ENC_PREFIX "\" prefix");
    /* Validate everything first, so that a bad encoding leaves h untouched. A bucket
     * never exceeds the total, so checking the total is enough against overflow. */
    int64_t sum;
    if (decode_walk(NULL, text, &sum, err) != 0)
        return -1;
    int64_t total = get(&h->total);
    if (total > INT64_MAX - sum)
        return decode_error(err, text, 0, "adding it would overflow the histogram's count");
    decode_walk(h, text, &sum, NULL);
    put(&h->total, total + sum);
    return 0;
}
