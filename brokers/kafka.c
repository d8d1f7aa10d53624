/* kafka.c — the Kafka adapter (librdkafka):
 *
 *   kafka://[user:password@]host:9092[,host2:9092...][?options]
 *
 * Publisher: a librdkafka producer; each record's delivery report is its ack, so with
 * acks=all (the default, with idempotence) publish latency is produce → every in-sync
 * replica has it. Subscriber: a consumer group committing offsets only for records
 * MongoDB has. The options, their defaults and what they cost are in
 * docs/brokers/kafka.md; the parts live in kafka_conf.c, kafka_pub.c and kafka_sub.c. */
#include "kafka.h"

#include <stdio.h>

extern const ob_broker_ops ob_kafka_ops;

static const char *const kafka_params[] = {
    "topic", "partitions", "replication", "acks", "idempotence", "linger", "batch",
    "compression", "key", "group", "security", "ca", "cert", "key_file", "key_password",
    "mechanism", "rdkafka.*", NULL,
};

static void kafka_close(ob_broker *b)
{
    kafka_broker *kb = (kafka_broker *)b;
    if (kb->started) {
        if (b->role == OB_ROLE_PUBLISHER)
            ob_kafka_pub_close(kb);
        else
            ob_kafka_sub_close(kb);
    }
    pthread_mutex_destroy(&kb->problem_lock);
    pthread_mutex_destroy(&kb->min_isr_lock);
}

static int kafka_check(const ob_url *url, ob_err *err)
{
    kafka_settings s;
    return ob_kafka_settings_parse(&s, url, err);
}

static void kafka_default_url(const char *id, char *buf, size_t cap)
{
    snprintf(buf, cap, "kafka://127.0.0.1:9092?topic=outbreak.compare.%s&group=outbreak-compare-%s", id, id);
}

static int kafka_open(ob_broker *b, const ob_url *url, ob_err *err)
{
    kafka_broker *kb = (kafka_broker *)b;
    pthread_mutex_init(&kb->problem_lock, NULL);
    pthread_mutex_init(&kb->min_isr_lock, NULL);
    kb->pub.wake[0] = kb->pub.wake[1] = -1;
    if (ob_kafka_settings_parse(&kb->s, url, err) != 0)
        return ob_err_kind_set(err, OB_ERR_USAGE);
    kb->started = true;
    int rc = b->role == OB_ROLE_PUBLISHER ? ob_kafka_pub_init(kb, url, err) : ob_kafka_sub_init(kb, url, err);
    if (rc != 0)
        return -1;
    pthread_mutex_lock(&kb->problem_lock);
    kb->opened = true; /* from now on librdkafka's problems are printed */
    pthread_mutex_unlock(&kb->problem_lock);
    return 0;
}

static void kafka_durability(ob_broker *b, ob_durability *d)
{
    kafka_broker *kb = (kafka_broker *)b;
    const kafka_settings *s = &kb->s;
    char mode[16];
    snprintf(mode, sizeof mode, "acks=%s", s->acks);
    if (s->acks[0] != '0')
        ob_durability_set(d, mode, true, "delivery report", "at-least-once", NULL);
    else
        ob_durability_set(d, mode, false, "none", "at-least-once",
                          "sent on the socket (acks=0: no broker answer)");
    ob_durability_str(d, "acks", s->acks);
    ob_durability_bool(d, "idempotence", s->idempotence);
    ob_durability_int(d, "linger_ms", s->linger_ms);
    ob_durability_int(d, "batch_bytes", s->batch_bytes);
    ob_durability_str(d, "compression", s->compression);
    ob_durability_str(d, "topic", s->topic);
    /* the topic as the cluster has it (known once open), else what the URL asks */
    ob_durability_int(d, "partitions", kb->topic_known ? kb->topic_partitions : s->partitions);
    ob_durability_int(d, "replication", kb->topic_known ? kb->topic_replication : s->replication);
    if (kb->topic_known)
        ob_durability_str(d, "topic_origin", kb->topic_existed ? "existed" : "created by this process");
    /* how many replicas acks=all waits for (the topic's setting, or the cluster's default) */
    if (kb->base.role == OB_ROLE_PUBLISHER) {
        long min_isr = ob_kafka_min_isr(kb);
        if (min_isr > 0)
            ob_durability_int(d, "min_insync_replicas", min_isr);
        else
            ob_durability_str(d, "min_insync_replicas", "not known (the cluster did not say)");
        ob_durability_backlog(d, kb->backlog);
    }
    ob_durability_str(d, "key", s->key_by_location ? "location" : "none");
    ob_durability_str(d, "group", s->group);
    ob_durability_str(d, "consumer_commit", "after the MongoDB insert");
    ob_kafka_sec_durability(s, d);
}

const ob_broker_ops ob_kafka_ops = {
    .scheme = "kafka",
    .way = "kafka",
    .title = "Kafka",
    .course_channel = "kafka",
    .all_order = 5,
    .synopsis = "kafka://host:9092[,host:9092...]",
    .local_url = "kafka://127.0.0.1:9092",
    .default_port = 9092,
    .handle_size = sizeof(kafka_broker),
    .params = kafka_params,
    .multi_host = true,
    .check = kafka_check,
    .default_url = kafka_default_url,
    .open = kafka_open,
    .publish = ob_kafka_pub_publish,
    .poll = ob_kafka_pub_poll,
    .flush = ob_kafka_pub_flush,
    .subscribe = ob_kafka_sub_subscribe,
    .settle = ob_kafka_sub_settle,
    .durability = kafka_durability,
    .close = kafka_close,
};
