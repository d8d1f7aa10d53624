/* test_per_second.c — records per epoch second (common/per_second.h): adding in any
 * order (earlier seconds shift the counts), the span limit, the text form and its
 * round trip, merging several sinks' texts, and the errors of malformed texts. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "per_second.h"

static void test_add_and_get(void)
{
    ob_per_second p = {0};
    CHECK(ob_per_second_get(&p, 100) == 0);
    CHECK(ob_per_second_add(&p, 1000, 3) == 0);
    CHECK(ob_per_second_add(&p, 1002, 5) == 0);
    CHECK(ob_per_second_add(&p, 998, 7) == 0); /* earlier: the counts shift */
    CHECK(ob_per_second_add(&p, 1000, 1) == 0);
    CHECK(p.first == 998 && p.n == 5);
    CHECK(ob_per_second_get(&p, 998) == 7);
    CHECK(ob_per_second_get(&p, 999) == 0);
    CHECK(ob_per_second_get(&p, 1000) == 4);
    CHECK(ob_per_second_get(&p, 1001) == 0);
    CHECK(ob_per_second_get(&p, 1002) == 5);
    CHECK(ob_per_second_get(&p, 1003) == 0);
    CHECK(ob_per_second_get(&p, 997) == 0);
    char *text = ob_per_second_encode(&p);
    CHECK(text && strcmp(text, "998:7,0,4,0,5") == 0);
    free(text);
    /* the span is bounded: a count too far away is refused and changes nothing */
    CHECK(ob_per_second_add(&p, 998 + OB_PER_SECOND_MAX_SPAN, 1) == -1);
    CHECK(ob_per_second_add(&p, 1002 - OB_PER_SECOND_MAX_SPAN, 1) == -1);
    CHECK(p.first == 998 && p.n == 5);
    CHECK(ob_per_second_add(&p, 997 + OB_PER_SECOND_MAX_SPAN, 2) == 0); /* just inside */
    CHECK(ob_per_second_get(&p, 997 + OB_PER_SECOND_MAX_SPAN) == 2);
    ob_per_second_free(&p);
    CHECK(p.n == 0 && p.count == NULL);
    ob_per_second_free(NULL);
}

static void test_many_seconds(void)
{
    /* growth over many reallocations, added backwards */
    ob_per_second p = {0};
    for (int64_t s = 5000; s >= 0; s--)
        CHECK(ob_per_second_add(&p, 1700000000 + s, s % 7) == 0);
    int64_t sum = 0;
    for (int64_t s = 0; s <= 5000; s++)
        sum += ob_per_second_get(&p, 1700000000 + s) == s % 7;
    CHECK(sum == 5001);
    char *text = ob_per_second_encode(&p);
    ob_per_second q = {0};
    ob_err err;
    CHECK_MSG(ob_per_second_decode_add(&q, text, &err) == 0, "%s", err.msg);
    /* a leading 0 count is not stored: q starts at the first non-zero second */
    for (int64_t s = 0; s <= 5000; s++)
        if (ob_per_second_get(&q, 1700000000 + s) != s % 7) {
            CHECK(!"round trip");
            break;
        }
    free(text);
    ob_per_second_free(&p);
    ob_per_second_free(&q);
}

static void test_merge(void)
{
    /* two sinks, overlapping seconds: the sum per second */
    ob_per_second m = {0};
    ob_err err;
    CHECK(ob_per_second_decode_add(&m, "100:1,2,3", &err) == 0);
    CHECK(ob_per_second_decode_add(&m, "99:10,20", &err) == 0);
    CHECK(ob_per_second_decode_add(&m, "", &err) == 0); /* a sink with no inserts yet */
    CHECK(ob_per_second_get(&m, 99) == 10);
    CHECK(ob_per_second_get(&m, 100) == 21);
    CHECK(ob_per_second_get(&m, 101) == 2);
    CHECK(ob_per_second_get(&m, 102) == 3);
    ob_per_second_free(&m);
}

static void test_errors(void)
{
    const char *bad[] = {"x", "100", "100:", "100:1,", "100:1,,2", "100:-1", "-5:1", "100:1;2",
                         "100:1 ", "100:99999999999999999999", ":1", "100:1,a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ob_per_second p = {0};
        ob_err err = {0};
        CHECK_MSG(ob_per_second_decode_add(&p, bad[i], &err) == -1, "accepted \"%s\"", bad[i]);
        CHECK_MSG(strstr(err.msg, "per-second counts") != NULL, "\"%s\": %s", bad[i], err.msg);
        ob_per_second_free(&p);
    }
    /* a span beyond the limit in one text */
    ob_per_second p = {0};
    ob_err err;
    CHECK(ob_per_second_decode_add(&p, "1:1", &err) == 0);
    CHECK(ob_per_second_decode_add(&p, "2000000:1", &err) == -1);
    CHECK(strstr(err.msg, "too far") != NULL);
    ob_per_second_free(&p);
}

int main(void)
{
    test_add_and_get();
    test_many_seconds();
    test_merge();
    test_errors();
    CHECK_DONE();
}
