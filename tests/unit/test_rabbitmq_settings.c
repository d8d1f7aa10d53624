/* test_rabbitmq_settings.c — the RabbitMQ adapter's URL options without a broker: the
 * AMQP URI defaults (guest/guest, vhost "/", port 5672 or 5671 for amqps), every option
 * read, and the usage errors with their messages. */
#include <stdlib.h>

#include "broker.h"
#include "check.h"
#include "rabbitmq.h"

/* Parses `text` into *s; returns the parse result, the error in err. */
static int parse(const char *text, rmq_settings *s, ob_err *err)
{
    ob_url url;
    if (ob_url_parse(text, &url, err) != 0)
        return -1;
    int rc = ob_rmq_settings_parse(s, &url, err);
    ob_url_free(&url);
    return rc;
}

static void test_defaults(void)
{
    rmq_settings s;
    ob_err err;
    CHECK(parse("amqp://127.0.0.1", &s, &err) == 0);
    CHECK(!s.tls);
    CHECK(s.port == 5672);
    CHECK_STR(s.address, "127.0.0.1:5672");
    CHECK_STR(s.user, "guest");
    CHECK_STR(s.pass, "guest");
    CHECK_STR(s.vhost, "/");
    CHECK_STR(s.queue, "outbreak.records");
    CHECK_STR(s.queue_type, "classic");
    CHECK_STR(s.exchange, "");
    CHECK_STR(s.routing_key, "outbreak.records");
    CHECK(s.durable && s.persistent && s.confirms && s.mandatory && s.declare && s.verify);
    CHECK(s.confirm_window == 1000);
    CHECK(s.prefetch == 1000);
    CHECK(s.heartbeat == 30);
}

static void test_options(void)
{
    rmq_settings s;
    ob_err err;
    CHECK(parse("amqps://bob:s%40cret@mq.example:5999/prod%2Feu?queue=q1&queue_type=quorum"
                "&exchange=ex&exchange_type=topic&routing_key=a.b&persistent=0&confirms=0"
                "&confirm_window=64&mandatory=0&declare=0&prefetch=7&heartbeat=0"
                "&cacert=/etc/ca.pem&verify=0",
                &s, &err) == 0);
    CHECK(s.tls);
    CHECK(s.port == 5999);
    CHECK_STR(s.user, "bob");
    CHECK_STR(s.pass, "s@cret");
    CHECK_STR(s.vhost, "prod/eu");
    CHECK_STR(s.queue, "q1");
    CHECK_STR(s.queue_type, "quorum");
    CHECK(s.durable); /* quorum queues are durable */
    CHECK_STR(s.exchange, "ex");
    CHECK_STR(s.exchange_type, "topic");
    CHECK_STR(s.routing_key, "a.b");
    CHECK(!s.persistent && !s.confirms && !s.mandatory && !s.declare && !s.verify);
    CHECK(s.confirm_window == 64);
    CHECK(s.prefetch == 7);
    CHECK(s.heartbeat == 0);
    CHECK_STR(s.cacert, "/etc/ca.pem");
    CHECK(parse("amqps://h", &s, &err) == 0);
    CHECK(s.port == 5671);
    CHECK(parse("amqp://h/%2F", &s, &err) == 0);
    CHECK_STR(s.vhost, "/");
}

static void test_errors(void)
{
    static const struct {
        const char *url, *msg;
    } bad[] = {
        {"amqp://h?queue_type=stream",
         "rabbitmq: option queue_type must be one of classic, quorum, not \"stream\""},
        {"amqp://h?exchange_type=headers",
         "rabbitmq: option exchange_type must be one of direct, fanout, topic, not \"headers\""},
        {"amqp://h?queue_type=quorum&durable=0",
         "rabbitmq: a quorum queue is always durable; drop durable=0"},
        {"amqp://h?routing_key=k",
         "rabbitmq: routing_key needs an exchange (the default exchange routes by queue name)"},
        {"amqp://h?queue=", "rabbitmq: option queue must be 1..255 characters"},
        {"amqp://h?confirm_window=0",
         "invalid value \"0\" for option \"confirm_window\" in URL amqp://h?confirm_window=0: "
         "expected an integer from 1 to 1048576"},
        {"amqp://h?persistent=maybe", NULL}, /* a bool error, worded by url.c */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rmq_settings s;
        ob_err err = {0};
        CHECK_MSG(parse(bad[i].url, &s, &err) == -1, "%s was accepted", bad[i].url);
        if (bad[i].msg)
            CHECK_STR(err.msg, bad[i].msg);
        else
            CHECK_MSG(strstr(err.msg, "persistent") != NULL, "%s", err.msg);
    }
}

/* The registry: both schemes, the check without connecting (a usage error), and an
 * unknown option listing the known ones. */
static void test_registry(void)
{
    ob_err err;
    CHECK(ob_broker_find("amqp") != NULL);
    CHECK(ob_broker_find("amqps") != NULL);
    CHECK_STR(ob_broker_find("amqp")->way, "rabbitmq");
    CHECK(strstr(ob_broker_schemes(), "amqp") != NULL);
    CHECK(ob_broker_check_url("amqp://guest:guest@127.0.0.1:5672/?queue=q&prefetch=10", &err) == 0);
    CHECK(ob_broker_check_url("amqp://127.0.0.1/?queue_type=x", &err) == -1);
    CHECK(strstr(err.msg, "queue_type") != NULL);
    CHECK(ob_broker_check_url("amqp://127.0.0.1/?queu=x", &err) == -1);
    CHECK_MSG(strstr(err.msg, "unknown option \"queu\"") && strstr(err.msg, "confirm_window"), "%s",
              err.msg);
}

int main(void)
{
    test_defaults();
    test_options();
    test_errors();
    test_registry();
    CHECK_DONE();
}
