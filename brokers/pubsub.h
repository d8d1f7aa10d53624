/* pubsub.h — internals of the Google Pub/Sub adapter (REST over libcurl), shared by its
 * files:
 *
 *   pubsub.c       the vtable: options, open, durability, close
 *   pubsub_http.c  requests: URLs, headers (credentials), JSON errors, base64, buffers
 *   pubsub_pub.c   the publisher: batches, several requests in flight (curl multi),
 *                  message ids as acks, retries with backoff
 *   pubsub_sub.c   the subscriber: pull, acknowledge after the insert, deadlines
 *
 * Nothing here is visible outside brokers/pubsub*.c. */
#ifndef OB_PUBSUB_H
#define OB_PUBSUB_H

#include <curl/curl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker.h"
#include "pubsub_auth.h"

/* The URL's options, checked. */
typedef struct ps_settings {
    char project[128];
    char topic[256];
    char subscription[256];
    char endpoint[300];       /* http://127.0.0.1:8085 (emulator) or https://pubsub.googleapis.com */
    bool emulator;
    long batch;               /* messages per publish request (<= 1000) */
    long max_bytes;           /* bytes per publish request (<= 10 MB) */
    long linger_ms;           /* a batch waits this long for more messages */
    long inflight;            /* publish requests in flight */
    long retries;             /* attempts per request on 429, 5xx and network errors */
    long pull;                /* maxMessages per pull */
    long pullers;             /* pull requests in flight (receive threads) */
    long ack_deadline;        /* seconds: the URL's, when the subscription is created; once
                                 open, the subscription's as the server has it */
    bool ack_deadline_given;  /* the URL names it: an existing subscription must have it */
    bool subscription_known;  /* ack_deadline was read from the server (the subscription) */
    bool subscription_existed; /* it was there before this process opened */
    int timeout_ms;           /* connect timeout (the handle's; 3000 when only checking) */
} ps_settings;

/* Reads and checks the URL's options (PUBSUB_EMULATOR_HOST too). -1 with a one-line
 * message naming the option. */
int ob_ps_settings_parse(ps_settings *s, const ob_url *url, ob_err *err);

/* --- HTTP ------------------------------------------------------------------------------ */

typedef struct ps_buf {
    char *data;
    size_t len, cap;
} ps_buf;

int ob_ps_buf_add(ps_buf *b, const char *s, size_t n);
int ob_ps_buf_str(ps_buf *b, const char *s);
/* Appends the base64 of data[0..n). */
int ob_ps_buf_base64(ps_buf *b, const char *data, size_t n);
/* Decodes base64 text[0..n) into a malloc'd buffer (*out, *outlen, NUL-terminated). */
int ob_ps_base64_decode(const char *text, size_t n, char **out, size_t *outlen);
void ob_ps_buf_free(ps_buf *b);

/* One request prepared on an easy handle: method, the resource path under /v1/, the JSON
 * body (kept by the caller until done), the credentials' header; the response lands in
 * resp. timeout_ms 0 = none. NULL with err on failure. */
typedef struct ps_request {
    CURL *easy;
    struct curl_slist *headers;
    ps_buf resp;
    char error[CURL_ERROR_SIZE];
} ps_request;

int ob_ps_request_init(ps_request *r, const ps_settings *s, ob_pubsub_auth *auth, const char *method,
                    const char *path, const ps_buf *body, long timeout_ms, ob_err *err);
void ob_ps_request_cleanup(ps_request *r);
/* Runs a prepared request to the end (blocking). Returns the HTTP status, 0 if the
 * request did not complete (err says why). */
long ob_ps_request_run(ps_request *r, ob_err *err);
/* One line for a failed response: "HTTP 403 PERMISSION_DENIED: <the server's message>". */
void ob_ps_http_error(long status, const ps_buf *resp, char *buf, size_t cap);
/* Whether a failed request is worth retrying: network errors, 429 and 5xx. */
bool ob_ps_retryable(long status);

/* --- the server's answers (fuzzed: tests/fuzz/fuzz_pubsub_response.c) ------------------ */

/* The number of message ids in a publish response ({"messageIds":["..",..]}), -1 if
 * body[0..len) is not one. */
long ob_ps_count_ids(const char *body, size_t len);

/* One message of a pull response: its ack id and its data, base64-decoded; both
 * malloc'd, NUL-terminated, and the callee's. */
typedef void ob_ps_received_fn(void *arg, char *ack_id, char *data, size_t len);

/* Reads a pull response ({"receivedMessages":[{"ackId":"..","message":{"data":"..",
 * ..}},..]}, strings of any length) and calls fn for each message with an ack id and
 * data that decodes; returns how many. A message without them is skipped (the server
 * delivers it again after its ack deadline); what follows a malformed part is not read. */
int ob_ps_read_pull(const char *body, size_t len, ob_ps_received_fn *fn, void *arg);

/* Reads a subscription resource ({"name":..,"topic":"projects/P/topics/T",
 * "ackDeadlineSeconds":N,..}): its topic into topic[cap] and its ack deadline. 0 when it
 * has both (the topic whole), -1 otherwise. */
int ob_ps_read_subscription(const char *body, size_t len, char *topic, size_t cap, long *ack_deadline);

/* Creates the topic (and, for a subscriber, the subscription) unless they exist. An
 * existing subscription must be on the topic, and have the URL's ack_deadline when the
 * URL names it (else rejected, one line); otherwise s->ack_deadline becomes the
 * subscription's. */
int ob_ps_ensure(ps_settings *s, ob_pubsub_auth *auth, bool subscription, ob_err *err);

/* A publisher: when the subscription exists, s->ack_deadline becomes its (what the
 * durability says); if it does not, or cannot be read, nothing changes. */
void ob_ps_look_up_subscription(ps_settings *s, ob_pubsub_auth *auth);

/* The emulator keeps everything in memory: one restarted in the middle of a run has
 * neither the topic nor the subscription, and answers 404. Creates the topic again and,
 * when `subscription`, the subscription (on the topic, with s->ack_deadline) as open
 * made them, unless they are there; changes nothing in s (any thread; at most one call
 * a second per process does anything: the others return 1 at once). Prints one line
 * saying what was created. 0 when both are there now, 1 when skipped, -1 with err. */
int ob_ps_recreate(const ps_settings *s, ob_pubsub_auth *auth, bool subscription, ob_err *err);

/* --- publisher ------------------------------------------------------------------------ */

typedef struct ps_batch {
    ps_buf body;
    uint64_t *tokens;
    size_t n, cap;
    int64_t opened_ns;
    int attempts;
    int64_t retry_at;
    ps_request req;
    struct ps_batch *next;
} ps_batch;

typedef struct ps_publisher {
    CURLM *multi;
    ps_batch *open;           /* filling */
    ps_batch *flying;         /* requests in flight */
    ps_batch *waiting;        /* to be retried at retry_at */
    long nflying;
    long nbatches_out;        /* flying + waiting */
} ps_publisher;

typedef struct ps_broker ps_broker;

int ob_ps_pub_init(ps_broker *pb, ob_err *err);
int ob_ps_pub_publish(ob_broker *b, const ob_msg *m, ob_err *err);
bool ob_ps_pub_poll(ob_broker *b, int64_t until_mono);
int ob_ps_pub_flush(ob_broker *b, int timeout_ms);
void ob_ps_pub_close(ps_broker *pb);

/* --- subscriber ----------------------------------------------------------------------- */

typedef struct ps_delivery ps_delivery;

typedef struct ps_subscriber {
    pthread_t readers[16], acker;
    int nreaders;
    bool acker_started;
    atomic_bool stop;
    ob_deliver_fn *deliver;
    void *deliver_arg;
    pthread_mutex_t lock;      /* guards the lists below */
    pthread_cond_t wake;       /* the acker has work */
    ps_delivery *outstanding;  /* handed to the sink, not settled (oldest first) */
    ps_delivery *outstanding_tail;
    char **acks, **nacks;      /* ack ids to acknowledge / to hand back */
    size_t nacks_ok, nacks_bad, cap_ok, cap_bad;
    long extended;             /* deadlines extended for slow inserts */
} ps_subscriber;

int ob_ps_sub_init(ps_broker *pb, ob_err *err);
int ob_ps_sub_subscribe(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err);
void ob_ps_sub_settle(ob_broker *b, ob_delivery *d, bool ok);
void ob_ps_sub_close(ps_broker *pb);

struct ps_broker {
    ob_broker base;
    ps_settings s;
    ob_pubsub_auth *auth;
    ps_publisher pub;
    ps_subscriber sub;
};

#endif
