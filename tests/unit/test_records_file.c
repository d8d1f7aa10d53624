/* test_records_file.c — records files (records_file.h): JSON arrays and NDJSON, the
 * BOM, errors with file:line:col on multi-line inputs, empty inputs, missing files, and
 * the pretty writer's exact format and its round trip through a real file. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "records_file.h"

#define R1 "{\"name\": \"Urban Beldum\", \"location\": \"Escuintla\", \"age\": 4, " \
           "\"infectedtype\": \"non-imported\", \"state\": \"symptomatic\"}"
#define R2 "{\"name\": \"Ana L\\u00f3pez\", \"location\": \"Pet\\u00e9n\", \"age\": 90, " \
           "\"infectedtype\": \"imported\", \"state\": \"asymptomatic\"}"

static int parse(const char *s, const char *name, ob_records *out, ob_err *err)
{
    return ob_records_parse(s, strlen(s), name, out, err);
}

/* Parses s and expects failure with exactly msg. */
static void parse_fails(const char *s, const char *msg, int line)
{
    ob_records recs = {(ob_record *)&recs, 7};
    ob_err err = {0};
    int rc = parse(s, "t.json", &recs, &err);
    CHECK_MSG(rc == -1, "line %d: should fail", line);
    CHECK_MSG(strcmp(err.msg, msg) == 0, "line %d: got \"%s\", want \"%s\"", line, err.msg, msg);
    CHECK_MSG(recs.items == NULL && recs.count == 0, "line %d: output not cleared", line);
}
#define PARSE_FAILS(s, msg) parse_fails((s), (msg), __LINE__)

static void check_two(const ob_records *recs, int line)
{
    CHECK_MSG(recs->count == 2, "line %d: %zu records", line, recs->count);
    if (recs->count != 2)
        return;
    CHECK_STR(recs->items[0].name, "Urban Beldum");
    CHECK_STR(recs->items[0].location, "Escuintla");
    CHECK(recs->items[0].age == 4);
    CHECK_STR(recs->items[0].infectedtype, "non-imported");
    CHECK_STR(recs->items[0].state, "symptomatic");
    CHECK_STR(recs->items[1].name, "Ana López");
    CHECK_STR(recs->items[1].location, "Petén");
    CHECK(recs->items[1].age == 90);
    CHECK_STR(recs->items[1].state, "asymptomatic");
}

static void test_formats(void)
{
    ob_records recs;
    ob_err err = {0};
    const char *inputs[] = {
        "[" R1 "," R2 "]",
        "\n  [\n  " R1 ",\n\n  " R2 "\n]\n\n",
        "\xEF\xBB\xBF[" R1 ", " R2 "]", /* BOM */
        R1 "\n" R2 "\n",                /* NDJSON */
        R1 "\r\n" R2,                   /* CRLF, no final newline */
        "\n\n" R1 "\n   \n\t\n" R2 "\n\n\n", /* blank lines */
        "\xEF\xBB\xBF" R1 "\n" R2 "\n",
        "  " R1 "  \n  " R2 "  ",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        int rc = parse(inputs[i], "t.json", &recs, &err);
        CHECK_MSG(rc == 0, "input %zu: %s", i, err.msg);
        if (rc == 0)
            check_two(&recs, (int)i);
        ob_records_free(&recs);
        CHECK(recs.items == NULL && recs.count == 0);
    }
    ob_records_free(NULL);

    /* metadata and unknown keys in a file are accepted and ignored */
    const char *s = "{\"name\":\"a\",\"location\":\"Izabal\",\"age\":1,\"infectedtype\":\"imported\","
                    "\"state\":\"symptomatic\",\"run\":\"r\",\"seq\":3,\"_id\":{\"$oid\":\"x\"}}\n";
    CHECK(parse(s, "m.ndjson", &recs, &err) == 0 && recs.count == 1);
    ob_records_free(&recs);

    /* a larger array grows past the first allocation */
    size_t n = 1000, len = 2 + n * (sizeof R1 + 1);
    char *big = malloc(len), *p = big;
    *p++ = '[';
    for (size_t i = 0; i < n; i++) {
        memcpy(p, R1, sizeof R1 - 1);
        p += sizeof R1 - 1;
        *p++ = i + 1 < n ? ',' : ']';
    }
    CHECK(ob_records_parse(big, (size_t)(p - big), "big.json", &recs, &err) == 0);
    CHECK(recs.count == n);
    CHECK(recs.count == n && strcmp(recs.items[n - 1].name, "Urban Beldum") == 0);
    ob_records_free(&recs);
    free(big);
}

static void test_errors(void)
{
    /* a missing comma between two records on lines 2 and 3 */
    PARSE_FAILS("[\n    " R1 "\n    " R2 "\n]\n", "t.json:3:5: expected ',' or ']'");
    /* a missing comma inside a record that spans lines */
    PARSE_FAILS("[\n  " R1 ",\n  {\"name\": \"x\"\n    \"age\": 3}\n]",
                "t.json:4:5: expected ',' or '}'");
    PARSE_FAILS("[\n" R1 ",\n{\"name\" \"x\"}]", "t.json:3:9: expected ':' after key");
    PARSE_FAILS("[\n" R1 ",\n    \"x\"]", "t.json:3:5: expected a record object");
    PARSE_FAILS("[" R1 ",]", "t.json:1:118: expected a value");
    PARSE_FAILS("[" R1 "", "t.json:1:117: unexpected end of input, expected ',' or ']'");
    PARSE_FAILS("[" R1 "]\n]", "t.json:2:1: unexpected data after the array");
    PARSE_FAILS("[" R1 "] " R1, "t.json:1:119: unexpected data after the array");

    /* missing field: at the start of the object, on whichever line that is */
    PARSE_FAILS(R1 "\n\n{\"name\": \"a\", \"location\": \"Jalapa\", \"infectedtype\": \"imported\", "
                   "\"state\": \"symptomatic\"}\n",
                "t.json:3:1: missing field \"age\"");
    PARSE_FAILS("[\n  " R1 ",\n  {\n    \"name\": \"a\",\n    \"age\": 3\n  }\n]",
                "t.json:3:3: missing field \"location\"");
    /* wrong types, at the value */
    PARSE_FAILS(R1 "\n" R1 "\n{\"name\": \"a\",\n \"age\": \"4\"}",
                "t.json:4:9: field \"age\" must be an integer");
    PARSE_FAILS("[{\"name\": [\"a\"]}]", "t.json:1:11: field \"name\" must be a string");
    PARSE_FAILS("[{\"age\": 4.0}]", "t.json:1:10: field \"age\": expected an integer, got 4.0");

    /* NDJSON: one record per line; a non-object line */
    PARSE_FAILS(R1 " " R1 "\n", "t.json:1:117: expected a newline after the record (NDJSON: one "
                                "record per line)");
    PARSE_FAILS(R1 ",\n" R1 "\n", "t.json:1:116: expected a newline after the record (NDJSON: "
                                  "one record per line)");
    PARSE_FAILS(R1 "\n42\n", "t.json:2:1: expected a record object");
    PARSE_FAILS("x", "t.json:1:1: expected a record object");

    /* invalid JSON inside a string, with the column of the bad byte */
    PARSE_FAILS("[\n{\"name\": \"a\\x\"}]", "t.json:2:12: invalid escape '\\x'");
    PARSE_FAILS("{\"name\": \"\xC3\"}", "t.json:1:11: invalid UTF-8 in string");

    /* nothing to load */
    PARSE_FAILS("", "t.json: no records");
    PARSE_FAILS(" \n\t\r\n", "t.json: no records");
    PARSE_FAILS("\xEF\xBB\xBF", "t.json: no records");
    PARSE_FAILS("[]", "t.json: no records");
    PARSE_FAILS("\n[\n ]\n", "t.json: no records");

    /* a NULL name still gives a message */
    ob_records recs;
    ob_err err = {0};
    CHECK(ob_records_parse("[]", 2, NULL, &recs, &err) == -1);
    CHECK_STR(err.msg, "<records>: no records");
}

static void test_files(void)
{
    ob_records recs;
    ob_err err = {0};
    CHECK(ob_records_load("/nonexistent/dir/traffic.json", &recs, &err) == -1);
    CHECK_STR(err.msg, "/nonexistent/dir/traffic.json: No such file or directory");
    CHECK(recs.items == NULL && recs.count == 0);
    CHECK(ob_records_load("/", &recs, &err) == -1);
    CHECK_STR(err.msg, "/: Is a directory");

    char path[] = "/tmp/ob_test_records_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "w");

    /* the writer's exact format */
    ob_record items[3];
    memset(items, 0, sizeof items);
    strcpy(items[0].name, "Urban Beldum");
    strcpy(items[0].location, "Escuintla");
    items[0].age = 4;
    strcpy(items[0].infectedtype, "non-imported");
    strcpy(items[0].state, "symptomatic");
    strcpy(items[1].name, "Q \"uote\" \\ tab\t é");
    strcpy(items[1].location, "Sololá");
    items[1].age = 90;
    strcpy(items[1].infectedtype, "imported");
    strcpy(items[1].state, "asymptomatic");
    items[2] = items[0];
    items[2].age = 1;
    ob_records out = {items, 3};
    CHECK(ob_records_write_json(f, &out) == 0);
    fclose(f);

    const char *want =
        "[\n"
        "  {\"name\": \"Urban Beldum\", \"location\": \"Escuintla\", \"age\": 4, "
        "\"infectedtype\": \"non-imported\", \"state\": \"symptomatic\"},\n"
        "  {\"name\": \"Q \\\"uote\\\" \\\\ tab\\u0009 é\", \"location\": \"Sololá\", \"age\": 90, "
        "\"infectedtype\": \"imported\", \"state\": \"asymptomatic\"},\n"
        "  {\"name\": \"Urban Beldum\", \"location\": \"Escuintla\", \"age\": 1, "
        "\"infectedtype\": \"non-imported\", \"state\": \"symptomatic\"}\n"
        "]\n";
    char got[2048] = {0};
    f = fopen(path, "rb");
    size_t n = fread(got, 1, sizeof got - 1, f);
    fclose(f);
    CHECK(n == strlen(want));
    CHECK_STR(got, want);

    /* and it loads back equal */
    int rc = ob_records_load(path, &recs, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(recs.count == 3);
    for (size_t i = 0; i < recs.count && i < 3; i++) {
        const ob_record *a = &recs.items[i], *b = &items[i];
        CHECK_STR(a->name, b->name);
        CHECK_STR(a->location, b->location);
        CHECK(a->age == b->age);
        CHECK_STR(a->infectedtype, b->infectedtype);
        CHECK_STR(a->state, b->state);
    }
    ob_records_free(&recs);

    /* errors from a file carry its path */
    f = fopen(path, "w");
    fputs("[\n  " R1 ",\n  " R1 "\n  " R1 "\n]\n", f);
    fclose(f);
    CHECK(ob_records_load(path, &recs, &err) == -1);
    char want_err[256];
    snprintf(want_err, sizeof want_err, "%s:4:3: expected ',' or ']'", path);
    CHECK_STR(err.msg, want_err);

    /* an empty file */
    f = fopen(path, "w");
    fclose(f);
    CHECK(ob_records_load(path, &recs, &err) == -1);
    snprintf(want_err, sizeof want_err, "%s: no records", path);
    CHECK_STR(err.msg, want_err);

    /* an empty array written and read back */
    f = fopen(path, "w");
    ob_records none = {NULL, 0};
    CHECK(ob_records_write_json(f, &none) == 0);
    fclose(f);
    CHECK(ob_records_load(path, &recs, &err) == -1);
    CHECK_STR(err.msg, want_err);
    unlink(path);

    /* a write error is reported */
    f = fopen("/dev/full", "w");
    if (f) {
        CHECK(ob_records_write_json(f, &out) == -1);
        fclose(f);
    }
}

int main(void)
{
    test_formats();
    test_errors();
    test_files();
    CHECK_DONE();
}
