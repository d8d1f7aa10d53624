/* units.h — parsing of the human units on the command line: durations ("30s", "1m30s",
 * "500ms", "2h", a bare number means seconds), counts ("10k", "1.5M") and ranges
 * ("0.1-0.9", or a single number meaning min = max).
 *
 * Each parser accepts the whole string or nothing: trailing junk, empty strings,
 * negative values and overflow are errors, reported in err as one line quoting the
 * input. */
#ifndef OB_UNITS_H
#define OB_UNITS_H

#include <stdint.h>

#include "err.h"

/* Duration → nanoseconds. Units: ns, us, ms, s, m, h; compound "1h30m" allowed;
 * fractions allowed ("1.5s"); a bare number is seconds. */
int ob_parse_duration(const char *s, int64_t *out_ns, ob_err *err);

/* Count → non-negative double (rates may be fractional). Suffixes k (1e3), M (1e6),
 * G (1e9), case-sensitive except k/K. */
int ob_parse_count(const char *s, double *out, ob_err *err);

/* Range "MIN-MAX" of non-negative seconds (fractions allowed), MIN <= MAX; a single
 * number gives MIN = MAX. */
int ob_parse_range(const char *s, double *out_min, double *out_max, ob_err *err);

#endif
