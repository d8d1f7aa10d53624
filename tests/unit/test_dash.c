/* test_dash.c — the data dashboard's counts (common/dash.h): tallies and their overflow,
 * age ranges, the latest cases across merges, and the regions of the 22 departments. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "dash.h"
#include "generator.h"

static ob_record rec(const char *loc, int age, const char *type, const char *state)
{
    ob_record r;
    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "n-%s-%d", loc, age);
    snprintf(r.location, sizeof r.location, "%s", loc);
    r.age = age;
    snprintf(r.infectedtype, sizeof r.infectedtype, "%s", type);
    snprintf(r.state, sizeof r.state, "%s", state);
    return r;
}

static void test_tally(void)
{
    ob_tally t = {0};
    ob_tally_add(&t, "b", 2);
    ob_tally_add(&t, "a", 2);
    ob_tally_add(&t, "c", 5);
    ob_tally_add(&t, "b", 1);
    CHECK(t.n == 3 && ob_tally_get(&t, "b") == 3 && ob_tally_get(&t, "zz") == 0);
    size_t order[OB_DASH_KEYS];
    CHECK(ob_tally_sorted(&t, order) == 3);
    CHECK(strcmp(t.e[order[0]].key, "c") == 0 && strcmp(t.e[order[1]].key, "b") == 0 &&
          strcmp(t.e[order[2]].key, "a") == 0);
    /* overflow: distinct keys beyond the capacity go to OB_DASH_OTHER, the total is kept */
    ob_tally big = {0};
    char key[16];
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "k%d", i);
        ob_tally_add(&big, key, 1);
    }
    int64_t sum = 0;
    for (size_t i = 0; i < big.n; i++)
        sum += big.e[i].n;
    CHECK(big.n == OB_DASH_KEYS && sum == 200);
    CHECK(ob_tally_get(&big, OB_DASH_OTHER) == 200 - (OB_DASH_KEYS - 1));
    CHECK(ob_tally_get(&big, "k0") == 1 && ob_tally_get(&big, "k199") == 0);
}

static void test_ages(void)
{
    CHECK(ob_dash_age_bucket(0) == 0 && ob_dash_age_bucket(9) == 0 && ob_dash_age_bucket(10) == 1);
    CHECK(ob_dash_age_bucket(99) == 9 && ob_dash_age_bucket(100) == 10 && ob_dash_age_bucket(150) == 10);
    CHECK(ob_dash_age_bucket(-3) == 0);
    CHECK(strcmp(ob_dash_age_label(0), "0-9") == 0 && strcmp(ob_dash_age_label(10), "100+") == 0);
}

static void test_add_merge(void)
{
    ob_dash a, b;
    ob_dash_init(&a);
    ob_dash_init(&b);
    /* 60 cases in a (times 1..60), 60 in b (times 31..90, interleaving) */
    for (int i = 1; i <= 60; i++) {
        ob_record r = rec(i % 2 ? "Petén" : "Guatemala", i, "imported", i % 3 ? "symptomatic" : "asymptomatic");
        ob_dash_add(&a, &r, "nats", "run-a", i);
        ob_record s = rec("Zacapa", 100 + i, "communitary", "symptomatic");
        ob_dash_add(&b, &s, "kafka", "run-b", 30 + i);
    }
    CHECK(a.records == 60 && a.nlatest == OB_DASH_LATEST);
    CHECK(a.latest[0].persisted_ms == 60 && a.latest[OB_DASH_LATEST - 1].persisted_ms == 11);
    CHECK(ob_tally_get(&a.location, "Petén") == 30 && ob_tally_get(&a.state, "asymptomatic") == 20);
    CHECK(a.age[0] == 9 && a.age[1] == 10 && a.age[6] == 1);
    ob_dash_merge(&a, &b);
    CHECK(a.records == 120 && ob_tally_get(&a.location, "Zacapa") == 60);
    CHECK(ob_tally_get(&a.infectedtype, "communitary") == 60 && a.age[10] == 60);
    /* the newest 50 of both: 90..61 (b only), then 60..51 twice (a and b) */
    CHECK(a.nlatest == OB_DASH_LATEST && a.latest[0].persisted_ms == 90 &&
          a.latest[OB_DASH_LATEST - 1].persisted_ms == 51);
    int sorted = 1;
    for (size_t i = 1; i < a.nlatest; i++)
        sorted &= a.latest[i - 1].persisted_ms >= a.latest[i].persisted_ms;
    CHECK(sorted);
    CHECK(strcmp(a.latest[0].way, "kafka") == 0 && strcmp(a.latest[0].run, "run-b") == 0);
}

static void test_regions(void)
{
    int64_t per[OB_REGION_COUNT] = {0};
    ob_tally t = {0};
    for (int i = 0; i < OB_DEPARTMENT_COUNT; i++) {
        const char *r = ob_region_of(ob_departments[i]);
        CHECK(r != NULL);
        if (!r)
            fprintf(stderr, "no region for %s\n", ob_departments[i]);
        ob_tally_add(&t, ob_departments[i], 1);
    }
    ob_tally_add(&t, "Atlantis", 7);
    ob_dash_regions(&t, per);
    /* the departments per region: 1 2 4 3 3 6 2 1 */
    int64_t want[OB_REGION_COUNT] = {1, 2, 4, 3, 3, 6, 2, 1};
    CHECK(memcmp(per, want, sizeof want) == 0);
    CHECK(strcmp(ob_region_of("Guatemala"), "Metropolitana") == 0);
    CHECK(strcmp(ob_region_of("Quiché"), "Noroccidente") == 0);
    CHECK(ob_region_of("Atlantis") == NULL && ob_region_of("guatemala") == NULL);
}

int main(void)
{
    test_tally();
    test_ages();
    test_add_merge();
    test_regions();
    CHECK_DONE();
}
