/* dash.c — the data dashboard's counts (dash.h): tallies by field, age ranges, the
 * latest cases, and Guatemala's regions as groups of departments. */
#include "dash.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ob_dash_init(ob_dash *d)
{
    memset(d, 0, sizeof *d);
}

static struct ob_tally_entry *find(ob_tally *t, const char *key)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->e[i].key, key) == 0)
            return &t->e[i];
    return NULL;
}

void ob_tally_add(ob_tally *t, const char *key, int64_t n)
{
    struct ob_tally_entry *e = find(t, key);
    if (!e && t->n >= OB_DASH_KEYS - 1) { /* the last slot is OB_DASH_OTHER's */
        key = OB_DASH_OTHER;
        e = find(t, key);
    }
    if (!e) {
        e = &t->e[t->n++];
        snprintf(e->key, sizeof e->key, "%s", key);
        e->n = 0;
    }
    e->n += n;
}

int64_t ob_tally_get(const ob_tally *t, const char *key)
{
    struct ob_tally_entry *e = find((ob_tally *)t, key);
    return e ? e->n : 0;
}

size_t ob_tally_sorted(const ob_tally *t, size_t *order)
{
    /* insertion sort: at most OB_DASH_KEYS entries */
    for (size_t i = 0; i < t->n; i++) {
        size_t j = i;
        while (j > 0) {
            const struct ob_tally_entry *a = &t->e[order[j - 1]], *b = &t->e[i];
            if (a->n > b->n || (a->n == b->n && strcmp(a->key, b->key) < 0))
                break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    return t->n;
}

int ob_dash_age_bucket(int age)
{
    if (age < 0)
        return 0;
    int b = age / 10;
    return b < OB_DASH_AGE_BUCKETS - 1 ? b : OB_DASH_AGE_BUCKETS - 1;
}

const char *ob_dash_age_label(int bucket)
{
    static const char *const labels[OB_DASH_AGE_BUCKETS] = {
        "0-9", "10-19", "20-29", "30-39", "40-49", "50-59", "60-69", "70-79", "80-89", "90-99", "100+"};
    return bucket >= 0 && bucket < OB_DASH_AGE_BUCKETS ? labels[bucket] : "?";
}

/* Keeps c among the newest OB_DASH_LATEST cases, newest first (ties: the one kept
 * first stays ahead). */
static void keep_latest(ob_dash *d, const ob_dash_case *c)
{
    size_t at = d->nlatest;
    while (at > 0 && d->latest[at - 1].persisted_ms < c->persisted_ms)
        at--;
    if (at == OB_DASH_LATEST)
        return;
    size_t last = d->nlatest < OB_DASH_LATEST ? d->nlatest : OB_DASH_LATEST - 1;
    memmove(&d->latest[at + 1], &d->latest[at], (last - at) * sizeof d->latest[0]);
    d->latest[at] = *c;
    if (d->nlatest < OB_DASH_LATEST)
        d->nlatest++;
}

void ob_dash_add(ob_dash *d, const ob_record *r, const char *way, const char *run,
                 int64_t persisted_ms)
{
    d->records++;
    ob_tally_add(&d->location, r->location, 1);
    ob_tally_add(&d->state, r->state, 1);
    ob_tally_add(&d->infectedtype, r->infectedtype, 1);
    d->age[ob_dash_age_bucket(r->age)]++;
    if (d->nlatest == OB_DASH_LATEST && d->latest[OB_DASH_LATEST - 1].persisted_ms >= persisted_ms)
        return;
    ob_dash_case c;
    c.r = *r;
    snprintf(c.way, sizeof c.way, "%s", way ? way : "");
    snprintf(c.run, sizeof c.run, "%s", run ? run : "");
    c.persisted_ms = persisted_ms;
    keep_latest(d, &c);
}

static void merge_tally(ob_tally *into, const ob_tally *from)
{
    for (size_t i = 0; i < from->n; i++)
        ob_tally_add(into, from->e[i].key, from->e[i].n);
}

void ob_dash_merge(ob_dash *into, const ob_dash *from)
{
    into->records += from->records;
    merge_tally(&into->location, &from->location);
    merge_tally(&into->state, &from->state);
    merge_tally(&into->infectedtype, &from->infectedtype);
    for (int i = 0; i < OB_DASH_AGE_BUCKETS; i++)
        into->age[i] += from->age[i];
    for (size_t i = 0; i < from->nlatest; i++)
        keep_latest(into, &from->latest[i]);
}

const char *const ob_regions[OB_REGION_COUNT] = {
    "Metropolitana", "Norte", "Nororiente", "Suroriente",
    "Central", "Suroccidente", "Noroccidente", "Petén",
};

/* Each department with the index of its region in ob_regions. */
static const struct {
    const char *department;
    int region;
} region_of[] = {
    {"Guatemala", 0},
    {"Alta Verapaz", 1},   {"Baja Verapaz", 1},
    {"El Progreso", 2},    {"Izabal", 2},         {"Zacapa", 2},        {"Chiquimula", 2},
    {"Santa Rosa", 3},     {"Jalapa", 3},         {"Jutiapa", 3},
    {"Sacatepéquez", 4},   {"Chimaltenango", 4},  {"Escuintla", 4},
    {"Sololá", 5},         {"Totonicapán", 5},    {"Quetzaltenango", 5},
    {"Suchitepéquez", 5},  {"Retalhuleu", 5},     {"San Marcos", 5},
    {"Huehuetenango", 6},  {"Quiché", 6},
    {"Petén", 7},
};

static int region_index(const char *department)
{
    for (size_t i = 0; i < sizeof region_of / sizeof region_of[0]; i++)
        if (strcmp(region_of[i].department, department) == 0)
            return region_of[i].region;
    return -1;
}

const char *ob_region_of(const char *department)
{
    int i = region_index(department);
    return i < 0 ? NULL : ob_regions[i];
}

void ob_dash_regions(const ob_tally *by_location, int64_t into[OB_REGION_COUNT])
{
    memset(into, 0, OB_REGION_COUNT * sizeof into[0]);
    for (size_t i = 0; i < by_location->n; i++) {
        int r = region_index(by_location->e[i].key);
        if (r >= 0)
            into[r] += by_location->e[i].n;
    }
}
