/* histogram.h — latency histogram: log-linear buckets (HdrHistogram-style), values in
 * nanoseconds from 1 µs to 1 h, 3 significant digits, constant memory, mergeable.
 *
 * Accuracy: any reported value (percentile, min, max, mean) is within 0.1 % of the
 * true sample value it stands for. Values below 1 µs are counted as 1 µs and values
 * above 1 h as 1 h (and counted in ob_hist_clamped()).
 *
 * Threading: one writer per histogram. ob_hist_record() uses relaxed atomic stores
 * (no read-modify-write, no lock), so another thread may ob_hist_copy() a live
 * histogram at any time and get a consistent-enough snapshot (each bucket is exact,
 * the set of buckets may straddle a few in-flight records). Every other function
 * needs exclusive access to the histograms it is given. */
#ifndef OB_HISTOGRAM_H
#define OB_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct ob_hist ob_hist;

#define OB_HIST_LOWEST_NS 1000LL               /* 1 µs */
#define OB_HIST_HIGHEST_NS 3600000000000LL     /* 1 h */

/* Locust's percentile set, in the order reports print them. */
#define OB_PERCENTILE_COUNT 11
extern const double ob_percentiles[OB_PERCENTILE_COUNT]; /* 50 66 75 80 90 95 98 99 99.9 99.99 100 */

/* A new empty histogram, or NULL on allocation failure. */
ob_hist *ob_hist_new(void);
/* NULL-safe. */
void ob_hist_free(ob_hist *h);

/* Records one value (ns). Single writer; see the threading note above. */
void ob_hist_record(ob_hist *h, int64_t value_ns);
/* Records `count` occurrences of one value. */
void ob_hist_record_n(ob_hist *h, int64_t value_ns, int64_t count);

/* dst += src, bucket by bucket. */
void ob_hist_merge(ob_hist *dst, const ob_hist *src);
/* dst = a - b, bucket by bucket: the interval between two snapshots of one histogram
 * (b an earlier copy of a). Buckets that would go negative are set to 0. */
void ob_hist_diff(ob_hist *dst, const ob_hist *a, const ob_hist *b);
/* dst = src (a snapshot; safe against a concurrent writer of src). */
void ob_hist_copy(ob_hist *dst, const ob_hist *src);
void ob_hist_reset(ob_hist *h);

int64_t ob_hist_count(const ob_hist *h);
/* Count of values that were outside [1 µs, 1 h] and clamped into it. */
int64_t ob_hist_clamped(const ob_hist *h);
/* The value at percentile p (0 < p <= 100): the smallest recorded value v such that
 * at least p % of the values are <= v, reported as its bucket's midpoint.
 * 0 when the histogram is empty. p = 100 gives the max. */
int64_t ob_hist_percentile(const ob_hist *h, double p);
/* out[k] = ob_hist_percentile(h, ps[k]) for the n percentiles ps, ascending, in one
 * pass over the slots (a report's 11 in the time of one). */
void ob_hist_percentiles(const ob_hist *h, const double *ps, size_t n, int64_t *out);
int64_t ob_hist_min(const ob_hist *h); /* 0 when empty */
int64_t ob_hist_max(const ob_hist *h); /* 0 when empty */
double ob_hist_mean(const ob_hist *h); /* 0 when empty */

/* Cumulative counts at fixed bounds (Prometheus' classic `le` buckets): le_counts[j] =
 * the values <= bounds_ns[j] (bounds ascending; a slot counts by the value it reports,
 * so within 0.05 % of each bound), and *sum_ns the sum of the values (as ob_hist_mean
 * weighs them). One pass over the slots. */
void ob_hist_cumulative(const ob_hist *h, const int64_t *bounds_ns, size_t n, int64_t *le_counts,
                        double *sum_ns);

/* Serialises the non-empty buckets into a compact ASCII string (for MongoDB documents
 * and JSON files): "h1:" followed by "index:count" pairs separated by ','.
 * Returns a malloc'd NUL-terminated string (caller frees), or NULL on OOM. */
char *ob_hist_encode(const ob_hist *h);
/* Adds the counts of an encoded histogram into h (so decoding several merges them).
 * Returns 0, or -1 with err naming what is malformed. */
int ob_hist_decode_add(ob_hist *h, const char *text, ob_err *err);

#endif
