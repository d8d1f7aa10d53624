/* ob_grpc_client.c — the gRPC publisher (see grpc.h): a client on gRPC's C core driven by
 * one completion queue that belongs to the publishing thread.
 *
 * Acked means: the server answered the call with status OK and a response. For
 * outbreak's own server (grpc_server.c) that is after the MongoDB insert, so acked means
 * persisted; for another server it means whatever its response means.
 *
 * Unary mode (default): one call of infected.InfectedService/Infected per record, all of
 * its ops in one batch; at most `inflight` calls in flight, and a publish waits (serving
 * the queue) while the window is full. Stream mode (?mode=stream): records go out on a
 * client-streaming InfectedStream call as they are published, one SEND_MESSAGE at a time
 * (the C core allows one outstanding per call; each completion starts the next); the
 * call is closed once it holds `stream_batch` records or its first is `linger` ms old,
 * and its InfectedStreamResponse answers all of its records at once: acked if its count
 * equals the records sent, failed otherwise. At most `inflight` streaming calls.
 *
 * Every call has the deadline `deadline` ms from its start; a call that fails (status not
 * OK, deadline exceeded, connection lost) fails its records with the reason. on_ack runs
 * on the publishing thread only: from publish (answers that are ready, without waiting),
 * poll (waiting until the caller's deadline, or a streaming call's linger) and flush. */
#include "grpc.h"

#include <grpc/byte_buffer.h>
#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

typedef enum tag_kind { TAG_SEND, TAG_FINISH, TAG_WATCH } tag_kind;

typedef struct gcall gcall;

/* What a completion is about: one of a call's two kinds of batches, or a channel's
 * connectivity watch (then `call` is NULL and the tag is a channel_watch's). */
typedef struct call_tag {
    tag_kind kind;
    gcall *call;
} call_tag;

/* A channel that is not READY is watched from the publisher's completion queue: a call
 * that fails at once while the channel is down (gRPC's fail-fast) puts nothing on the
 * queue that polls the channel's connection attempt, so the HTTP/2 handshake with a
 * server that is back would wait for gRPC's backup poller (every 5 s); a watch makes
 * the queue poll it, and the channel is READY as soon as the server answers. */
typedef struct channel_watch {
    call_tag tag; /* first: the completion's tag */
    long index;   /* the channel's */
    bool armed;   /* a watch is on the queue */
} channel_watch;

/* One record on a call: its token and, until its SEND_MESSAGE completes (stream mode),
 * its message. */
typedef struct slot {
    uint64_t token;
    grpc_byte_buffer *msg;
} slot;

/* One call in flight. */
struct gcall {
    grpc_call *call;
    long channel; /* the index of its channel */
    gcall *prev, *next;
    call_tag send_tag, finish_tag;
    slot one;             /* a unary call's record */
    slot *slots;          /* &one, or a streaming call's growing array */
    size_t n, cap, nsent; /* records on the call, slots allocated, sends completed */
    int64_t first_ns;     /* when its first record came (linger) */
    bool stream, sending, sealed, finishing, cancelled;
    grpc_metadata_array initial_md, trailing_md;
    grpc_byte_buffer *response;
    grpc_status_code status;
    grpc_slice details;
    const char *error_string;
};

struct ob_grpc_client {
    grpc_completion_queue *cq;
    grpc_channel **channels;
    long nchannels, next_channel;
    channel_watch *watches; /* one per channel */
    long nwatches;          /* armed */
    gcall *calls;   /* in flight */
    long ncalls;
    gcall *filling; /* stream mode: the call taking records */
    bool closing;   /* close: completions free calls without answering */
};

static const char *const status_names[] = {
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
};

static const char *status_name(grpc_status_code st)
{
    return st >= 0 && (size_t)st < sizeof status_names / sizeof *status_names ? status_names[st]
                                                                              : "UNKNOWN_STATUS";
}

static const char *state_name(grpc_connectivity_state st)
{
    static const char *const names[] = {"IDLE", "CONNECTING", "READY", "TRANSIENT_FAILURE",
                                        "SHUTDOWN"};
    return st >= 0 && st <= GRPC_CHANNEL_SHUTDOWN ? names[st] : "UNKNOWN";
}

/* A gRPC deadline for the monotonic instant `mono_ns` (relative to now, so that it does
 * not depend on the epoch of gRPC's monotonic clock). */
static gpr_timespec deadline_at(int64_t mono_ns)
{
    int64_t left = mono_ns - ob_mono_ns();
    gpr_timespec now = gpr_now(GPR_CLOCK_MONOTONIC);
    return gpr_time_add(now, gpr_time_from_nanos(left > 0 ? left : 0, GPR_TIMESPAN));
}

/* --- calls ------------------------------------------------------------------------------ */

static void call_free(gcall *c)
{
    for (size_t i = c->nsent; i < c->n; i++)
        if (c->slots[i].msg)
            grpc_byte_buffer_destroy(c->slots[i].msg);
    if (c->slots != &c->one)
        free(c->slots);
    if (c->call)
        grpc_call_unref(c->call);
    grpc_metadata_array_destroy(&c->initial_md);
    grpc_metadata_array_destroy(&c->trailing_md);
    if (c->response)
        grpc_byte_buffer_destroy(c->response);
    grpc_slice_unref(c->details);
    gpr_free((void *)c->error_string);
    free(c);
}

static void call_unlink(ob_grpc_client *cl, gcall *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        cl->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
    cl->ncalls--;
    if (cl->filling == c)
        cl->filling = NULL;
}

/* Starts a call of `method` on the next channel, in the in-flight list. */
static gcall *call_start(ob_grpc_broker *gb, const char *method, bool stream, ob_err *err)
{
    ob_grpc_client *cl = gb->client;
    gcall *c = calloc(1, sizeof *c);
    if (!c) {
        ob_err_set(err, "grpc: out of memory");
        return NULL;
    }
    c->channel = cl->next_channel;
    grpc_channel *ch = cl->channels[cl->next_channel];
    cl->next_channel = (cl->next_channel + 1) % cl->nchannels;
    gpr_timespec deadline = deadline_at(ob_mono_ns() + gb->s.deadline_ms * OB_NS_PER_MS);
    c->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, cl->cq,
                                       grpc_slice_from_static_string(method), NULL, deadline, NULL);
    c->details = grpc_empty_slice();
    grpc_metadata_array_init(&c->initial_md);
    grpc_metadata_array_init(&c->trailing_md);
    c->send_tag = (call_tag){TAG_SEND, c};
    c->finish_tag = (call_tag){TAG_FINISH, c};
    c->slots = &c->one;
    c->cap = 1;
    c->stream = stream;
    if (!c->call) {
        call_free(c);
        ob_err_set(err, "grpc: cannot create a call to %s", gb->s.target);
        return NULL;
    }
    c->next = cl->calls;
    if (cl->calls)
        cl->calls->prev = c;
    cl->calls = c;
    cl->ncalls++;
    return c;
}

/* The record as an InfectedRequest in a byte buffer, or NULL (err). */
static grpc_byte_buffer *request_message(const ob_msg *m, ob_err *err)
{
    ob_record r;
    ob_meta meta;
    Infected__Infected inf;
    if (ob_grpc_record_from_json(m->data, m->len, &r, &meta, &inf, err) != 0)
        return NULL;
    Infected__InfectedRequest req = INFECTED__INFECTED_REQUEST__INIT;
    req.infected = &inf;
    /* packed straight into the message's own buffer, whatever the record's size */
    grpc_slice slice = grpc_slice_malloc(infected__infected_request__get_packed_size(&req));
    infected__infected_request__pack(&req, GRPC_SLICE_START_PTR(slice));
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&slice, 1);
    grpc_slice_unref(slice);
    return bb;
}

/* Appends the ops that close the call and receive the answer to ops[]; returns how many. */
static size_t finish_ops(gcall *c, grpc_op *ops)
{
    memset(ops, 0, 4 * sizeof *ops);
    ops[0].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
    ops[1].op = GRPC_OP_RECV_INITIAL_METADATA;
    ops[1].data.recv_initial_metadata.recv_initial_metadata = &c->initial_md;
    ops[2].op = GRPC_OP_RECV_MESSAGE;
    ops[2].data.recv_message.recv_message = &c->response;
    ops[3].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    ops[3].data.recv_status_on_client.trailing_metadata = &c->trailing_md;
    ops[3].data.recv_status_on_client.status = &c->status;
    ops[3].data.recv_status_on_client.status_details = &c->details;
    ops[3].data.recv_status_on_client.error_string = &c->error_string;
    return 4;
}

/* --- answers ---------------------------------------------------------------------------- */

/* The count in an InfectedStreamResponse, or -1 if it is not one. */
static long stream_response_count(grpc_byte_buffer *bb)
{
    grpc_byte_buffer_reader rd;
    if (!grpc_byte_buffer_reader_init(&rd, bb))
        return -1;
    grpc_slice all = grpc_byte_buffer_reader_readall(&rd);
    grpc_byte_buffer_reader_destroy(&rd);
    Infected__InfectedStreamResponse *resp = infected__infected_stream_response__unpack(
        NULL, GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
    grpc_slice_unref(all);
    if (!resp)
        return -1;
    long count = (long)resp->count;
    infected__infected_stream_response__free_unpacked(resp, NULL);
    return count;
}

/* Why a finished call failed, or NULL if it succeeded. */
static const char *call_failure(const ob_grpc_broker *gb, const gcall *c, char *why, size_t cap)
{
    if (c->cancelled)
        return "grpc: no response before the timeout";
    if (c->status == GRPC_STATUS_DEADLINE_EXCEEDED) {
        snprintf(why, cap, "grpc: deadline exceeded (%ld ms)", gb->s.deadline_ms);
        return why;
    }
    if (c->status != GRPC_STATUS_OK) {
        char *details = grpc_slice_to_c_string(c->details);
        snprintf(why, cap, "grpc: %s %s", status_name(c->status), details);
        gpr_free(details);
        return why;
    }
    if (!c->response)
        return "grpc: status OK without a response";
    if (c->stream) {
        long count = stream_response_count(c->response);
        if (count != (long)c->n) {
            snprintf(why, cap, "grpc: the server stored %ld of the %zu records of the streaming call",
                     count, c->n);
            return why;
        }
    }
    return NULL;
}

/* Watches channel `i` until its state changes (or WATCH_NS passes), unless it is READY
 * or watched already; a channel that is IDLE is asked to connect. */
#define WATCH_NS OB_NS_PER_S
static void watch_channel(ob_grpc_client *cl, long i)
{
    channel_watch *w = &cl->watches[i];
    if (w->armed || cl->closing)
        return;
    grpc_connectivity_state st = grpc_channel_check_connectivity_state(cl->channels[i], 1);
    if (st == GRPC_CHANNEL_READY || st == GRPC_CHANNEL_SHUTDOWN)
        return;
    grpc_channel_watch_connectivity_state(cl->channels[i], st, deadline_at(ob_mono_ns() + WATCH_NS),
                                          cl->cq, &w->tag);
    w->armed = true;
    cl->nwatches++;
}

/* A watch ended (the state changed, or its time passed): watch again until READY. */
static void watch_ended(ob_grpc_client *cl, channel_watch *w)
{
    w->armed = false;
    cl->nwatches--;
    watch_channel(cl, w->index);
}

/* Answers every record of a finished call and frees it. */
static void call_finished(ob_grpc_broker *gb, gcall *c, int64_t now)
{
    ob_grpc_client *cl = gb->client;
    call_unlink(cl, c);
    if (!cl->closing) {
        char buf[600];
        const char *why = call_failure(gb, c, buf, sizeof buf);
        if (why && c->status == GRPC_STATUS_UNAVAILABLE)
            watch_channel(cl, c->channel);
        for (size_t i = 0; i < c->n; i++)
            gb->base.on_ack(gb->base.ack_arg, c->slots[i].token, why == NULL, why, now);
    }
    call_free(c);
}

/* A batch could not even start: the call's records fail now. */
static void call_broken(ob_grpc_broker *gb, gcall *c, grpc_call_error e)
{
    grpc_call_cancel(c->call, NULL);
    c->status = GRPC_STATUS_INTERNAL;
    grpc_slice_unref(c->details);
    char text[64];
    snprintf(text, sizeof text, "grpc_call_start_batch failed (%d)", (int)e);
    c->details = grpc_slice_from_copied_string(text);
    call_finished(gb, c, ob_mono_ns());
}

/* --- streaming calls -------------------------------------------------------------------- */

/* Stream mode: starts the next SEND_MESSAGE, or once the call is sealed and every send
 * is done, the batch that closes it and receives the answer. */
static void stream_pump(ob_grpc_broker *gb, gcall *c)
{
    if (c->sending || c->finishing)
        return;
    grpc_op ops[5];
    memset(ops, 0, sizeof ops);
    if (c->nsent < c->n) {
        size_t k = 0;
        if (c->nsent == 0)
            ops[k++].op = GRPC_OP_SEND_INITIAL_METADATA;
        ops[k].op = GRPC_OP_SEND_MESSAGE;
        ops[k++].data.send_message.send_message = c->slots[c->nsent].msg;
        grpc_call_error e = grpc_call_start_batch(c->call, ops, k, &c->send_tag, NULL);
        if (e != GRPC_CALL_OK)
            call_broken(gb, c, e);
        else
            c->sending = true;
        return;
    }
    if (!c->sealed)
        return;
    c->finishing = true;
    size_t k = 0;
    if (c->nsent == 0) /* no record went (cannot happen: a call starts with one) */
        ops[k++].op = GRPC_OP_SEND_INITIAL_METADATA;
    k += finish_ops(c, ops + k);
    grpc_call_error e = grpc_call_start_batch(c->call, ops, k, &c->finish_tag, NULL);
    if (e != GRPC_CALL_OK)
        call_broken(gb, c, e);
}

/* No more records on the call: it closes once its sends are done. */
static void stream_seal(ob_grpc_broker *gb, gcall *c)
{
    c->sealed = true;
    if (gb->client->filling == c)
        gb->client->filling = NULL;
    stream_pump(gb, c);
}

/* A SEND_MESSAGE completed: the next one, or after a failed one (the call is over)
 * straight to the answer, which says why. */
static void stream_sent(ob_grpc_broker *gb, gcall *c, bool ok)
{
    c->sending = false;
    grpc_byte_buffer_destroy(c->slots[c->nsent].msg);
    c->slots[c->nsent].msg = NULL;
    c->nsent++;
    if (!ok) {
        for (size_t i = c->nsent; i < c->n; i++) {
            grpc_byte_buffer_destroy(c->slots[i].msg);
            c->slots[i].msg = NULL;
        }
        c->nsent = c->n;
        c->sealed = true;
        if (gb->client->filling == c)
            gb->client->filling = NULL;
    }
    stream_pump(gb, c); /* may free c */
}

static void stream_linger_check(ob_grpc_broker *gb, int64_t now)
{
    gcall *c = gb->client->filling;
    if (c && now - c->first_ns >= gb->s.linger_ms * OB_NS_PER_MS)
        stream_seal(gb, c);
}

static int stream_add(gcall *c, uint64_t token, grpc_byte_buffer *msg)
{
    if (c->n == c->cap) {
        size_t cap = c->cap < 16 ? 16 : c->cap * 2;
        slot *s = malloc(cap * sizeof *s);
        if (!s)
            return -1;
        memcpy(s, c->slots, c->n * sizeof *s);
        if (c->slots != &c->one)
            free(c->slots);
        c->slots = s;
        c->cap = cap;
    }
    c->slots[c->n++] = (slot){token, msg};
    return 0;
}

/* --- the completion queue --------------------------------------------------------------- */

static void handle_event(ob_grpc_broker *gb, const grpc_event *ev, int64_t now)
{
    call_tag *t = ev->tag;
    if (t->kind == TAG_WATCH)
        watch_ended(gb->client, (channel_watch *)t);
    else if (t->kind == TAG_SEND)
        stream_sent(gb, t->call, ev->success != 0);
    else
        call_finished(gb, t->call, now);
}

/* Handles the completions that are ready; waits for the first one until `until`
 * (monotonic ns; 0 = do not wait). One clock reading per batch. Returns how many. */
static int serve(ob_grpc_broker *gb, int64_t until)
{
    ob_grpc_client *cl = gb->client;
    int n = 0;
    int64_t now = 0;
    for (;;) {
        gpr_timespec dl = n == 0 && until > 0 ? deadline_at(until) : gpr_inf_past(GPR_CLOCK_MONOTONIC);
        grpc_event ev = grpc_completion_queue_next(cl->cq, dl, NULL);
        if (ev.type != GRPC_OP_COMPLETE)
            break;
        if (n++ == 0)
            now = ob_mono_ns();
        handle_event(gb, &ev, now);
    }
    return n;
}

/* Waits (serving the queue) while `inflight` calls are in flight. */
static void wait_for_window(ob_grpc_broker *gb)
{
    while (gb->client->ncalls >= gb->s.inflight)
        serve(gb, ob_mono_ns() + 100 * OB_NS_PER_MS);
}

/* --- the adapter ------------------------------------------------------------------------ */

static int publish_unary(ob_grpc_broker *gb, const ob_msg *m, grpc_byte_buffer *msg, ob_err *err)
{
    wait_for_window(gb);
    gcall *c = call_start(gb, OB_GRPC_METHOD_UNARY, false, err);
    if (!c) {
        grpc_byte_buffer_destroy(msg);
        return -1;
    }
    c->one = (slot){m->token, NULL};
    c->n = 1;
    grpc_op ops[6];
    memset(ops, 0, 2 * sizeof *ops);
    ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
    ops[1].op = GRPC_OP_SEND_MESSAGE;
    ops[1].data.send_message.send_message = msg;
    size_t k = 2 + finish_ops(c, ops + 2);
    grpc_call_error e = grpc_call_start_batch(c->call, ops, k, &c->finish_tag, NULL);
    grpc_byte_buffer_destroy(msg); /* the batch took its own reference to the slices */
    if (e != GRPC_CALL_OK) {
        call_unlink(gb->client, c);
        call_free(c);
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "grpc: cannot start a call to %s (error %d)", gb->s.target, (int)e);
    }
    return 0;
}

static int publish_stream(ob_grpc_broker *gb, const ob_msg *m, grpc_byte_buffer *msg, ob_err *err)
{
    ob_grpc_client *cl = gb->client;
    stream_linger_check(gb, ob_mono_ns());
    if (!cl->filling) {
        wait_for_window(gb);
        cl->filling = call_start(gb, OB_GRPC_METHOD_STREAM, true, err);
        if (!cl->filling) {
            grpc_byte_buffer_destroy(msg);
            return -1;
        }
        cl->filling->first_ns = ob_mono_ns();
    }
    gcall *c = cl->filling;
    if (stream_add(c, m->token, msg) != 0) {
        grpc_byte_buffer_destroy(msg);
        return ob_err_set(err, "grpc: out of memory");
    }
    if (c->n >= (size_t)gb->s.stream_batch)
        stream_seal(gb, c);
    else
        stream_pump(gb, c);
    stream_linger_check(gb, ob_mono_ns());
    return 0;
}

int ob_grpc_client_publish(ob_broker *b, const ob_msg *m, ob_err *err)
{
    ob_grpc_broker *gb = (ob_grpc_broker *)b;
    grpc_byte_buffer *msg = request_message(m, err);
    if (!msg)
        return -1;
    int rc = gb->s.stream ? publish_stream(gb, m, msg, err) : publish_unary(gb, m, msg, err);
    serve(gb, 0); /* answers that have arrived, without waiting */
    return rc;
}

bool ob_grpc_client_poll(ob_broker *b, int64_t until_mono)
{
    ob_grpc_broker *gb = (ob_grpc_broker *)b;
    ob_grpc_client *cl = gb->client;
    stream_linger_check(gb, ob_mono_ns());
    if (cl->ncalls == 0 && cl->nwatches == 0)
        return false;
    if (cl->filling) {
        int64_t linger_end = cl->filling->first_ns + gb->s.linger_ms * OB_NS_PER_MS;
        if (linger_end < until_mono)
            until_mono = linger_end;
    }
    serve(gb, until_mono);
    stream_linger_check(gb, ob_mono_ns());
    return true;
}

int ob_grpc_client_flush(ob_broker *b, int timeout_ms)
{
    ob_grpc_broker *gb = (ob_grpc_broker *)b;
    ob_grpc_client *cl = gb->client;
    if (gb->base.role != OB_ROLE_PUBLISHER || !cl)
        return 0;
    if (cl->filling)
        stream_seal(gb, cl->filling);
    int64_t deadline = ob_mono_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 1) * OB_NS_PER_MS;
    while (cl->ncalls > 0 && ob_mono_ns() < deadline)
        serve(gb, deadline);
    /* what is left is cancelled and fails as "no response before the timeout" */
    int failed = 0;
    for (gcall *c = cl->calls; c; c = c->next) {
        c->cancelled = true;
        failed += (int)c->n;
        grpc_call_cancel(c->call, NULL);
    }
    int64_t give_up = ob_mono_ns() + 5 * OB_NS_PER_S; /* cancelled calls end at once */
    while (cl->ncalls > 0 && ob_mono_ns() < give_up)
        serve(gb, give_up);
    return failed;
}

/* --- open and close --------------------------------------------------------------------- */

/* Reads a PEM file into a NUL-terminated string (free it), or NULL (err). */
static char *read_pem(const char *path, ob_err *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = '\0';
        fclose(f);
        return buf;
    }
    free(buf);
    if (f)
        fclose(f);
    ob_err_setk(err, OB_ERR_USAGE, "grpc: cannot read the CA certificates in %s", path);
    return NULL;
}

static grpc_channel_credentials *channel_credentials(const ob_grpc_settings *s, ob_err *err)
{
    if (!s->tls)
        return grpc_insecure_credentials_create();
    char *roots = NULL;
    if (s->cacert[0] && !(roots = read_pem(s->cacert, err)))
        return NULL;
    grpc_channel_credentials *creds = grpc_ssl_credentials_create(roots, NULL, NULL, NULL);
    free(roots);
    if (!creds)
        ob_err_set(err, "grpc: cannot set up TLS for %s", s->target);
    return creds;
}

/* Waits until the channel is READY, or fails at `until` (monotonic ns) naming the
 * target and the channel's last state. */
static int wait_ready(ob_grpc_broker *gb, grpc_channel *ch, int64_t until, ob_err *err)
{
    ob_grpc_client *cl = gb->client;
    grpc_connectivity_state st = grpc_channel_check_connectivity_state(ch, 1);
    bool failed = false; /* an attempt failed (refused, reset): unavailable, not a timeout */
    while (st != GRPC_CHANNEL_READY && st != GRPC_CHANNEL_SHUTDOWN && ob_mono_ns() < until) {
        int watch_tag;
        grpc_channel_watch_connectivity_state(ch, st, deadline_at(until), cl->cq, &watch_tag);
        grpc_event ev;
        do /* the only thing on the queue yet */
            ev = grpc_completion_queue_next(cl->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL);
        while (ev.type != GRPC_OP_COMPLETE || ev.tag != &watch_tag);
        if (!ev.success)
            break; /* the deadline */
        st = grpc_channel_check_connectivity_state(ch, 1);
        failed |= st == GRPC_CHANNEL_TRANSIENT_FAILURE;
    }
    if (st == GRPC_CHANNEL_READY)
        return 0;
    failed |= st == GRPC_CHANNEL_TRANSIENT_FAILURE || st == GRPC_CHANNEL_SHUTDOWN;
    return ob_err_setk(err, failed ? OB_ERR_UNAVAILABLE : OB_ERR_TIMEOUT,
                       "grpc: cannot connect to %s within %d ms (%s)", gb->s.target,
                       gb->s.connect_timeout_ms, state_name(st));
}

int ob_grpc_client_open(ob_grpc_broker *gb, ob_err *err)
{
    const ob_grpc_settings *s = &gb->s;
    grpc_init(); /* reference-counted; ob_grpc_client_close calls grpc_shutdown */
    ob_grpc_client *cl = gb->client = calloc(1, sizeof *cl);
    if (!cl) {
        grpc_shutdown();
        return ob_err_set(err, "grpc: out of memory");
    }
    cl->cq = grpc_completion_queue_create_for_next(NULL);
    cl->channels = calloc((size_t)s->channels, sizeof *cl->channels);
    cl->watches = calloc((size_t)s->channels, sizeof *cl->watches);
    if (!cl->cq || !cl->channels || !cl->watches) {
        ob_err_set(err, "grpc: out of memory");
        goto fail;
    }
    grpc_channel_credentials *creds = channel_credentials(s, err);
    if (!creds)
        goto fail;
    /* a connection of its own per channel (without the local pool, channels with the
     * same arguments share one subchannel, one TCP connection); while the server is
     * away, a new attempt every 250 ms at most, as the NATS adapter's reconnect wait
     * (gRPC's default backs off to 2 minutes; with a second, a server back in the
     * middle of a run was called again up to a second later, every call meanwhile a
     * failure); its "min backoff" is each attempt's time limit, so 1 s and not less, or
     * a slow handshake is cut short */
    grpc_arg arg[] = {
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, .value.integer = 1},
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, .value.integer = 100},
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, .value.integer = 1000},
        {.type = GRPC_ARG_INTEGER, .key = GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, .value.integer = 250},
    };
    grpc_channel_args args = {.num_args = sizeof arg / sizeof *arg, .args = arg};
    for (long i = 0; i < s->channels; i++) {
        cl->channels[i] = grpc_channel_create(s->target, creds, &args);
        cl->watches[i] = (channel_watch){.tag = {TAG_WATCH, NULL}, .index = i};
        cl->nchannels++;
    }
    grpc_channel_credentials_release(creds);
    int64_t until = ob_mono_ns() + (int64_t)s->connect_timeout_ms * OB_NS_PER_MS;
    for (long i = 0; i < cl->nchannels; i++)
        if (wait_ready(gb, cl->channels[i], until, err) != 0)
            goto fail;
    return 0;
fail:
    /* grpc_close (grpc.c) calls ob_grpc_client_close */
    return -1;
}

void ob_grpc_client_close(ob_grpc_broker *gb)
{
    ob_grpc_client *cl = gb->client;
    if (!cl)
        return;
    /* calls still in flight end here unanswered (flush answers them first) */
    cl->closing = true;
    for (gcall *c = cl->calls; c; c = c->next)
        grpc_call_cancel(c->call, NULL);
    if (cl->cq)
        while (cl->ncalls > 0)
            serve(gb, ob_mono_ns() + OB_NS_PER_S);
    /* a destroyed channel ends its watch at once (SHUTDOWN), before the queue's shutdown */
    for (long i = 0; i < cl->nchannels; i++)
        grpc_channel_destroy(cl->channels[i]);
    if (cl->cq) {
        grpc_completion_queue_shutdown(cl->cq);
        while (grpc_completion_queue_next(cl->cq, gpr_inf_future(GPR_CLOCK_MONOTONIC), NULL).type !=
               GRPC_QUEUE_SHUTDOWN)
            ;
        grpc_completion_queue_destroy(cl->cq);
    }
    free(cl->channels);
    free(cl->watches);
    free(cl);
    gb->client = NULL;
    grpc_shutdown();
}
