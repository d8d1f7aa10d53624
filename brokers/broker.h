/* broker.h — the broker adapter interface: one vtable per middleware, chosen by the URL
 * scheme (nats://, amqp://, kafka://, grpc://, pubsub://). Nothing broker-specific lives
 * outside brokers/<name>.c; library types never cross this header.
 *
 * Publisher side: ob_broker_publish() is asynchronous; the adapter reports the broker's
 * acknowledgement (JetStream PubAck, publisher confirm, delivery report, ...) through the
 * on_ack callback given at open. Subscriber side: ob_broker_subscribe() starts the
 * adapter's receive thread, which hands each delivery to the sink; the sink settles it
 * (ack or nack) once MongoDB has acknowledged the insert. */
#ifndef OB_BROKER_H
#define OB_BROKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "url.h"

typedef struct ob_broker ob_broker;
typedef struct ob_broker_ops ob_broker_ops;

/* One message to publish. The adapter copies what it needs before publish returns. */
typedef struct ob_msg {
    const char *data;
    size_t len;
    const char *key; /* partitioning hint: the record's location; may be NULL */
    uint64_t token;  /* opaque to the adapter; handed back in the ack */
} ob_msg;

/* The broker's answer for one published message: ok (ack received) or not (errmsg says
 * why); at_ns is when the answer arrived (CLOCK_MONOTONIC ns, read once per batch of
 * answers). Contract for adapters: called exactly once for every publish that returned
 * 0; possibly from an adapter thread, possibly from inside publish/poll/flush, but never
 * concurrently for one broker handle. */
typedef void ob_ack_fn(void *arg, uint64_t token, bool ok, const char *errmsg, int64_t at_ns);

/* One received message. Owned by the adapter until settled. */
typedef struct ob_delivery {
    const char *data;
    size_t len;
    bool redelivered; /* the broker says it delivered this before (if it can tell) */
    void *handle;     /* adapter-private */
} ob_delivery;

/* Hands one delivery to the sink. Called from the adapter's receive thread; may block
 * (that is the back-pressure). The sink must call ob_broker_settle() exactly once per
 * delivery, from any thread. */
typedef void ob_deliver_fn(void *arg, ob_delivery *d);

typedef enum ob_role { OB_ROLE_PUBLISHER, OB_ROLE_SUBSCRIBER } ob_role;

typedef struct ob_broker_opts {
    ob_role role;
    const char *client_name;  /* shows in the broker's connection list */
    int connect_timeout_ms;   /* initial connect gives up after this (default 3000) */
    ob_ack_fn *on_ack;        /* publisher role: required */
    void *ack_arg;
} ob_broker_opts;

struct ob_broker_ops {
    const char *scheme;              /* URL scheme */
    const char *way;                 /* the record's `way`: nats, rabbitmq, kafka, grpc, pubsub */
    const char *const *params;       /* NULL-terminated list of known URL query parameters */
    bool multi_host;                 /* the URL may list several hosts (url->hosts) */
    /* Checks the option values without connecting (a usage error otherwise). NULL =
     * the values are checked at open. */
    int (*check)(const ob_url *url, ob_err *err);
    /* Connects and prepares (creates stream/queue/topic if missing). On failure the
     * message names the address. */
    int (*open)(ob_broker **out, const ob_url *url, const ob_broker_opts *opts, ob_err *err);
    /* Queues one message; 0 = on_ack will follow, -1 = failed now (no ack will follow). */
    int (*publish)(ob_broker *b, const ob_msg *m, ob_err *err);
    /* Lets the adapter make progress on acks; called by a publisher with records in
     * flight and nothing to send before until_mono (CLOCK_MONOTONIC ns). An adapter that
     * reads acks on the publishing thread (RabbitMQ) waits for them here, returns once it
     * handled some or until_mono passed, and returns true: the caller does not sleep. One
     * whose acks arrive on a thread of their own (NATS) does its housekeeping (core NATS
     * sends a marker), returns at once and returns false: the caller sleeps. NULL = false. */
    bool (*poll)(ob_broker *b, int64_t until_mono);
    /* Waits until every publish so far has been acked or failed (on_ack called for each)
     * or timeout_ms passed; on timeout the outstanding ones are reported failed.
     * Returns the number reported failed by the timeout. */
    int (*flush)(ob_broker *b, int timeout_ms);
    /* Starts delivering to `deliver` from an adapter thread. */
    int (*subscribe)(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err);
    /* Acknowledges (ok) or rejects for redelivery (!ok) a delivery and releases it. */
    void (*settle)(ob_broker *b, ob_delivery *d, bool ok);
    /* Writes a JSON object describing the durability settings in force, e.g.
     * {"mode":"jetstream","storage":"file","replicas":1,"publish_ack":"PubAck"}. */
    void (*durability)(ob_broker *b, char *buf, size_t cap);
    /* Stops the receive thread (if any), closes, frees. NULL-safe. Deliveries not yet
     * settled are left to the broker's redelivery. */
    void (*close)(ob_broker *b);
};

/* Every adapter's handle starts with this. */
struct ob_broker {
    const ob_broker_ops *ops;
    ob_ack_fn *on_ack;
    void *ack_arg;
};

/* The adapter for a scheme, or NULL. */
const ob_broker_ops *ob_broker_find(const char *scheme);
/* Comma-separated list of the schemes built in ("nats, amqp, amqps"), for messages. */
const char *ob_broker_schemes(void);

/* Checks a broker URL without connecting: it parses, its scheme has an adapter and
 * its options are known. -1 with a one-line message otherwise (a usage error). */
int ob_broker_check_url(const char *url, ob_err *err);

/* Parses the URL, checks its options against the adapter's list, opens. The error
 * message is one line naming the URL (password hidden). */
int ob_broker_open(ob_broker **out, const char *url, const ob_broker_opts *opts, ob_err *err);

static inline int ob_broker_publish(ob_broker *b, const ob_msg *m, ob_err *err)
{
    return b->ops->publish(b, m, err);
}
static inline bool ob_broker_poll(ob_broker *b, int64_t until_mono)
{
    return b->ops->poll ? b->ops->poll(b, until_mono) : false;
}
static inline int ob_broker_flush(ob_broker *b, int timeout_ms)
{
    return b->ops->flush(b, timeout_ms);
}
static inline int ob_broker_subscribe(ob_broker *b, ob_deliver_fn *fn, void *arg, ob_err *err)
{
    return b->ops->subscribe(b, fn, arg, err);
}
static inline void ob_broker_settle(ob_broker *b, ob_delivery *d, bool ok)
{
    b->ops->settle(b, d, ok);
}
static inline void ob_broker_durability(ob_broker *b, char *buf, size_t cap)
{
    b->ops->durability(b, buf, cap);
}
static inline const char *ob_broker_way(const ob_broker *b)
{
    return b->ops->way;
}
/* NULL-safe. */
static inline void ob_broker_close(ob_broker *b)
{
    if (b)
        b->ops->close(b);
}

#endif
