/* rabbitmq.h — internals of the RabbitMQ adapter (rabbitmq-c), shared by its files:
 *
 *   rabbitmq.c       the vtable: options, open, durability, close
 *   rabbitmq_conn.c  one connection: connect, log in, open the channel, declare
 *   rabbitmq_pub.c   the publisher: publisher confirms with a window, returns, reconnects
 *   rabbitmq_sub.c   the subscriber: prefetch, manual acks after the insert, reconnects
 *
 * Nothing here is visible outside brokers/rabbitmq*.c. A rabbitmq-c connection is not
 * thread-safe: the publisher's connection is used only by the thread that publishes
 * (acks are read inside publish/poll/flush), the subscriber's only by its receive thread
 * (settle() queues the acks for that thread to send). */
#ifndef OB_RABBITMQ_H
#define OB_RABBITMQ_H

#include <amqp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker.h"

#define RMQ_CHANNEL 1

/* The URL's options, checked. */
typedef struct rmq_settings {
    bool tls;                 /* amqps:// */
    char host[256];
    int port;
    char address[300];        /* host:port, for messages */
    char user[128], pass[128];
    char vhost[128];
    char queue[256];
    char queue_type[16];      /* classic | quorum */
    bool durable;             /* the queue (and exchange) survive a broker restart */
    char exchange[256];       /* "" = the default exchange */
    char exchange_type[16];   /* direct | fanout | topic */
    char routing_key[256];    /* default: the queue's name */
    bool persistent;          /* delivery_mode 2 */
    bool confirms;            /* publisher confirms */
    bool mandatory;           /* unroutable messages come back (basic.return) */
    bool declare;             /* declare queue, exchange and binding if missing */
    long confirm_window;      /* most unconfirmed publishes */
    long prefetch;            /* basic.qos prefetch count (subscriber) */
    long heartbeat;           /* seconds, 0 = off */
    char cacert[512];         /* amqps: CA bundle ("" = the system's) */
    bool verify;              /* amqps: verify the peer and its host name */
} rmq_settings;

typedef struct rmq_broker rmq_broker;

/* Reads and checks the URL's options. -1 with a one-line message naming the option. */
int ob_rmq_settings_parse(rmq_settings *s, const ob_url *url, ob_err *err);

/* Connects, logs in, opens the channel and declares what rb->s asks for; then for a
 * publisher selects confirms (if on), for a subscriber sets the prefetch and starts the
 * consumer. Gives up after the handle's connect timeout at each step. On failure returns
 * NULL with a one-line message naming the address (and vhost/user for login errors)
 * and a kind: unavailable (no connection, connection lost), rejected (the broker said
 * no: ACCESS_REFUSED, NOT_FOUND, PRECONDITION_FAILED, ...), timeout. `ready` (may be
 * NULL): the messages ready in the queue when it was declared. */
amqp_connection_state_t ob_rmq_connect(const rmq_broker *rb, int64_t *ready, ob_err *err);

/* Closes politely (channel, connection; short timeouts) and frees. NULL-safe. */
void ob_rmq_disconnect(amqp_connection_state_t conn);
/* Frees without talking to the broker (the connection is known broken). NULL-safe. */
void ob_rmq_drop(amqp_connection_state_t conn);

/* One line describing a failed RPC reply ("403 ACCESS_REFUSED - ...", "connection
 * closed unexpectedly"), into buf. */
const char *ob_rmq_reply_text(amqp_rpc_reply_t r, char *buf, size_t cap);
/* Handles a method frame that closes the channel or connection: answers it (close-ok)
 * and writes its reason into buf. Returns true if `frame` was such a frame. */
bool ob_rmq_closing_frame(amqp_connection_state_t conn, const amqp_frame_t *frame, char *buf, size_t cap);

/* --- publisher ------------------------------------------------------------------------ */

typedef struct rmq_unconfirmed {
    uint64_t token;
    bool pending;             /* sent, no confirm yet */
    bool returned;            /* came back with basic.return */
    char why[96];             /* the return's reason */
} rmq_unconfirmed;

typedef struct rmq_publisher {
    amqp_connection_state_t conn; /* NULL while disconnected */
    rmq_unconfirmed *ring;        /* by delivery tag, `mask` + 1 entries */
    uint64_t mask;
    uint64_t next_tag;            /* the tag the next publish gets (from 1 per channel) */
    uint64_t low;                 /* every tag below this is settled */
    int64_t retry_at;             /* monotonic ns: no reconnect attempt before this */
    int64_t last_publish_ns;      /* monotonic ns of the last publish */
    int64_t last_keepalive_ns;    /* of the last heartbeat chance given to rabbitmq-c */
    int64_t backoff_ns;
    char lost_reason[200];        /* why the last connection ended */
    int64_t backlog;              /* messages ready in the queue at the first connect (from
                                   * before this process: the sinks take them first); -1 if
                                   * not known */
    bool blocked;                 /* connection.blocked (a resource alarm) */
    long reconnects;
} rmq_publisher;

int ob_rmq_pub_init(rmq_broker *rb, ob_err *err);
int ob_rmq_pub_publish(ob_broker *b, const ob_msg *m, ob_err *err);
bool ob_rmq_pub_poll(ob_broker *b, int64_t until_mono);
int ob_rmq_pub_flush(ob_broker *b, int timeout_ms);
void ob_rmq_pub_close(rmq_broker *rb);

/* --- subscriber ----------------------------------------------------------------------- */

typedef struct rmq_settlement {
    uint64_t tag;
    uint64_t generation;          /* of the connection the delivery came on */
    bool ok;
} rmq_settlement;

typedef struct rmq_subscriber {
    amqp_connection_state_t conn; /* the receive thread's */
    uint64_t generation;          /* +1 per connection */
    pthread_t reader;
    bool reader_started;
    atomic_bool stop;
    int wake_fd;                  /* eventfd: settlements are waiting */
    ob_deliver_fn *deliver;
    void *deliver_arg;
    pthread_mutex_t lock;         /* guards the settlement queue */
    rmq_settlement *settled;
    size_t nsettled, cap;
    long reconnects;
} rmq_subscriber;

int ob_rmq_sub_init(rmq_broker *rb, ob_err *err);
int ob_rmq_sub_subscribe(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err);
void ob_rmq_sub_settle(ob_broker *b, ob_delivery *d, bool ok);
void ob_rmq_sub_close(rmq_broker *rb);

struct rmq_broker {
    ob_broker base;
    rmq_settings s;
    bool started;                 /* the publisher or subscriber part was initialised */
    rmq_publisher pub;
    rmq_subscriber sub;
};

#endif
