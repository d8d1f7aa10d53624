/* nats.h — internals of the NATS adapter (cnats), shared by its files:
 *
 *   nats.c       the vtable: options, open, the publishers (core markers, JetStream
 *                PubAcks), flush, durability, close
 *   nats_sub.c   the subscriber: core queue subscription or JetStream pull consumer,
 *                deliveries copied out of cnats, acks after the insert
 *   nats_auth.c  TLS and authentication: their options checked (files read, an nkey
 *                seed's public key derived), set on cnats' options, shown in durability
 *   nats_loop.c  io=loop: the core publisher's thread reads and writes the socket
 *                itself (cnats' event-loop mode), without cnats' reader and flusher
 *
 * Nothing here is visible outside brokers/nats*.c. Acks arrive on cnats' threads (the
 * PubAck handler, the marker subscription's callback; with io=loop the publisher reads
 * the markers itself) and, for what a flush gives up on, on the publisher's; `ack_lock`
 * makes them one at a time. The publisher's in-flight
 * table and batch list are guarded by `lock`. */
#ifndef OB_NATS_H
#define OB_NATS_H

#include <nats/nats.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "broker.h"

/* How the client proves who it is. The secrets themselves (password, token) stay in the
 * URL; the nkey seed and the creds file stay in their files, read by cnats at connect. */
typedef enum nats_auth_kind {
    NATS_AUTH_NONE,
    NATS_AUTH_USER,   /* user:pass@ in the URL */
    NATS_AUTH_TOKEN,  /* ?token= */
    NATS_AUTH_NKEY,   /* ?nkey=SEEDFILE */
    NATS_AUTH_CREDS,  /* ?creds=FILE (a user JWT and its nkey seed) */
} nats_auth_kind;

#define NATS_PATH_MAX 1024

/* TLS and authentication, checked (no secret in here). */
typedef struct nats_security {
    bool tls;                 /* tls://, ?tls=1, or any of ca, cert, key */
    bool verify;              /* verify=0: the server's certificate is not checked */
    char ca[NATS_PATH_MAX], cert[NATS_PATH_MAX], key[NATS_PATH_MAX];
    char hostname[256];       /* the name the server's certificate must hold ("": the host) */
    nats_auth_kind auth;
    char user[256];           /* NATS_AUTH_USER: the user name (not a secret) */
    char file[NATS_PATH_MAX]; /* NATS_AUTH_NKEY, NATS_AUTH_CREDS */
    char nkey_public[64];     /* NATS_AUTH_NKEY: the public key of the seed (U...) */
    atomic_int zero_led_refused; /* nonce signatures refused for their zero first byte */
} nats_security;

/* The URL's options, checked. */
/* write=auto writes each publish at once for a publisher paced at up to this many
 * records per second (its ob_broker paced_rate), buffered above or when not paced. */
#define OB_NATS_ASAP_RATE 2000.0

/* io=auto uses the publisher's own event loop in the open model when it wakes at most
 * this many times a second: its paced_rate, or one wake-up per paced_tick_ns when that is
 * fewer (docs/brokers/nats.md measures where the loop costs less). */
#define OB_NATS_LOOP_WAKES 3000.0

enum {
    NATS_GIVEN_STORAGE = 1u << 0,
    NATS_GIVEN_REPLICAS = 1u << 1,
    NATS_GIVEN_MAX_MSGS = 1u << 2,
    NATS_GIVEN_MAX_BYTES = 1u << 3,
    NATS_GIVEN_MAX_AGE = 1u << 4,
};

typedef struct nats_settings {
    bool jetstream;
    char subject[256];
    char stream[128];
    char durable[128];
    char queue[128];
    char storage[16];         /* file | memory */
    char write[16];           /* auto | asap | buffered: when cnats writes a publish */
    char confirm[16];         /* auto | ping | marker: how a core batch is confirmed (JetStream: ping = write when it pauses) */
    char io[16];              /* auto | loop | threads: who reads and writes the socket */
    long replicas, max_pending, flush_every, batch, max_ack_pending, ack_wait_ms;
    long puback_timeout_ms;   /* JetStream publisher: a publish without a PubAck this long fails */
    /* the stream's limits when this process creates it (0: none, JetStream's default) */
    int64_t max_msgs, max_bytes, max_age_ns;
    /* which of storage, replicas and the limits the URL gave: an existing stream must
     * then have them (NATS_GIVEN_*) */
    unsigned given;
    char address[300];        /* host:port, for messages */
    nats_security sec;
} nats_settings;

/* Reads and checks the URL's options. -1 with a one-line message naming the option. */
int ob_nats_settings_parse(nats_settings *s, const ob_url *url, ob_err *err);

/* What a PubAck's body data[0..len) says: NULL if the stream stored the message (a
 * "seq"), else why not: JetStream's {"error":{"code":..,"description":".."}} (the
 * description, into why[0..cap)), or "not a PubAck". Fuzzed: fuzz_nats_puback.c. */
const char *ob_nats_puback_error(const char *data, size_t len, char *why, size_t cap);

/* The streams named in a $JS.API.STREAM.NAMES answer ({"streams":["A","B"],...}), joined
 * by ", " into out[0..cap) (names that do not fit whole are left out), one line. Returns
 * how many names it read; 0, with out "", for an answer with none, an error answer
 * ({"error":..}) or one that is not JSON. Fuzzed: fuzz_nats_puback.c. */
int ob_nats_stream_names(const char *data, size_t len, char *out, size_t cap);

/* Reads and checks the TLS and authentication options of the URL into *sec (address:
 * host:port, for messages): the files named must be readable and hold what they should
 * (an nkey file a user seed, a creds file a user JWT and seed), the auth methods are one
 * at most, a user name comes with a password. -1 with one line naming the option or the
 * file and the address; never a secret in it. */
int ob_nats_security_parse(nats_security *sec, const ob_url *url, const char *address, ob_err *err);

/* Sets TLS and the credentials on cnats' options (url: the same URL, for the secrets);
 * sec must outlive the connection (cnats signs the nonce through it at every connect). */
natsStatus ob_nats_security_apply(nats_security *sec, const ob_url *url, natsOptions *no);

/* cnats' natsSignatureHandler for an nkey or creds file (closure: its nats_security):
 * the Ed25519 signature of nonce by the file's user seed, read again at each call. A
 * signature whose first byte is zero is refused (NATS_ERR, counted in zero_led_refused):
 * cnats 3.4 would send it as none; the connect is made again instead. Exposed for the
 * unit test. */
natsStatus ob_nats_sign_nonce(char **err_txt, unsigned char **signature, int *signature_len, const char *nonce,
                              void *closure);

/* Adds "tls", "tls_verify", "client_cert" and "auth" (and the user name) to d. */
void ob_nats_security_durability(const nats_security *sec, ob_durability *d);

/* The public key (U..., 56 characters) of the user nkey seed `seed` (S..., base32 with
 * its CRC16) into pub[cap >= 57]. -1 if seed is not a valid user seed. Exposed for the
 * unit test. */
int ob_nats_nkey_public(const char *seed, char *pub, size_t cap);

/* The connect failure: ob_nats_fail's "nats: cannot connect to ADDRESS: ..." with, after
 * the address, what the status suggests about TLS or which credentials were refused. */
int ob_nats_connect_fail(ob_err *err, const nats_security *sec, const char *address, natsStatus s);

/* "nats: WHAT ADDRESS: status text[: detail]" with the kind the status says (a refused
 * or lost connection: unavailable; a timeout; a denial or a missing stream: rejected;
 * else `otherwise`). Returns -1. */
int ob_nats_fail(ob_err *err, ob_err_kind otherwise, const char *what, const char *address,
                 natsStatus s);

/* The set of in-flight JetStream publishes, by token (0: an empty slot). */
typedef struct nats_inflight_slot {
    uint64_t token;
    int64_t sent_mono; /* when it was published (CLOCK_MONOTONIC_COARSE): puback_timeout runs from here */
} nats_inflight_slot;

/* Core NATS: the tokens published before one marker, consecutive (a token that does not
 * follow the open batch's last closes it first), so a batch is two numbers whatever its
 * size. */
typedef struct nats_core_batch {
    uint64_t first; /* its first token */
    uint64_t n;     /* its tokens: first .. first + n - 1 */
    uint64_t epoch; /* cnats' reconnect count when its first token was sent */
} nats_core_batch;

/* Replies (markers, PubAcks) kept after delivery and destroyed NATS_REPLY_BIN at a time:
 * natsMsg_Destroy hands each message to cnats' garbage collector thread and wakes it when
 * it is idle, a wake-up per reply when paced; a batch wakes it once. One bin per
 * subscription, filled on that subscription's delivery thread only. */
#define NATS_REPLY_BIN 64
typedef struct nats_reply_bin {
    natsMsg *msgs[NATS_REPLY_BIN];
    int n;
} nats_reply_bin;

/* io=loop: what cnats asked of the event loop (see nats_loop.c). Set by cnats' callbacks
 * on the publishing thread or its reconnect thread; read by the publishing thread. */
typedef struct nats_loop {
    atomic_int fd;          /* the socket; -1 when detached */
    atomic_bool want_read;  /* cnats wants to hear when it can read */
    atomic_bool want_write; /* cnats holds bytes to write */
    atomic_bool stamped;    /* the kernel stamps what this socket receives (SO_TIMESTAMPNS) */
    atomic_uint_fast64_t attaches; /* sockets attached so far: a new one, a new number */
    /* publishing thread only: */
    int64_t rx_mono;        /* when what the last read took was received (CLOCK_MONOTONIC
                             * ns): the kernel's stamp, or the time of the read */
    int64_t looked_mono;    /* when the socket was last looked at: what is there now came later */
    char peek[16384];       /* what is waiting is peeked at (not taken) for its stamp */
} nats_loop;

/* Sets cnats' event-loop mode on `no` with `l` as the loop. */
natsStatus ob_nats_loop_options(natsOptions *no, nats_loop *l);
/* Writes what cnats holds, as far as the socket takes it now. */
void ob_nats_loop_write(nats_loop *l, natsConnection *nc);
/* Writes what cnats holds, then waits until the socket can be read (unless `time_only`)
 * or until_mono (CLOCK_MONOTONIC ns), and lets cnats read once what has come by then.
 * True when it read (messages for a sync subscription are then queued on it, received at
 * l->rx_mono). While cnats reconnects (no socket), sleeps a few ms at most. time_only
 * suits a socket the kernel stamps (l->stamped): what arrives while the thread sleeps is
 * read when it wakes, with the time it arrived. */
bool ob_nats_loop_wait(nats_loop *l, natsConnection *nc, int64_t until_mono, bool time_only);

/* A JetStream stream as the server holds it: what the summary's durability says, whoever
 * created the stream and with whatever options. */
typedef struct nats_stream_facts {
    bool known;             /* read from the server at open */
    bool existed;           /* there before this process opened it (else created by it) */
    char storage[16];       /* file | memory */
    long replicas;
    char retention[16];     /* limits | interest | workqueue */
    int64_t max_msgs, max_bytes, max_age_ns; /* 0: no limit (the server's -1 too) */
    char limits[192];       /* "none", or "max_msgs N, max_bytes N, max_age S s, discard old" */
    char subjects[512];     /* the subjects it takes, joined by ", " ("": none listed) */
    bool subjects_cut;      /* more than subjects holds: not all are known */
    int64_t msgs;           /* the records it held when read at open (any subject) */
} nats_stream_facts;

/* The sinks' durable consumer as the server has it, looked up by a JetStream publisher at
 * open (the sinks create it with their URL's settings when it is not there). */
typedef struct nats_consumer_facts {
    bool looked;            /* the server was asked */
    bool exists;            /* it answered with the consumer */
    long ack_wait_ms, max_ack_pending;
    int64_t backlog;        /* exists: records not yet delivered to it or delivered and not
                             * acked when looked up (from before this process) */
} nats_consumer_facts;

/* The facts of the stream config `cfg` (existed: whether it was found) into *f. */
void ob_nats_stream_facts(const jsStreamConfig *cfg, bool existed, nats_stream_facts *f);
/* Whether the NATS subject `subject` is one the pattern takes: tokens split at '.', '*'
 * takes any one token, a last '>' one or more. */
bool ob_nats_subject_matches(const char *pattern, const char *subject);
/* Whether the stream `f` takes `subject` (true when its subjects are not all known). */
bool ob_nats_stream_takes(const nats_stream_facts *f, const char *subject);
/* 0 if the existing stream `f` has every setting the URL gave (s->given), else -1 with
 * one line naming the stream, the setting, what the stream has and what the URL asks. */
int ob_nats_stream_matches(const nats_settings *s, const nats_stream_facts *f, ob_err *err);
/* Looks up the durable consumer s->durable of s->stream into *f; never fails the open. */
void ob_nats_consumer_look_up(jsCtx *js, const nats_settings *s, nats_consumer_facts *f);

typedef struct nats_adapter {
    ob_broker base;
    nats_settings s;
    natsConnection *nc;
    jsCtx *js;
    bool locks_ready;         /* lock, ack_lock and sent_empty initialised */
    bool send_asap;           /* cnats writes each publish at once (write=, paced_rate) */
    bool use_loop;            /* io=loop: the publishing thread reads and writes (nats_loop.c) */
    char stored_by[256];      /* core publisher: the JetStream streams that take its subject */
    /* JetStream: the stream as the server has it, read at open (created or found) */
    nats_stream_facts stream;
    nats_consumer_facts consumer; /* JetStream publisher: the sinks' consumer */
    bool stored_by_known;     /* the server answered that question (else stored_by is not known) */
    nats_loop loop;
    size_t loop_unwritten;    /* io=loop: bytes published since the last write (about) */

    /* core publisher: the open batch (publisher thread only), then the batches whose
     * marker is on its way: a ring under `lock`, batch id k (the marker's payload) at
     * sent[(k - 1) & (sent_cap - 1)], ids sent_done + 1 .. next_batch_id unacked. The ring
     * doubles when more batches are in flight than it holds and never shrinks: no
     * allocation per batch, and the memory stays put */
    nats_core_batch open_batch;
    nats_core_batch *sent;
    uint64_t sent_cap;        /* a power of two */
    uint64_t sent_done;       /* the last batch id completed */
    uint64_t next_batch_id;   /* the last batch id sent */
    natsSubscription *marker_sub;
    char *marker_inbox;
    nats_reply_bin marker_bin; /* the marker subscription's delivery thread (io=loop: a
                                  sync subscription, read on the publishing thread) */
    pthread_cond_t sent_empty;
    /* confirm=ping: the pinger thread's flush round trips (under `lock`). Either way
     * cnats' reconnect count tells a batch begun on an earlier connection: never
     * confirmed by a PONG or a marker on a later one */
    pthread_t pinger;
    bool pinger_started, pinger_idle, pinger_stop;
    uint64_t pinged_upto;     /* the last batch id (JetStream: kick) a round trip covered */
    uint64_t js_kicks;        /* JetStream: the publisher's requests to write now */
    bool js_unflushed;        /* JetStream, publisher thread: published since its last kick */
    pthread_cond_t ping_wake;
    natsStatistics *stats;    /* publisher thread: the reconnect count at a batch's start */
    natsStatistics *confirm_stats; /* the pinger, or the marker's delivery thread */
    uint64_t marker_epoch;    /* publisher thread: the reconnect count its poll last saw */

    /* on_ack runs on cnats' threads and, when flush times out, on the publisher's: this
     * keeps the calls one at a time, as broker.h promises */
    pthread_mutex_t ack_lock;

    /* JetStream publisher: each publish carries the reply subject <reply_prefix><token>;
     * the PubAcks come to one wildcard subscription (reply_sub) */
    pthread_mutex_t lock;
    nats_inflight_slot *slots;
    size_t nslots;            /* power of two, >= 4 * max_pending */
    size_t ninflight;
    size_t reporting;         /* PubAcks taken from the in-flight set, not yet handed to
                                 on_ack: a flush waits for them too (under `lock`) */
    pthread_cond_t room;      /* signalled as PubAcks come: below max_pending, or none left */
    int64_t js_next_sweep;    /* publisher thread: when js_expire next looks (mono ns) */
    int64_t js_resumed;       /* publisher thread: when js_expire last saw the connection
                                 down (CLOCK_MONOTONIC_COARSE; 0: never) */
    unsigned js_since_sweep;  /* publisher thread: publishes since it last looked */
    natsSubscription *reply_sub;
    nats_reply_bin reply_bin; /* reply_sub's delivery thread */
    char *reply_inbox;        /* _INBOX.<nuid> */
    char reply_prefix[96];    /* "_INBOX.<nuid>." */
    size_t reply_prefix_len;

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

/* The JetStream stream: found (it must have what the URL gave) or created with the
 * URL's settings; *f says what the server holds. 0, or -1 with one line in err. */
int ob_nats_stream_ensure(nats_adapter *na, nats_stream_facts *f, ob_err *err);

int ob_nats_subscribe(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err);
void ob_nats_settle(ob_broker *b, ob_delivery *d, bool ok);
/* Stops the receive thread and drops the subscriptions. Safe when never subscribed. */
void ob_nats_sub_close(nats_adapter *na);

#endif
