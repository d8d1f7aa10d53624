/* nats.h — internals of the NATS adapter (cnats), shared by its files:
 *
 *   nats.c       the vtable: options, open, the publishers (core markers, JetStream
 *                PubAcks), flush, durability, close
 *   nats_sub.c   the subscriber: core queue subscription or JetStream pull consumer,
 *                deliveries copied out of cnats, acks after the insert
 *
 * Nothing here is visible outside brokers/nats*.c. Acks arrive on cnats' threads (the
 * PubAck handler, the marker subscription's callback) and, for what a flush gives up on,
 * on the publisher's; `ack_lock` makes them one at a time. The publisher's in-flight
 * table and batch list are guarded by `lock`. */
#ifndef OB_NATS_H
#define OB_NATS_H

#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker.h"

/* The URL's options, checked. */
typedef struct nats_settings {
    bool jetstream;
    char subject[256];
    char stream[128];
    char durable[128];
    char queue[128];
    char storage[16];         /* file | memory */
    long replicas, max_pending, flush_every, batch, max_ack_pending, ack_wait_ms;
    char address[300];        /* host:port, for messages */
} nats_settings;

/* Reads and checks the URL's options. -1 with a one-line message naming the option. */
int ob_nats_settings_parse(nats_settings *s, const ob_url *url, ob_err *err);

/* "nats: WHAT ADDRESS: status text[: detail]" with the kind the status says (a refused
 * or lost connection: unavailable; a timeout; a denial or a missing stream: rejected;
 * else `otherwise`). Returns -1. */
int ob_nats_fail(ob_err *err, ob_err_kind otherwise, const char *what, const char *address,
                 natsStatus s);

/* Pointer → token table for in-flight JetStream publishes. */
typedef struct nats_inflight_slot {
    natsMsg *msg;
    uint64_t token;
} nats_inflight_slot;

/* Core NATS: tokens published before one marker. */
typedef struct nats_core_batch {
    uint64_t id;
    int64_t first_ns;
    size_t n;
    struct nats_core_batch *next;
    uint64_t tokens[];
} nats_core_batch;

typedef struct nats_adapter {
    ob_broker base;
    nats_settings s;
    natsConnection *nc;
    jsCtx *js;
    bool locks_ready;         /* lock, ack_lock and sent_empty initialised */

    /* core publisher: the open batch (publisher thread only), then batches whose marker
     * is on its way (FIFO under `lock`, completed by the marker subscription) */
    nats_core_batch *open_batch;
    nats_core_batch *sent_head, *sent_tail;
    uint64_t next_batch_id;
    natsSubscription *marker_sub;
    char *marker_inbox;
    pthread_cond_t sent_empty;

    /* on_ack runs on cnats' threads and, when flush times out, on the publisher's: this
     * keeps the calls one at a time, as broker.h promises */
    pthread_mutex_t ack_lock;

    /* JetStream publisher */
    pthread_mutex_t lock;
    nats_inflight_slot *slots;
    size_t nslots;            /* power of two */
    size_t ninflight;

    /* subscriber (nats_sub.c) */
    natsSubscription *sub;      /* core: the queue subscription; JetStream: binds the consumer */
    natsSubscription *pull_sub; /* JetStream: our own pull requests' inbox */
    char *pull_inbox;
    char next_subject[300];     /* $JS.API.CONSUMER.MSG.NEXT.<stream>.<durable> */
    pthread_t reader;
    bool reader_started;
    atomic_bool stop;
    ob_deliver_fn *deliver;
    void *deliver_arg;
} nats_adapter;

int ob_nats_subscribe(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err);
void ob_nats_settle(ob_broker *b, ob_delivery *d, bool ok);
/* Stops the receive thread and drops the subscriptions. Safe when never subscribed. */
void ob_nats_sub_close(nats_adapter *na);

#endif
