/* broker.h — the broker adapter contract: one vtable per middleware, chosen by the URL
 * scheme (nats://, amqp://, kafka://, grpc://, pubsub://, http://), and the registry that holds
 * them. Nothing middleware-specific lives outside brokers/: what a caller needs to know
 * about a middleware (its name, default URL and port, where its broker listens, whether
 * the sink is the server, what its acks mean) it asks the adapter through this header.
 * Library types never cross it.
 *
 * Publisher side: ob_broker_publish() is asynchronous; the adapter reports the broker's
 * acknowledgement (JetStream PubAck, publisher confirm, delivery report, ...) through the
 * on_ack callback given at open. Subscriber side: ob_broker_subscribe() starts the
 * adapter's receive thread, which hands each delivery to the sink; the sink settles it
 * (ack or nack) once MongoDB has acknowledged the insert.
 *
 * Threads. A handle is used by one thread at a time: open, publish, poll, flush,
 * subscribe, durability and close are called by the thread that owns the handle (a
 * load-generator worker, or the sink's main thread), never concurrently. Two things
 * cross threads:
 *   - on_ack runs exactly once per publish that returned 0, never concurrently for one
 *     handle, on a thread that depends on the adapter: on the publishing thread, inside
 *     publish/poll/flush (RabbitMQ, Kafka, gRPC, Pub/Sub, HTTP), or on the client library's
 *     own thread (NATS: cnats' PubAck and reply threads; but a paced core NATS publisher
 *     with io=loop reads its replies itself, inside publish/poll/flush) — so on_ack must
 *     be safe to run beside the owner's calls;
 *   - deliver runs on the adapter's receive thread(s) (Pub/Sub: several pullers, each
 *     delivery once), and settle may be called from any thread, concurrently with
 *     deliveries and with other settles.
 * Different handles are independent: each worker opens its own. The registry functions
 * are thread-safe (read-only tables). */
#ifndef OB_BROKER_H
#define OB_BROKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "json.h"
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
 * answers). Called exactly once for every publish that returned 0 (see "Threads"). */
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
    const char *client_name;  /* shows in the broker's connection list (default "outbreak") */
    int connect_timeout_ms;   /* initial connect gives up after this (default 3000) */
    ob_ack_fn *on_ack;        /* publisher role: required */
    void *ack_arg;
    /* publisher role: the records per second this handle is paced at, as far as the caller
     * knows at open (0 = as fast as it can, or unknown). A hint for the adapter's write
     * policy (NATS writes each record at once when paced slowly enough); never a limit. */
    double paced_rate;
    /* publisher role: the records due within this many ns are sent together, one wake-up
     * for them all (--tick; 0: each at its own time, or unknown). A hint, as paced_rate. */
    int64_t paced_tick_ns;
    /* publisher role: paced by a schedule (the open model), so nothing waits for an ack
     * to send the next record (no user); acks may be read when the publisher next wakes,
     * provided their times are those they arrived at. A hint, as paced_rate. */
    bool paced_open;
    /* publisher role: the first publishes are a warm-up, until ob_broker_measure_from
     * names the first measured token (--warmup). For an adapter that keeps counts of its
     * own (the HTTP mode's answers by way): ob_broker_measured tells which to leave out. */
    bool warmup;
    /* publisher role: the caller runs an event loop of its own (the gateway's) that
     * watches ob_broker_loop_fd for readability and calls poll(now) when it is readable
     * and after each batch it publishes. An adapter that can then read its acks on that
     * thread does (core NATS: io=auto takes the loop), sparing its library's threads. */
    bool loop_driven;
} ob_broker_opts;

/* ---- the open model's default step ------------------------------------------------ */

/* `outbreak run --rate N` without --tick: above above_rate records/s per publishing
 * thread, the records due within step_ns are sent together, one wake-up for them all.
 * An adapter proposes a step only where its client library would hold each record about
 * that long before writing it anyway (core NATS: cnats' flusher gathers a millisecond
 * from the first record it is handed), so that the step changes nothing on the wire and
 * saves the wake-ups (docs/measurement.md, "The tick"). step_ns 0: none (each record at
 * its own time). */
typedef struct ob_auto_tick {
    int64_t step_ns;
    double above_rate;
} ob_auto_tick;

/* ---- durability: what an ack means, typed ----------------------------------------- */

#define OB_DURABILITY_MAX_EXTRAS 24

typedef enum ob_dur_type { OB_DUR_NULL, OB_DUR_STR, OB_DUR_INT, OB_DUR_BOOL } ob_dur_type;

/* One adapter-specific setting ("stream": "OUTBREAK", "replicas": 1, "tls": false). */
typedef struct ob_dur_extra {
    char key[32];
    ob_dur_type type;
    char *str;     /* OB_DUR_STR: malloc'd, the whole value (owned by the ob_durability) */
    int64_t num;   /* OB_DUR_INT */
    bool flag;     /* OB_DUR_BOOL */
} ob_dur_extra;

/* The settings that produced a run's numbers, as the summary's "durability" object:
 * {"mode", "broker_ack", "publish_ack", "acked_means" (only when set), "delivery", then
 * the extras in the order added}. Filled by the adapter; release with
 * ob_durability_free. */
typedef struct ob_durability {
    char mode[64];          /* "jetstream", "confirms", "acks=all", ... */
    bool broker_ack;        /* false: the middleware has no ack (core NATS, acks=0) */
    char publish_ack[96];   /* what the ack is: "PubAck", "publisher confirm", "none" */
    char delivery[32];      /* "at-least-once", "at-most-once" */
    char acked_means[256];  /* "" or what "acked" means when it is not a broker's ack */
    int nextras;
    ob_dur_extra extras[OB_DURABILITY_MAX_EXTRAS];
} ob_durability;

/* Sets the five common fields (acked_means may be NULL). */
void ob_durability_set(ob_durability *d, const char *mode, bool broker_ack, const char *publish_ack,
                       const char *delivery, const char *acked_means);
/* Appends an extra: a string (copied whole, any length; NULL writes null), an integer, a
 * bool. Past OB_DURABILITY_MAX_EXTRAS, or when the copy cannot be made, the extra is
 * dropped or null and -1 is returned; the object stays valid either way. */
int ob_durability_str(ob_durability *d, const char *key, const char *value);
int ob_durability_int(ob_durability *d, const char *key, int64_t value);
int ob_durability_bool(ob_durability *d, const char *key, bool value);
/* Integer extras whose key starts with this count answers (an HTTP relay's, per way
 * behind its gateways: "answers_nats"); they add up when handles or processes are
 * merged. */
#define OB_DURABILITY_COUNT_PREFIX "answers_"
/* The two counts of answers that name no way of their own: answers that named none (a
 * server other than a gateway) and answers through more ways than are listed. */
#define OB_DURABILITY_UNNAMED "unnamed"
#define OB_DURABILITY_OTHER_WAYS "other_ways"
/* A relay's string extra "behind_<way>": what an answer through that way means. */
#define OB_DURABILITY_BEHIND_PREFIX "behind_"
/* Merges `from` into `into`: an extra of `from` that `into` lacks is appended (copied),
 * and an integer extra of both whose key starts with OB_DURABILITY_COUNT_PREFIX is
 * added up; the common fields and the other extras of `into` stay. */
void ob_durability_merge(ob_durability *into, const ob_durability *from);
/* Frees the extras' strings and empties *d. NULL-safe; a zeroed struct is fine. */
void ob_durability_free(ob_durability *d);
/* Writes *d as one JSON object through w (escaped; nothing is ever cut). */
void ob_durability_write(ob_jw *w, const ob_durability *d);

/* ---- a backlog from before the run --------------------------------------------------- */

/* What a publisher found waiting for the sinks when it opened (records from before the
 * run, which the sinks deliver before any of its own): the durability's
 * "backlog_at_start", n records, or null when n < 0 (not known). */
void ob_durability_backlog(ob_durability *d, int64_t n);
/* Says such a backlog of n > 0 records in one line on stderr, once per process (nothing
 * when n <= 0): "outbreak: WAY: N records from before this run wait in WHERE: sinks
 * deliver them first, ... (REMEDY)". */
void ob_broker_say_backlog(const char *way, int64_t n, const char *where, const char *remedy);

/* ---- the vtable --------------------------------------------------------------------- */

struct ob_broker_ops {
    /* What the middleware is; read by compare, run's help, the gateway. */
    const char *scheme;          /* URL scheme: "nats", "amqp", "amqps", ... */
    const char *way;             /* the record's `way` and the name in compare's --brokers:
                                    grpc, nats, rabbitmq, pubsub, kafka */
    const char *title;           /* for people: "gRPC", "NATS", "RabbitMQ", ... */
    const char *course_channel;  /* the record's `canal` in the course project's dashboard
                                    API (outbreak web --course-api): "gRPC", "nats",
                                    "rabbit", "Google Pub-Sub", "kafka"; NULL: none */
    int all_order;               /* position in compare's "all" (1 first); 0: not in it
                                    (the variants of a way: amqps, grpcs) */
    const char *synopsis;        /* the URL's shape for --help; NULL: not listed */
    const char *local_url;       /* the local stack's URL (scripts/stack up) with default
                                    names; the registry's first entry is run's default */
    int default_port;            /* when the URL names none; 0: the URL has no port */
    bool sink_is_server;         /* the sink listens and publishers dial it (gRPC): there is
                                    no broker process */
    bool relay;                  /* a client of gateways (HTTP): its records reach the sinks
                                    of the middlewares behind them, whatever their way */
    bool acks_on_own_threads;    /* on_ack runs on the client library's threads, and poll
                                    returns at once (NATS): see "Threads" and poll. (NATS'
                                    io=loop reads them on the publishing thread: a paced
                                    publisher, whose poll waits, or a loop_driven one, whose
                                    loop polls when loop_fd is readable: poll(now) returns
                                    at once there too.) */
    size_t handle_size;          /* sizeof the adapter's handle, which starts with ob_broker */
    const char *const *params;   /* NULL-terminated list of known URL query parameters */
    bool multi_host;             /* the URL may list several hosts (url->hosts) */

    /* REQUIRED. Checks the option values without connecting; -1 with one line naming the
     * option otherwise (the registry makes it a usage error). Called by
     * ob_broker_check_url and by ob_broker_open before open. */
    int (*check)(const ob_url *url, ob_err *err);
    /* The open model's default step for a publisher of this URL (ob_auto_tick); the URL
     * checked already. NULL: none. */
    ob_auto_tick (*auto_tick)(const ob_url *url);
    /* REQUIRED. The local stack's URL for comparison `id` (lower case), with names of
     * that comparison's own (stream, queue, topic, ...) so that nothing left from an
     * earlier run is in the way. Writes "" if it does not fit. */
    void (*default_url)(const char *id, char *buf, size_t cap);
    /* Where the broker process listens for this URL, host "" if nowhere to check.
     * NULL: the URL's host and port (default_port when it has none). */
    void (*endpoint)(const ob_url *url, char *host, size_t cap, int *port);

    /* REQUIRED. Connects and prepares (creates stream/queue/topic if missing). `b` is
     * zeroed memory of handle_size with the ob_broker part filled in (ops, role,
     * on_ack, ack_arg, connect_timeout_ms > 0, client_name, paced_rate, paced_tick_ns), the URL checked
     * already. On failure: -1 with one line naming the address and a kind (unavailable,
     * rejected, timeout); the registry then calls close and frees b. */
    int (*open)(ob_broker *b, const ob_url *url, ob_err *err);
    /* Queues one message; 0 = on_ack will follow, -1 = failed now (no ack will follow). */
    int (*publish)(ob_broker *b, const ob_msg *m, ob_err *err);
    /* Lets the adapter make progress on acks; called by a publisher with records in
     * flight and nothing to send before until_mono (CLOCK_MONOTONIC ns). An adapter that
     * reads acks on the publishing thread (RabbitMQ) waits for them here, returns once it
     * handled some or until_mono passed, and returns true: the caller does not sleep. One
     * whose acks arrive on a thread of their own (NATS) does its housekeeping (core NATS
     * sends a marker), returns at once and returns false: the caller sleeps (a paced core
     * NATS publisher with io=loop waits on its socket here, as RabbitMQ). NULL = false. */
    bool (*poll)(ob_broker *b, int64_t until_mono);
    /* A publisher opened loop_driven: the socket whose readability means acks for poll to
     * read on the caller's thread, and *attached a number that changes whenever the
     * socket is replaced (a reconnect may reuse the descriptor's number); -1 when acks
     * come on the library's threads, or while there is no socket (reconnecting: the
     * caller polls now and then, as for deadlines). Any thread. NULL: -1. */
    int (*loop_fd)(ob_broker *b, uint64_t *attached);
    /* Waits until every publish so far has been acked or failed (on_ack called for each)
     * or timeout_ms passed; on timeout the outstanding ones are reported failed.
     * Returns the number reported failed by the timeout. */
    int (*flush)(ob_broker *b, int timeout_ms);
    /* Starts delivering to `deliver` from an adapter thread. */
    int (*subscribe)(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err);
    /* Acknowledges (ok) or rejects for redelivery (!ok) a delivery and releases it. Any
     * thread. */
    void (*settle)(ob_broker *b, ob_delivery *d, bool ok);
    /* Where the middleware does not deliver a record again after settle(!ok) (core NATS
     * drops it; a gRPC sink answers the client an error), what becomes of it, as the sink
     * says it after a count ("3 deliveries dropped (...)"); NULL when it redelivers it
     * (the default when the op is NULL). */
    const char *(*rejected_means)(ob_broker *b);
    /* Fills *d (zeroed) with the durability settings in force. */
    void (*durability)(ob_broker *b, ob_durability *d);
    /* Stops the receive thread (if any) and releases what open acquired, also after an
     * open that failed half-way; does not free b. Deliveries not yet settled are left to
     * the broker's redelivery. */
    void (*close)(ob_broker *b);
};

/* Every adapter's handle starts with this; ob_broker_open fills it in. */
struct ob_broker {
    const ob_broker_ops *ops;
    ob_role role;
    ob_ack_fn *on_ack;
    void *ack_arg;
    int connect_timeout_ms;  /* > 0 */
    char client_name[128];
    double paced_rate;       /* ob_broker_opts' hint; 0 = as fast as it can */
    int64_t paced_tick_ns;   /* ob_broker_opts' hint; 0 = each record at its own time */
    bool paced_open;         /* ob_broker_opts' hint: the open model */
    bool loop_driven;        /* ob_broker_opts': the caller's loop watches loop_fd */
    _Atomic uint64_t measure_from; /* the first measured token (UINT64_MAX during a
                                    * warm-up, 1 without one): ob_broker_measured */
};

/* The publisher's warm-up ends: token and every later one are measured. */
void ob_broker_measure_from(ob_broker *b, uint64_t token);
/* Whether the publish of token is measured (not a warm-up's). Any thread. */
bool ob_broker_measured(const ob_broker *b, uint64_t token);

/* ---- the registry ------------------------------------------------------------------- */

/* The adapter for a scheme, or NULL. */
const ob_broker_ops *ob_broker_find(const char *scheme);
/* The adapters, in registry order: i in [0, ob_broker_count()). */
int ob_broker_count(void);
const ob_broker_ops *ob_broker_at(int i);
/* The adapter of URL `text` (by its scheme), or NULL if it does not parse or has none. */
const ob_broker_ops *ob_broker_of_url(const char *text);
/* The adapter of "all" named `way` ("rabbitmq": amqp), or NULL. */
const ob_broker_ops *ob_broker_by_way(const char *way);
/* The adapters of compare's "all", in its order: i in [0, ob_broker_all_count()). */
int ob_broker_all_count(void);
const ob_broker_ops *ob_broker_all_at(int i);
/* "grpc, nats, rabbitmq, pubsub, kafka": the ways of "all", for messages. */
const char *ob_broker_ways(void);
/* Comma-separated list of the schemes built in ("nats, amqp, amqps"), for messages. */
const char *ob_broker_schemes(void);
/* `outbreak run`'s default broker URL: the first adapter's local_url. */
const char *ob_broker_default_url(void);
/* The lines of --broker's help: each adapter's synopsis, then "(default URL)" and where
 * the options are documented. */
const char *ob_broker_help(void);

/* The local stack's URL of `ops` for a comparison `id` (lower-cased here), into buf. */
void ob_broker_local_url(const ob_broker_ops *ops, const char *id, char *buf, size_t cap);

/* Where the broker of URL `text` listens: host and port, host "" when there is no broker
 * process (the sink is the server) or the URL does not parse. */
void ob_broker_endpoint(const char *text, char *host, size_t cap, int *port);

/* Checks a broker URL without connecting: it parses, its scheme has an adapter and
 * its options are known and valid. -1 with a one-line message otherwise, kind
 * OB_ERR_USAGE. */
int ob_broker_check_url(const char *url, ob_err *err);
/* The adapter's ob_auto_tick for this URL; {0} when it has none or the URL is not valid. */
ob_auto_tick ob_broker_auto_tick(const char *url);

/* Parses and checks the URL (a usage error if it is wrong), allocates the handle, fills
 * in the defaults (connect timeout 3000 ms, client name "outbreak"), checks that a
 * publisher has an ack callback (internal error otherwise) and opens. The error is one
 * line naming the address, with the adapter's kind. */
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
/* Whether a delivery settled !ok comes again (ob_broker_ops.rejected_means). */
static inline bool ob_broker_redelivers(ob_broker *b)
{
    return !b->ops->rejected_means || !b->ops->rejected_means(b);
}
/* What settle(!ok) does to a record, in words: "rejected for redelivery" or the
 * adapter's. */
static inline const char *ob_broker_rejected_means(ob_broker *b)
{
    const char *means = b->ops->rejected_means ? b->ops->rejected_means(b) : NULL;
    return means ? means : "rejected for redelivery";
}
static inline const char *ob_broker_way(const ob_broker *b)
{
    return b->ops->way;
}
static inline int ob_broker_loop_fd(ob_broker *b, uint64_t *attached)
{
    return b->ops->loop_fd ? b->ops->loop_fd(b, attached) : -1;
}
static inline bool ob_broker_acks_on_own_threads(const ob_broker *b)
{
    return b->ops->acks_on_own_threads;
}
/* Fills *d (release with ob_durability_free). */
void ob_broker_durability(ob_broker *b, ob_durability *d);
/* Closes and frees. NULL-safe. */
void ob_broker_close(ob_broker *b);

#endif
