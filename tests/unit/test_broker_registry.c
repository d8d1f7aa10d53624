/* test_broker_registry.c — the adapter contract as callers see it, without servers: every
 * adapter fills in what broker.h requires (check, default_url, open, close, durability,
 * a handle that starts with ob_broker), its local URLs pass its own check, compare's
 * "all" has the five ways in order, and the endpoints, default port and sink-is-server
 * answers that compare uses instead of its old tables. */
#include <stdlib.h>

#include "broker.h"
#include "check.h"

static void test_required(void)
{
    CHECK(ob_broker_count() >= 7);
    for (int i = 0; i < ob_broker_count(); i++) {
        const ob_broker_ops *ops = ob_broker_at(i);
        CHECK(ops != NULL);
        if (!ops)
            continue;
        CHECK_MSG(ops->check && ops->default_url && ops->open && ops->close && ops->durability &&
                      ops->publish && ops->flush && ops->subscribe && ops->settle,
                  "%s: a required operation is missing", ops->scheme);
        CHECK_MSG(ops->handle_size >= sizeof(ob_broker), "%s: handle_size", ops->scheme);
        CHECK_MSG(ops->way && ops->title && ops->local_url && ops->params, "%s: names", ops->scheme);
        CHECK(ob_broker_find(ops->scheme) == ops);
        ob_err err = {0};
        CHECK_MSG(ob_broker_check_url(ops->local_url, &err) == 0, "%s: %s", ops->local_url, err.msg);
        char url[1024];
        ob_broker_local_url(ops, "20260101T000000-AB12", url, sizeof url);
        CHECK_MSG(url[0] && ob_broker_check_url(url, &err) == 0, "%s: %s", url, err.msg);
        CHECK_MSG(!strstr(url, "AB12"), "%s: the id is lower-cased", url);
        CHECK(ob_broker_of_url(url) != NULL && strcmp(ob_broker_of_url(url)->way, ops->way) == 0);
    }
    CHECK(ob_broker_at(-1) == NULL && ob_broker_at(ob_broker_count()) == NULL);
    CHECK(ob_broker_of_url("nope") == NULL);
}

static void test_all(void)
{
    static const char *const ways[] = {"grpc", "nats", "rabbitmq", "pubsub", "kafka"};
    CHECK(ob_broker_all_count() == 5);
    for (int i = 0; i < 5; i++) {
        const ob_broker_ops *ops = ob_broker_all_at(i);
        CHECK_MSG(ops && strcmp(ops->way, ways[i]) == 0, "all[%d] is %s", i, ops ? ops->way : "NULL");
        CHECK(ob_broker_by_way(ways[i]) == ops);
    }
    CHECK(ob_broker_all_at(5) == NULL);
    CHECK_STR(ob_broker_ways(), "grpc, nats, rabbitmq, pubsub, kafka");
    CHECK_STR(ob_broker_by_way("rabbitmq")->scheme, "amqp"); /* not amqps */
    CHECK_STR(ob_broker_by_way("grpc")->scheme, "grpc");
    CHECK(ob_broker_by_way("amqp") == NULL && ob_broker_by_way("bogus") == NULL);
    CHECK_STR(ob_broker_default_url(), "nats://127.0.0.1:4222");
    CHECK_MSG(strstr(ob_broker_help(), "(default nats://127.0.0.1:4222)") != NULL, "%s", ob_broker_help());
    CHECK(strstr(ob_broker_help(), "kafka://") && strstr(ob_broker_help(), "pubsub://"));
    CHECK_STR(ob_broker_schemes(), "nats, tls, amqp, amqps, kafka, pubsub, grpc, grpcs, http, https");
}

static void endpoint(const char *url, const char *host, int port)
{
    char h[256];
    int p = -1;
    ob_broker_endpoint(url, h, sizeof h, &p);
    CHECK_MSG(strcmp(h, host) == 0 && (!host[0] || p == port), "%s: %s:%d, wanted %s:%d", url, h, p, host,
              port);
}

static void test_endpoints(void)
{
    endpoint("nats://10.0.0.1", "10.0.0.1", 4222);
    endpoint("nats://10.0.0.1:4333?jetstream=1", "10.0.0.1", 4333);
    endpoint("amqp://u:p@mq/vh", "mq", 5672);
    endpoint("amqps://mq", "mq", 5671);
    endpoint("kafka://k1:9093,k2:9094", "k1", 9093);
    endpoint("kafka://k1", "k1", 9092);
    endpoint("grpc://127.0.0.1:50051", "", 0); /* the sink is the server */
    endpoint("grpcs://127.0.0.1:50051", "", 0);
    endpoint("pubsub://p/t?emulator=127.0.0.1:8111", "127.0.0.1", 8111);
    endpoint("not a url", "", 0);
    CHECK(ob_broker_find("grpc")->sink_is_server && !ob_broker_find("nats")->sink_is_server);
    CHECK_STR(ob_broker_find("grpc")->title, "gRPC");
}

int main(void)
{
    setenv("PUBSUB_EMULATOR_HOST", "127.0.0.1:8085", 1);
    test_required();
    test_all();
    test_endpoints();
    CHECK_DONE();
}
