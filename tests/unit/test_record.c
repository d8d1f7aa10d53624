/* test_record.c — the record codec (record.h), the domain check, and the json.h reader
 * underneath: round trips with escapes, UTF-8 and extreme metadata, exact encodings,
 * and decode errors with their line and column. */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"
#include "record.h"

static ob_record rec(const char *name, const char *loc, int age, const char *type,
                     const char *state)
{
    ob_record r;
    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "%s", name);
    snprintf(r.location, sizeof r.location, "%s", loc);
    r.age = age;
    snprintf(r.infectedtype, sizeof r.infectedtype, "%s", type);
    snprintf(r.state, sizeof r.state, "%s", state);
    return r;
}

static bool rec_eq(const ob_record *a, const ob_record *b)
{
    return strcmp(a->name, b->name) == 0 && strcmp(a->location, b->location) == 0 &&
           a->age == b->age && strcmp(a->infectedtype, b->infectedtype) == 0 &&
           strcmp(a->state, b->state) == 0 && a->pad == b->pad;
}

static bool meta_eq(const ob_meta *a, const ob_meta *b)
{
    return strcmp(a->run, b->run) == 0 && a->producer == b->producer && a->seq == b->seq &&
           a->sent_ns == b->sent_ns;
}

/* Decodes s and expects failure with exactly `msg`. */
static void decode_fails(const char *s, const char *msg, int line)
{
    ob_record r;
    ob_meta m;
    bool has;
    ob_err err = {0};
    int rc = ob_record_decode(s, strlen(s), &r, &m, &has, &err);
    CHECK_MSG(rc == -1, "line %d: decode of %s should fail", line, s);
    CHECK_MSG(strcmp(err.msg, msg) == 0, "line %d: got \"%s\", want \"%s\"", line, err.msg, msg);
}
#define DECODE_FAILS(s, msg) decode_fails((s), (msg), __LINE__)

static const char *VALID_BODY =
    "\"location\":\"Escuintla\",\"age\":4,\"infectedtype\":\"non-imported\","
    "\"state\":\"symptomatic\"";

static void test_encode_exact(void)
{
    ob_record r = rec("Urban Beldum", "Escuintla", 4, "non-imported", "symptomatic");
    ob_meta m = {.run = "r-1a2b", .producer = 3, .seq = 42, .sent_ns = 1700000000000000000};
    char buf[1024];
    int n = ob_record_encode(&r, &m, buf, sizeof buf);
    const char *want = "{\"name\":\"Urban Beldum\",\"location\":\"Escuintla\",\"age\":4,"
                       "\"infectedtype\":\"non-imported\",\"state\":\"symptomatic\","
                       "\"run\":\"r-1a2b\",\"producer\":3,\"seq\":42,"
                       "\"sent_ns\":1700000000000000000}";
    CHECK(n == (int)strlen(want));
    CHECK_STR(buf, want);

    /* body + meta by hand give the same bytes */
    char b2[1024];
    int nb = ob_record_encode_body(&r, b2, sizeof b2);
    CHECK(nb > 0 && b2[nb - 1] == '"');
    int nm = ob_record_encode_meta(&m, b2 + nb, sizeof b2 - (size_t)nb);
    CHECK(nm > 0 && nb + nm == n);
    CHECK_STR(b2, want);

    /* without metadata: just the closing brace */
    n = ob_record_encode(&r, NULL, buf, sizeof buf);
    CHECK_STR(buf, "{\"name\":\"Urban Beldum\",\"location\":\"Escuintla\",\"age\":4,"
                   "\"infectedtype\":\"non-imported\",\"state\":\"symptomatic\"}");
    CHECK(n == (int)strlen(buf));
}

static void test_encode_cap(void)
{
    ob_record r = rec("A \"quoted\" name", "Petén", 90, "imported", "asymptomatic");
    ob_meta m = {.run = "run", .producer = UINT32_MAX, .seq = UINT64_MAX, .sent_ns = INT64_MIN};
    char full[1024];
    int n = ob_record_encode(&r, &m, full, sizeof full);
    CHECK(n > 0);
    /* every cap that cannot hold the text and its NUL fails; n + 1 is enough */
    int failures = 0;
    for (int cap = 0; cap <= n; cap++) {
        char buf[1024];
        memset(buf, 'x', sizeof buf);
        if (ob_record_encode(&r, &m, buf, (size_t)cap) != -1)
            failures++;
        if (buf[cap] != 'x') /* nothing written past cap */
            failures++;
    }
    CHECK_MSG(failures == 0, "%d caps misbehaved", failures);
    char buf[1024];
    CHECK(ob_record_encode(&r, &m, buf, (size_t)n + 1) == n);
    CHECK_STR(buf, full);
    CHECK(ob_record_encode_meta(&m, buf, 5) == -1);
    CHECK(ob_record_encode_body(&r, buf, 5) == -1);
}

static void round_trip(const ob_record *r, const ob_meta *m, int line)
{
    char buf[4096];
    int n = ob_record_encode(r, m, buf, sizeof buf);
    CHECK_MSG(n > 0, "line %d: encode", line);
    ob_record r2;
    ob_meta m2;
    bool has = !m;
    ob_err err = {0};
    int rc = ob_record_decode(buf, (size_t)n, &r2, &m2, &has, &err);
    CHECK_MSG(rc == 0, "line %d: decode of %s: %s", line, buf, err.msg);
    if (rc != 0)
        return;
    CHECK_MSG(rec_eq(r, &r2), "line %d: record differs after %s", line, buf);
    CHECK_MSG(has == (m != NULL), "line %d: has_meta", line);
    if (m)
        CHECK_MSG(meta_eq(m, &m2), "line %d: meta differs after %s", line, buf);
}

static void test_round_trip(void)
{
    ob_record r = rec("Urban Beldum", "Escuintla", 4, "non-imported", "symptomatic");
    ob_meta m = {.run = "r-1", .producer = 1, .seq = 1, .sent_ns = 1};
    round_trip(&r, &m, __LINE__);
    round_trip(&r, NULL, __LINE__);

    /* escapes: quote, backslash, every control character, DEL, slash */
    char name[OB_NAME_CAP];
    size_t k = 0;
    name[k++] = '"';
    name[k++] = '\\';
    name[k++] = '/';
    for (int c = 1; c < 0x20; c++)
        name[k++] = (char)c;
    name[k++] = 0x7F;
    name[k] = '\0';
    r = rec(name, "Sacatepéquez", 1, "communitary", "asymptomatic");
    round_trip(&r, &m, __LINE__);
    char buf[1024];
    ob_record_encode_body(&r, buf, sizeof buf);
    CHECK(strncmp(buf, "{\"name\":\"\\\"\\\\/\\u0001\\u0002", 25) == 0);
    CHECK(strstr(buf, "\\u001f\x7f\"") != NULL);

    /* UTF-8 passes through unescaped */
    r = rec("José Pérez 日本 😀", "Totonicapán", 90, "imported", "symptomatic");
    round_trip(&r, &m, __LINE__);
    ob_record_encode_body(&r, buf, sizeof buf);
    CHECK(strstr(buf, "\"José Pérez 日本 😀\"") != NULL);

    /* fields filled to capacity */
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    r = rec(name, "Zacapa", 2, "imported", "symptomatic");
    memset(r.location, 'l', sizeof r.location - 1);
    memset(r.infectedtype, 'i', sizeof r.infectedtype - 1);
    memset(r.state, 's', sizeof r.state - 1);
    ob_meta big = {.producer = UINT32_MAX, .seq = UINT64_MAX, .sent_ns = INT64_MAX};
    memset(big.run, 'r', sizeof big.run - 1);
    big.run[sizeof big.run - 1] = '\0';
    round_trip(&r, &big, __LINE__);

    /* extreme numbers */
    r = rec("A B", "Jalapa", INT_MIN, "imported", "symptomatic");
    ob_meta neg = {.run = "", .producer = 0, .seq = 0, .sent_ns = INT64_MIN};
    round_trip(&r, &neg, __LINE__);
    r.age = INT_MAX;
    neg.sent_ns = -1;
    round_trip(&r, &neg, __LINE__);
    r.age = 0;
    neg.sent_ns = 0;
    neg.seq = UINT64_MAX - 1;
    round_trip(&r, &neg, __LINE__);
    ob_record_encode(&r, &big, buf, sizeof buf);
    CHECK(strstr(buf, ",\"producer\":4294967295,\"seq\":18446744073709551615,"
                      "\"sent_ns\":9223372036854775807}") != NULL);
    big.sent_ns = INT64_MIN;
    ob_record_encode(&r, &big, buf, sizeof buf);
    CHECK(strstr(buf, "\"sent_ns\":-9223372036854775808}") != NULL);
}

static void test_decode_values(void)
{
    ob_record r;
    ob_meta m;
    bool has = true;
    ob_err err = {0};
    /* whitespace everywhere, other key order, \u escapes, surrogate pair, \/, unknown
     * keys of every type, duplicate key (last wins) */
    const char *s = " \r\n\t{ \"age\" : 7 , \"state\":\"asymptomatic\",\n"
                    "\"name\": \"Jos\\u00e9 \\ud83d\\ude00 \\/ \\\"q\\\" \\b\\f\\n\\r\\t\\u20AC\",\n"
                    "\"extra\": {\"a\": [1, -2.5e+3, 0.0, -0, 1E9, true, false, null, \"x\", {}, []]},\n"
                    "\"location\": \"Quich\\u00E9\", \"infectedtype\": \"imported\",\n"
                    "\"age\": 9, \"seq\": 5 } \n";
    int rc = ob_record_decode(s, strlen(s), &r, &m, &has, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK_STR(r.name, "José \xF0\x9F\x98\x80 / \"q\" \b\f\n\r\t€");
    CHECK_STR(r.location, "Quiché");
    CHECK(r.age == 9);
    CHECK_STR(r.infectedtype, "imported");
    CHECK_STR(r.state, "asymptomatic");
    CHECK(!has); /* only seq of the four */
    CHECK(m.seq == 5 && m.run[0] == '\0' && m.producer == 0 && m.sent_ns == 0);

    /* all four metadata fields, and NULL m / has_meta are fine */
    char buf[512];
    snprintf(buf, sizeof buf,
             "{\"name\":\"n\",%s,\"run\":\"abc\",\"producer\":4294967295,"
             "\"seq\":18446744073709551615,\"sent_ns\":-9223372036854775808}",
             VALID_BODY);
    rc = ob_record_decode(buf, strlen(buf), &r, &m, &has, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(has);
    CHECK_STR(m.run, "abc");
    CHECK(m.producer == UINT32_MAX && m.seq == UINT64_MAX && m.sent_ns == INT64_MIN);
    CHECK(ob_record_decode(buf, strlen(buf), &r, NULL, NULL, NULL) == 0);

    /* length is honoured: the buffer need not be NUL-terminated */
    snprintf(buf, sizeof buf, "{\"name\":\"n\",%s}GARBAGE", VALID_BODY);
    CHECK(ob_record_decode(buf, strlen(buf) - 7, &r, NULL, NULL, &err) == 0);
    CHECK(ob_record_decode(buf, strlen(buf) - 8, &r, NULL, NULL, &err) == -1);

    /* nesting: the record object plus 63 levels is the limit */
    char deep[512];
    int n = snprintf(deep, sizeof deep, "{\"name\":\"n\",%s,\"x\":", VALID_BODY);
    for (int i = 0; i < 63; i++)
        deep[n++] = '[';
    for (int i = 0; i < 63; i++)
        deep[n++] = ']';
    deep[n++] = '}';
    deep[n] = '\0';
    rc = ob_record_decode(deep, (size_t)n, &r, NULL, NULL, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
}

static void test_decode_errors(void)
{
    char buf[1024];
    DECODE_FAILS("", "line 1, column 1: unexpected end of input, expected '{'");
    DECODE_FAILS("  \n ", "line 2, column 2: unexpected end of input, expected '{'");
    DECODE_FAILS("[]", "line 1, column 1: expected '{'");
    DECODE_FAILS("{\"name\" \"x\"}", "line 1, column 9: expected ':' after key");
    DECODE_FAILS("{\"name\":\"x\" \"age\":1}", "line 1, column 13: expected ',' or '}'");
    DECODE_FAILS("{\"name\":\"x\",}", "line 1, column 13: expected a string key");
    DECODE_FAILS("{name:1}", "line 1, column 2: expected a string key");
    DECODE_FAILS("{\"name\":\"x\"", "line 1, column 12: unexpected end of input, expected ',' or '}'");
    DECODE_FAILS("{\"name\":\"x", "line 1, column 9: unterminated string");
    DECODE_FAILS("{\"name\":\"a\nb\"}", "line 1, column 11: unterminated string (newline in string)");
    DECODE_FAILS("{\"name\":\"a\tb\"}",
                 "line 1, column 11: control character 0x09 in string (must be escaped)");
    DECODE_FAILS("{\"name\":\"a\\qb\"}", "line 1, column 11: invalid escape '\\q'");
    DECODE_FAILS("{\"name\":\"a\\u12G4\"}", "line 1, column 11: invalid \\u escape (need 4 hex digits)");
    DECODE_FAILS("{\"name\":\"a\\u0000\"}", "line 1, column 11: \\u0000 is not allowed in strings");
    DECODE_FAILS("{\"name\":\"\\ud83d\"}", "line 1, column 10: unpaired high surrogate \\uD83D");
    DECODE_FAILS("{\"name\":\"\\ud83d\\u0041\"}", "line 1, column 10: unpaired high surrogate \\uD83D");
    DECODE_FAILS("{\"name\":\"\\ude00\"}", "line 1, column 10: unpaired low surrogate \\uDE00");
    DECODE_FAILS("{\"name\":\"ab\xC0\x80\"}", "line 1, column 12: invalid UTF-8 in string");
    DECODE_FAILS("{\"name\":\"\xED\xA0\x80\"}", "line 1, column 10: invalid UTF-8 in string");
    DECODE_FAILS("{\"name\":\"\xF5\x80\x80\x80\"}", "line 1, column 10: invalid UTF-8 in string");
    DECODE_FAILS("{\"name\":\"\xE2\x82\"}", "line 1, column 10: invalid UTF-8 in string");
    DECODE_FAILS("{\"x\":tru}", "line 1, column 6: expected true");
    DECODE_FAILS("{\"x\":+1}", "line 1, column 6: unexpected character '+', expected a value");
    DECODE_FAILS("{\"x\":1.}", "line 1, column 8: expected a digit after '.'");
    DECODE_FAILS("{\"x\":1e}", "line 1, column 8: expected a digit in the exponent");
    DECODE_FAILS("{\"x\":-}", "line 1, column 7: expected a digit after '-'");
    DECODE_FAILS("{\"x\":[1,]}", "line 1, column 9: expected a value");
    DECODE_FAILS("{\"x\":[1 2]}", "line 1, column 9: expected ',' or ']'");

    /* multi-line: errors point at the right line and column */
    DECODE_FAILS("{\n  \"name\": \"a\",\n  \"age\": 01\n}",
                 "line 3, column 10: field \"age\": leading zeros are not allowed");
    DECODE_FAILS("{\n\t\"name\": \"a\",\r\n\t\"age\":\n\n   \"4\"}",
                 "line 5, column 4: field \"age\" must be an integer");

    /* fields: missing (at the object's start), types, ranges, lengths */
    DECODE_FAILS("  {\"name\":\"x\"}", "line 1, column 3: missing field \"location\"");
    snprintf(buf, sizeof buf, "\n\n {%s}", VALID_BODY);
    DECODE_FAILS(buf, "line 3, column 2: missing field \"name\"");
    DECODE_FAILS("{\"name\":\"x\",\"location\":\"y\",\"infectedtype\":\"t\",\"state\":\"s\"}",
                 "line 1, column 1: missing field \"age\"");
    DECODE_FAILS("{\"name\":1}", "line 1, column 9: field \"name\" must be a string");
    DECODE_FAILS("{\"location\":null}", "line 1, column 13: field \"location\" must be a string");
    DECODE_FAILS("{\"age\":4.5}", "line 1, column 8: field \"age\": expected an integer, got 4.5");
    DECODE_FAILS("{\"age\":4e0}", "line 1, column 8: field \"age\": expected an integer, got 4e0");
    DECODE_FAILS("{\"age\":true}", "line 1, column 8: field \"age\" must be an integer");
    DECODE_FAILS("{\"age\":2147483648}",
                 "line 1, column 8: field \"age\": integer 2147483648 out of range "
                 "-2147483648..2147483647");
    DECODE_FAILS("{\"producer\":4294967296}",
                 "line 1, column 13: field \"producer\": integer 4294967296 out of range "
                 "0..4294967295");
    DECODE_FAILS("{\"producer\":-1}",
                 "line 1, column 13: field \"producer\": integer -1 out of range 0..4294967295");
    DECODE_FAILS("{\"seq\":18446744073709551616}",
                 "line 1, column 8: field \"seq\": integer 18446744073709551616 out of range "
                 "0..18446744073709551615");
    DECODE_FAILS("{\"sent_ns\":-9223372036854775809}",
                 "line 1, column 12: field \"sent_ns\": integer -9223372036854775809 out of "
                 "range -9223372036854775808..9223372036854775807");
    DECODE_FAILS("{\"run\":7}", "line 1, column 8: field \"run\" must be a string");

    char longs[300];
    memset(longs, 'a', 128);
    longs[128] = '\0';
    snprintf(buf, sizeof buf, "{\"name\":\"%s\"}", longs);
    DECODE_FAILS(buf, "line 1, column 9: field \"name\" is too long (128 bytes, at most 127)");
    longs[127] = '\0'; /* 127 fits */
    snprintf(buf, sizeof buf, "{\"name\":\"%s\",%s}", longs, VALID_BODY);
    ob_record r;
    CHECK(ob_record_decode(buf, strlen(buf), &r, NULL, NULL, NULL) == 0);
    CHECK(strlen(r.name) == 127);
    /* the limit is in bytes after unescaping: 24 x "é" (48 bytes) is one too many */
    char loc[200] = "";
    for (int i = 0; i < 24; i++)
        strcat(loc, "\\u00e9");
    snprintf(buf, sizeof buf, "{\"location\":\"%s\"}", loc);
    DECODE_FAILS(buf, "line 1, column 13: field \"location\" is too long (48 bytes, at most 47)");
    memset(longs, 'r', 64);
    longs[64] = '\0';
    snprintf(buf, sizeof buf, "{\"name\":\"n\",%s,\"run\":\"%s\"}", VALID_BODY, longs);
    DECODE_FAILS(buf, "line 1, column 102: field \"run\" is too long (64 bytes, at most 63)");

    /* exactly one object */
    snprintf(buf, sizeof buf, "{\"name\":\"n\",%s} {}", VALID_BODY);
    DECODE_FAILS(buf, "line 1, column 97: unexpected data after the record");
    snprintf(buf, sizeof buf, "{\"name\":\"n\",%s}\n\n,", VALID_BODY);
    DECODE_FAILS(buf, "line 3, column 1: unexpected data after the record");

    /* nesting beyond 64 */
    char deep[512];
    int n = snprintf(deep, sizeof deep, "{\"x\":");
    for (int i = 0; i < 64; i++)
        deep[n++] = '[';
    deep[n] = '\0';
    DECODE_FAILS(deep, "line 1, column 69: nesting deeper than 64 levels");
}

static void test_json_reader(void)
{
    ob_json j;
    const char *s = "[1.5e2, -0.25, true, false, null, \"k\", 9223372036854775807]";
    ob_json_init(&j, s, strlen(s));
    double d = 0;
    bool b = false;
    int64_t i = 0;
    CHECK(ob_json_peek(&j) == OB_JSON_ARRAY);
    CHECK(ob_json_array_begin(&j) == 0);
    CHECK(ob_json_array_next(&j) == 1 && ob_json_double(&j, &d) == 0 && d == 150.0);
    CHECK(ob_json_array_next(&j) == 1 && ob_json_double(&j, &d) == 0 && d == -0.25);
    CHECK(ob_json_array_next(&j) == 1 && ob_json_bool(&j, &b) == 0 && b);
    CHECK(ob_json_array_next(&j) == 1 && ob_json_bool(&j, &b) == 0 && !b);
    CHECK(ob_json_array_next(&j) == 1 && ob_json_peek(&j) == OB_JSON_NULL && ob_json_null(&j) == 0);
    CHECK(ob_json_array_next(&j) == 1 && ob_json_peek(&j) == OB_JSON_STRING && ob_json_skip(&j) == 0);
    CHECK(ob_json_array_next(&j) == 1 && ob_json_int64(&j, INT64_MIN, INT64_MAX, &i) == 0 &&
          i == INT64_MAX);
    CHECK(ob_json_array_next(&j) == 0);
    CHECK(ob_json_at_end(&j));

    /* strings that do not fit report their full length and keep a NUL-terminated prefix */
    s = "\"h\\u00e9llo\"";
    ob_json_init(&j, s, strlen(s));
    char small[4];
    size_t len = 0;
    CHECK(ob_json_string(&j, small, sizeof small, &len) == 0);
    CHECK(len == 6);
    CHECK(small[3] == '\0' && memcmp(small, "h\xC3\xA9", 3) == 0);
    /* a cut never splits a character: what would be cut is left out whole */
    ob_json_init(&j, s, strlen(s));
    CHECK(ob_json_string(&j, small, 3, &len) == 0);
    CHECK(len == 6);
    CHECK_STR(small, "h");
    s = "\"a\xF0\x9F\xA6\xA0" "b\""; /* a, U+1F9A0 (four bytes), b */
    for (size_t cap = 2; cap <= 7; cap++) {
        char four[8];
        ob_json_init(&j, s, strlen(s));
        CHECK(ob_json_string(&j, four, cap, &len) == 0);
        CHECK(len == 6);
        CHECK_STR(four, cap < 6 ? "a" : cap == 6 ? "a\xF0\x9F\xA6\xA0" : "a\xF0\x9F\xA6\xA0" "b");
    }

    /* the first error sticks */
    s = "{\"a\" 1}";
    ob_json_init(&j, s, strlen(s));
    char key[8];
    CHECK(ob_json_object_begin(&j) == 0);
    CHECK(ob_json_object_next(&j, key, sizeof key, &len) == -1);
    CHECK(ob_json_skip(&j) == -1);
    ob_json_fail(&j, (ob_json_pos){9, 9}, "later");
    ob_err err;
    ob_json_err(&j, "f.json", &err);
    CHECK_STR(err.msg, "f.json:1:6: expected ':' after key");

    /* string writer */
    char out[32];
    CHECK(ob_json_write_string(out, sizeof out, "a\"\\\x01") == 13);
    CHECK_STR(out, "\"a\\\"\\\\\\u0001\"");
    CHECK(ob_json_write_string(out, 12, "a\"\\\x01") == -1);
    CHECK(ob_json_write_string(out, 3, "") == 2);
    CHECK(ob_json_write_string(out, 2, "") == -1);
    /* whole characters as they are; a byte that starts none as U+FFFD: always JSON */
    CHECK(ob_json_write_string(out, sizeof out, "Quich\xC3\xA9") == 9);
    CHECK_STR(out, "\"Quich\xC3\xA9\"");
    CHECK(ob_json_write_string(out, sizeof out, "ab\xE1\x8C") == 16);
    CHECK_STR(out, "\"ab\\ufffd\\ufffd\"");
    CHECK(ob_json_write_string(out, sizeof out, "\xFF\xC0\xAFz") == 21);
    CHECK_STR(out, "\"\\ufffd\\ufffd\\ufffdz\"");
    CHECK(ob_json_write_string(out, 9, "ab\xE1\x8C") == -1); /* no room for the escape */
    CHECK(ob_json_write_string(out, 5, "\xF0\x9F\xA6\xA0") == -1 && out[0] == '\0');
    CHECK(ob_json_write_string(out, 7, "\xF0\x9F\xA6\xA0") == 6);

    /* copies cut between characters */
    char cut[6];
    ob_utf8_copy(cut, sizeof cut, "abcd\xC3\xA9");
    CHECK_STR(cut, "abcd");
    ob_utf8_copy(cut, sizeof cut, "abc\xC3\xA9z");
    CHECK_STR(cut, "abc\xC3\xA9");
    ob_utf8_copy(cut, sizeof cut, "a\xF0\x9F\xA6\xA0");
    CHECK_STR(cut, "a\xF0\x9F\xA6\xA0");
    ob_utf8_copy(cut, sizeof cut, "ab\xF0\x9F\xA6\xA0");
    CHECK_STR(cut, "ab");
    ob_utf8_copy(cut, sizeof cut, NULL);
    CHECK_STR(cut, "");
    ob_utf8_copy(cut, 1, "x");
    CHECK_STR(cut, "");
}

static void test_domain(void)
{
    ob_err err = {0};
    ob_record r = rec("Urban Beldum", "Escuintla", 4, "non-imported", "symptomatic");
    CHECK(ob_record_check_domain(&r, &err) == 0);
    r = rec("A B", "Petén", 1, "communitary", "asymptomatic");
    CHECK(ob_record_check_domain(&r, &err) == 0);
    r = rec("A B", "Suchitepéquez", 90, "imported", "symptomatic");
    CHECK(ob_record_check_domain(&r, &err) == 0);

    r = rec("A B", "Peten", 4, "imported", "symptomatic");
    CHECK(ob_record_check_domain(&r, &err) == -1);
    CHECK_STR(err.msg, "location \"Peten\" is not one of Guatemala's 22 departments");
    r = rec("A B", "Escuintla", 0, "imported", "symptomatic");
    CHECK(ob_record_check_domain(&r, &err) == -1);
    CHECK_STR(err.msg, "age 0 is out of range 1..90");
    r.age = 91;
    CHECK(ob_record_check_domain(&r, &err) == -1);
    CHECK_STR(err.msg, "age 91 is out of range 1..90");
    r = rec("A B", "Escuintla", 5, "Imported", "symptomatic");
    CHECK(ob_record_check_domain(&r, &err) == -1);
    CHECK_STR(err.msg, "infectedtype \"Imported\" is not communitary, imported or non-imported");
    r = rec("A B", "Escuintla", 5, "imported", "sick");
    CHECK(ob_record_check_domain(&r, &err) == -1);
    CHECK_STR(err.msg, "state \"sick\" is not symptomatic or asymptomatic");
}

/* The integer formatting of the metadata tail against printf's: every length of number,
 * each side of the eight-digit blocks, both signs, and a spread of other values. */
static void test_integer_digits(void)
{
    uint64_t edges[] = {0, 1, 9, 10, 99, 100, 999, 1000, 9999999, 10000000, 99999999,
                        100000000, 100000001, 999999999, 1000000000, 9999999999999999ULL,
                        10000000000000000ULL, 10000000000000001ULL, 1764619200123456789ULL,
                        INT64_MAX, (uint64_t)INT64_MAX + 1, UINT64_MAX - 1, UINT64_MAX};
    size_t nedges = sizeof edges / sizeof edges[0];
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int bad = 0;
    for (size_t i = 0; i < nedges + 100000; i++) {
        uint64_t seq;
        if (i < nedges) {
            seq = edges[i];
        } else { /* xorshift, then cut to a random number of digits */
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            seq = x >> (x % 64);
        }
        int64_t sent = (int64_t)seq;
        char got[96], want[96];
        int n = ob_record_meta_tail(seq, sent, got, sizeof got);
        int m = snprintf(want, sizeof want, "%llu,\"sent_ns\":%lld}", (unsigned long long)seq,
                         (long long)sent);
        if (n != m || strcmp(got, want) != 0) {
            if (bad++ < 5)
                fprintf(stderr, "meta tail of %llu: got %s, want %s\n", (unsigned long long)seq, got,
                        want);
        }
    }
    CHECK(bad == 0);
}

/* The filler "pad" (run --record-size): encoded as that many 'x' after the five fields,
 * read back as its length whatever its text, optional, a string, at most OB_PAD_MAX */
static void test_pad(void)
{
    ob_record r = rec("Urban Beldum", "Escuintla", 4, "non-imported", "symptomatic");
    ob_meta m = {.run = "r-1", .producer = 1, .seq = 1, .sent_ns = 1};
    char plain[512], padded[1024];
    int n0 = ob_record_encode(&r, &m, plain, sizeof plain);
    r.pad = 300;
    int n1 = ob_record_encode(&r, &m, padded, sizeof padded);
    CHECK_MSG(n1 == n0 + 300 + (int)strlen(",\"pad\":\"\""), "%d bytes, %d without the filler", n1, n0);
    CHECK(strstr(padded, ",\"state\":\"symptomatic\",\"pad\":\"xxx") != NULL);
    CHECK(ob_record_encode(&r, &m, padded, (size_t)n1) == -1 && ob_record_encode(&r, &m, padded, (size_t)n1 + 1) == n1);
    round_trip(&r, &m, __LINE__);
    r.pad = 1;
    round_trip(&r, NULL, __LINE__);

    ob_record d;
    ob_err err = {0};
    const char *other = "{\"pad\":\"any text \\u00e9\",\"name\":\"A\",\"location\":\"Escuintla\",\"age\":4,"
                        "\"infectedtype\":\"imported\",\"state\":\"symptomatic\"}";
    CHECK_MSG(ob_record_decode(other, strlen(other), &d, NULL, NULL, &err) == 0 && d.pad == 11, "%s: pad %u", err.msg,
              d.pad);
    const char *none = "{\"name\":\"A\",\"location\":\"Escuintla\",\"age\":4,\"infectedtype\":\"imported\","
                       "\"state\":\"symptomatic\"}";
    d.pad = 7;
    CHECK(ob_record_decode(none, strlen(none), &d, NULL, NULL, &err) == 0 && d.pad == 0);
    const char *num = "{\"name\":\"A\",\"location\":\"Escuintla\",\"age\":4,\"infectedtype\":\"imported\","
                      "\"state\":\"symptomatic\",\"pad\":12}";
    CHECK(ob_record_decode(num, strlen(num), &d, NULL, NULL, &err) == -1);
    CHECK_MSG(strstr(err.msg, "field \"pad\" must be a string") != NULL, "%s", err.msg);
    /* one byte over the limit */
    size_t big = OB_PAD_MAX + 1, cap = big + 256;
    char *json = malloc(cap);
    int k = snprintf(json, cap, "{\"name\":\"A\",\"location\":\"Escuintla\",\"age\":4,\"infectedtype\":\"imported\","
                                "\"state\":\"symptomatic\",\"pad\":\"");
    memset(json + k, 'x', big);
    memcpy(json + k + big, "\"}", 2);
    CHECK(ob_record_decode(json, (size_t)k + big + 2, &d, NULL, NULL, &err) == -1);
    CHECK_MSG(strstr(err.msg, "field \"pad\" is too long (1000001 bytes, at most 1000000)") != NULL, "%s", err.msg);
    json[k + big - 1] = '"';
    json[k + big] = '}';
    CHECK(ob_record_decode(json, (size_t)k + big + 1, &d, NULL, NULL, &err) == 0 && d.pad == OB_PAD_MAX);
    free(json);
}

int main(void)
{
    test_encode_exact();
    test_integer_digits();
    test_encode_cap();
    test_round_trip();
    test_decode_values();
    test_decode_errors();
    test_json_reader();
    test_domain();
    test_pad();
    CHECK_DONE();
}
