/* test_grpc_record.c — the gRPC adapter's record on the wire and back (brokers/grpc.h):
 * a received infected.Infected becomes the JSON record the sink decodes, with its
 * metadata or without; a field too long or not UTF-8 (protobuf-c does not check) is
 * refused with one line naming the field, never passed on. */
#include <string.h>

#include "check.h"
#include "grpc.h"

static void test_to_json(void)
{
    Infected__Infected inf = INFECTED__INFECTED__INIT;
    inf.name = "Urban Beldum";
    inf.location = "Quich\xC3\xA9";
    inf.age = 4;
    inf.infectedtype = "non-imported";
    inf.state = "symptomatic";
    char buf[1024];
    ob_err err = {0};
    int n = ob_grpc_record_to_json(&inf, buf, sizeof buf, &err);
    CHECK_MSG(n > 0, "%s", err.msg);
    CHECK(n > 0 && strstr(buf, "\"location\":\"Quich\xC3\xA9\"") && !strstr(buf, "\"run\""));

    inf.run = "r1";
    inf.producer = 7;
    inf.seq = 9;
    inf.sent_ns = 1796194800000000000LL;
    n = ob_grpc_record_to_json(&inf, buf, sizeof buf, &err);
    CHECK(n > 0 && strstr(buf, "\"run\":\"r1\"") && strstr(buf, "\"seq\":9"));
    ob_record r;
    ob_meta m;
    bool has;
    CHECK(n > 0 && ob_record_decode(buf, (size_t)n, &r, &m, &has, &err) == 0 && has && m.producer == 7 &&
          strcmp(r.location, "Quich\xC3\xA9") == 0);

    /* the filler: JSON's "pad" to the message's bytes and back, by its length */
    r.pad = 500;
    char padded[2048];
    m.run[0] = 'q';
    int pn = ob_record_encode(&r, &m, padded, sizeof padded);
    ob_record r2;
    ob_meta m2;
    Infected__Infected back;
    CHECK(pn > 500 && ob_grpc_record_from_json(padded, (size_t)pn, &r2, &m2, &back, &err) == 0);
    CHECK(back.pad.len == 500 && back.pad.data && back.pad.data[0] == 'x' && back.pad.data[499] == 'x');
    CHECK(ob_grpc_record_to_json(&back, padded, sizeof padded, &err) == pn);
    CHECK(ob_record_decode(padded, (size_t)pn, &r2, &m2, &has, &err) == 0 && r2.pad == 500);
    back.pad.len = OB_PAD_MAX + 1;
    CHECK(ob_grpc_record_to_json(&back, padded, sizeof padded, &err) == -1 && strstr(err.msg, "pad is too long"));

    inf.name = "Urban \xC3"; /* cut inside a character */
    CHECK(ob_grpc_record_to_json(&inf, buf, sizeof buf, &err) == -1);
    CHECK_STR(err.msg, "grpc: field name is not valid UTF-8");
    inf.name = "Urban";
    inf.state = "\xED\xA0\x80"; /* a surrogate */
    CHECK(ob_grpc_record_to_json(&inf, buf, sizeof buf, &err) == -1);
    CHECK_STR(err.msg, "grpc: field state is not valid UTF-8");
    char big[300];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    inf.state = big;
    CHECK(ob_grpc_record_to_json(&inf, buf, sizeof buf, &err) == -1 && strstr(err.msg, "field state is too long"));
}

int main(void)
{
    test_to_json();
    CHECK(ob_utf8_valid("") && ob_utf8_valid("Pet\xC3\xA9n") && ob_utf8_valid("\xF0\x9F\xA6\xA0"));
    CHECK(!ob_utf8_valid("\xC3") && !ob_utf8_valid("\xC0\xAF") && !ob_utf8_valid("a\xFF") &&
          !ob_utf8_valid("\xF0\x9F\xA6"));
    CHECK_DONE();
}
