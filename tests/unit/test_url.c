/* test_url.c — URL parsing: a table of good URLs with every component, a table of bad
 * ones with their exact messages, passwords never in a message, and the typed option
 * accessors. */
#include "url.h"

#include <stdlib.h>

#include "check.h"

#define STR_OR_NULL(s) ((s) ? (s) : "(null)")

static void test_good(void)
{
    static const struct {
        const char *in, *scheme, *user, *pass, *host;
        int port;
        const char *path;
        int nparams;
        const char *k0, *v0;
    } good[] = {
        {"nats://127.0.0.1:4222", "nats", NULL, NULL, "127.0.0.1", 4222, "", 0, NULL, NULL},
        {"nats://127.0.0.1:4222?jetstream=1", "nats", NULL, NULL, "127.0.0.1", 4222, "", 1,
         "jetstream", "1"},
        {"NATS://Host.Example:4222?subject=a.b", "nats", NULL, NULL, "Host.Example", 4222, "", 1,
         "subject", "a.b"},
        {"amqp://user:pass@host:5672/vhost", "amqp", "user", "pass", "host", 5672, "vhost", 0, NULL,
         NULL},
        {"amqp://us%20er:p%40ss%3a@host/%2F", "amqp", "us er", "p@ss:", "host", 0, "/", 0, NULL, NULL},
        {"amqp://u:p@ss@host", "amqp", "u", "p@ss", "host", 0, "", 0, NULL, NULL},
        {"redis://:secret@host:6379", "redis", "", "secret", "host", 6379, "", 0, NULL, NULL},
        {"amqp://guest@host", "amqp", "guest", NULL, "host", 0, "", 0, NULL, NULL},
        {"amqp://u:@host", "amqp", "u", "", "host", 0, "", 0, NULL, NULL},
        {"pubsub://project/topic", "pubsub", NULL, NULL, "project", 0, "topic", 0, NULL, NULL},
        {"pubsub://my-proj/top%2Fic?ordering=1", "pubsub", NULL, NULL, "my-proj", 0, "top/ic", 1,
         "ordering", "1"},
        {"mongodb://host:27017/db?x=y", "mongodb", NULL, NULL, "host", 27017, "db", 1, "x", "y"},
        {"mongodb://u:p@mongo:27017/outbreak?authSource=admin&w=majority", "mongodb", "u", "p",
         "mongo", 27017, "outbreak", 2, "authSource", "admin"},
        {"nats://[::1]:4222", "nats", NULL, NULL, "::1", 4222, "", 0, NULL, NULL},
        {"grpc://[fe80::1:2]", "grpc", NULL, NULL, "fe80::1:2", 0, "", 0, NULL, NULL},
        {"grpc://[::ffff:1.2.3.4]/svc", "grpc", NULL, NULL, "::ffff:1.2.3.4", 0, "svc", 0, NULL, NULL},
        {"kafka://host", "kafka", NULL, NULL, "host", 0, "", 0, NULL, NULL},
        {"kafka://host/", "kafka", NULL, NULL, "host", 0, "", 0, NULL, NULL},
        {"nats://host/?a", "nats", NULL, NULL, "host", 0, "", 1, "a", ""},
        {"nats://host?&&a=1&", "nats", NULL, NULL, "host", 0, "", 1, "a", "1"},
        {"nats://host?k=a=b&x=%26%3D", "nats", NULL, NULL, "host", 0, "", 2, "k", "a=b"},
        {"svc+tls.v-2://h_1.example-x:1/a/b/c", "svc+tls.v-2", NULL, NULL, "h_1.example-x", 1,
         "a/b/c", 0, NULL, NULL},
        {"nats://host:65535", "nats", NULL, NULL, "host", 65535, "", 0, NULL, NULL},
        {"nats://host:00080", "nats", NULL, NULL, "host", 80, "", 0, NULL, NULL},
        {"x://h/%c2%b5s", "x", NULL, NULL, "h", 0, "\xc2\xb5s", 0, NULL, NULL},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ob_url u;
        ob_err err = {0};
        int rc = ob_url_parse(good[i].in, &u, &err);
        CHECK_MSG(rc == 0, "\"%s\": %s", good[i].in, err.msg);
        if (rc != 0)
            continue;
        CHECK_STR(u.text, good[i].in);
        CHECK_STR(u.scheme, good[i].scheme);
        CHECK_STR(STR_OR_NULL(u.user), STR_OR_NULL(good[i].user));
        CHECK_STR(STR_OR_NULL(u.pass), STR_OR_NULL(good[i].pass));
        CHECK_STR(u.host, good[i].host);
        CHECK_MSG(u.port == good[i].port, "\"%s\": port %d", good[i].in, u.port);
        CHECK_STR(u.path, good[i].path);
        CHECK_MSG(u.nparams == good[i].nparams, "\"%s\": %d params", good[i].in, u.nparams);
        if (good[i].k0 && u.nparams > 0) {
            CHECK_STR(u.params[0].key, good[i].k0);
            CHECK_STR(u.params[0].value, good[i].v0);
        }
        ob_url_free(&u);
        CHECK(u.text == NULL && u.host == NULL && u.nparams == 0);
    }

    ob_url u;
    CHECK(ob_url_parse("nats://host?k=a=b&x=%26%3D", &u, NULL) == 0);
    CHECK_STR(u.params[1].key, "x");
    CHECK_STR(u.params[1].value, "&=");
    ob_url_free(&u);
    ob_url_free(&u); /* twice is fine: the first left it zeroed */
    ob_url_free(NULL);
}

static void test_bad(void)
{
    static const struct {
        const char *in, *msg;
    } bad[] = {
        {"nats//x", "invalid URL \"nats//x\": missing \"://\""},
        {"", "invalid URL \"\": empty"},
        {"://h", "invalid URL \"://h\": missing scheme before \"://\""},
        {"1nats://h", "invalid URL \"1nats://h\": the scheme must start with a letter"},
        {"na_ts://h", "invalid URL \"na_ts://h\": the scheme may hold only letters, digits, '+', '-' and '.'"},
        {"nats://", "invalid URL \"nats://\": missing host"},
        {"nats://:4222", "invalid URL \"nats://:4222\": missing host"},
        {"nats://u@", "invalid URL \"nats://u@\": missing host"},
        {"nats://h:0", "invalid URL \"nats://h:0\": port 0 out of range (1-65535)"},
        {"nats://h:65536", "invalid URL \"nats://h:65536\": port 65536 out of range (1-65535)"},
        {"nats://h:99999999999999999999", "invalid URL \"nats://h:99999999999999999999\": port 99999999999999999999 out of range (1-65535)"},
        {"nats://h:abc", "invalid URL \"nats://h:abc\": invalid port \"abc\" (expected 1-65535)"},
        {"nats://h:-1", "invalid URL \"nats://h:-1\": invalid port \"-1\" (expected 1-65535)"},
        {"nats://h:", "invalid URL \"nats://h:\": empty port after ':'"},
        {"nats://h o", "invalid URL \"nats://h o\": contains a space"},
        {"nats://h\n", "invalid URL \"nats://h\\x0a\": contains a control character"},
        {"nats://::1:4222", "invalid URL \"nats://::1:4222\": an IPv6 address must be in brackets, as in [::1]:4222"},
        {"nats://[::1", "invalid URL \"nats://[::1\": missing ']' after the IPv6 address"},
        {"nats://[::1]x", "invalid URL \"nats://[::1]x\": expected ':' or the end after ']'"},
        {"nats://[::1]:", "invalid URL \"nats://[::1]:\": empty port after ':'"},
        {"nats://[::1]:0", "invalid URL \"nats://[::1]:0\": port 0 out of range (1-65535)"},
        {"nats://[zz::1]:1", "invalid URL \"nats://[zz::1]:1\": an IPv6 address in brackets may hold only hex digits, ':' and '.'"},
        {"nats://[]:1", "invalid URL \"nats://[]:1\": empty IPv6 address in brackets"},
        {"nats://[1.2.3.4]:1", "invalid URL \"nats://[1.2.3.4]:1\": brackets are for IPv6 addresses only"},
        {"nats://ho$t", "invalid URL \"nats://ho$t\": invalid character in host \"ho$t\""},
        {"nats://h/%zz", "invalid URL \"nats://h/%zz\": invalid percent-escape \"%zz\" in the path"},
        {"nats://h/a%4", "invalid URL \"nats://h/a%4\": invalid percent-escape \"%4\" in the path"},
        {"nats://h?a=%4", "invalid URL \"nats://h?a=%4\": invalid percent-escape \"%4\" in the option value"},
        {"nats://h?%g1=1", "invalid URL \"nats://h?%g1=1\": invalid percent-escape \"%g1\" in the option name"},
        {"nats://h/%00", "invalid URL \"nats://h/%00\": %00 (a NUL byte) is not allowed in the path"},
        {"nats://h?=1", "invalid URL \"nats://h?=1\": an option has an empty name"},
        {"nats://us%zer@h", "invalid URL \"nats://us%zer@h\": invalid percent-escape \"%ze\" in the user name"},
        {"amqp://user:s3cr%zzet@host/", "invalid URL \"amqp://user:***@host/\": invalid percent-escape in the password"},
        {"kafka://h?sasl_password=s3%zzcret", "invalid URL \"kafka://h?sasl_password=***\": invalid percent-escape in the option value"},
        {"nats://\"h\"", "invalid URL \"nats://\\x22h\\x22\": invalid character in host \"\\x22h\\x22\""},
        {"kafka://a:9092,", "invalid URL \"kafka://a:9092,\": missing host"},
        {"kafka://a:9092,b:x", "invalid URL \"kafka://a:9092,b:x\": invalid port \"x\" (expected 1-65535)"},
        {"kafka://a,,b", "invalid URL \"kafka://a,,b\": missing host"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ob_url u;
        ob_err err = {0};
        int rc = ob_url_parse(bad[i].in, &u, &err);
        CHECK_MSG(rc == -1, "\"%s\" accepted", bad[i].in);
        CHECK_STR(err.msg, bad[i].msg);
        CHECK(u.text == NULL && u.scheme == NULL && u.host == NULL && u.nparams == 0);
    }
    ob_url u;
    CHECK(ob_url_parse(NULL, &u, NULL) == -1);
    CHECK(ob_url_parse("bad", &u, NULL) == -1);

    /* At most OB_URL_MAX_PARAMS options. */
    char text[512] = "nats://h?";
    for (int i = 0; i < OB_URL_MAX_PARAMS; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%sk%d=%d", i ? "&" : "", i, i);
    ob_err err;
    CHECK(ob_url_parse(text, &u, &err) == 0 && u.nparams == OB_URL_MAX_PARAMS);
    CHECK_STR(ob_url_param_str(&u, "k31", "?"), "31");
    ob_url_free(&u);
    strcat(text, "&k32=32");
    CHECK(ob_url_parse(text, &u, &err) == -1);
    CHECK(strstr(err.msg, ": too many options (at most 32)") != NULL);
}

/* The password must not show in any message, however the URL is broken. */
static void test_secrets(void)
{
    static const char *const urls[] = {
        "amqp://u:hunter2@h:0",          "amqp//u:hunter2@h",          "amqp://u:hunter2@h:99999",
        "amqp://u:hunter2@h:x",          "amqp://u:hunter2@[::1",      "amqp://u:hunter2@h o",
        "amqp://u:hunter2@h?a=%zz",      "amqp://u:hunter2@h/%00",     "amqp://u:hun/ter2@h",
        "amqp://u:hun?ter2@h",           "amqp:u:hunter2@h",           "1amqp://u:hunter2@h",
        "amqp://u:hunter2@",             "amqp://u:hunter2@h$",        "amqp://u:hunter2%zz@h",
        "amqp://u:hunter2@h:70000",      "amqp://u:hunter2@::1:5",     "amqp://u:hunter2@h?=",
        "amqp://u:hunter2@h\x01",        "amqp://u:hunter2@h:1:2",
    };
    for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
        ob_url u;
        ob_err err = {0};
        CHECK_MSG(ob_url_parse(urls[i], &u, &err) == -1, "\"%s\" accepted", urls[i]);
        CHECK_MSG(!strstr(err.msg, "hunter") && !strstr(err.msg, "ter2") && strstr(err.msg, "***"),
                  "%s", err.msg);
    }

    /* Options of a URL that parsed. */
    static const char *const ok[] = {
        "amqp://u:hunter2@h?foo=1",
        "amqp://u:hunter2@h?jetstream=maybe&n=x",
        "amqp://u:1?hunter2@h", /* parses as host "u", port 1, option "hunter2@h" */
        "amqp://h?password=hunter2&foo",
        "amqp://h?sasl_password=hunter2&jetstream=maybe",
        "amqp://h?n=x&x-Api-Key=hunter2",
        "amqp://h?n=1&TOKEN=hunter2&secret=hunter2&foo",
        "amqp://h?jetstream=1&password=hunter2&foo",
    };
    static const char *const known[] = {"jetstream", "n", NULL};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ob_url u;
        ob_err err = {0};
        bool b;
        long n;
        CHECK_MSG(ob_url_parse(ok[i], &u, &err) == 0, "%s", err.msg);
        err.msg[0] = '\0';
        int rc = ob_url_check_params(&u, known, &err);
        if (rc == 0)
            rc = ob_url_param_bool(&u, "jetstream", false, &b, &err);
        if (rc == 0)
            rc = ob_url_param_int(&u, "n", 0, 0, 10, &n, &err);
        CHECK_MSG(rc == -1, "\"%s\" had no error", ok[i]);
        CHECK_MSG(!strstr(err.msg, "hunter") && !strstr(err.msg, "ter2") && strstr(err.msg, "***"),
                  "%s", err.msg);
        ob_url_free(&u);
    }

    ob_url u;
    ob_err err;
    CHECK(ob_url_parse("amqp://u:hunter2@h:0", &u, &err) == -1);
    CHECK_STR(err.msg, "invalid URL \"amqp://u:***@h:0\": port 0 out of range (1-65535)");
    CHECK(ob_url_parse("amqp://u:@h:0", &u, &err) == -1); /* empty password */
    CHECK_STR(err.msg, "invalid URL \"amqp://u:***@h:0\": port 0 out of range (1-65535)");
    CHECK(ob_url_parse("s012//up:@s0::1-5", &u, &err) == -1); /* found by fuzz_url: hung */
    CHECK_STR(err.msg, "invalid URL \"s012//up:***@s0::1-5\": missing \"://\"");
    CHECK(ob_url_parse("amqp://u:hun/ter2@h", &u, &err) == -1);
    CHECK_STR(err.msg, "invalid URL \"amqp://u:***@h\": invalid port \"***\" (expected 1-65535)");
    CHECK(ob_url_parse("amqp://u:hunter2@h?foo=1", &u, &err) == 0);
    ob_url_check_params(&u, known, &err);
    CHECK_STR(err.msg, "unknown option \"foo\" in URL amqp://u:***@h?foo=1 (known: jetstream, n)");
    ob_url_free(&u);
    CHECK(ob_url_parse("kafka://h?sasl_user=me&sasl_password=hunter2&foo=1", &u, &err) == 0);
    CHECK_STR(ob_url_param_str(&u, "sasl_password", ""), "hunter2");
    ob_url_check_params(&u, known, &err);
    CHECK_STR(err.msg, "unknown option \"sasl_user\" in URL kafka://h?sasl_user=me&sasl_password=***&foo=1 (known: jetstream, n)");
    ob_url_free(&u);
}

static void test_options(void)
{
    ob_url u;
    ob_err err = {0};
    CHECK(ob_url_parse("nats://127.0.0.1:4222?foo=1", &u, &err) == 0);
    static const char *const nats[] = {"jetstream", "subject", "stream", NULL};
    CHECK(ob_url_check_params(&u, nats, &err) == -1);
    CHECK_STR(err.msg, "unknown option \"foo\" in URL nats://127.0.0.1:4222?foo=1 (known: jetstream, subject, stream)");
    static const char *const none[] = {NULL};
    CHECK(ob_url_check_params(&u, none, &err) == -1);
    CHECK_STR(err.msg, "unknown option \"foo\" in URL nats://127.0.0.1:4222?foo=1 (known: none)");
    ob_url_free(&u);

    CHECK(ob_url_parse("nats://h?jetstream&subject=a&subject=b&n=42&neg=-5&big=99999999999999999999"
                       "&b1=TRUE&b0=off&bad=maybe&e=&plus=+7&x=5x",
                       &u, &err) == 0);
    static const char *const known[] = {"jetstream", "subject", "n", "neg", "big", "b1", "b0",
                                        "bad", "e", "plus", "x", NULL};
    CHECK(ob_url_check_params(&u, known, &err) == 0);
    CHECK_STR(ob_url_param_str(&u, "subject", "def"), "b"); /* last one wins */
    CHECK_STR(ob_url_param_str(&u, "jetstream", "def"), "");
    CHECK_STR(ob_url_param_str(&u, "absent", "def"), "def");
    CHECK(ob_url_param_str(&u, "absent", NULL) == NULL);

    bool b = false;
    CHECK(ob_url_param_bool(&u, "jetstream", false, &b, &err) == 0 && b);
    CHECK(ob_url_param_bool(&u, "b1", false, &b, &err) == 0 && b);
    CHECK(ob_url_param_bool(&u, "b0", true, &b, &err) == 0 && !b);
    CHECK(ob_url_param_bool(&u, "absent", true, &b, &err) == 0 && b);
    CHECK(ob_url_param_bool(&u, "absent", false, &b, &err) == 0 && !b);
    CHECK(ob_url_param_bool(&u, "bad", false, &b, &err) == -1);
    CHECK(strstr(err.msg, "invalid value \"maybe\" for option \"bad\" in URL nats://h?") == err.msg);
    CHECK(strstr(err.msg, ": expected true/false, yes/no, on/off or 1/0") != NULL);
    CHECK(ob_url_param_bool(&u, "n", false, &b, &err) == -1);

    long n = 0;
    CHECK(ob_url_param_int(&u, "n", 1, 1, 100, &n, &err) == 0 && n == 42);
    CHECK(ob_url_param_int(&u, "absent", 7, 1, 100, &n, &err) == 0 && n == 7);
    CHECK(ob_url_param_int(&u, "neg", 0, -10, 10, &n, &err) == 0 && n == -5);
    CHECK(ob_url_param_int(&u, "plus", 0, 0, 10, &n, &err) == 0 && n == 7);
    n = 99;
    CHECK(ob_url_param_int(&u, "n", 1, 1, 41, &n, &err) == -1 && n == 99);
    CHECK(strstr(err.msg, "invalid value \"42\" for option \"n\" in URL nats://h?") == err.msg);
    CHECK(strstr(err.msg, ": expected an integer from 1 to 41") != NULL);
    CHECK(ob_url_param_int(&u, "neg", 0, 0, 10, &n, &err) == -1);
    CHECK(ob_url_param_int(&u, "big", 0, 0, 10, &n, &err) == -1);
    CHECK(ob_url_param_int(&u, "e", 0, 0, 10, &n, &err) == -1);
    CHECK(ob_url_param_int(&u, "x", 0, 0, 10, &n, &err) == -1);
    CHECK(ob_url_param_int(&u, "jetstream", 0, 0, 10, &n, &err) == -1);
    CHECK(ob_url_param_int(&u, "subject", 0, 0, 10, &n, &err) == -1);
    ob_url_free(&u);

    /* The exact message of a bad integer. */
    CHECK(ob_url_parse("nats://h:4222?replicas=9", &u, &err) == 0);
    CHECK(ob_url_param_int(&u, "replicas", 1, 1, 5, &n, &err) == -1);
    CHECK_STR(err.msg, "invalid value \"9\" for option \"replicas\" in URL nats://h:4222?replicas=9: expected an integer from 1 to 5");
    ob_url_free(&u);
}

static void test_hostport(void)
{
    char buf[64];
    ob_url u;
    CHECK(ob_url_parse("nats://h:1234", &u, NULL) == 0);
    CHECK_STR(ob_url_hostport(&u, 4222, buf, sizeof buf), "h:1234");
    ob_url_free(&u);
    CHECK(ob_url_parse("nats://h", &u, NULL) == 0);
    CHECK_STR(ob_url_hostport(&u, 4222, buf, sizeof buf), "h:4222");
    CHECK_STR(ob_url_hostport(&u, 0, buf, sizeof buf), "h");
    ob_url_free(&u);
    CHECK(ob_url_parse("nats://[::1]", &u, NULL) == 0);
    CHECK_STR(ob_url_hostport(&u, 4222, buf, sizeof buf), "[::1]:4222");
    char small[6];
    CHECK_STR(ob_url_hostport(&u, 4222, small, sizeof small), "[::1]");
    ob_url_free(&u);
    CHECK(ob_url_parse("kafka://u:p@broker-1.example.com:9093/t", &u, NULL) == 0);
    CHECK_STR(ob_url_hostport(&u, 9092, buf, sizeof buf), "broker-1.example.com:9093");
    ob_url_free(&u);
}

/* Several hosts (Kafka's bootstrap list): host and port are the first, hosts the list. */
static void test_hosts(void)
{
    ob_url u;
    ob_err err;
    CHECK(ob_url_parse("kafka://a:9092,b.example:9093,[::1]:9094/t?acks=all", &u, &err) == 0);
    CHECK_STR(u.host, "a");
    CHECK(u.port == 9092);
    CHECK_STR(STR_OR_NULL(u.hosts), "a:9092,b.example:9093,[::1]:9094");
    CHECK_STR(u.path, "t");
    ob_url_free(&u);
    CHECK(ob_url_parse("kafka://a:9092/t", &u, &err) == 0);
    CHECK(u.hosts == NULL);
    ob_url_free(&u);
    /* a "prefix.*" entry admits every key with the prefix (librdkafka's properties) */
    static const char *const known[] = {"topic", "rdkafka.*", NULL};
    static const struct {
        const char *in;
        int rc;
    } keys[] = {{"kafka://h?rdkafka.linger.ms=5&topic=t", 0},
                {"kafka://h?rdkafka.x=1", 0},
                {"kafka://h?rdkafka.=1", -1},
                {"kafka://h?rdkafka=1", -1},
                {"kafka://h?rdkafkax.y=1", -1}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        CHECK(ob_url_parse(keys[i].in, &u, &err) == 0);
        CHECK_MSG(ob_url_check_params(&u, known, &err) == keys[i].rc, "%s", keys[i].in);
        ob_url_free(&u);
    }
}

int main(void)
{
    test_good();
    test_hosts();
    test_bad();
    test_secrets();
    test_options();
    test_hostport();
    CHECK_DONE();
}
