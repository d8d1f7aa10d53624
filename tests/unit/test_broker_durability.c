/* test_broker_durability.c — the typed durability description and its one writer: the
 * common fields and the extras come out as one JSON object that the project's reader
 * parses back to the same values, whatever the values hold (100 000-byte names, quotes,
 * backslashes, every control character, UTF-8), and too many extras never break it. */
#include <stdlib.h>

#include "broker.h"
#include "check.h"
#include "json.h"

/* The JSON text of d (malloc'd). */
static char *write_json(const ob_durability *d, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    ob_jw w;
    ob_jw_init(&w, f);
    ob_durability_write(&w, d);
    CHECK(ob_jw_status(&w) == 0);
    fclose(f);
    return text;
}

/* Reads the next value as a string into a malloc'd buffer (NULL if it is not one). */
static char *read_string(ob_json *j, size_t cap)
{
    if (ob_json_peek(j) != OB_JSON_STRING)
        return NULL;
    char *buf = malloc(cap);
    size_t n = 0;
    if (ob_json_string(j, buf, cap, &n) != 0 || n >= cap) {
        free(buf);
        return NULL;
    }
    return buf;
}

static void test_nasty_values(void)
{
    size_t big = 100000;
    char *longname = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        longname[i] = (char)('a' + i % 26);
    longname[big] = '\0';
    char nasty[200];
    size_t k = 0;
    for (int c = 1; c < 0x20; c++)
        nasty[k++] = (char)c;
    const char *tail = "\"quoted\" back\\slash / \xc3\xa9t\xc3\xa9 \xe2\x9c\x93 }]{[,:";
    memcpy(nasty + k, tail, strlen(tail) + 1);

    ob_durability d;
    memset(&d, 0, sizeof d);
    ob_durability_set(&d, "confirms", true, "publisher \"confirm\"", "at-least-once", NULL);
    CHECK(ob_durability_str(&d, "queue", longname) == 0);
    CHECK(ob_durability_str(&d, "exchange", nasty) == 0);
    CHECK(ob_durability_str(&d, "key\"with\\quote", "v") == 0);
    CHECK(ob_durability_int(&d, "prefetch", -9007199254740993LL) == 0);
    CHECK(ob_durability_bool(&d, "tls", false) == 0);
    CHECK(ob_durability_str(&d, "nothing", NULL) == 0);

    size_t len = 0;
    char *text = write_json(&d, &len);
    CHECK(len > big);
    ob_json j;
    ob_json_init(&j, text, len);
    CHECK(ob_json_object_begin(&j) == 0);
    char key[64];
    int rc, seen = 0;
    while ((rc = ob_json_object_next(&j, key, sizeof key, NULL)) > 0) {
        seen++;
        if (strcmp(key, "mode") == 0) {
            char *v = read_string(&j, 64);
            CHECK(v && strcmp(v, "confirms") == 0);
            free(v);
        } else if (strcmp(key, "broker_ack") == 0) {
            bool b = false;
            CHECK(ob_json_bool(&j, &b) == 0 && b);
        } else if (strcmp(key, "publish_ack") == 0) {
            char *v = read_string(&j, 64);
            CHECK(v && strcmp(v, "publisher \"confirm\"") == 0);
            free(v);
        } else if (strcmp(key, "delivery") == 0) {
            char *v = read_string(&j, 64);
            CHECK(v && strcmp(v, "at-least-once") == 0);
            free(v);
        } else if (strcmp(key, "queue") == 0) {
            char *v = read_string(&j, big + 1);
            CHECK_MSG(v && strcmp(v, longname) == 0, "the long name came back different");
            free(v);
        } else if (strcmp(key, "exchange") == 0) {
            char *v = read_string(&j, sizeof nasty);
            CHECK_MSG(v && strcmp(v, nasty) == 0, "the nasty value came back as %s", v ? v : "(none)");
            free(v);
        } else if (strcmp(key, "key\"with\\quote") == 0) {
            char *v = read_string(&j, 8);
            CHECK(v && strcmp(v, "v") == 0);
            free(v);
        } else if (strcmp(key, "prefetch") == 0) {
            int64_t n = 0;
            CHECK(ob_json_int64(&j, INT64_MIN, INT64_MAX, &n) == 0 && n == -9007199254740993LL);
        } else if (strcmp(key, "tls") == 0) {
            bool b = true;
            CHECK(ob_json_bool(&j, &b) == 0 && !b);
        } else if (strcmp(key, "nothing") == 0) {
            CHECK(ob_json_null(&j) == 0);
        } else {
            CHECK_MSG(false, "unexpected key %s", key);
            ob_json_skip(&j);
        }
    }
    CHECK_MSG(rc == 0 && ob_json_at_end(&j), "not one JSON object: %s", j.msg);
    CHECK(seen == 10); /* acked_means is left out when empty */
    free(text);
    ob_durability_free(&d);
    CHECK(d.nextras == 0);
    ob_durability_free(&d); /* twice is fine */
    free(longname);
}

static void test_acked_means_and_order(void)
{
    ob_durability d;
    memset(&d, 0, sizeof d);
    ob_durability_set(&d, "core", false, "none", "at-most-once", "the server read it");
    ob_durability_str(&d, "subject", "a.b");
    ob_durability_int(&d, "n", 3);
    size_t len;
    char *text = write_json(&d, &len);
    CHECK_STR(text, "{\"mode\":\"core\",\"broker_ack\":false,\"publish_ack\":\"none\","
                    "\"acked_means\":\"the server read it\",\"delivery\":\"at-most-once\","
                    "\"subject\":\"a.b\",\"n\":3}");
    free(text);
    ob_durability_free(&d);
}

/* More extras than fit: the rest are refused, the JSON stays whole. A zeroed struct
 * writes a valid object too. */
static void test_too_many(void)
{
    ob_durability d;
    memset(&d, 0, sizeof d);
    size_t len;
    char *text = write_json(&d, &len);
    CHECK_STR(text, "{\"mode\":\"\",\"broker_ack\":false,\"publish_ack\":\"\",\"delivery\":\"\"}");
    free(text);
    int refused = 0;
    for (int i = 0; i < OB_DURABILITY_MAX_EXTRAS + 5; i++) {
        char key[32];
        snprintf(key, sizeof key, "k%d", i);
        refused += ob_durability_str(&d, key, "value") != 0;
    }
    CHECK(refused == 5);
    text = write_json(&d, &len);
    ob_json j;
    ob_json_init(&j, text, len);
    CHECK(ob_json_skip(&j) == 0 && ob_json_at_end(&j));
    CHECK(strstr(text, "\"k23\":\"value\"") && !strstr(text, "k24"));
    free(text);
    ob_durability_free(&d);
}

/* Merging two handles' or workers' durabilities: counts of answers add up, an extra
 * only the second has is appended, the first's other values stay. */
static void test_merge(void)
{
    ob_durability a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    ob_durability_set(&a, "http", true, "HTTP 2xx", "the middleware's", NULL);
    ob_durability_int(&a, "connections", 8);
    ob_durability_str(&a, OB_DURABILITY_BEHIND_PREFIX "nats", "the broker's PubAck");
    ob_durability_int(&a, OB_DURABILITY_COUNT_PREFIX "nats", 40);
    ob_durability_set(&b, "http", true, "HTTP 2xx", "the middleware's", NULL);
    ob_durability_int(&b, "connections", 16);
    ob_durability_str(&b, OB_DURABILITY_BEHIND_PREFIX "kafka", "the broker's delivery report");
    ob_durability_int(&b, OB_DURABILITY_COUNT_PREFIX "kafka", 7);
    ob_durability_int(&b, OB_DURABILITY_COUNT_PREFIX "nats", 2);
    ob_durability_merge(&a, &b);
    size_t len;
    char *text = write_json(&a, &len);
    CHECK_STR(text, "{\"mode\":\"http\",\"broker_ack\":true,\"publish_ack\":\"HTTP 2xx\","
                    "\"delivery\":\"the middleware's\",\"connections\":8,"
                    "\"behind_nats\":\"the broker's PubAck\",\"answers_nats\":42,"
                    "\"behind_kafka\":\"the broker's delivery report\",\"answers_kafka\":7}");
    free(text);
    ob_durability_free(&a);
    ob_durability_free(&b);
}

int main(void)
{
    test_merge();
    test_nasty_values();
    test_acked_means_and_order();
    test_too_many();
    CHECK_DONE();
}
