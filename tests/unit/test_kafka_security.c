/* test_kafka_security.c — the Kafka adapter's TLS and SASL options, checked without a
 * broker (ob_broker_check_url): the default security that follows from the URL, the
 * mistakes that are usage errors (each one line naming the option or file), and that
 * no message quotes an 8-byte piece of the password or the key's passphrase. The
 * handshakes and logins themselves are in tests/integration/kafka_tls.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "check.h"

#define PASSWORD "pw-7f3a91c2e5d84b06"
#define KEY_PASS "kp-0c1d2e3f4a5b6c7d"

/* 1 if msg quotes an 8-byte piece of secret. */
static int quotes_piece(const char *msg, const char *secret)
{
    for (size_t i = 0; i + 8 <= strlen(secret); i++) {
        char piece[9];
        memcpy(piece, secret + i, 8);
        piece[8] = '\0';
        if (strstr(msg, piece))
            return 1;
    }
    return 0;
}

/* url must be accepted. */
static void ok(const char *url)
{
    ob_err err = {0};
    CHECK_MSG(ob_broker_check_url(url, &err) == 0, "%s: %s", url, err.msg);
}

/* url must be a usage error: one line containing want, quoting no secret. */
static void bad(const char *url, const char *want)
{
    ob_err err = {0};
    int rc = ob_broker_check_url(url, &err);
    CHECK_MSG(rc != 0 && err.kind == OB_ERR_USAGE, "%s: accepted", url);
    CHECK_MSG(strstr(err.msg, want) != NULL, "%s: \"%s\" lacks \"%s\"", url, err.msg, want);
    CHECK_MSG(!strchr(err.msg, '\n'), "%s: more than one line", url);
    CHECK_MSG(!quotes_piece(err.msg, PASSWORD) && !quotes_piece(err.msg, KEY_PASS), "%s: secret in \"%s\"",
              url, err.msg);
}

int main(void)
{
    char dir[] = "/tmp/test_kafka_security.XXXXXX", ca[128], key[128], url[1024];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    snprintf(key, sizeof key, "%s/client.key", dir);
    FILE *f = fopen(ca, "w");
    CHECK(f && fputs("-----BEGIN CERTIFICATE-----\n", f) >= 0 && fclose(f) == 0);
    f = fopen(key, "w");
    CHECK(f && fputs("-----BEGIN PRIVATE KEY-----\n", f) >= 0 && fclose(f) == 0);

    /* what is accepted: each security, explicit or following from the URL */
    ok("kafka://127.0.0.1:9092");
    ok("kafka://127.0.0.1:9092?security=plaintext");
    snprintf(url, sizeof url, "kafka://127.0.0.1:9093?ca=%s", ca);
    ok(url);
    snprintf(url, sizeof url, "kafka://127.0.0.1:9093?security=ssl&ca=%s&cert=%s&key_file=%s&key_password=" KEY_PASS,
             ca, ca, key);
    ok(url);
    ok("kafka://127.0.0.1:9093?security=ssl");
    ok("kafka://alice:" PASSWORD "@127.0.0.1:9094");
    ok("kafka://alice:" PASSWORD "@127.0.0.1:9094?mechanism=plain");
    ok("kafka://alice:" PASSWORD "@127.0.0.1:9094,127.0.0.1:9095?security=sasl_plaintext&mechanism=SCRAM-SHA-256");
    snprintf(url, sizeof url, "kafka://alice:" PASSWORD "@127.0.0.1:9095?mechanism=SCRAM-SHA-512&ca=%s", ca);
    ok(url);
    ok("kafka://alice:p%40ss" PASSWORD "@127.0.0.1:9095?security=sasl_ssl");

    /* the mistakes */
    bad("kafka://127.0.0.1:9093?security=tls", "option security must be one of");
    bad("kafka://127.0.0.1:9093?ca=/nonexistent/ca.pem", "option ca: cannot read /nonexistent/ca.pem");
    bad("kafka://127.0.0.1:9093?security=ssl&cert=/nonexistent/c.pem&key_file=/x", "cannot read /nonexistent/c.pem");
    snprintf(url, sizeof url, "kafka://127.0.0.1:9093?cert=%s", ca);
    bad(url, "option cert needs option key_file");
    snprintf(url, sizeof url, "kafka://127.0.0.1:9093?key_file=%s", key);
    bad(url, "option key_file needs option cert");
    bad("kafka://127.0.0.1:9093?security=ssl&key_password=" KEY_PASS, "option key_password needs option key_file");
    snprintf(url, sizeof url, "kafka://127.0.0.1:9092?security=plaintext&ca=%s", ca);
    bad(url, "option ca needs security=ssl or sasl_ssl");
    bad("kafka://alice:" PASSWORD "@127.0.0.1:9093?security=ssl", "need security=sasl_plaintext or sasl_ssl");
    bad("kafka://alice:" PASSWORD "@127.0.0.1:9094?mechanism=GSSAPI", "option mechanism must be one of");
    bad("kafka://127.0.0.1:9094?mechanism=PLAIN", "option mechanism needs security=sasl_plaintext");
    bad("kafka://127.0.0.1:9094?security=sasl_ssl", "needs a user and password in the URL");
    bad("kafka://alice@127.0.0.1:9094?security=sasl_plaintext", "needs a user and password in the URL");
    bad("kafka://alice:" PASSWORD "@127.0.0.1:9094?sasl_mechanism=PLAIN", "unknown option");

    unlink(ca);
    unlink(key);
    rmdir(dir);
    CHECK_DONE();
}
