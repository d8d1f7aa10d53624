/* dash.h — the data dashboard's counts over stored records: how many, by department
 * (location), by state, by infectedtype, by age range, and the latest cases.
 *
 * The course project's dashboard grouped MongoDB's records on every refresh; on
 * FerretDB a $group over 300 000 records takes 22-40 s. So each sink keeps an ob_dash
 * of the records *it inserted* (duplicates and failures are not added), stores it per run
 * (store.h: sink_dash), and the dashboard sums those small documents (ob_dash_merge). The sum equals a full aggregation of the records collection
 * as long as every sink that inserted records stored its last counts; store.h's recount
 * of dead sinks makes it so after a sink was killed. */
#ifndef OB_DASH_H
#define OB_DASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

/* Distinct values kept per field; more are counted under OB_DASH_OTHER (a records file
 * with thousands of distinct locations would otherwise grow every stored document). */
#define OB_DASH_KEYS 64
#define OB_DASH_OTHER "(other)"
/* Age ranges of ten years: 0-9, 10-19, ..., 90-99, then 100 and over. */
#define OB_DASH_AGE_BUCKETS 11
/* Latest cases kept (the course project's table showed 50). */
#define OB_DASH_LATEST 50

/* One field's counts: keys in first-seen order, each once. */
typedef struct ob_tally {
    struct ob_tally_entry {
        char key[OB_FIELD_CAP];
        int64_t n;
    } e[OB_DASH_KEYS];
    size_t n;
} ob_tally;

/* One stored case, for the latest-cases table. */
typedef struct ob_dash_case {
    ob_record r;
    char way[16];
    char run[OB_RUN_CAP];
    int64_t persisted_ms; /* when the sink inserted it (epoch ms) */
} ob_dash_case;

typedef struct ob_dash {
    int64_t records;
    ob_tally location, state, infectedtype;
    int64_t age[OB_DASH_AGE_BUCKETS];
    ob_dash_case latest[OB_DASH_LATEST]; /* newest first */
    size_t nlatest;
} ob_dash;

/* An empty dash (all zero). */
void ob_dash_init(ob_dash *d);

/* Adds n to key's count (OB_DASH_OTHER's when the tally is full and key is new). */
void ob_tally_add(ob_tally *t, const char *key, int64_t n);
/* key's count (0 if absent). */
int64_t ob_tally_get(const ob_tally *t, const char *key);
/* Indexes of the entries sorted by count descending, then key ascending; returns n. */
size_t ob_tally_sorted(const ob_tally *t, size_t *order);

/* The age range index of an age (negative ages go to 0). */
int ob_dash_age_bucket(int age);
/* "0-9", ..., "90-99", "100+". */
const char *ob_dash_age_label(int bucket);

/* Counts one inserted record and keeps it among the latest cases when it is newer than
 * the oldest kept. */
void ob_dash_add(ob_dash *d, const ob_record *r, const char *way, const char *run,
                 int64_t persisted_ms);
/* Adds every count of `from` into `into`, and keeps the newest OB_DASH_LATEST cases of
 * both. */
void ob_dash_merge(ob_dash *into, const ob_dash *from);

/* Guatemala's eight regions, each a group of departments. */
#define OB_REGION_COUNT 8
extern const char *const ob_regions[OB_REGION_COUNT];
/* The region of a department (ob_departments' spelling; case and accents must match), or
 * NULL for a location that is not one of the 22. */
const char *ob_region_of(const char *department);
/* The counts by region of a tally by department (locations that are no department are
 * left out): into[i] is ob_regions[i]'s. */
void ob_dash_regions(const ob_tally *by_location, int64_t into[OB_REGION_COUNT]);

#endif
