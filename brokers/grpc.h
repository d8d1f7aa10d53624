/* grpc.h — internals of the gRPC adapter (gRPC's C core, grpc/grpc.h; protobuf-c for
 * proto/infected.proto), shared by its files:
 *
 *   grpc.c          the vtable: options, open, durability, close; record <-> protobuf
 *   ob_grpc_client.c   the publisher: a completion-queue driven client, N unary calls in
 *                   flight (or client-streaming calls of many records), deadlines; the
 *                   response is the publish ack
 *   grpc_server.c   the subscriber: `outbreak sink --broker grpc://0.0.0.0:50051` serves
 *                   both methods; each received record is a delivery; the response is
 *                   sent when the sink settles it, i.e. after the MongoDB insert — so for
 *                   gRPC a publish ack means persisted
 *
 * Nothing here is visible outside brokers/grpc*.c. No C++. */
#ifndef OB_GRPC_H
#define OB_GRPC_H

#include <grpc/grpc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker.h"
#include "grpc_proto.h"
#include "record.h"

#define OB_GRPC_METHOD_UNARY "/infected.InfectedService/Infected"
#define OB_GRPC_METHOD_STREAM "/infected.InfectedService/InfectedStream"

/* The URL's options, checked. */
typedef struct ob_grpc_settings {
    char target[300];         /* host:port to dial (client) or to bind (server) */
    bool stream;              /* mode=stream: client-streaming calls, else unary */
    long inflight;            /* unary calls in flight (client) */
    long stream_batch;        /* records per streaming call (client) */
    long linger_ms;           /* a streaming call waits this long for more records */
    long deadline_ms;         /* per call; exceeded = the call's records fail */
    long channels;            /* connections the client spreads calls over */
    bool tls;                 /* grpcs:// or ?tls=1 */
    char cacert[512];         /* client: roots to verify the server with ("" = system's) */
    char cert[512], key[512]; /* server: its certificate and key (TLS) */
    int connect_timeout_ms;   /* the handle's (3000 when only checking) */
} ob_grpc_settings;

/* Reads and checks the URL's options. -1 with a one-line message naming the option. */
int ob_grpc_settings_parse(ob_grpc_settings *s, const ob_url *url, ob_err *err);

/* The record in a delivery or ob_msg (JSON, record.h) <-> protobuf. */
/* Fills *inf from JSON text (strings point into r and m, which must outlive *inf). */
int ob_grpc_record_from_json(const char *json, size_t len, ob_record *r, ob_meta *m,
                          Infected__Infected *inf, ob_err *err);
/* Writes the JSON text of a received record (with its metadata when it has some) into
 * buf. Returns the length, or -1 (err) if it is not a record. */
int ob_grpc_record_to_json(const Infected__Infected *inf, char *buf, size_t cap, ob_err *err);

/* --- client (publisher) ------------------------------------------------------------------ */

typedef struct ob_grpc_broker ob_grpc_broker;
typedef struct ob_grpc_client ob_grpc_client;
int ob_grpc_client_open(ob_grpc_broker *gb, ob_err *err);
int ob_grpc_client_publish(ob_broker *b, const ob_msg *m, ob_err *err);
bool ob_grpc_client_poll(ob_broker *b, int64_t until_mono);
int ob_grpc_client_flush(ob_broker *b, int timeout_ms);
void ob_grpc_client_close(ob_grpc_broker *gb);

/* --- server (subscriber) ----------------------------------------------------------------- */

typedef struct ob_grpc_server_side ob_grpc_server_side;
int ob_grpc_server_open(ob_grpc_broker *gb, ob_err *err);  /* binds: a taken port fails here */
int ob_grpc_server_subscribe(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err);
void ob_grpc_server_settle(ob_broker *b, ob_delivery *d, bool ok);
void ob_grpc_server_close(ob_grpc_broker *gb);

struct ob_grpc_broker {
    ob_broker base;
    ob_grpc_settings s;
    bool started;              /* the client or server part was initialised */
    ob_grpc_client *client;       /* publisher role */
    ob_grpc_server_side *server;  /* subscriber role */
};

#endif
