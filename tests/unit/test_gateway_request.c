/* test_gateway_request.c — the gateway's request bodies (gateway/request.h): one record
 * with and without metadata, the batch forms (JSON array, NDJSON with blank lines and
 * CRLF), the limit on a batch, and each mistake as one usage line naming what is wrong
 * (and the record of a batch). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "request.h"

#define REC "{\"name\": \"Urban Beldum\", \"location\": \"Escuintla\", \"age\": 4, " \
            "\"infectedtype\": \"non-imported\", \"state\": \"symptomatic\"}"

static int decode(const char *body, bool batch, size_t max, ob_gw_item **items, size_t *n, ob_err *err)
{
    return ob_gw_decode(body, strlen(body), batch, max, items, n, err);
}

/* The call fails with a usage error whose message contains `want`, and leaves nothing. */
static void fails(const char *body, bool batch, const char *want)
{
    ob_gw_item *items = (ob_gw_item *)1;
    size_t n = 7;
    ob_err err = {0};
    int rc = decode(body, batch, 100, &items, &n, &err);
    CHECK_MSG(rc == -1 && items == NULL && n == 0, "%s: rc %d", body, rc);
    CHECK_MSG(err.kind == OB_ERR_USAGE, "%s: kind %s (%s)", body, ob_err_kind_name(err.kind), err.msg);
    CHECK_MSG(strstr(err.msg, want) != NULL, "\"%s\" has no \"%s\"", err.msg, want);
    CHECK_MSG(strchr(err.msg, '\n') == NULL, "two lines: %s", err.msg);
}

int main(void)
{
    ob_gw_item *items;
    size_t n;
    ob_err err;

    CHECK(decode(REC, false, 100, &items, &n, &err) == 0 && n == 1);
    CHECK_STR(items[0].rec.name, "Urban Beldum");
    CHECK_STR(items[0].rec.location, "Escuintla");
    CHECK(items[0].rec.age == 4);
    CHECK(!items[0].has_meta);
    free(items);

    const char *meta = "{\"name\":\"A\",\"location\":\"Guatemala\",\"age\":90,\"infectedtype\":\"imported\","
                       "\"state\":\"asymptomatic\",\"run\":\"r-1\",\"producer\":257,\"seq\":3,"
                       "\"sent_ns\":1700000000000000001}";
    CHECK(decode(meta, false, 100, &items, &n, &err) == 0 && n == 1);
    CHECK(items[0].has_meta && items[0].meta.producer == 257 && items[0].meta.seq == 3 &&
          items[0].meta.sent_ns == 1700000000000000001LL);
    CHECK_STR(items[0].meta.run, "r-1");
    free(items);

    CHECK(decode("[" REC ",\n " REC "]", true, 100, &items, &n, &err) == 0 && n == 2);
    free(items);
    CHECK(decode(REC "\r\n\n" REC "\n" REC, true, 100, &items, &n, &err) == 0 && n == 3);
    free(items);
    CHECK(decode("\xEF\xBB\xBF" REC, false, 100, &items, &n, &err) == 0 && n == 1);
    free(items);
    /* a batch of one record on POST /records is fine; 3 over a limit of 2 is not */
    CHECK(decode(REC, true, 100, &items, &n, &err) == 0 && n == 1);
    free(items);
    CHECK(decode(REC "\n" REC "\n" REC, true, 2, &items, &n, &err) == -1 &&
          strstr(err.msg, "more than 2 records") != NULL);

    fails("", false, "empty body");
    fails("  \n", true, "empty body");
    fails("{\"name\": \"Urban", false, "line 1, column");
    fails("[1]", false, "expected '{'");
    fails(REC " " REC, false, "unexpected data after the record");
    fails("{\"name\": \"A\", \"location\": \"Escuintla\", \"infectedtype\": \"imported\", \"state\": \"symptomatic\"}",
          false, "missing field \"age\"");
    fails("{\"name\": \"A\", \"location\": \"Escuintla\", \"age\": \"4\", \"infectedtype\": \"imported\", "
          "\"state\": \"symptomatic\"}",
          false, "\"age\" must be an integer");
    fails("{\"name\": \"A\", \"location\": \"Atlantis\", \"age\": 4, \"infectedtype\": \"imported\", "
          "\"state\": \"symptomatic\"}",
          false, "Atlantis");
    fails("{\"name\": \"A\", \"location\": \"Escuintla\", \"age\": 91, \"infectedtype\": \"imported\", "
          "\"state\": \"symptomatic\"}",
          false, "age");
    fails("{\"name\":\"A\",\"location\":\"Guatemala\",\"age\":9,\"infectedtype\":\"imported\","
          "\"state\":\"asymptomatic\",\"seq\":3}",
          false, "incomplete metadata");
    fails("{\"name\":\"A\",\"location\":\"Guatemala\",\"age\":9,\"infectedtype\":\"imported\","
          "\"state\":\"asymptomatic\",\"run\":\"a b\",\"producer\":1,\"seq\":3,\"sent_ns\":1}",
          false, "\"run\"");
    fails("[]", true, "no records");
    fails("[" REC "," REC ",{\"name\": 1}]", true, "record 3:");
    fails(REC "\n" REC "\n{\"name\": 1}\n", true, "record 3:");
    fails(REC " " REC "\n", true, "expected a newline after the record");
    fails("[" REC "] x", true, "line 1, column 119: unexpected data after the array");
    fails("[" REC ",]", true, "record 2:");
    CHECK_DONE();
}
