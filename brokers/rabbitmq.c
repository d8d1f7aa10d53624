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
    if (!rb->started)
        return;
    if (rb->base.role == OB_ROLE_PUBLISHER)
        ob_rmq_pub_close(rb);
    else
        ob_rmq_sub_close(rb);
}

static int rmq_check(const ob_url *url, ob_err *err)
{
    rmq_settings s;
    return ob_rmq_settings_parse(&s, url, err);
}

static void rmq_default_url(const char *id, char *buf, size_t cap)
{
    snprintf(buf, cap, "amqp://guest:guest@127.0.0.1:5672/?queue=outbreak.compare.%s", id);
}

static int rmq_open(ob_broker *b, const ob_url *url, ob_err *err)
{
    rmq_broker *rb = (rmq_broker *)b;
    if (ob_rmq_settings_parse(&rb->s, url, err) != 0)
        return ob_err_kind_set(err, OB_ERR_USAGE);
    rb->started = true;
    return b->role == OB_ROLE_PUBLISHER ? ob_rmq_pub_init(rb, err) : ob_rmq_sub_init(rb, err);
}

static bool rmq_poll(ob_broker *b, int64_t until_mono)
{
    return b->role == OB_ROLE_PUBLISHER && ob_rmq_pub_poll(b, until_mono);
}

static void rmq_durability(ob_broker *b, ob_durability *d)
{
    const rmq_settings *s = &((const rmq_broker *)b)->s;
    if (s->confirms)
        ob_durability_set(d, "confirms", true, "publisher confirm", "at-least-once", NULL);
    else
        ob_durability_set(d, "no-confirms", false, "none", "at-least-once",
                          "written to the socket (confirms=0)");
    ob_durability_bool(d, "tls", s->tls);
    ob_durability_str(d, "vhost", s->vhost);
    ob_durability_str(d, "queue", s->queue);
    ob_durability_str(d, "queue_type", s->queue_type);
    ob_durability_bool(d, "durable_queue", s->durable);
    ob_durability_bool(d, "persistent_messages", s->persistent);
    ob_durability_str(d, "exchange", s->exchange);
    ob_durability_str(d, "routing_key", s->routing_key);
    ob_durability_bool(d, "mandatory", s->mandatory);
    ob_durability_int(d, "confirm_window", s->confirm_window);
    ob_durability_str(d, "consumer_ack", "manual, after the MongoDB insert");
    ob_durability_int(d, "prefetch", s->prefetch);
    if (b->role == OB_ROLE_PUBLISHER) {
        ob_durability_backlog(d, ((const rmq_broker *)b)->pub.backlog);
    }
}

#define RMQ_OPS(name, scheme_text, order, synopsis_text, port)                                \
    const ob_broker_ops name = {                                                              \
        .scheme = scheme_text,                                                                \
        .way = "rabbitmq",                                                                    \
        .title = "RabbitMQ",                                                                  \
        .course_channel = "rabbit",                                                           \
        .all_order = order,                                                                   \
        .synopsis = synopsis_text,                                                            \
        .local_url = "amqp://guest:guest@127.0.0.1:5672/",                                    \
        .default_port = port,                                                                 \
        .handle_size = sizeof(rmq_broker),                                                    \
        .params = rmq_params,                                                                 \
        .check = rmq_check,                                                                   \
        .default_url = rmq_default_url,                                                       \
        .open = rmq_open,                                                                     \
        .publish = ob_rmq_pub_publish,                                                        \
        .poll = rmq_poll,                                                                     \
        .flush = ob_rmq_pub_flush,                                                            \
        .subscribe = ob_rmq_sub_subscribe,                                                    \
        .settle = ob_rmq_sub_settle,                                                          \
        .durability = rmq_durability,                                                         \
        .close = rmq_close,                                                                   \
    }

RMQ_OPS(ob_amqp_ops, "amqp", 3, "amqp[s]://user:pass@host:5672/vhost[?queue=...]", 5672);
RMQ_OPS(ob_amqps_ops, "amqps", 0, NULL, 5671);
