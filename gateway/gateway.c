/* gateway.c — the HTTP server of `outbreak gateway` (see gateway.h).
 *
 * Threads. libmicrohttpd runs the connections (many per thread, keep-alive), either on
 * the gateway's own loop thread (--event-loop own, the default with one thread:
 * loop_main) or on libmicrohttpd's thread(s) (poll or epoll); a request that is to be
 * published is decoded there, admitted against the window, SUSPENDED, and queued. The
 * publisher thread publishes the queue (the broker handle is used by one thread at a
 * time: pub_lock), except that the own loop publishes each round's requests itself when
 * the adapter's acks come on the client library's threads (NATS). The acks come back through on_done (on the publisher thread, or the
 * client library's own thread for NATS); the last ack of a request, its deadline, or
 * the shutdown answers it: the request is resumed and libmicrohttpd sends the answer.
 * A broker that could not be opened at start is opened again by the publisher thread
 * every OB_GATEWAY_RECONNECT_NS; until it is, g->pub is NULL and requests and health
 * checks are answered 503 at once (nothing is admitted, nothing waits).
 * One lock (g->lock) guards the queue, the requests' completion and the counts that go
 * with it. A request is freed when libmicrohttpd is done with it and no ack is pending. */
#include "gateway.h"

#include <microhttpd.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "gateway_stats.h"
#include "json.h"
#include "listener.h"
#include "net.h"
#include "publisher.h"
#include "request.h"
#include "store.h"
#include "url.h"

/* libmicrohttpd's memory per connection: the request line, the headers and its read
 * buffer (bodies are copied out as they come, so they need not fit). Its default, 32 KiB,
 * is cleared before every request of a kept connection: 9 % of the gateway's CPU under
 * wrk (bench/gateway.sh). 8 KiB holds headers far beyond what HTTP clients send. */
#define OB_GATEWAY_CONN_MEMORY (8 * 1024)

enum route { R_ONE, R_BATCH, R_HEALTH, R_METRICS, R_NOT_FOUND, R_BAD_METHOD };
enum state { S_READING, S_WAITING, S_ANSWERED };

typedef struct gw gw;

typedef struct gw_req {
    gw *g;
    struct MHD_Connection *conn;
    enum route route;
    enum state state;
    char *body;
    size_t len, cap;
    bool too_big;
    ob_gw_item *items;
    size_t n;
    int64_t arrival_mono, arrival_real, deadline_mono;
    /* under g->lock */
    size_t pending;   /* records not yet acked or failed */
    size_t acked;
    bool mhd_done;    /* libmicrohttpd has called request_completed */
    bool queued;      /* on the publisher's queue (not yet published) */
    int status;       /* the answer, once state is S_ANSWERED */
    char msg[320];
    uint32_t producer; /* the first record's, for the 200's body (single records) */
    uint64_t seq;
    struct gw_req *next;              /* the publisher's queue */
    struct gw_req *wprev, *wnext;     /* the waiting list (published, unanswered) */
} gw_req;

struct gw {
    const ob_gateway_config *c;
    struct MHD_Daemon *daemon;
    ob_publisher *pub;   /* NULL until the broker is connected; set under lock, once */
    ob_publisher_opts po;
    char client_name[160];
    char broker_addr[300]; /* where the broker is: "nats at 127.0.0.1:4222" */
    char broker_err[512];  /* under lock: why the last open failed, while pub is NULL */
    ob_listener_tls tls;  /* --tls-cert/--tls-key, read at start */
    char listen_text[300];
    char way[32];
    char ok_tail[512];  /* the constant end of a 200's body */
    uint32_t producer;
    uint64_t stamp_seq; /* the publisher thread's */
    int64_t t0_mono, t0_real;

    pthread_mutex_t lock;
    pthread_cond_t wake; /* the publisher thread: work queued, or stop */
    gw_req *qhead, *qtail;
    gw_req wait;         /* sentinel of the waiting list, oldest first */
    long admitted;       /* records admitted and not yet acked or failed */
    long unanswered;     /* requests suspended */
    bool stopping;       /* no new requests */
    bool mhd_running;    /* libmicrohttpd started: its messages are shown */
    bool pub_stop;       /* the publisher thread ends */
    bool pub_waiting;    /* the publisher thread sleeps on `wake` */
    bool announced;      /* the start line is out: the publisher thread may reconnect */
    pthread_t pub_thread;
    bool pub_started;
    /* --event-loop own: the loop thread drives libmicrohttpd (its epoll, in "external"
     * mode) and publishes the requests of each round itself (see loop_main) */
    bool own_loop;
    bool inline_pub;     /* under lock, set with pub: the own loop publishes (acks on the
                          * client library's threads: ob_publisher_acks_on_own_threads) */
    atomic_bool loop_stop;
    pthread_t loop_thread;
    bool loop_started;
    int loop_epoll;      /* the loop's wait: libmicrohttpd's epoll descriptor and kick_fd */
    int kick_fd;         /* eventfd: a connection was resumed (or the loop stops) */
    atomic_bool kicked;  /* kick_fd written and not yet read: later resumes need not */
    pthread_mutex_t mhd_lock; /* the loop's MHD_run against MHD_quiesce_daemon */
    pthread_mutex_t pub_lock; /* the publisher's owner of the moment (one thread at a time) */

    ob_gw_stats stats;
};

static void build_ok_tail(gw *g, ob_publisher *p);

/* Marks a connection answered at its first call (no request state): later calls only
 * skip its body. Never written. */
static const char early_answer = 0;

/* --- answers ------------------------------------------------------------------------- */

/* Queues the answer and counts it by status (`health`: a health check, counted apart). */
static enum MHD_Result send_answer(gw *g, struct MHD_Connection *conn, int status, const char *body,
                                   bool json, const char *allow, bool health)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body,
                                                             MHD_RESPMEM_MUST_COPY);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            json ? "application/json" : "text/plain; charset=utf-8");
    if (status == 503 || status == 504)
        MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    if (allow)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    if (health)
        ob_gw_stats_health(&g->stats);
    else
        ob_gw_stats_count(&g->stats, status);
    return rc;
}

/* An error answer: "message\n" as text. */
static enum MHD_Result send_error(gw *g, struct MHD_Connection *conn, int status, const char *allow,
                                  bool health, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static enum MHD_Result send_error(gw *g, struct MHD_Connection *conn, int status, const char *allow,
                                  bool health, const char *fmt, ...)
{
    char line[640];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    /* one line: nothing the client sent may break it */
    for (int i = 0; i < n; i++)
        if (line[i] == '\n' || line[i] == '\r')
            line[i] = ' ';
    line[n] = '\n';
    line[n + 1] = '\0';
    return send_answer(g, conn, status, line, false, allow, health);
}

/* --- completion (under g->lock) -------------------------------------------------------- */

static void wait_unlink(gw_req *r)
{
    if (r->wprev) {
        r->wprev->wnext = r->wnext;
        r->wnext->wprev = r->wprev;
        r->wprev = r->wnext = NULL;
    }
}

static void req_free(gw_req *r)
{
    free(r->body);
    free(r->items);
    free(r);
}

/* Answers r (status and msg set by the caller): returns its connection, which the
 * caller resumes once it has let go of the lock (libmicrohttpd has locks of its own;
 * the connection stays, suspended, until then). */
static struct MHD_Connection *answer_locked(gw *g, gw_req *r)
{
    wait_unlink(r);
    r->state = S_ANSWERED;
    g->unanswered--;
    return r->conn;
}

/* Frees r once libmicrohttpd is done with it and nothing is pending. */
static void maybe_free_locked(gw_req *r)
{
    if (r->mhd_done && r->pending == 0 && !r->queued)
        req_free(r);
}

/* One record of r is settled: acked (ok) or failed with why/kind. Returns the
 * connection to resume (answer_locked), or NULL. */
static struct MHD_Connection *settle_locked(gw *g, gw_req *r, bool ok, const char *why, ob_err_kind kind)
{
    struct MHD_Connection *resume = NULL;
    g->admitted--;
    r->pending--;
    if (ok) {
        r->acked++;
    } else if (r->status == 0) {
        ob_err e = {.kind = kind};
        r->status = ob_err_http_status(&e);
        snprintf(r->msg, sizeof r->msg, "%s did not take %s: %s", g->way,
                 r->n > 1 ? "every record" : "the record", why);
    }
    if (r->pending == 0 && r->state == S_WAITING) {
        if (r->status == 0) {
            r->status = 200;
            ob_gw_stats_ack_latency(&g->stats, ob_mono_ns() - r->arrival_mono);
        }
        resume = answer_locked(g, r);
    }
    maybe_free_locked(r);
    return resume;
}

/* Wakes the own loop, once for any number of resumes until it runs its next round. */
static void kick_loop(gw *g)
{
    if (!atomic_exchange(&g->kicked, true)) {
        uint64_t one = 1;
        ssize_t n = write(g->kick_fd, &one, sizeof one); /* fails only if the counter is full */
        (void)n;
    }
}

/* Resumes a suspended request's connection (from any thread): libmicrohttpd answers it.
 * Its own threads learn of it from libmicrohttpd (a write to its pipe per resume); the
 * own loop from kick_loop. */
static void gw_resume(gw *g, struct MHD_Connection *conn)
{
    MHD_resume_connection(conn);
    if (g->own_loop)
        kick_loop(g);
}

/* The publisher's on_done: an ack (or a failure) of one record of request ctx. */
static void on_done(void *arg, uint64_t token, void *ctx, bool ok, const char *errmsg, ob_err_kind kind,
                    int64_t now)
{
    (void)token, (void)now;
    gw *g = arg;
    pthread_mutex_lock(&g->lock);
    struct MHD_Connection *resume = settle_locked(g, ctx, ok, errmsg, kind);
    pthread_mutex_unlock(&g->lock);
    if (resume)
        gw_resume(g, resume);
}

/* --- the publisher thread ------------------------------------------------------------- */

/* Publishes the records of r (off the queue; r->pending counts them). */
static void publish_request(gw *g, gw_req *r)
{
    char buf[2048];
    for (size_t i = 0; i < r->n; i++) {
        ob_gw_item *it = &r->items[i];
        if (!it->has_meta) {
            snprintf(it->meta.run, sizeof it->meta.run, "%s", g->c->run_id);
            it->meta.producer = g->producer;
            it->meta.seq = ++g->stamp_seq;
            it->meta.sent_ns = r->arrival_real;
        }
        if (i == 0) {
            r->producer = it->meta.producer;
            r->seq = it->meta.seq;
        }
        /* a record padded beyond the stack's buffer (run --record-size) in one of its size */
        char *big = it->rec.pad > sizeof buf / 2 ? malloc(sizeof buf + it->rec.pad) : NULL;
        char *out = big ? big : buf;
        int len = ob_record_encode(&it->rec, &it->meta, out, big ? sizeof buf + it->rec.pad : sizeof buf);
        int64_t now = ob_mono_ns();
        if (len < 0) {
            free(big);
            ob_publisher_fail_next(g->pub, r->arrival_mono, now, r, "record too large to encode");
            continue;
        }
        for (;;) {
            int rc = ob_publisher_send(g->pub, out, (size_t)len, it->rec.location, r->arrival_mono, now, r,
                                       NULL);
            if (rc <= 0)
                break; /* sent, or failed (on_done called) */
            /* the ring's next slot waits for an ack that is late: let acks in */
            if (now >= r->deadline_mono) {
                ob_publisher_fail_next(g->pub, r->arrival_mono, now, r, "no room in the in-flight window");
                break;
            }
            if (!ob_publisher_poll(g->pub, now + 200 * OB_NS_PER_US))
                ob_sleep_until_mono(now + 200 * OB_NS_PER_US);
            now = ob_mono_ns();
        }
        free(big);
    }
}

/* Publishes the requests of a batch taken off the queue (pub_lock held). */
static void publish_batch(gw *g, gw_req *batch)
{
    for (gw_req *r = batch, *next; r; r = next) {
        next = r->next;
        pthread_mutex_lock(&g->lock);
        bool answered = r->state == S_ANSWERED; /* 503 already (deadline, shutdown) */
        if (answered) {
            g->admitted -= (long)r->pending;
            r->pending = 0;
        }
        pthread_mutex_unlock(&g->lock);
        if (!answered)
            publish_request(g, r);
        pthread_mutex_lock(&g->lock);
        r->queued = false;
        maybe_free_locked(r);
        pthread_mutex_unlock(&g->lock);
    }
}

/* Answers 503 every waiting request whose deadline passed (or all of them, `all`).
 * Takes the lock. */
static void expire(gw *g, int64_t now, bool all, const char *why)
{
    for (;;) {
        pthread_mutex_lock(&g->lock);
        gw_req *r = g->wait.wnext;
        if (r == &g->wait || (!all && r->deadline_mono > now)) {
            pthread_mutex_unlock(&g->lock);
            return;
        }
        r->status = 503;
        snprintf(r->msg, sizeof r->msg, "%s", why);
        struct MHD_Connection *resume = answer_locked(g, r);
        pthread_mutex_unlock(&g->lock);
        gw_resume(g, resume);
    }
}

/* Opens the broker: 0 with g->pub set (under the lock: from then on requests are
 * admitted), or -1 with err. */
static int connect_broker(gw *g, ob_err *err)
{
    ob_publisher *p;
    int rc = ob_publisher_open(&p, g->c->broker, &g->po, err);
    ob_gw_stats_broker_attempt(&g->stats, rc == 0, ob_mono_ns());
    if (rc != 0)
        return -1;
    build_ok_tail(g, p);
    pthread_mutex_lock(&g->lock);
    g->pub = p;
    g->inline_pub = g->own_loop && ob_publisher_acks_on_own_threads(p);
    pthread_mutex_unlock(&g->lock);
    return 0;
}

/* The publisher thread while the broker is not connected: opens it again every
 * OB_GATEWAY_RECONNECT_NS (from the start of the last attempt) until it can or the
 * gateway stops; says when the reason changes and when it is connected. Called and
 * returns with the lock held; true once connected. */
static bool reconnect_locked(gw *g)
{
    int64_t next = ob_mono_ns() + OB_GATEWAY_RECONNECT_NS;
    while (!g->pub && !g->pub_stop) {
        int64_t now = ob_mono_ns();
        if (now < next || !g->announced) {
            int64_t until = now < next ? next : now + 20 * OB_NS_PER_MS;
            struct timespec ts = {.tv_sec = until / OB_NS_PER_S, .tv_nsec = until % OB_NS_PER_S};
            pthread_cond_timedwait(&g->wake, &g->lock, &ts);
            continue;
        }
        pthread_mutex_unlock(&g->lock);
        next = now + OB_GATEWAY_RECONNECT_NS;
        ob_err err;
        if (connect_broker(g, &err) == 0) {
            printf("gateway: connected to broker %s after %.1f s (attempt %lld): publishing, /healthz 200\n",
                   g->broker_addr, (double)(ob_mono_ns() - g->t0_mono) / 1e9,
                   (long long)atomic_load(&g->stats.broker_attempts));
            fflush(stdout);
        } else {
            pthread_mutex_lock(&g->lock);
            bool changed = strcmp(err.msg, g->broker_err) != 0;
            if (changed)
                snprintf(g->broker_err, sizeof g->broker_err, "%s", err.msg);
            pthread_mutex_unlock(&g->lock);
            if (changed) {
                printf("gateway: broker %s still not connected: %s; retrying every %.0f s\n", g->broker_addr,
                       err.msg, (double)OB_GATEWAY_RECONNECT_NS / 1e9);
                fflush(stdout);
            }
        }
        pthread_mutex_lock(&g->lock);
    }
    return g->pub != NULL;
}

static void *publisher_main(void *arg)
{
    gw *g = arg;
    char why[160];
    snprintf(why, sizeof why, "no acknowledgement from %s within %.1f s", g->way,
             (double)g->c->ack_timeout_ns / 1e9);
    pthread_mutex_lock(&g->lock);
    if (!reconnect_locked(g)) {
        pthread_mutex_unlock(&g->lock);
        return NULL;
    }
    int64_t last_poll = ob_mono_ns();
    for (;;) {
        /* the own loop publishes its rounds itself (inline_pub): what is queued is its */
        bool inline_pub = g->inline_pub;
        gw_req *batch = inline_pub ? NULL : g->qhead;
        if (!inline_pub)
            g->qhead = g->qtail = NULL;
        bool stop = g->pub_stop;
        pthread_mutex_unlock(&g->lock);
        int64_t now = ob_mono_ns();
        bool waited = false;
        pthread_mutex_lock(&g->pub_lock);
        publish_batch(g, batch);
        /* acks to read; and, idle, once a second: an adapter may keep its connection
         * alive from poll (heartbeats). Inline, the loop polls after each round, and
         * this thread only for what no round may come to do (a marker to retry), at
         * once: the acks come on the adapter's threads */
        if (ob_publisher_inflight(g->pub) > 0 || now - last_poll >= OB_NS_PER_S) {
            waited = ob_publisher_poll(g->pub, inline_pub ? now : now + 200 * OB_NS_PER_US);
            last_poll = now;
        }
        pthread_mutex_unlock(&g->pub_lock);
        if (stop && !batch)
            break;
        expire(g, ob_mono_ns(), false, why);
        pthread_mutex_lock(&g->lock);
        now = ob_mono_ns();
        /* nothing to publish and an adapter whose acks come on threads of its own: sleep
         * until a request comes, or a millisecond while records are in flight (a marker
         * to retry, deadlines to expire; every 200 us cost a wake-up or more per request
         * at low rates); 20 ms when the own loop publishes (inline_pub): the deadlines */
        if (!waited && (!g->qhead || g->inline_pub) && !g->pub_stop) {
            int64_t until = now + (ob_publisher_inflight(g->pub) > 0 && !g->inline_pub ? OB_NS_PER_MS : 20 * OB_NS_PER_MS);
            struct timespec ts = {.tv_sec = until / OB_NS_PER_S, .tv_nsec = until % OB_NS_PER_S};
            g->pub_waiting = true;
            pthread_cond_timedwait(&g->wake, &g->lock, &ts);
            g->pub_waiting = false;
        }
    }
    return NULL;
}

/* --- the HTTP side --------------------------------------------------------------------- */

/* The publisher, or NULL while the broker is not connected. */
static ob_publisher *gw_pub(gw *g)
{
    pthread_mutex_lock(&g->lock);
    ob_publisher *p = g->pub;
    pthread_mutex_unlock(&g->lock);
    return p;
}

/* GET /metrics (gateway_stats.h: ob_gw_stats_metrics); counted with the health checks. */
static enum MHD_Result answer_metrics(gw *g, struct MHD_Connection *conn)
{
    ob_gw_view v = {.way = g->way, .listen = g->listen_text, .run = g->c->run_id, .id = g->c->id,
                    .broker = g->c->broker, .producer = g->producer, .pub = gw_pub(g)};
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return MHD_NO;
    ob_gw_stats_metrics(f, &g->stats, &v);
    if (fclose(f) != 0) {
        free(text);
        return MHD_NO;
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(text);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, resp);
    MHD_destroy_response(resp);
    ob_gw_stats_health(&g->stats);
    return rc;
}

/* The answers that need no body (GET /healthz, GET /metrics, 404, 405), once the request is read:
 * the connection is kept alive. */
static enum MHD_Result answer_plain(gw *g, struct MHD_Connection *conn, gw_req *r, const char *method)
{
    if (r->route == R_NOT_FOUND)
        return send_error(g, conn, 404, NULL, false, "404 no such path (POST / for one record, POST /records "
                                                    "for several, GET /healthz, GET /metrics)");
    if (r->route == R_BAD_METHOD)
        return send_error(g, conn, 405, "POST", false, "405 %s: use POST", method);
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return send_error(g, conn, 405, "GET, HEAD", true, "405 %s %s: use GET", method,
                          r->route == R_METRICS ? "/metrics" : "/healthz");
    if (r->route == R_METRICS)
        return answer_metrics(g, conn);
    char why[sizeof g->broker_err];
    pthread_mutex_lock(&g->lock);
    bool stopping = g->stopping;
    ob_publisher *pub = g->pub;
    if (!pub)
        memcpy(why, g->broker_err, sizeof why);
    pthread_mutex_unlock(&g->lock);
    if (stopping)
        return send_error(g, conn, 503, NULL, true, "503 shutting down");
    if (!pub)
        return send_error(g, conn, 503, NULL, true, "503 broker %s not connected (%s); retrying every %.0f s",
                          g->broker_addr, why, (double)OB_GATEWAY_RECONNECT_NS / 1e9);
    char body[256] = "";
    FILE *f = fmemopen(body, sizeof body - 1, "w");
    if (f) {
        ob_jw w;
        ob_jw_init(&w, f);
        ob_jw_object(&w);
        ob_jw_key(&w, "ok");
        ob_jw_bool(&w, true);
        ob_jw_key(&w, "way");
        ob_jw_str(&w, g->way);
        ob_jw_key(&w, "in_flight");
        ob_jw_int(&w, ob_publisher_inflight(pub));
        ob_jw_end(&w);
        fputc('\n', f);
        fclose(f);
    }
    return send_answer(g, conn, 200, body, true, NULL, true);
}

/* The first call for a request: route it; a body over the limit is answered at once
 * (and the connection closed rather than read). */
static enum MHD_Result first_call(gw *g, struct MHD_Connection *conn, const char *url, const char *method,
                                  void **con_cls)
{
    int64_t now = ob_mono_ns();
    *con_cls = (void *)&early_answer;
    enum route route;
    if (strcmp(url, "/healthz") == 0)
        route = R_HEALTH;
    else if (strcmp(url, "/metrics") == 0)
        route = R_METRICS;
    else if (strcmp(url, "/") == 0)
        route = strcmp(method, "POST") == 0 ? R_ONE : R_BAD_METHOD;
    else if (strcmp(url, "/records") == 0)
        route = strcmp(method, "POST") == 0 ? R_BATCH : R_BAD_METHOD;
    else
        route = R_NOT_FOUND;
    if (route != R_HEALTH && !ob_listener_login_ok(conn, g->c->login)) {
        ob_gw_stats_count(&g->stats, 401);
        return ob_listener_ask_login(conn, "text/plain; charset=utf-8", "401 login required (HTTP Basic)\n");
    }
    const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if ((route == R_ONE || route == R_BATCH) && cl && strtoull(cl, NULL, 10) > (unsigned long long)g->c->max_body)
        return send_error(g, conn, 413, NULL, false, "413 body of %s bytes is over the limit of %ld bytes", cl,
                          g->c->max_body);
    gw_req *r = calloc(1, sizeof *r);
    if (!r)
        return send_error(g, conn, 500, NULL, false, "500 out of memory");
    r->g = g;
    r->conn = conn;
    r->route = route;
    r->arrival_mono = now;
    r->arrival_real = ob_real_ns();
    *con_cls = r;
    return MHD_YES;
}

static enum MHD_Result body_done(gw *g, struct MHD_Connection *conn, gw_req *r)
{
    if (r->too_big)
        return send_error(g, conn, 413, NULL, false, "413 body over the limit of %ld bytes",
                          g->c->max_body);
    ob_err err;
    if (ob_gw_decode(r->body, r->len, r->route == R_BATCH, (size_t)g->c->max_batch, &r->items, &r->n, &err) != 0)
        return send_error(g, conn, ob_err_http_status(&err), NULL, false, "%d %s",
                          ob_err_http_status(&err), err.msg);
    free(r->body);
    r->body = NULL;
    pthread_mutex_lock(&g->lock);
    if (g->stopping) {
        pthread_mutex_unlock(&g->lock);
        return send_error(g, conn, 503, NULL, false, "503 shutting down");
    }
    if (!g->pub) {
        char why[sizeof g->broker_err];
        memcpy(why, g->broker_err, sizeof why);
        pthread_mutex_unlock(&g->lock);
        ob_gw_stats_broker_down(&g->stats);
        return send_error(g, conn, 503, NULL, false, "503 broker %s not connected (%s); retrying every %.0f s",
                          g->broker_addr, why, (double)OB_GATEWAY_RECONNECT_NS / 1e9);
    }
    if (g->admitted + (long)r->n > g->c->window) {
        long admitted = g->admitted;
        pthread_mutex_unlock(&g->lock);
        return send_error(g, conn, 503, NULL, false,
                          "503 in-flight window full (%ld records waiting for %s's ack, --window %ld)",
                          admitted, g->way, g->c->window);
    }
    g->admitted += (long)r->n;
    g->unanswered++;
    r->pending = r->n;
    r->queued = true;
    r->state = S_WAITING;
    r->deadline_mono = r->arrival_mono + g->c->ack_timeout_ns;
    pthread_mutex_unlock(&g->lock);
    /* suspended before it is queued (its answer may come at once), outside the lock */
    MHD_suspend_connection(conn);
    pthread_mutex_lock(&g->lock);
    r->wprev = g->wait.wprev;
    r->wnext = &g->wait;
    g->wait.wprev->wnext = r;
    g->wait.wprev = r;
    if (g->qtail)
        g->qtail->next = r;
    else
        g->qhead = r;
    g->qtail = r;
    /* a wake-up only when the publisher thread sleeps: busy, it finds r on its next
     * round (a futex call per request was a tenth of the gateway's CPU) */
    if (g->pub_waiting && !g->own_loop) /* the own loop hands over after its round */
        pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    return MHD_YES;
}

/* The broker's socket in the loop's wait (loop_fd), when the adapter reads its acks on
 * the loop's thread: added again whenever the publisher or its socket changed. */
typedef struct loop_watch {
    ob_publisher *pub;
    uint64_t attached;
    int fd;
} loop_watch;

static void watch_broker(gw *g, loop_watch *w)
{
    pthread_mutex_lock(&g->lock);
    ob_publisher *p = g->inline_pub ? g->pub : NULL;
    pthread_mutex_unlock(&g->lock);
    uint64_t attached = 0;
    int fd = p ? ob_publisher_loop_fd(p, &attached) : -1;
    if (p == w->pub && fd == w->fd && attached == w->attached)
        return;
    if (w->fd >= 0) /* closed already (removed then) or still open */
        epoll_ctl(g->loop_epoll, EPOLL_CTL_DEL, w->fd, NULL);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (fd >= 0 && epoll_ctl(g->loop_epoll, EPOLL_CTL_ADD, fd, &ev) != 0 &&
        (errno != EEXIST || epoll_ctl(g->loop_epoll, EPOLL_CTL_MOD, fd, &ev) != 0))
        fd = -1; /* not watched: the publisher thread's polls read the acks */
    *w = (loop_watch){.pub = p, .attached = attached, .fd = fd};
}

/* The own loop (--event-loop own): one thread waits for libmicrohttpd's epoll descriptor
 * or a kick (a resume), runs a round of libmicrohttpd (reads, answers, callbacks), then
 * publishes the requests that round admitted, with one marker for them all when the
 * adapter's acks come on threads of its own (NATS: no hand-off to the publisher thread,
 * and a round is one batch); for an adapter that reads its acks on the publishing thread,
 * or before that is known, it hands them to the publisher thread as the other loops do.
 * When the adapter reads its acks on this thread instead (core NATS opened loop_driven:
 * io=loop), the broker's socket is in the same wait (watch_broker), and a readable
 * socket is polled before the round, which then answers what it confirmed. */
static void *loop_main(void *arg)
{
    gw *g = arg;
    loop_watch watch = {.fd = -1};
    while (!atomic_load(&g->loop_stop)) {
        MHD_UNSIGNED_LONG_LONG ms = 1000;
        if (MHD_get_timeout(g->daemon, &ms) != MHD_YES || ms > 1000)
            ms = 1000; /* 0 while libmicrohttpd has work it cannot wait for */
        struct epoll_event got[3];
        int n = epoll_wait(g->loop_epoll, got, 3, (int)ms);
        bool acks = false;
        for (int i = 0; i < n; i++)
            if (got[i].data.fd == g->kick_fd) {
                uint64_t v;
                ssize_t k = read(g->kick_fd, &v, sizeof v); /* non-blocking; 0 kicks: EAGAIN */
                (void)k;
            } else if (watch.fd >= 0 && got[i].data.fd == watch.fd) {
                acks = true;
            }
        if (acks) {
            /* the acks are read here, and the round below answers them: no kick */
            atomic_store(&g->kicked, true);
            pthread_mutex_lock(&g->pub_lock);
            pthread_mutex_lock(&g->lock);
            ob_publisher *p = g->pub == watch.pub ? g->pub : NULL;
            pthread_mutex_unlock(&g->lock);
            if (p)
                ob_publisher_poll(p, ob_mono_ns());
            pthread_mutex_unlock(&g->pub_lock);
        }
        atomic_store(&g->kicked, false); /* before the round: a resume during it kicks again */
        pthread_mutex_lock(&g->mhd_lock);
        MHD_run(g->daemon);
        pthread_mutex_unlock(&g->mhd_lock);
        pthread_mutex_lock(&g->lock);
        gw_req *batch = NULL;
        if (g->qhead && g->pub && g->inline_pub) {
            batch = g->qhead;
            g->qhead = g->qtail = NULL;
        } else if (g->qhead && g->pub_waiting) {
            pthread_cond_signal(&g->wake);
        }
        pthread_mutex_unlock(&g->lock);
        if (batch) {
            pthread_mutex_lock(&g->pub_lock);
            publish_batch(g, batch);
            ob_publisher_poll(g->pub, ob_mono_ns()); /* the marker: returns at once */
            pthread_mutex_unlock(&g->pub_lock);
        }
        watch_broker(g, &watch);
    }
    return NULL;
}

static enum MHD_Result send_result(gw *g, struct MHD_Connection *conn, gw_req *r)
{
    pthread_mutex_lock(&g->lock);
    int status = r->status;
    size_t acked = r->acked, n = r->n;
    char msg[sizeof r->msg];
    memcpy(msg, r->msg, sizeof msg);
    pthread_mutex_unlock(&g->lock);
    if (status == 200) {
        /* numbers, then the constant tail that ob_jw wrote at start (build_ok_tail) */
        char body[800];
        if (r->route == R_ONE)
            snprintf(body, sizeof body, "{\"acked\":1,\"producer\":%u,\"seq\":%llu,%s", (unsigned)r->producer,
                     (unsigned long long)r->seq, g->ok_tail);
        else
            snprintf(body, sizeof body, "{\"acked\":%zu,%s", acked, g->ok_tail);
        return send_answer(g, conn, 200, body, true, NULL, false);
    }
    if (n > 1)
        return send_error(g, conn, status, NULL, false, "%d %s (%zu of %zu records acked)", status, msg,
                          acked, n);
    return send_error(g, conn, status, NULL, false, "%d %s", status, msg);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size,
                                  void **con_cls)
{
    (void)version;
    gw *g = cls;
    if (!*con_cls)
        return first_call(g, conn, url, method, con_cls);
    if (*con_cls == &early_answer) {
        *upload_size = 0;
        return MHD_YES;
    }
    gw_req *r = *con_cls;
    if (r->state == S_READING && *upload_size) {
        size_t add = *upload_size;
        *upload_size = 0;
        if (r->route > R_BATCH) /* a body nobody reads */
            return MHD_YES;
        if (r->too_big || r->len + add > (size_t)g->c->max_body) {
            r->too_big = true;
            return MHD_YES;
        }
        if (r->len + add > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + add)
                cap *= 2;
            char *b = realloc(r->body, cap);
            if (!b) {
                r->too_big = true;
                return MHD_YES;
            }
            r->body = b;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload_data, add);
        r->len += add;
        return MHD_YES;
    }
    if (r->state == S_READING && r->route > R_BATCH) {
        r->state = S_ANSWERED;
        return answer_plain(g, conn, r, method);
    }
    if (r->state == S_READING)
        return body_done(g, conn, r);
    if (r->state == S_ANSWERED)
        return send_result(g, conn, r);
    return MHD_YES; /* S_WAITING: not called while suspended */
}

static void request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                              enum MHD_RequestTerminationCode toe)
{
    (void)conn, (void)toe;
    gw *g = cls;
    gw_req *r = *con_cls;
    *con_cls = NULL;
    if (!r || r == (void *)&early_answer)
        return;
    pthread_mutex_lock(&g->lock);
    r->mhd_done = true;
    if (r->state == S_READING || r->pending == 0) /* never admitted, or answered at once */
        r->pending = 0;
    maybe_free_locked(r);
    pthread_mutex_unlock(&g->lock);
}

/* --- start and stop -------------------------------------------------------------------- */

static void default_run_id(char *buf, size_t cap)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    uint32_t x = 0;
    if (getrandom(&x, sizeof x, 0) != (ssize_t)sizeof x)
        x = (uint32_t)(ob_mono_ns() ^ getpid());
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &tm);
    snprintf(buf, cap, "gw-%s-%04x", stamp, x & 0xffff);
}

void ob_gateway_defaults(ob_gateway_config *c)
{
    memset(c, 0, sizeof *c);
    c->listen = OB_GATEWAY_DEFAULT_LISTEN;
    c->max_body = OB_GATEWAY_DEFAULT_MAX_BODY;
    c->window = OB_GATEWAY_DEFAULT_WINDOW;
    c->max_batch = OB_GATEWAY_DEFAULT_MAX_BATCH;
    c->threads = 1;
    c->event_loop = OB_GW_LOOP_AUTO;
    c->ack_timeout_ns = 3 * OB_NS_PER_S;
    c->stop_timeout_ns = 4 * OB_NS_PER_S;
    c->stats_interval_ns = 5 * OB_NS_PER_S;
}

/* libmicrohttpd's messages once it runs (a failed start is the one line of
 * gw_start's error instead). */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    gw *g = cls;
    pthread_mutex_lock(&g->lock);
    bool running = g->mhd_running;
    pthread_mutex_unlock(&g->lock);
    if (!running)
        return;
    fputs("outbreak gateway: http: ", stderr);
    vfprintf(stderr, fmt, ap);
}

/* The constant end of a 200's body: what the ack was (the publisher p, before it is
 * g->pub). */
static void build_ok_tail(gw *g, ob_publisher *p)
{
    ob_durability d = {0};
    ob_publisher_durability(p, &d);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f) {
        ob_jw w;
        ob_jw_init(&w, f);
        ob_jw_object(&w);
        ob_jw_key(&w, "way");
        ob_jw_str(&w, g->way);
        ob_jw_key(&w, "ack");
        ob_jw_str(&w, d.publish_ack);
        /* the adapter's own words when its ack is not a broker's; the broker's ack
         * otherwise */
        char means[300];
        if (d.acked_means[0])
            snprintf(means, sizeof means, "%s", d.acked_means);
        else
            snprintf(means, sizeof means, "the broker's %s (%s, %s)", d.publish_ack, d.mode, d.delivery);
        ob_jw_key(&w, "acked_means");
        ob_jw_str(&w, means);
        ob_jw_end(&w);
        fclose(f);
    }
    /* the object without its '{' goes after the caller's first members */
    snprintf(g->ok_tail, sizeof g->ok_tail, "%s\n", buf && len > 1 ? buf + 1 : "\"way\":null}");
    free(buf);
    ob_durability_free(&d);
}

static int gw_start(gw *g, ob_err *err)
{
    const ob_gateway_config *c = g->c;
    struct sockaddr_storage ss;
    socklen_t sslen;
    if (ob_listen_addr("--listen", c->listen, &ss, &sslen, err) != 0)
        return -1;
    if (ob_listener_tls_load(&g->tls, c->tls_cert, c->tls_key, err) != 0)
        return -1;
    long ring = 1;
    while (ring < 2 * c->window)
        ring <<= 1;
    snprintf(g->client_name, sizeof g->client_name, "outbreak-gateway-%s", c->id);
    g->po = (ob_publisher_opts){.window = ring, .client_name = g->client_name, .on_done = on_done, .done_arg = g};
    const ob_broker_ops *ops = ob_broker_of_url(c->broker);
    snprintf(g->way, sizeof g->way, "%s", ops ? ops->way : "?");
    char bhost[256] = "";
    int bport = 0;
    ob_broker_endpoint(c->broker, bhost, sizeof bhost, &bport);
    if (bhost[0])
        snprintf(g->broker_addr, sizeof g->broker_addr, strchr(bhost, ':') ? "%s at [%s]:%d" : "%s at %s:%d",
                 g->way, bhost, bport);
    else /* no broker process (the sink is the server): the URL says where */
        snprintf(g->broker_addr, sizeof g->broker_addr, "%s at %s", g->way,
                 ob_url_redacted(c->broker, (char[512]){0}, 512));
    ob_err e;
    unsigned pool = c->threads > 1 ? (unsigned)c->threads : 0;
    g->own_loop = c->event_loop == OB_GW_LOOP_OWN || (c->event_loop == OB_GW_LOOP_AUTO && pool == 0);
    g->po.loop_driven = g->own_loop;
    if (connect_broker(g, &e) != 0) {
        /* unreachable: retried in the background, unless asked not to; any other error
         * (refused, internal) is the operator's to fix: exit */
        if (c->require_broker || (e.kind != OB_ERR_UNAVAILABLE && e.kind != OB_ERR_TIMEOUT)) {
            *err = e;
            return -1;
        }
        snprintf(g->broker_err, sizeof g->broker_err, "%s", e.msg);
    }
    if (pthread_create(&g->pub_thread, NULL, publisher_main, g) != 0)
        return ob_err_set(err, "cannot start the publisher thread");
    g->pub_started = true;
    /* own (the default with one thread): libmicrohttpd's epoll in "external" mode, run
     * by loop_main, which publishes each round's requests itself: a sixth less CPU per
     * request than poll, and half the markers (bench/gateway.sh, docs/gateway.md).
     * poll: no epoll_ctl for each suspend and resume (two per request), so about a third
     * less CPU per request than libmicrohttpd's epoll thread with tens or hundreds of
     * connections. epoll (its own thread): libmicrohttpd 0.9.75 with suspended requests
     * can stop answering connections when 128 or more are open
     * (tests/integration/gateway_many.sh shows the default does not) */
    unsigned flags = MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    if (g->own_loop)
        flags |= MHD_USE_EPOLL;
    else
        flags |= MHD_USE_INTERNAL_POLLING_THREAD | (c->event_loop == OB_GW_LOOP_EPOLL ? MHD_USE_EPOLL : MHD_USE_POLL);
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    /* the thread pool only when asked for: libmicrohttpd warns about a pool of one */
    /* libmicrohttpd's own limit is FD_SETSIZE - 4 connections (1020), the rest waiting
     * unanswered in the listen queue: as many as the descriptors allow instead */
    struct rlimit nofile;
    unsigned limit = 1020;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY && nofile.rlim_cur > 1024 + 256)
        limit = (unsigned)(nofile.rlim_cur - 256); /* 256 for the broker, the files, the sinks */
    struct MHD_OptionItem more[2 + OB_LISTENER_TLS_OPTIONS] = {
        {MHD_OPTION_CONNECTION_LIMIT, limit, NULL},
        {pool ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, pool, NULL},
    };
    ob_listener_tls_options(&g->tls, more + (pool ? 2 : 1));
    flags |= ob_listener_tls_flags(&g->tls);
    g->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, g, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, g,
                                 MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED,
                                 request_completed, g, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                                 MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)OB_GATEWAY_CONN_MEMORY,
                                 MHD_OPTION_ARRAY, more, MHD_OPTION_END);
    if (!g->daemon)
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "cannot listen on %s (in use, or not an address of this host%s?)",
                           c->listen, g->tls.cert_pem ? ", or a key that does not fit the certificate" : "");
    pthread_mutex_lock(&g->lock);
    g->mhd_running = true;
    pthread_mutex_unlock(&g->lock);
    if (g->own_loop) {
        const union MHD_DaemonInfo *ep = MHD_get_daemon_info(g->daemon, MHD_DAEMON_INFO_EPOLL_FD);
        g->loop_epoll = epoll_create1(EPOLL_CLOEXEC);
        g->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        struct epoll_event mhd_ev = {.events = EPOLLIN, .data.fd = ep ? ep->epoll_fd : -1};
        struct epoll_event kick_ev = {.events = EPOLLIN, .data.fd = g->kick_fd};
        if (!ep || g->loop_epoll < 0 || g->kick_fd < 0 ||
            epoll_ctl(g->loop_epoll, EPOLL_CTL_ADD, ep->epoll_fd, &mhd_ev) != 0 ||
            epoll_ctl(g->loop_epoll, EPOLL_CTL_ADD, g->kick_fd, &kick_ev) != 0)
            return ob_err_set(err, "cannot set up the event loop: %s", strerror(errno));
        if (pthread_create(&g->loop_thread, NULL, loop_main, g) != 0)
            return ob_err_set(err, "cannot start the HTTP thread");
        g->loop_started = true;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(g->daemon, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : 0;
    char host[INET6_ADDRSTRLEN] = "?";
    if (ss.ss_family == AF_INET6)
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, host, sizeof host);
    else
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, host, sizeof host);
    snprintf(g->listen_text, sizeof g->listen_text, ss.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host, port);
    return 0;
}

/* Stop accepting, answer what is in flight within the stop timeout (503 after it), stop
 * the publisher (its flush reports what is left), stop the server. */
static void gw_stop(gw *g)
{
    int64_t t0 = ob_mono_ns(), until = t0 + g->c->stop_timeout_ns;
    if (g->daemon) {
        pthread_mutex_lock(&g->lock);
        g->stopping = true;
        pthread_mutex_unlock(&g->lock);
        pthread_mutex_lock(&g->mhd_lock);
        MHD_socket s = MHD_quiesce_daemon(g->daemon);
        pthread_mutex_unlock(&g->mhd_lock);
        if (s != MHD_INVALID_SOCKET)
            close(s);
        for (;;) {
            pthread_mutex_lock(&g->lock);
            long left = g->unanswered;
            pthread_mutex_unlock(&g->lock);
            if (left == 0 || ob_mono_ns() >= until) {
                expire(g, 0, true, "shutting down before the broker's acknowledgement");
                break;
            }
            ob_sleep_until_mono(ob_mono_ns() + 5 * OB_NS_PER_MS);
        }
    }
    if (g->pub_started) {
        pthread_mutex_lock(&g->lock);
        g->pub_stop = true;
        pthread_cond_signal(&g->wake);
        pthread_mutex_unlock(&g->lock);
        pthread_join(g->pub_thread, NULL);
        g->pub_started = false;
    }
    if (g->daemon) {
        /* the last answers go out while the publisher flushes */
        ob_sleep_until_mono(ob_mono_ns() + 50 * OB_NS_PER_MS);
    }
    if (g->pub) {
        int64_t left_ms = (until - ob_mono_ns()) / OB_NS_PER_MS;
        pthread_mutex_lock(&g->pub_lock);
        ob_publisher_flush(g->pub, left_ms > 100 ? (int)left_ms : 100);
        pthread_mutex_unlock(&g->pub_lock);
    }
    if (g->loop_started) {
        atomic_store(&g->loop_stop, true);
        kick_loop(g);
        pthread_join(g->loop_thread, NULL);
        g->loop_started = false;
    }
    if (g->daemon) {
        MHD_stop_daemon(g->daemon);
        g->daemon = NULL;
    }
}

int ob_gateway_run(const ob_gateway_config *cin, volatile sig_atomic_t *interrupted)
{
    ob_gateway_config c = *cin;
    char id[300];
    if (!c.run_id[0])
        default_run_id(c.run_id, sizeof c.run_id);
    if (!c.id) {
        char host[256];
        if (gethostname(host, sizeof host) != 0)
            snprintf(host, sizeof host, "gateway");
        host[sizeof host - 1] = '\0';
        snprintf(id, sizeof id, "%s-%ld", host, (long)getpid());
        c.id = id;
    }
    gw *g = calloc(1, sizeof *g);
    if (!g) {
        fprintf(stderr, "outbreak gateway: out of memory\n");
        return 1;
    }
    g->c = &c;
    g->wait.wprev = g->wait.wnext = &g->wait;
    pthread_mutex_init(&g->lock, NULL);
    pthread_mutex_init(&g->pub_lock, NULL);
    pthread_mutex_init(&g->mhd_lock, NULL);
    g->loop_epoll = g->kick_fd = -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->wake, &ca);
    pthread_condattr_destroy(&ca);
    g->producer = ob_producer_process_draw() << OB_PRODUCER_WORKER_BITS | 1;
    int status = 0;
    ob_err err;
    ob_store *store = NULL;
    if (ob_gw_stats_init(&g->stats) != 0) {
        ob_err_set(&err, "out of memory");
        status = 1;
        goto done;
    }
    if (c.mongo && ob_store_open(&store, c.mongo, &err) != 0) {
        status = 1;
        goto done;
    }
    g->t0_mono = ob_mono_ns();
    g->t0_real = ob_real_ns();
    if (gw_start(g, &err) != 0) {
        status = ob_err_exit_code(&err);
        goto done;
    }
    char shown[1024];
    ob_url_redacted(c.broker, shown, sizeof shown);
    printf("gateway: listening on %s%s%s, publishing to %s (%s); run %s, producer %u (id %s)\n", g->listen_text,
           g->tls.cert_pem ? " (HTTPS)" : "", c.login ? " (login required)" : "", g->way, shown, c.run_id,
           (unsigned)g->producer, c.id);
    pthread_mutex_lock(&g->lock);
    if (!g->pub)
        printf("gateway: broker %s not reachable (%s): answering 503 (and /healthz 503) while retrying every "
               "%.0f s\n",
               g->broker_addr, g->broker_err, (double)OB_GATEWAY_RECONNECT_NS / 1e9);
    fflush(stdout);
    g->announced = true;
    pthread_mutex_unlock(&g->lock);
    ob_gw_view view = {.way = g->way, .listen = g->listen_text, .run = c.run_id, .id = c.id,
                       .broker = c.broker, .producer = g->producer, .pub = gw_pub(g), .t0_mono = g->t0_mono,
                       .t0_real = g->t0_real};
    int64_t next_table = g->t0_mono + c.stats_interval_ns;
    while (!*interrupted) {
        ob_sleep_until_mono(ob_mono_ns() + 50 * OB_NS_PER_MS);
        if (c.stats_interval_ns > 0 && !c.quiet && ob_mono_ns() >= next_table) {
            view.pub = gw_pub(g);
            ob_gw_stats_table(stdout, &g->stats, &view);
            fflush(stdout);
            next_table += c.stats_interval_ns;
        }
    }
    printf("gateway: stopping (answering what is in flight, at most %.1f s)\n", (double)c.stop_timeout_ns / 1e9);
    fflush(stdout);
    gw_stop(g);
    view.pub = gw_pub(g);
    view.t1_mono = ob_mono_ns();
    ob_gw_stats_summary(stdout, &g->stats, &view);
    fflush(stdout);
    if (c.json_path && ob_gw_stats_json_file(c.json_path, &g->stats, &view, &err) != 0) {
        status = 1;
        goto done;
    }
    if (store) {
        char key[OB_RUN_CAP + 320];
        snprintf(key, sizeof key, "%s/gateway/%s", c.run_id, c.id);
        char *json = ob_gw_stats_json(&g->stats, &view);
        int rc = json ? ob_store_save_summary(store, key, json, &err) : ob_err_set(&err, "out of memory");
        free(json);
        if (rc != 0) {
            status = 1;
            goto done;
        }
    }
done:
    if (status != 0)
        fprintf(stderr, "outbreak gateway: %s\n", err.msg);
    if (g->pub_started || g->daemon)
        gw_stop(g);
    ob_publisher_close(g->pub);
    ob_store_close(store);
    ob_gw_stats_free(&g->stats);
    ob_listener_tls_free(&g->tls);
    pthread_mutex_destroy(&g->lock);
    pthread_mutex_destroy(&g->pub_lock);
    pthread_mutex_destroy(&g->mhd_lock);
    if (g->loop_epoll >= 0)
        close(g->loop_epoll);
    if (g->kick_fd >= 0)
        close(g->kick_fd);
    pthread_cond_destroy(&g->wake);
    free(g);
    return status;
}
