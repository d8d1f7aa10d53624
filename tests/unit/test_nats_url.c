/* test_nats_url.c — the NATS adapter's TLS and auth options without a server: tls://,
 * tls=1 and what turns TLS on, ca/cert/key/verify/hostname, user:pass@, token, nkey and
 * creds (files made here), the nkey seed's public key against a known pair, the
 * durability's tls and auth fields, and the usage errors: one line, naming the option
 * or file and the address, quoting no secret. And what a JetStream PubAck says. */
#include <stdlib.h>
#include <unistd.h>

#include "broker.h"
#include "check.h"
#include "nats.h"

/* a user nkey pair (made with openssl's Ed25519 and the nkeys encoding, independently) */
#define SEED "SUAFKFOZ7VNHMPMAUNZALNSQYXFUZU6LNETYDTBDEYUHUS5ZEPKAMNVM4I"
#define PUBLIC "UA446Z7AWRLNDYFVDPH4ZHVWKXGD3MOSNI453MTE6CXN77LC4J6N2EMK"
#define PASS "pw-Sup3rSecretValue"
#define TOKEN "tok-0123456789abcdefXYZ"

static char dir[64];

static void path(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

static void write_file(const char *name, const char *text)
{
    char p[128];
    path(p, sizeof p, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
}

/* Parses `text` (with "%D" replaced by the files' directory) into *s. */
static int parse(const char *text, nats_settings *s, ob_err *err)
{
    char url_text[1024];
    size_t o = 0;
    for (const char *p = text; *p && o + 64 < sizeof url_text;) {
        if (p[0] == '%' && p[1] == 'D') {
            o += (size_t)snprintf(url_text + o, sizeof url_text - o, "%s", dir);
            p += 2;
        } else {
            url_text[o++] = *p++;
        }
    }
    url_text[o] = '\0';
    memset(err, 0, sizeof *err);
    /* the registry's check first: the option names must all be known */
    if (ob_broker_check_url(url_text, err) != 0 && !strstr(url_text, "tls://"))
        return -1;
    ob_url url;
    if (ob_url_parse(url_text, &url, err) != 0)
        return -1;
    int rc = ob_nats_settings_parse(s, &url, err);
    ob_url_free(&url);
    return rc;
}

/* 1 if msg is one line and holds none of the secrets, nor any 8-byte piece of them. */
static int clean(const char *msg)
{
    static const char *const secrets[] = {PASS, TOKEN, SEED};
    if (strchr(msg, '\n'))
        return 0;
    for (size_t k = 0; k < sizeof secrets / sizeof secrets[0]; k++)
        for (size_t i = 0; i + 8 <= strlen(secrets[k]); i++) {
            char piece[9];
            memcpy(piece, secrets[k] + i, 8);
            piece[8] = '\0';
            if (strstr(msg, piece))
                return 0;
        }
    return 1;
}

/* The error of `text` must contain `want` and be clean. */
static void fails(const char *text, const char *want)
{
    nats_settings s;
    ob_err err;
    CHECK_MSG(parse(text, &s, &err) == -1, "%s parsed", text);
    CHECK_MSG(strstr(err.msg, want) != NULL, "%s: \"%s\" lacks \"%s\"", text, err.msg, want);
    CHECK_MSG(clean(err.msg), "%s: a secret in \"%s\"", text, err.msg);
}

static const ob_dur_extra *extra(const ob_durability *d, const char *key)
{
    for (int i = 0; i < d->nextras; i++)
        if (strcmp(d->extras[i].key, key) == 0)
            return &d->extras[i];
    return NULL;
}

static void test_nkey_public(void)
{
    char pub[64];
    CHECK(ob_nats_nkey_public(SEED, pub, sizeof pub) == 0);
    CHECK_STR(pub, PUBLIC);
    char bad[] = SEED;
    bad[10] = bad[10] == 'A' ? 'B' : 'A'; /* the CRC no longer matches */
    CHECK(ob_nats_nkey_public(bad, pub, sizeof pub) == -1);
    CHECK(ob_nats_nkey_public("SUAFKF", pub, sizeof pub) == -1);
    CHECK(ob_nats_nkey_public("not base32 at all, not 58 characters long, no no no no !!", pub, sizeof pub) == -1);
    CHECK(ob_nats_nkey_public(SEED, pub, 20) == -1);
}

static void test_plain(void)
{
    nats_settings s;
    ob_err err;
    CHECK_MSG(parse("nats://127.0.0.1:4222", &s, &err) == 0, "%s", err.msg);
    CHECK(!s.sec.tls && s.sec.verify && s.sec.auth == NATS_AUTH_NONE);
    ob_durability d = {0};
    ob_nats_security_durability(&s.sec, &d);
    CHECK(extra(&d, "tls") && !extra(&d, "tls")->flag);
    CHECK(!extra(&d, "tls_verify"));
    CHECK(extra(&d, "auth") && strcmp(extra(&d, "auth")->str, "none") == 0);
    ob_durability_free(&d);
}

static void test_tls(void)
{
    nats_settings s;
    ob_err err;
    CHECK_MSG(parse("tls://h:4222", &s, &err) == 0, "%s", err.msg);
    CHECK(s.sec.tls && s.sec.verify && !s.sec.ca[0]);
    CHECK_MSG(parse("nats://h?tls=1", &s, &err) == 0, "%s", err.msg);
    CHECK(s.sec.tls);
    CHECK_MSG(parse("nats://h?ca=%D/ca.pem", &s, &err) == 0, "%s", err.msg);
    CHECK(s.sec.tls && strstr(s.sec.ca, "/ca.pem"));
    CHECK_MSG(parse("nats://h?tls=1&ca=%D/ca.pem&cert=%D/c.pem&key=%D/c.key&hostname=n.example", &s, &err) == 0,
              "%s", err.msg);
    CHECK(s.sec.tls && s.sec.cert[0] && s.sec.key[0]);
    CHECK_STR(s.sec.hostname, "n.example");
    ob_durability d = {0};
    ob_nats_security_durability(&s.sec, &d);
    CHECK(extra(&d, "tls") && extra(&d, "tls")->flag);
    CHECK(extra(&d, "tls_verify") && strcmp(extra(&d, "tls_verify")->str, "ca file") == 0);
    CHECK(extra(&d, "tls_hostname") && strcmp(extra(&d, "tls_hostname")->str, "n.example") == 0);
    CHECK(extra(&d, "client_cert") && extra(&d, "client_cert")->flag);
    ob_durability_free(&d);
    CHECK_MSG(parse("nats://h?tls=1&verify=0", &s, &err) == 0, "%s", err.msg);
    CHECK(!s.sec.verify);

    fails("nats://h?tls=0&ca=%D/ca.pem", "are for TLS, not with tls=0");
    fails("nats://h?verify=0", "option verify is for TLS");
    fails("nats://h?tls=1&cert=%D/c.pem", "cert and key go together");
    fails("nats://h?tls=1&key=%D/c.key", "cert and key go together");
    fails("nats://h:4333?ca=%D/missing.pem", "option ca: cannot read");
    fails("nats://h:4333?ca=%D/missing.pem", "(for h:4333): No such file or directory");
    fails("nats://h?ca=%D/empty", "is empty");
    fails("nats://h?tls=maybe", "tls");
    fails("nats://h?bogus=1", "unknown option");
}

static void test_auth(void)
{
    nats_settings s;
    ob_err err;
    CHECK_MSG(parse("nats://alice:" PASS "@h:4222", &s, &err) == 0, "%s", err.msg);
    CHECK(s.sec.auth == NATS_AUTH_USER);
    CHECK_STR(s.sec.user, "alice");
    CHECK_MSG(parse("nats://alice:@h:4222", &s, &err) == 0, "%s", err.msg); /* an empty password */
    CHECK_MSG(parse("nats://h?token=" TOKEN, &s, &err) == 0, "%s", err.msg);
    CHECK(s.sec.auth == NATS_AUTH_TOKEN);
    CHECK_MSG(parse("nats://h?nkey=%D/user.nk", &s, &err) == 0, "%s", err.msg);
    CHECK(s.sec.auth == NATS_AUTH_NKEY);
    CHECK_STR(s.sec.nkey_public, PUBLIC);
    ob_durability d = {0};
    ob_nats_security_durability(&s.sec, &d);
    CHECK(extra(&d, "auth") && strcmp(extra(&d, "auth")->str, "nkey") == 0);
    CHECK(extra(&d, "nkey") && strcmp(extra(&d, "nkey")->str, PUBLIC) == 0);
    ob_durability_free(&d);
    CHECK_MSG(parse("nats://h?nkey=%D/user-nk.txt", &s, &err) == 0, "%s", err.msg); /* nk's -pubout style */
    CHECK_STR(s.sec.nkey_public, PUBLIC);
    CHECK_MSG(parse("tls://h?creds=%D/user.creds", &s, &err) == 0, "%s", err.msg);
    CHECK(s.sec.auth == NATS_AUTH_CREDS && s.sec.tls);

    fails("nats://" TOKEN "@h:4222", "a user name without a password in the URL of h:4222");
    fails("nats://alice:" PASS "@h?token=" TOKEN, "one way to authenticate at most");
    fails("nats://h?token=" TOKEN "&nkey=%D/user.nk", "one way to authenticate at most");
    fails("nats://h?nkey=%D/user.nk&creds=%D/user.creds", "one way to authenticate at most");
    fails("nats://h?token=", "option token is empty");
    fails("nats://h:4222?nkey=%D/missing.nk", "option nkey: cannot read");
    fails("nats://h:4222?nkey=%D", "Is a directory");
    fails("nats://h:4222?nkey=%D/bad.nk", "holds no valid user nkey seed");
    fails("nats://h:4222?nkey=", "option nkey must be 1..");
    fails("nats://h:4222?creds=%D/missing.creds", "option creds: cannot read");
    fails("nats://h:4222?creds=%D/user.nk", "holds no user JWT");
    fails("nats://h:4222?creds=%D/jwt-only.creds", "holds no valid user nkey seed");
    fails("nats://h:4222?nkey=" SEED, "option nkey takes a file holding the seed, not the seed");
}

/* write=: when cnats writes a publish (auto by default; asap, buffered; nothing else) */
/* The nonce's signature: SEED's Ed25519 signatures of two nonces, made independently
 * (Python's cryptography); "nonce-173"'s begins with a zero byte, which cnats 3.4 would
 * send as no signature: refused and counted, so that the adapter connects again. */
#define SIG_PLAIN "ad38e3774241a391bcf9ef9281ae4ddd52be70918d0c91aeee67bb756aa11b24" \
                  "7ba64e9a107e578535bda9e2c1a14e9202fbff8cbd605fbb1dc3019aadda3b0b"

static void test_sign_nonce(void)
{
    const char *urls[] = {"nats://h?nkey=%D/user.nk", "nats://h?creds=%D/user.creds"};
    for (int u = 0; u < 2; u++) {
        nats_settings s;
        ob_err err;
        CHECK_MSG(parse(urls[u], &s, &err) == 0, "%s", err.msg);
        char *txt = NULL, hex[129] = "";
        unsigned char *sig = NULL;
        int len = 0;
        CHECK(ob_nats_sign_nonce(&txt, &sig, &len, "nonce-plain", &s.sec) == NATS_OK && txt == NULL);
        CHECK_MSG(sig && len == 64, "%s: a signature of %d bytes", urls[u], len);
        for (int i = 0; sig && i < len && i < 64; i++)
            snprintf(hex + 2 * i, 3, "%02x", sig[i]);
        CHECK_STR(hex, SIG_PLAIN);
        free(sig);
        sig = NULL;
        CHECK(atomic_load(&s.sec.zero_led_refused) == 0);
        CHECK(ob_nats_sign_nonce(&txt, &sig, &len, "nonce-173", &s.sec) == NATS_ERR && sig == NULL);
        CHECK_MSG(txt && strstr(txt, "begins with a zero byte"), "%s: %s", urls[u], txt ? txt : "(none)");
        free(txt);
        CHECK(atomic_load(&s.sec.zero_led_refused) == 1);
    }
    /* the file gone between connects: cnats gets the reason */
    nats_settings s;
    ob_err err;
    char p[128], *txt = NULL;
    unsigned char *sig = NULL;
    int len = 0;
    write_file("gone.nk", SEED "\n");
    CHECK_MSG(parse("nats://h?nkey=%D/gone.nk", &s, &err) == 0, "%s", err.msg);
    path(p, sizeof p, "gone.nk");
    unlink(p);
    CHECK(ob_nats_sign_nonce(&txt, &sig, &len, "nonce-plain", &s.sec) == NATS_ERR && sig == NULL);
    CHECK_MSG(txt && strstr(txt, "cannot read") && strstr(txt, "gone.nk"), "%s", txt ? txt : "(none)");
    free(txt);
}

static void test_write(void)
{
    nats_settings s;
    ob_err err;
    CHECK(parse("nats://127.0.0.1:4222", &s, &err) == 0 && strcmp(s.write, "auto") == 0);
    CHECK(parse("nats://127.0.0.1:4222?write=asap", &s, &err) == 0 && strcmp(s.write, "asap") == 0);
    CHECK(parse("nats://127.0.0.1:4222?write=buffered&jetstream=1", &s, &err) == 0 &&
          strcmp(s.write, "buffered") == 0);
    CHECK(parse("nats://127.0.0.1:4222?write=sometimes", &s, &err) == -1);
    CHECK(strstr(err.msg, "write") && strstr(err.msg, "sometimes") && !strchr(err.msg, '\n'));
}

/* confirm=: how a core publisher's batches are confirmed (auto by default; ping, marker) */
static void test_confirm(void)
{
    nats_settings s;
    ob_err err;
    CHECK(parse("nats://127.0.0.1:4222", &s, &err) == 0 && strcmp(s.confirm, "auto") == 0);
    CHECK(parse("nats://127.0.0.1:4222?confirm=ping", &s, &err) == 0 && strcmp(s.confirm, "ping") == 0);
    CHECK(parse("nats://127.0.0.1:4222?confirm=marker", &s, &err) == 0 && strcmp(s.confirm, "marker") == 0);
    CHECK(parse("nats://127.0.0.1:4222?confirm=pong", &s, &err) == -1);
    CHECK(strstr(err.msg, "confirm") && strstr(err.msg, "pong") && !strchr(err.msg, '\n'));
}

/* io=: who reads and writes a core publisher's socket (auto by default; loop, threads) */
static void test_io(void)
{
    nats_settings s;
    ob_err err;
    CHECK(parse("nats://127.0.0.1:4222", &s, &err) == 0 && strcmp(s.io, "auto") == 0);
    CHECK(parse("nats://127.0.0.1:4222?io=loop", &s, &err) == 0 && strcmp(s.io, "loop") == 0);
    CHECK(parse("nats://127.0.0.1:4222?io=threads", &s, &err) == 0 && strcmp(s.io, "threads") == 0);
    CHECK(parse("nats://127.0.0.1:4222?io=epoll", &s, &err) == -1);
    CHECK(strstr(err.msg, "io") && strstr(err.msg, "epoll") && !strchr(err.msg, '\n'));
}

/* The stream's limits (when created) and which settings the URL gave: an existing
 * stream must have those; the facts of a stream config, as the durability says them. */
static void test_stream(void)
{
    nats_settings s;
    ob_err err;
    CHECK(parse("nats://127.0.0.1:4222?jetstream=1", &s, &err) == 0);
    CHECK(s.given == 0 && s.max_msgs == 0 && s.max_bytes == 0 && s.max_age_ns == 0);
    CHECK(parse("nats://127.0.0.1:4222?jetstream=1&max_msgs=10M&max_bytes=1G&max_age=1h30m&storage=memory", &s,
                &err) == 0);
    CHECK(s.max_msgs == 10000000 && s.max_bytes == 1000000000 && s.max_age_ns == 5400LL * 1000000000);
    CHECK(s.given == (NATS_GIVEN_MAX_MSGS | NATS_GIVEN_MAX_BYTES | NATS_GIVEN_MAX_AGE | NATS_GIVEN_STORAGE));
    CHECK(parse("nats://127.0.0.1:4222?jetstream=1&replicas=1", &s, &err) == 0 && s.given == NATS_GIVEN_REPLICAS);
    CHECK(parse("nats://127.0.0.1:4222?jetstream=1&max_msgs=1.5", &s, &err) == -1);
    CHECK(strstr(err.msg, "max_msgs") && strstr(err.msg, "1.5") && !strchr(err.msg, '\n'));
    CHECK(parse("nats://127.0.0.1:4222?jetstream=1&max_bytes=-1", &s, &err) == -1 && strstr(err.msg, "max_bytes"));
    CHECK(parse("nats://127.0.0.1:4222?jetstream=1&max_age=soon", &s, &err) == -1);
    CHECK(strstr(err.msg, "max_age") && strstr(err.msg, "soon"));

    /* a stream as the server says it: JetStream's -1 is no limit */
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    nats_stream_facts f;
    ob_nats_stream_facts(&cfg, true, &f);
    CHECK(f.known && f.existed && strcmp(f.storage, "file") == 0 && f.replicas == 1);
    CHECK_STR(f.retention, "limits");
    CHECK_STR(f.limits, "none");
    cfg.Storage = js_MemoryStorage;
    cfg.Replicas = 3;
    cfg.Retention = js_WorkQueuePolicy;
    cfg.MaxMsgs = 1000;
    cfg.MaxAge = 90LL * 1000000000;
    cfg.Discard = js_DiscardNew;
    ob_nats_stream_facts(&cfg, false, &f);
    CHECK(!f.existed && strcmp(f.storage, "memory") == 0 && f.replicas == 3);
    CHECK_STR(f.retention, "workqueue");
    CHECK_STR(f.limits, "max_msgs 1000, max_age 90 s, discard new");

    /* an existing stream and what the URL gave */
    CHECK(parse("nats://127.0.0.1:4222?jetstream=1&stream=S", &s, &err) == 0);
    CHECK(ob_nats_stream_matches(&s, &f, &err) == 0); /* nothing given: taken as it is */
    CHECK(parse("nats://127.0.0.1:4222?jetstream=1&stream=S&storage=memory&replicas=3&max_msgs=1k&max_age=90s", &s,
                &err) == 0);
    CHECK(ob_nats_stream_matches(&s, &f, &err) == 0);
    CHECK(parse("nats://127.0.0.1:4222?jetstream=1&stream=S&storage=file", &s, &err) == 0);
    CHECK(ob_nats_stream_matches(&s, &f, &err) == -1 && err.kind == OB_ERR_REJECTED);
    CHECK_STR(err.msg, "nats: stream S at 127.0.0.1:4222 exists with storage memory, the URL asks for storage=file "
                       "(use another stream= or delete it: nats stream rm S)");
    CHECK(parse("nats://127.0.0.1:4222?jetstream=1&stream=S&replicas=1", &s, &err) == 0);
    CHECK(ob_nats_stream_matches(&s, &f, &err) == -1 && strstr(err.msg, "replicas 3, the URL asks for replicas=1"));
    CHECK(parse("nats://127.0.0.1:4222?jetstream=1&stream=S&max_bytes=1M", &s, &err) == 0);
    CHECK(ob_nats_stream_matches(&s, &f, &err) == -1 && strstr(err.msg, "max_bytes none, the URL asks for max_bytes=1000000"));
    CHECK(parse("nats://127.0.0.1:4222?jetstream=1&stream=S&max_age=0", &s, &err) == 0);
    CHECK(ob_nats_stream_matches(&s, &f, &err) == -1 && strstr(err.msg, "max_age 90s, the URL asks for max_age=0s"));

    /* NATS subject patterns */
    CHECK(ob_nats_subject_matches("a.b", "a.b"));
    CHECK(!ob_nats_subject_matches("a.b", "a.bc"));
    CHECK(!ob_nats_subject_matches("a.b", "a.b.c"));
    CHECK(!ob_nats_subject_matches("a.b.c", "a.b"));
    CHECK(ob_nats_subject_matches("a.*", "a.b"));
    CHECK(!ob_nats_subject_matches("a.*", "a.b.c"));
    CHECK(ob_nats_subject_matches("*.b", "x.b"));
    CHECK(ob_nats_subject_matches("a.>", "a.b.c"));
    CHECK(ob_nats_subject_matches(">", "a"));
    CHECK(!ob_nats_subject_matches("a.>", "a"));
    CHECK(ob_nats_subject_matches("a.*.c.>", "a.x.c.d.e"));
    CHECK(!ob_nats_subject_matches("a.*.c", "a.x.d"));

    /* the stream's subjects and the URL's subject */
    jsStreamConfig_Init(&cfg);
    const char *subjects[] = {"objs.w.0", "other.>"};
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 2;
    ob_nats_stream_facts(&cfg, true, &f);
    CHECK_STR(f.subjects, "objs.w.0, other.>");
    CHECK(ob_nats_stream_takes(&f, "objs.w.0"));
    CHECK(ob_nats_stream_takes(&f, "other.a.b"));
    CHECK(!ob_nats_stream_takes(&f, "objs.w.x"));
    CHECK(!ob_nats_stream_takes(&f, "other"));
    jsStreamConfig_Init(&cfg); /* no subjects listed (a mirror): not known, taken */
    ob_nats_stream_facts(&cfg, true, &f);
    CHECK(f.subjects[0] == '\0' && ob_nats_stream_takes(&f, "anything"));
}

/* What a PubAck's body says (also fuzzed: fuzz_nats_puback.c). */
static void test_puback(void)
{
    char why[64];
    const char *ok = "{\"stream\":\"OUTBREAK\",\"seq\":42}";
    CHECK(ob_nats_puback_error(ok, strlen(ok), why, sizeof why) == NULL);
    const char *full = "{\"error\":{\"code\":503,\"description\":\"maximum messages\\nexceeded\"}}";
    const char *e = ob_nats_puback_error(full, strlen(full), why, sizeof why);
    CHECK(e == why && strcmp(e, "maximum messages exceeded") == 0); /* one line */
    const char *empty = "{\"error\":{\"code\":503,\"description\":\"\"}}";
    e = ob_nats_puback_error(empty, strlen(empty), why, sizeof why);
    CHECK(e && strcmp(e, "JetStream refused the message") == 0);
    e = ob_nats_puback_error("{\"stream\":\"S\"}", 14, why, sizeof why);
    CHECK(e && strcmp(e, "not a PubAck") == 0);
    e = ob_nats_puback_error("", 0, why, sizeof why);
    CHECK(e && strcmp(e, "not a PubAck") == 0);
}

/* What the core publisher reads from $JS.API.STREAM.NAMES: the streams that take its
 * subject, joined on one line; a name that does not fit whole is left out, not cut. */
static void test_stream_names(void)
{
    char out[16];
    const char *two = "{\"type\":\"io.nats.jetstream.api.v1.stream_names_response\",\"total\":2,"
                      "\"streams\":[\"OUTBREAK\",\"B\"],\"offset\":0}";
    CHECK(ob_nats_stream_names(two, strlen(two), out, sizeof out) == 2);
    CHECK(strcmp(out, "OUTBREAK, B") == 0);
    const char *none = "{\"total\":0,\"streams\":null}";
    CHECK(ob_nats_stream_names(none, strlen(none), out, sizeof out) == 0 && out[0] == '\0');
    const char *err = "{\"error\":{\"code\":503,\"description\":\"JetStream not enabled\"}}";
    CHECK(ob_nats_stream_names(err, strlen(err), out, sizeof out) == 0 && out[0] == '\0');
    const char *wide = "{\"streams\":[\"A\",\"A_NAME_TOO_LONG_HERE\",\"C\\nD\",7]}";
    CHECK(ob_nats_stream_names(wide, strlen(wide), out, sizeof out) == 3);
    CHECK(strcmp(out, "A, C D") == 0); /* the long one left out, the newline made a space */
    CHECK(ob_nats_stream_names("", 0, out, sizeof out) == 0 && out[0] == '\0');
}

int main(void)
{
    test_puback();
    test_stream_names();
    snprintf(dir, sizeof dir, "/tmp/test_nats_url.XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    write_file("ca.pem", "-----BEGIN CERTIFICATE-----\n(not read by the checks)\n");
    write_file("c.pem", "cert\n");
    write_file("c.key", "key\n");
    write_file("empty", "");
    write_file("user.nk", SEED "\n");
    write_file("user-nk.txt", SEED "\n" PUBLIC "\n");
    write_file("bad.nk", "SUAFKFOZ7VNHMPMAUNZBLNSQYXFUZU6LNETYDTBDEYUHUS5ZEPKAMNVM4I\n"); /* bad CRC */
    write_file("user.creds", "-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QifQ.e30.sig\n------END NATS USER JWT------\n\n"
                             "-----BEGIN USER NKEY SEED-----\n" SEED "\n------END USER NKEY SEED------\n");
    write_file("jwt-only.creds", "-----BEGIN NATS USER JWT-----\neyJ0eXAiOiJKV1QifQ.e30.sig\n------END NATS USER JWT------\n");

    test_nkey_public();
    test_plain();
    test_tls();
    test_auth();
    test_sign_nonce();
    test_write();
    test_confirm();
    test_io();
    test_stream();

    const char *names[] = {"ca.pem", "c.pem", "c.key", "empty", "user.nk", "user-nk.txt", "bad.nk", "user.creds",
                           "jwt-only.creds"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char p[128];
        path(p, sizeof p, names[i]);
        unlink(p);
    }
    rmdir(dir);
    CHECK_DONE();
}
