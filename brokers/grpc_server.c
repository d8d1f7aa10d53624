/* grpc_server.c — the gRPC adapter's subscriber: `outbreak sink --broker
 * grpc://0.0.0.0:50051` is a gRPC server (the C core's completion-queue API) for both
 * methods of infected.InfectedService; every record it receives is a delivery to the
 * sink, and the call is answered only once the sink has settled it, i.e. after the
 * MongoDB insert: for gRPC, a publish ack means persisted.
 *
 * Contracts:
 *  - open binds and starts the server; a port that cannot be bound fails there, naming
 *    the address (SO_REUSEPORT is off, so a second sink on a taken port fails instead of
 *    sharing it). The serving thread starts there too and runs the completion queue, so
 *    that a client's connection is taken and set up at once (a sink that recounts a dead
 *    sink's records before it consumes would otherwise leave clients' handshakes hanging
 *    and their calls failing); no call is requested before subscribe, so calls wait
 *    inside gRPC (within their deadlines) until then.
 *  - From subscribe on, UNARY_REQUESTS unary and STREAM_REQUESTS streaming calls are kept
 *    requested (so that many clients' calls overlap), and the serving thread hands each
 *    record to `deliver`. deliver may block: meanwhile nothing more is read
 *    (back-pressure); a streaming call's next message is read once deliver returned.
 *  - Unary: settle(ok) answers InfectedResponse{result} with status OK; settle(!ok)
 *    answers UNAVAILABLE "insert failed" (the sink also settles !ok what it still holds
 *    when it stops). That is not a redelivery — there is no broker to keep the record;
 *    the client sees the error and decides (outbreak's client counts the record failed).
 *  - Streaming: one delivery per message; once the client has half-closed and every
 *    record of the call has been settled, the call is answered
 *    InfectedStreamResponse{count: records stored, result} with OK if all were stored,
 *    else UNAVAILABLE saying how many failed.
 *  - A message that is not a record (not an InfectedRequest, no `infected`, a field too
 *    long) is answered INVALID_ARGUMENT with the reason and not delivered; in a stream
 *    it ends the call (answered as soon as the records before it are settled; nothing
 *    after it is read).
 *  - A record without outbreak's metadata (a course-project client) is delivered; the
 *    sink counts it invalid and settles it ok without storing it, so it is answered OK
 *    with result "accepted, not stored (no outbreak metadata)" and is not in a stream's
 *    count. (Other records the sink drops as invalid — a bad run id — are settled ok
 *    too and answered "stored": the sink's settle carries no more than ok.)
 *  - settle() may be called from any thread, exactly once per delivery, before close.
 *  - close: shuts the server down and cancels every open call (clients see CANCELLED,
 *    none hangs); deliveries still unsettled then are given up (their calls answered
 *    UNAVAILABLE, their memory freed at close); drains and destroys the queue; joins. */
#include "grpc.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNARY_REQUESTS 64 /* unary calls requested at any time */
#define STREAM_REQUESTS 8 /* streaming calls requested at any time */
#define JSON_CAP 4096     /* one record's JSON (fields are capped by record.h) */
#define POLL_MS 200       /* the serving thread looks at `stopping` this often */
#define RESULT_STORED "stored"
#define RESULT_NO_META "accepted, not stored (no outbreak metadata)"

typedef enum call_kind { CALL_UNARY, CALL_STREAM } call_kind;
typedef enum tag_kind { TAG_NEW, TAG_READ, TAG_FINAL } tag_kind;

typedef struct server_call server_call;

/* What a completion-queue event is about: one per kind of operation on a call. */
typedef struct call_tag {
    server_call *call;
    tag_kind kind;
} call_tag;

typedef struct srv_delivery {
    ob_delivery base;
    server_call *call;
    struct srv_delivery *prev, *next; /* the call's unsettled deliveries */
    bool has_meta;
    char json[];
} srv_delivery;

struct server_call {
    ob_grpc_server_side *srv;
    call_kind kind;
    call_tag t_new, t_read, t_final;
    grpc_call *call;           /* NULL until a client's call matched the request */
    gpr_timespec deadline;
    grpc_metadata_array md;
    grpc_byte_buffer *payload; /* unary: the request; stream: the message just read */
    grpc_byte_buffer *reply;
    grpc_slice details;
    int cancelled;             /* RECV_CLOSE_ON_SERVER */
    grpc_status_code problem_code;
    char problem[300];         /* why the call is refused (not a record) */
    /* under srv->lock */
    int ops;                   /* batches of this call in flight */
    long stored, no_meta, failed;
    bool reading_done, answered, abandoned, finished;
    srv_delivery *unsettled;
    server_call *prev, *next;  /* srv->calls */
};

struct ob_grpc_server_side {
    grpc_server *server;
    grpc_completion_queue *cq;
    void *m_unary, *m_stream;
    ob_deliver_fn *deliver;
    void *deliver_arg;
    pthread_t thread;
    bool started, thread_started;
    int shutdown_tag; /* its address is the tag of the shutdown notification */
    pthread_mutex_t lock;
    server_call *calls; /* every call struct alive, requested ones too */
    int ops;            /* events still to come from the queue (requests + batches) */
    bool stopping, shut_down;
};

static void library_init(void)
{
    grpc_init();
}

/* ---- call structs ---- */

static server_call *call_new(ob_grpc_server_side *srv, call_kind kind)
{
    server_call *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->srv = srv;
    c->kind = kind;
    c->t_new = (call_tag){c, TAG_NEW};
    c->t_read = (call_tag){c, TAG_READ};
    c->t_final = (call_tag){c, TAG_FINAL};
    grpc_metadata_array_init(&c->md);
    c->details = grpc_empty_slice();
    c->reading_done = kind == CALL_UNARY;
    pthread_mutex_lock(&srv->lock);
    c->next = srv->calls;
    if (srv->calls)
        srv->calls->prev = c;
    srv->calls = c;
    pthread_mutex_unlock(&srv->lock);
    return c;
}

/* Frees a call struct and what it still holds; the caller holds srv->lock. */
static void call_free_locked(server_call *c)
{
    ob_grpc_server_side *srv = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    while (c->unsettled) {
        srv_delivery *d = c->unsettled;
        c->unsettled = d->next;
        free(d);
    }
    if (c->call)
        grpc_call_unref(c->call);
    grpc_metadata_array_destroy(&c->md);
    if (c->payload)
        grpc_byte_buffer_destroy(c->payload);
    if (c->reply)
        grpc_byte_buffer_destroy(c->reply);
    grpc_slice_unref(c->details);
    free(c);
}

static void call_free(server_call *c)
{
    ob_grpc_server_side *srv = c->srv;
    pthread_mutex_lock(&srv->lock);
    call_free_locked(c);
    pthread_mutex_unlock(&srv->lock);
}

/* Counts one more event to come for the call. */
static void ops_add(server_call *c, int n)
{
    pthread_mutex_lock(&c->srv->lock);
    c->ops += n;
    c->srv->ops += n;
    pthread_mutex_unlock(&c->srv->lock);
}

static grpc_call_error start_batch(server_call *c, const grpc_op *ops, size_t n, call_tag *tag)
{
    ops_add(c, 1);
    grpc_call_error rc = grpc_call_start_batch(c->call, ops, n, tag, NULL);
    if (rc != GRPC_CALL_OK) {
        ops_add(c, -1);
        fprintf(stderr, "outbreak: grpc: cannot start a batch on a call (error %d)\n", (int)rc);
    }
    return rc;
}

/* Asks gRPC for the next call of one method. */
static int request_call(ob_grpc_server_side *srv, call_kind kind)
{
    server_call *c = call_new(srv, kind);
    if (!c)
        return -1;
    ops_add(c, 1);
    grpc_call_error rc = grpc_server_request_registered_call(
        srv->server, kind == CALL_UNARY ? srv->m_unary : srv->m_stream, &c->call, &c->deadline,
        &c->md, kind == CALL_UNARY ? &c->payload : NULL, srv->cq, srv->cq, &c->t_new);
    if (rc != GRPC_CALL_OK) {
        ops_add(c, -1);
        call_free(c);
        return -1;
    }
    return 0;
}

/* ---- records in and answers out ---- */

static Infected__InfectedRequest *unpack_request(grpc_byte_buffer *bb)
{
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb))
        return NULL;
    grpc_slice s = grpc_byte_buffer_reader_readall(&r);
    grpc_byte_buffer_reader_destroy(&r);
    Infected__InfectedRequest *req =
        infected__infected_request__unpack(NULL, GRPC_SLICE_LENGTH(s), GRPC_SLICE_START_PTR(s));
    grpc_slice_unref(s);
    return req;
}

/* The record in one message as a delivery of call c, or NULL with c->problem set. */
static srv_delivery *delivery_from(server_call *c, grpc_byte_buffer *bb)
{
    Infected__InfectedRequest *req = bb ? unpack_request(bb) : NULL;
    ob_err err;
    int n = -1;
    srv_delivery *d = NULL;
    c->problem_code = GRPC_STATUS_INVALID_ARGUMENT;
    if (!req) {
        snprintf(c->problem, sizeof c->problem, "not an infected.InfectedRequest");
    } else if (!req->infected) {
        snprintf(c->problem, sizeof c->problem, "the request has no infected record");
    } else if (req->infected->pad.len > OB_PAD_MAX) {
        snprintf(c->problem, sizeof c->problem, "pad is too long (%zu bytes, at most %d)", req->infected->pad.len,
                 OB_PAD_MAX);
    } else {
        /* the record's JSON, its filler included, straight into the delivery */
        size_t cap = JSON_CAP + req->infected->pad.len;
        if (!(d = malloc(sizeof *d + cap))) {
            c->problem_code = GRPC_STATUS_RESOURCE_EXHAUSTED;
            snprintf(c->problem, sizeof c->problem, "out of memory");
        } else if ((n = ob_grpc_record_to_json(req->infected, d->json, cap, &err)) < 0) {
            snprintf(c->problem, sizeof c->problem, "%.250s", err.msg);
            free(d);
            d = NULL;
        }
    }
    if (d) {
        d->base = (ob_delivery){.data = d->json, .len = (size_t)n, .handle = d};
        d->call = c;
        d->prev = NULL;
        d->has_meta = req->infected->run && req->infected->run[0];
    }
    if (req)
        infected__infected_request__free_unpacked(req, NULL);
    return d;
}

static grpc_byte_buffer *pack(const ProtobufCMessage *m)
{
    grpc_slice s = grpc_slice_malloc(protobuf_c_message_get_packed_size(m));
    protobuf_c_message_pack(m, GRPC_SLICE_START_PTR(s));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    return bb;
}

/* The status of a call whose records are all settled (details into buf). */
static grpc_status_code final_status(const server_call *c, char *buf, size_t cap)
{
    long settled = c->stored + c->no_meta + c->failed;
    if (c->problem[0] && c->kind == CALL_STREAM)
        snprintf(buf, cap, "message %ld: %s (%ld records before it stored)", settled + 1,
                 c->problem, c->stored);
    else if (c->problem[0])
        snprintf(buf, cap, "%s", c->problem);
    else if (c->abandoned)
        snprintf(buf, cap, "the server is stopping");
    else if (c->failed && c->kind == CALL_UNARY)
        snprintf(buf, cap, "insert failed (or the sink is stopping)");
    else if (c->failed)
        snprintf(buf, cap, "%ld of %ld records not stored (insert failed, or the sink is stopping)",
                 c->failed, settled);
    else
        return GRPC_STATUS_OK;
    return c->problem[0] ? c->problem_code : GRPC_STATUS_UNAVAILABLE;
}

static grpc_byte_buffer *pack_reply(const server_call *c)
{
    char result[200];
    if (c->no_meta == 0)
        snprintf(result, sizeof result, "%s", RESULT_STORED);
    else if (c->kind == CALL_UNARY)
        snprintf(result, sizeof result, "%s", RESULT_NO_META);
    else
        snprintf(result, sizeof result, "%ld stored, %ld %s", c->stored, c->no_meta,
                 RESULT_NO_META);
    if (c->kind == CALL_UNARY) {
        Infected__InfectedResponse r = INFECTED__INFECTED_RESPONSE__INIT;
        r.result = result;
        return pack(&r.base);
    }
    Infected__InfectedStreamResponse r = INFECTED__INFECTED_STREAM_RESPONSE__INIT;
    r.result = result;
    r.count = c->stored;
    return pack(&r.base);
}

/* Sends the answer and the status and waits for the call's end (TAG_FINAL). Called
 * once, by whoever set c->answered; c's counters no longer change. */
static void answer(server_call *c)
{
    char details[512];
    grpc_op ops[4];
    size_t n = 0;
    memset(ops, 0, sizeof ops);
    grpc_status_code code = final_status(c, details, sizeof details);
    ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
    if (code == GRPC_STATUS_OK) {
        c->reply = pack_reply(c);
        ops[n].op = GRPC_OP_SEND_MESSAGE;
        ops[n++].data.send_message.send_message = c->reply;
    } else {
        c->details = grpc_slice_from_copied_string(details);
    }
    ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
    ops[n].data.send_status_from_server.status = code;
    ops[n++].data.send_status_from_server.status_details =
        code == GRPC_STATUS_OK ? NULL : &c->details;
    ops[n].op = GRPC_OP_RECV_CLOSE_ON_SERVER;
    ops[n++].data.recv_close_on_server.cancelled = &c->cancelled;
    if (start_batch(c, ops, n, &c->t_final) != GRPC_CALL_OK) {
        grpc_call_cancel(c->call, NULL);
        call_free(c); /* nothing of it is in flight */
    }
}

/* Whether the call is ready to be answered — the client is done sending (or the call is
 * refused) and every delivered record is settled (or given up) — and, if so, claims the
 * answer for the caller, who calls answer() after unlocking. */
static bool take_answer_locked(server_call *c)
{
    bool ready = !c->answered && c->reading_done && (!c->unsettled || c->abandoned);
    if (ready)
        c->answered = true; /* from now on c is only freed once answer()'s batch ends */
    return ready;
}

/* Hands a record to the sink; the call is not answered before it is settled. */
static void deliver(server_call *c, srv_delivery *d)
{
    pthread_mutex_lock(&c->srv->lock);
    d->next = c->unsettled;
    if (c->unsettled)
        c->unsettled->prev = d;
    c->unsettled = d;
    pthread_mutex_unlock(&c->srv->lock);
    c->srv->deliver(c->srv->deliver_arg, &d->base);
}

/* The client sent all it will (or the call is refused): answer if all is settled. */
static void reading_done(server_call *c)
{
    pthread_mutex_lock(&c->srv->lock);
    c->reading_done = true;
    bool ready = take_answer_locked(c);
    pthread_mutex_unlock(&c->srv->lock);
    if (ready)
        answer(c);
}

/* Reads the next message of a streaming call (TAG_READ). */
static void start_read(server_call *c)
{
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_MESSAGE;
    op.data.recv_message.recv_message = &c->payload;
    if (start_batch(c, &op, 1, &c->t_read) != GRPC_CALL_OK)
        reading_done(c);
}

/* ---- events ---- */

static void on_new_call(server_call *c, bool ok)
{
    ob_grpc_server_side *srv = c->srv;
    if (!ok) { /* the server is shutting down: the request is over */
        call_free(c);
        return;
    }
    pthread_mutex_lock(&srv->lock);
    bool stopping = srv->stopping;
    pthread_mutex_unlock(&srv->lock);
    if (!stopping && request_call(srv, c->kind) != 0)
        fprintf(stderr, "outbreak: grpc: cannot request another call\n");
    if (c->kind == CALL_STREAM) {
        start_read(c);
        return;
    }
    srv_delivery *d = delivery_from(c, c->payload);
    if (c->payload)
        grpc_byte_buffer_destroy(c->payload);
    c->payload = NULL;
    if (d)
        deliver(c, d);
    else
        reading_done(c);
}

static void on_read(server_call *c, bool ok)
{
    grpc_byte_buffer *bb = c->payload;
    c->payload = NULL;
    if (!ok || !bb) { /* the client half-closed (NULL) or the call ended (!ok) */
        if (bb)
            grpc_byte_buffer_destroy(bb);
        reading_done(c);
        return;
    }
    srv_delivery *d = delivery_from(c, bb);
    grpc_byte_buffer_destroy(bb);
    if (!d) {
        reading_done(c);
        return;
    }
    deliver(c, d);
    start_read(c);
}

/* The call's last batch completed: the call is over. Deliveries the server gave up on
 * keep their struct until they are settled or the adapter closes. */
static void on_final(server_call *c)
{
    ob_grpc_server_side *srv = c->srv;
    pthread_mutex_lock(&srv->lock);
    grpc_call_unref(c->call);
    c->call = NULL;
    c->finished = true;
    if (!c->unsettled)
        call_free_locked(c);
    pthread_mutex_unlock(&srv->lock);
}

static void on_event(ob_grpc_server_side *srv, void *tag, bool ok)
{
    if (tag == &srv->shutdown_tag) {
        pthread_mutex_lock(&srv->lock);
        srv->shut_down = true;
        pthread_mutex_unlock(&srv->lock);
        return;
    }
    call_tag *t = tag;
    ops_add(t->call, -1);
    switch (t->kind) {
    case TAG_NEW:
        on_new_call(t->call, ok);
        break;
    case TAG_READ:
        on_read(t->call, ok);
        break;
    case TAG_FINAL:
        on_final(t->call);
        break;
    }
}

/* While stopping: a call with nothing in flight that still waits for settlements would
 * keep the server from shutting down; it is answered UNAVAILABLE now. */
static void abandon_unsettled(ob_grpc_server_side *srv)
{
    for (;;) {
        server_call *found = NULL;
        pthread_mutex_lock(&srv->lock);
        for (server_call *c = srv->calls; c && !found; c = c->next)
            if (c->call && !c->answered && !c->ops && c->unsettled && c->reading_done)
                found = c;
        if (found)
            found->abandoned = true;
        bool ready = found && take_answer_locked(found);
        pthread_mutex_unlock(&srv->lock);
        if (!found)
            return;
        if (ready)
            answer(found);
    }
}

/* Runs the queue until the server has shut down and no event is left to come (when
 * stopping), or for ever. */
static void serve(ob_grpc_server_side *srv)
{
    for (;;) {
        gpr_timespec until = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                          gpr_time_from_millis(POLL_MS, GPR_TIMESPAN));
        grpc_event ev = grpc_completion_queue_next(srv->cq, until, NULL);
        if (ev.type == GRPC_QUEUE_SHUTDOWN)
            return;
        if (ev.type == GRPC_OP_COMPLETE)
            on_event(srv, ev.tag, ev.success != 0);
        pthread_mutex_lock(&srv->lock);
        bool stopping = srv->stopping, done = srv->shut_down && srv->ops == 0;
        pthread_mutex_unlock(&srv->lock);
        if (done)
            return;
        if (stopping)
            abandon_unsettled(srv);
    }
}

static void *serve_main(void *arg)
{
    serve(arg);
    return NULL;
}

/* ---- open ---- */

/* The whole of a (PEM) file, NUL-terminated, or NULL with err. */
static char *read_file(const char *path, const char *what, ob_err *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long len = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0)
        buf = malloc((size_t)len + 1);
    if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len) {
        buf[len] = '\0';
    } else {
        free(buf);
        buf = NULL;
        ob_err_setk(err, OB_ERR_USAGE, "grpc: cannot read the %s %s", what, path);
    }
    if (f)
        fclose(f);
    return buf;
}

static grpc_server_credentials *server_credentials(const ob_grpc_settings *s, ob_err *err)
{
    if (!s->tls)
        return grpc_insecure_server_credentials_create();
    if (!s->cert[0])
        return ob_err_setk(err, OB_ERR_USAGE, "grpc: a TLS server needs cert= and key= (PEM files)"), NULL;
    grpc_server_credentials *creds = NULL;
    char *cert = read_file(s->cert, "certificate", err);
    char *key = cert ? read_file(s->key, "key", err) : NULL;
    if (key) {
        grpc_ssl_pem_key_cert_pair pair = {.private_key = key, .cert_chain = cert};
        creds = grpc_ssl_server_credentials_create(NULL, &pair, 1, 0, NULL);
        if (!creds)
            ob_err_setk(err, OB_ERR_USAGE, "grpc: cannot use the certificate %s with the key %s", s->cert,
                        s->key);
    }
    free(cert);
    free(key);
    return creds;
}

/* Binds the address; 0 or -1 with err. */
static int listen_on(ob_grpc_server_side *srv, const ob_grpc_settings *s, ob_err *err)
{
    grpc_server_credentials *creds = server_credentials(s, err);
    if (!creds)
        return -1;
    int port = grpc_server_add_http2_port(srv->server, s->target, creds);
    grpc_server_credentials_release(creds);
    if (port == 0)
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "grpc: cannot listen on %s (in use?)", s->target);
    return 0;
}

int ob_grpc_server_open(ob_grpc_broker *gb, ob_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, library_init);
    ob_grpc_server_side *srv = calloc(1, sizeof *srv);
    if (!srv)
        return ob_err_set(err, "grpc: out of memory");
    pthread_mutex_init(&srv->lock, NULL);
    gb->server = srv;
    grpc_arg no_reuseport = {.type = GRPC_ARG_INTEGER,
                             .key = GRPC_ARG_ALLOW_REUSEPORT,
                             .value.integer = 0};
    grpc_channel_args args = {.num_args = 1, .args = &no_reuseport};
    srv->server = grpc_server_create(&args, NULL);
    srv->cq = grpc_completion_queue_create_for_next(NULL);
    grpc_server_register_completion_queue(srv->server, srv->cq, NULL);
    srv->m_unary = grpc_server_register_method(srv->server, OB_GRPC_METHOD_UNARY, NULL,
                                               GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER, 0);
    srv->m_stream = grpc_server_register_method(srv->server, OB_GRPC_METHOD_STREAM, NULL,
                                                GRPC_SRM_PAYLOAD_NONE, 0);
    if (!srv->m_unary || !srv->m_stream)
        return ob_err_set(err, "grpc: cannot register the methods");
    if (listen_on(srv, &gb->s, err) != 0)
        return -1;
    grpc_server_start(srv->server);
    srv->started = true;
    if (pthread_create(&srv->thread, NULL, serve_main, srv) != 0)
        return ob_err_set(err, "grpc: cannot start the serving thread");
    srv->thread_started = true;
    return 0;
}

/* ---- the vtable's subscriber entries ---- */

int ob_grpc_server_subscribe(ob_broker *b, ob_deliver_fn *deliver_fn, void *arg, ob_err *err)
{
    ob_grpc_server_side *srv = ((ob_grpc_broker *)b)->server;
    srv->deliver = deliver_fn; /* before any call is requested: nothing is delivered before */
    srv->deliver_arg = arg;
    int requested = 0;
    for (int i = 0; i < UNARY_REQUESTS; i++)
        requested += request_call(srv, CALL_UNARY) == 0;
    for (int i = 0; i < STREAM_REQUESTS; i++)
        requested += request_call(srv, CALL_STREAM) == 0;
    if (requested == 0)
        return ob_err_set(err, "grpc: cannot request calls on %s", ((ob_grpc_broker *)b)->s.target);
    if (requested < UNARY_REQUESTS + STREAM_REQUESTS)
        fprintf(stderr, "outbreak: grpc: only %d calls could be requested\n", requested);
    return 0;
}

void ob_grpc_server_settle(ob_broker *b, ob_delivery *d, bool ok)
{
    ob_grpc_server_side *srv = ((ob_grpc_broker *)b)->server;
    srv_delivery *sd = d->handle;
    server_call *c = sd->call;
    pthread_mutex_lock(&srv->lock);
    if (sd->prev)
        sd->prev->next = sd->next;
    else
        c->unsettled = sd->next;
    if (sd->next)
        sd->next->prev = sd->prev;
    if (!ok)
        c->failed++;
    else if (sd->has_meta)
        c->stored++;
    else
        c->no_meta++;
    bool ready = false;
    if (c->finished && !c->unsettled) /* given up on while stopping; the call is over */
        call_free_locked(c);
    else if (!c->finished)
        ready = take_answer_locked(c);
    pthread_mutex_unlock(&srv->lock);
    free(sd);
    if (ready)
        answer(c);
}

/* Shuts the server down and runs the queue (on the serving thread, or here if there is
 * none) until every call has ended. */
static void stop_server(ob_grpc_server_side *srv)
{
    pthread_mutex_lock(&srv->lock);
    srv->stopping = true;
    pthread_mutex_unlock(&srv->lock);
    grpc_server_shutdown_and_notify(srv->server, srv->cq, &srv->shutdown_tag);
    grpc_server_cancel_all_calls(srv->server);
    if (srv->thread_started)
        pthread_join(srv->thread, NULL);
    else
        serve(srv);
}

void ob_grpc_server_close(ob_grpc_broker *gb)
{
    ob_grpc_server_side *srv = gb->server;
    if (!srv)
        return;
    if (srv->started)
        stop_server(srv);
    if (srv->server)
        grpc_server_destroy(srv->server); /* one never started needs no shutdown */
    if (srv->cq) {
        grpc_completion_queue_shutdown(srv->cq);
        while (grpc_completion_queue_next(srv->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
               GRPC_QUEUE_SHUTDOWN) {
        }
        grpc_completion_queue_destroy(srv->cq);
    }
    pthread_mutex_lock(&srv->lock);
    while (srv->calls) /* calls over whose deliveries were never settled */
        call_free_locked(srv->calls);
    pthread_mutex_unlock(&srv->lock);
    pthread_mutex_destroy(&srv->lock);
    free(srv);
    gb->server = NULL;
}
