/* kafka.c — the Kafka adapter (librdkafka):
 *
 *   kafka://host:9092[,host2:9092...][?options]
 *
 * Publisher: a librdkafka producer; each record's delivery report is its ack, so with
 * acks=all (the default, with idempotence) publish latency is produce → every in-sync
 * replica has it. Subscriber: a consumer group committing offsets only for records
 * MongoDB has. The options, their defaults and what they cost are in
 * docs/brokers/kafka.md; the parts live in kafka_conf.c, kafka_pub.c and kafka_sub.c. */
#include "kafka.h"

#include <stdio.h>
#include <stdlib.h>

#include "json.h"

extern const ob_broker_ops ob_kafka_ops;

static const char *const kafka_params[] = {
    "topic", "partitions", "replication", "acks", "idempotence", "linger", "batch",
    "compression", "key", "group", "rdkafka.*", NULL,
};

static void kafka_close(ob_broker *b)
{
    kafka_broker *kb = (kafka_broker *)b;
    if (!kb)
        return;
    if (kb->role == OB_ROLE_PUBLISHER)
        kafka_pub_close(kb);
    else
        kafka_sub_close(kb);
    pthread_mutex_destroy(&kb->problem_lock);
    free(kb);
}

static int kafka_check(const ob_url *url, ob_err *err)
{
    kafka_settings s;
    ob_broker_opts opts = {.role = OB_ROLE_PUBLISHER};
    return kafka_settings_parse(&s, url, &opts, err);
}

static int kafka_open(ob_broker **out, const ob_url *url, const ob_broker_opts *opts, ob_err *err)
{
    kafka_broker *kb = calloc(1, sizeof *kb);
    if (!kb)
        return ob_err_set(err, "kafka: out of memory");
    kb->base.ops = &ob_kafka_ops;
    kb->base.on_ack = opts->on_ack;
    kb->base.ack_arg = opts->ack_arg;
    kb->role = opts->role;
    pthread_mutex_init(&kb->problem_lock, NULL);
    kb->pub.wake[0] = kb->pub.wake[1] = -1;
    int rc = kafka_settings_parse(&kb->s, url, opts, err);
    if (rc == 0 && opts->role == OB_ROLE_PUBLISHER && !opts->on_ack)
        rc = ob_err_set(err, "kafka: a publisher needs an ack callback");
    if (rc == 0)
        rc = opts->role == OB_ROLE_PUBLISHER ? kafka_pub_init(kb, url, err) : kafka_sub_init(kb, url, err);
    if (rc != 0) {
        kafka_close(&kb->base);
        return -1;
    }
    pthread_mutex_lock(&kb->problem_lock);
    kb->opened = true; /* from now on librdkafka's problems are printed */
    pthread_mutex_unlock(&kb->problem_lock);
    *out = &kb->base;
    return 0;
}

static void kafka_durability(ob_broker *b, char *buf, size_t cap)
{
    const kafka_broker *kb = (const kafka_broker *)b;
    const kafka_settings *s = &kb->s;
    char topic[520], group[520];
    ob_json_write_string(topic, sizeof topic, s->topic);
    ob_json_write_string(group, sizeof group, s->group);
    bool acked = s->acks[0] != '0';
    snprintf(buf, cap,
             "{\"mode\":\"acks=%s\",\"broker_ack\":%s,\"publish_ack\":\"%s\",%s\"delivery\":\"at-least-once\","
             "\"acks\":\"%s\",\"idempotence\":%s,\"linger_ms\":%ld,\"batch_bytes\":%ld,"
             "\"compression\":\"%s\",\"topic\":%s,\"partitions\":%ld,\"replication\":%ld,"
             "\"key\":\"%s\",\"group\":%s,\"consumer_commit\":\"after the MongoDB insert\"}",
             s->acks, acked ? "true" : "false",
             acked ? "delivery report" : "none",
             acked ? "" : "\"acked_means\":\"sent on the socket (acks=0: no broker answer)\",",
             s->acks, s->idempotence ? "true" : "false", s->linger_ms, s->batch_bytes, s->compression,
             topic, s->partitions, s->replication, s->key_by_location ? "location" : "none", group);
}

const ob_broker_ops ob_kafka_ops = {
    .scheme = "kafka",
    .way = "kafka",
    .params = kafka_params,
    .multi_host = true,
    .check = kafka_check,
    .open = kafka_open,
    .publish = kafka_pub_publish,
    .poll = kafka_pub_poll,
    .flush = kafka_pub_flush,
    .subscribe = kafka_sub_subscribe,
    .settle = kafka_sub_settle,
    .durability = kafka_durability,
    .close = kafka_close,
};
