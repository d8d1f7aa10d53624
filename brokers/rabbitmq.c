/* rabbitmq.c — the RabbitMQ adapter (rabbitmq-c, AMQP 0-9-1):
 *
 *   amqp://user:pass@host:5672/vhost?options     amqps:// for TLS (port 5671)
 *
 * Publisher: persistent messages to a durable queue through publisher confirms by
 * default; a confirm is the ack, so publish latency is confirm latency. Subscriber: a
 * consumer with a prefetch, acking each record after MongoDB acknowledged its insert.
 * The options, their defaults and what they trade are in docs/brokers/rabbitmq.md; the
 * parts live in rabbitmq_conn.c, rabbitmq_pub.c and rabbitmq_sub.c (see rabbitmq.h). */
#include "rabbitmq.h"

#include <stdio.h>
#include <stdlib.h>

#include "json.h"

extern const ob_broker_ops ob_amqp_ops, ob_amqps_ops;

static const char *const rmq_params[] = {
    "queue",      "queue_type", "durable",        "exchange", "exchange_type",
    "routing_key", "persistent", "confirms",      "confirm_window", "mandatory",
    "declare",    "prefetch",   "heartbeat",      "cacert",   "verify",
    NULL,
};

static void rmq_close(ob_broker *b)
{
    rmq_broker *rb = (rmq_broker *)b;
    if (!rb)
        return;
    if (rb->role == OB_ROLE_PUBLISHER)
        rmq_pub_close(rb);
    else
        rmq_sub_close(rb);
    free(rb);
}

static int rmq_check(const ob_url *url, ob_err *err)
{
    rmq_settings s;
    ob_broker_opts opts = {.role = OB_ROLE_PUBLISHER};
    return rmq_settings_parse(&s, url, &opts, err);
}

static int rmq_open(ob_broker **out, const ob_url *url, const ob_broker_opts *opts, ob_err *err)
{
    rmq_broker *rb = calloc(1, sizeof *rb);
    if (!rb)
        return ob_err_set(err, "rabbitmq: out of memory");
    rb->base.ops = rb->s.tls ? &ob_amqps_ops : &ob_amqp_ops;
    rb->base.on_ack = opts->on_ack;
    rb->base.ack_arg = opts->ack_arg;
    rb->role = opts->role;
    if (rmq_settings_parse(&rb->s, url, opts, err) != 0) {
        free(rb);
        return -1;
    }
    rb->base.ops = rb->s.tls ? &ob_amqps_ops : &ob_amqp_ops;
    if (opts->role == OB_ROLE_PUBLISHER && !opts->on_ack) {
        free(rb);
        return ob_err_set(err, "rabbitmq: a publisher needs an ack callback");
    }
    int rc = opts->role == OB_ROLE_PUBLISHER ? rmq_pub_init(rb, err) : rmq_sub_init(rb, err);
    if (rc != 0) {
        rmq_close(&rb->base);
        return -1;
    }
    *out = &rb->base;
    return 0;
}

static bool rmq_poll(ob_broker *b, int64_t until_mono)
{
    return ((rmq_broker *)b)->role == OB_ROLE_PUBLISHER && rmq_pub_poll(b, until_mono);
}

static void rmq_durability(ob_broker *b, char *buf, size_t cap)
{
    const rmq_broker *rb = (const rmq_broker *)b;
    const rmq_settings *s = &rb->s;
    /* names come from the URL: escaped */
    char vhost[300], queue[600], exchange[600], key[600];
    ob_json_write_string(vhost, sizeof vhost, s->vhost);
    ob_json_write_string(queue, sizeof queue, s->queue);
    ob_json_write_string(exchange, sizeof exchange, s->exchange);
    ob_json_write_string(key, sizeof key, s->routing_key);
    const char *ack = s->confirms ? "\"broker_ack\":true,\"publish_ack\":\"publisher confirm\""
                                  : "\"broker_ack\":false,\"publish_ack\":\"none\","
                                    "\"acked_means\":\"written to the socket (confirms=0)\"";
    snprintf(buf, cap,
             "{\"mode\":\"%s\",%s,\"delivery\":\"at-least-once\",\"tls\":%s,\"vhost\":%s,"
             "\"queue\":%s,\"queue_type\":\"%s\",\"durable_queue\":%s,"
             "\"persistent_messages\":%s,\"exchange\":%s,\"routing_key\":%s,"
             "\"mandatory\":%s,\"confirm_window\":%ld,\"consumer_ack\":\"manual, after the "
             "MongoDB insert\",\"prefetch\":%ld}",
             s->confirms ? "confirms" : "no-confirms", ack, s->tls ? "true" : "false", vhost,
             queue, s->queue_type, s->durable ? "true" : "false",
             s->persistent ? "true" : "false", exchange, key,
             s->mandatory ? "true" : "false", s->confirm_window, s->prefetch);
}

#define RMQ_OPS(name, scheme_text)                                                            \
    const ob_broker_ops name = {                                                              \
        .scheme = scheme_text,                                                                \
        .way = "rabbitmq",                                                                    \
        .params = rmq_params,                                                                 \
        .check = rmq_check,                                                                   \
        .open = rmq_open,                                                                     \
        .publish = rmq_pub_publish,                                                           \
        .poll = rmq_poll,                                                                     \
        .flush = rmq_pub_flush,                                                               \
        .subscribe = rmq_sub_subscribe,                                                       \
        .settle = rmq_sub_settle,                                                             \
        .durability = rmq_durability,                                                         \
        .close = rmq_close,                                                                   \
    }

RMQ_OPS(ob_amqp_ops, "amqp");
RMQ_OPS(ob_amqps_ops, "amqps");
