/* test_generator.c — the seeded generator (generator.h): the PRNG against reference
 * values (so the sequence is the same on every machine), determinism per seed, the
 * domain of what it generates, and examples/traffic.json being seed 2020's output. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "generator.h"
#include "records_file.h"

/* The repository root: $OB_SOURCE_DIR, else derived from this file's path (absolute
 * under CMake), else the first parent of the working directory holding examples/. */
static const char *source_dir(char *buf, size_t cap)
{
    const char *env = getenv("OB_SOURCE_DIR");
    if (env && *env) {
        snprintf(buf, cap, "%s", env);
        return buf;
    }
    const char *suffix = "/tests/unit/test_generator.c";
    const char *file = __FILE__;
    size_t n = strlen(file), k = strlen(suffix);
    if (file[0] == '/' && n > k && strcmp(file + n - k, suffix) == 0 && n - k < cap) {
        memcpy(buf, file, n - k);
        buf[n - k] = '\0';
        return buf;
    }
    const char *ups[] = {".", "..", "../..", "../../.."};
    for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
        char probe[4096];
        snprintf(probe, sizeof probe, "%s/examples/traffic.json", ups[i]);
        if (access(probe, R_OK) == 0) {
            snprintf(buf, cap, "%s", ups[i]);
            return buf;
        }
    }
    return NULL;
}

static void test_reference_values(void)
{
    /* splitmix64-seeded xoroshiro128+, computed independently */
    ob_gen g;
    ob_gen_init(&g, 2020);
    CHECK(ob_gen_u64(&g) == 0x82e0782aff21cc2bull);
    CHECK(ob_gen_u64(&g) == 0xfdaa4e73a25fcc59ull);
    CHECK(ob_gen_u64(&g) == 0x5d2a912e8608a678ull);
    CHECK(ob_gen_u64(&g) == 0x3a2e94c1c8424c01ull);
    ob_gen_init(&g, 0);
    CHECK(ob_gen_u64(&g) == 0x509946a41cd733a3ull);
}

static void test_determinism(void)
{
    ob_gen a, b, c;
    ob_gen_init(&a, 7);
    ob_gen_init(&b, 7);
    ob_gen_init(&c, 8);
    int same = 0, differ = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = ob_gen_u64(&a), y = ob_gen_u64(&b), z = ob_gen_u64(&c);
        same += x == y;
        differ += x != z;
    }
    CHECK(same == 1000);
    CHECK(differ >= 999);

    ob_records r1, r2, r3;
    CHECK(ob_gen_records(2020, 500, &r1, NULL) == 0);
    CHECK(ob_gen_records(2020, 500, &r2, NULL) == 0);
    CHECK(ob_gen_records(2021, 500, &r3, NULL) == 0);
    CHECK(r1.count == 500 && r2.count == 500 && r3.count == 500);
    CHECK(memcmp(r1.items, r2.items, 500 * sizeof(ob_record)) == 0);
    int same_names = 0;
    for (size_t i = 0; i < 500; i++)
        same_names += strcmp(r1.items[i].name, r3.items[i].name) == 0;
    CHECK_MSG(same_names < 50, "%d of 500 names equal across seeds", same_names);

    /* ob_gen_records is ob_gen_record in a loop */
    ob_gen g;
    ob_gen_init(&g, 2020);
    ob_record one;
    memset(&one, 0, sizeof one);
    for (int i = 0; i < 3; i++)
        ob_gen_record(&g, &one);
    CHECK_STR(one.name, r1.items[2].name);
    CHECK(one.age == r1.items[2].age);
    ob_records_free(&r1);
    ob_records_free(&r2);
    ob_records_free(&r3);

    ob_records none = {(ob_record *)&one, 99};
    CHECK(ob_gen_records(1, 0, &none, NULL) == 0);
    CHECK(none.count == 0 && none.items == NULL);
}

static void test_unit(void)
{
    ob_gen g;
    ob_gen_init(&g, 99);
    double sum = 0, lo = 1, hi = 0;
    int n = 100000, bad = 0;
    for (int i = 0; i < n; i++) {
        double u = ob_gen_unit(&g);
        bad += !(u >= 0.0 && u < 1.0);
        sum += u;
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
    }
    CHECK(bad == 0);
    CHECK_MSG(sum / n > 0.49 && sum / n < 0.51, "mean %f", sum / n);
    CHECK(lo < 0.001 && hi > 0.999);
}

static bool name_ok(const char *s)
{
    /* "First Last": two capitalised words of lowercase letters */
    for (int word = 0; word < 2; word++) {
        if (!isupper((unsigned char)*s))
            return false;
        s++;
        int letters = 0;
        while (islower((unsigned char)*s))
            s++, letters++;
        if (letters < 2)
            return false;
        if (word == 0 && *s++ != ' ')
            return false;
    }
    return *s == '\0';
}

static void test_domain(void)
{
    enum { N = 100000 };
    ob_records recs;
    ob_err err = {0};
    CHECK(ob_gen_records(12345, N, &recs, &err) == 0);
    int dept[OB_DEPARTMENT_COUNT] = {0}, ages[91] = {0}, types[3] = {0}, states[2] = {0};
    int invalid = 0, bad_names = 0;
    for (size_t i = 0; i < recs.count; i++) {
        const ob_record *r = &recs.items[i];
        if (ob_record_check_domain(r, &err) < 0 && invalid++ == 0)
            fprintf(stderr, "record %zu: %s\n", i, err.msg);
        if (!name_ok(r->name) && bad_names++ == 0)
            fprintf(stderr, "record %zu: bad name \"%s\"\n", i, r->name);
        for (int d = 0; d < OB_DEPARTMENT_COUNT; d++)
            dept[d] += strcmp(r->location, ob_departments[d]) == 0;
        if (r->age >= 1 && r->age <= 90)
            ages[r->age]++;
        for (int t = 0; t < 3; t++)
            types[t] += strcmp(r->infectedtype, ob_infected_types[t]) == 0;
        for (int s = 0; s < 2; s++)
            states[s] += strcmp(r->state, ob_states[s]) == 0;
    }
    CHECK(invalid == 0);
    CHECK(bad_names == 0);
    /* uniform: each of the 22 departments ~4545 times, each age ~1111 times */
    for (int d = 0; d < OB_DEPARTMENT_COUNT; d++)
        CHECK_MSG(dept[d] > 4000 && dept[d] < 5100, "%s: %d", ob_departments[d], dept[d]);
    for (int a = 1; a <= 90; a++)
        CHECK_MSG(ages[a] > 900 && ages[a] < 1350, "age %d: %d", a, ages[a]);
    for (int t = 0; t < 3; t++)
        CHECK_MSG(types[t] > 32000 && types[t] < 34700, "%s: %d", ob_infected_types[t], types[t]);
    CHECK(states[0] > 49000 && states[1] > 49000 && states[0] + states[1] == N);
    ob_records_free(&recs);

    /* the department table: 22 distinct names, accents in UTF-8 */
    CHECK_STR(ob_departments[11], "Pet\xC3\xA9n");
    CHECK_STR(ob_departments[15], "Sacatep\xC3\xA9quez");
    int dups = 0;
    for (int a = 0; a < OB_DEPARTMENT_COUNT; a++)
        for (int b = a + 1; b < OB_DEPARTMENT_COUNT; b++)
            dups += strcmp(ob_departments[a], ob_departments[b]) == 0;
    CHECK(dups == 0);
}

static void test_traffic_example(void)
{
    char dir[4096], path[4200];
    if (!source_dir(dir, sizeof dir)) {
        CHECK_MSG(0, "cannot find the source directory (set OB_SOURCE_DIR)");
        return;
    }
    snprintf(path, sizeof path, "%s/examples/traffic.json", dir);
    ob_records file, gen;
    ob_err err = {0};
    int rc = ob_records_load(path, &file, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc != 0)
        return;
    CHECK(file.count == 1000);
    int invalid = 0;
    for (size_t i = 0; i < file.count; i++)
        invalid += ob_record_check_domain(&file.items[i], NULL) < 0;
    CHECK(invalid == 0);
    /* it is exactly what seed 2020 generates: regenerate it if the generator changes */
    CHECK(ob_gen_records(2020, 1000, &gen, &err) == 0);
    int differ = 0;
    for (size_t i = 0; i < file.count && i < gen.count; i++) {
        const ob_record *a = &file.items[i], *b = &gen.items[i];
        differ += strcmp(a->name, b->name) || strcmp(a->location, b->location) ||
                  a->age != b->age || strcmp(a->infectedtype, b->infectedtype) ||
                  strcmp(a->state, b->state);
    }
    CHECK_MSG(differ == 0, "%d records of %s differ from seed 2020's", differ, path);
    ob_records_free(&file);
    ob_records_free(&gen);
}

int main(void)
{
    test_reference_values();
    test_determinism();
    test_unit();
    test_domain();
    test_traffic_example();
    CHECK_DONE();
}
