/* per_second.h — how many records a sink persisted in each wall-clock second: exact
 * counts per epoch second (CLOCK_REALTIME), kept by each sink for each run, stored in
 * its sink_stats document as text ("E:c0,c1,..." = c0 records in second E, c1 in E+1,
 * ...) and merged over the sinks by `outbreak run` for its throughput series (the
 * running totals it samples every second lag by up to a stats interval, which made a
 * steady stream look like 0, 4000, 0, 4000 records/s). */
#ifndef OB_PER_SECOND_H
#define OB_PER_SECOND_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* The longest span kept: counts further than this from the first second are dropped
 * (they are still in the totals). About 11.5 days. */
#define OB_PER_SECOND_MAX_SPAN 1000000

typedef struct ob_per_second {
    int64_t first;  /* epoch second of count[0] */
    int64_t *count; /* count[i]: records in second first + i */
    size_t n, cap;
} ob_per_second;

/* Adds k records in epoch second `sec`. Returns 0, or -1 when out of memory or outside
 * the span (nothing is added then). A zeroed ob_per_second is empty and ready. */
int ob_per_second_add(ob_per_second *p, int64_t sec, int64_t k);

/* The count of epoch second `sec` (0 outside the recorded span). */
int64_t ob_per_second_get(const ob_per_second *p, int64_t sec);

/* The text form, malloc'd ("" for no counts); NULL when out of memory. */
char *ob_per_second_encode(const ob_per_second *p);

/* Adds the counts of a text form into p. Returns 0, or -1 with err saying what is
 * wrong (p may then hold part of the counts). */
int ob_per_second_decode_add(ob_per_second *p, const char *text, ob_err *err);

/* Frees the counts and leaves p empty (NULL-safe). */
void ob_per_second_free(ob_per_second *p);

#endif
