/* grpc.c — the gRPC adapter (gRPC's C core, protobuf-c):
 *
 *   grpc://host:50051[?options]     grpcs://... (or ?tls=1) for TLS
 *
 * Publisher (`outbreak run`): calls infected.InfectedService/Infected (unary, N in
 * flight) or InfectedStream (client streaming, many records per call); the response is
 * the ack. Subscriber (`outbreak sink --broker grpc://0.0.0.0:50051`): a gRPC server for
 * both methods whose responses go out after the MongoDB insert, so a gRPC publish ack
 * means persisted. The options are in docs/brokers/grpc.md; the parts live in
 * ob_grpc_client.c and grpc_server.c (see grpc.h). */
#include "grpc.h"

#include <grpc/support/log.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const grpc_params[] = {
    "mode", "inflight", "stream_batch", "linger", "deadline", "channels",
    "tls", "cacert", "cert", "key", NULL,
};

static int copy_opt(const ob_url *url, const char *key, char *dst, size_t cap, ob_err *err)
{
    const char *v = ob_url_param_str(url, key, "");
    if (strlen(v) >= cap)
        return ob_err_set(err, "grpc: option %s is too long", key);
    memcpy(dst, v, strlen(v) + 1);
    return 0;
}

int ob_grpc_settings_parse(ob_grpc_settings *s, const ob_url *url, ob_err *err)
{
    memset(s, 0, sizeof *s);
    ob_url_hostport(url, 50051, s->target, sizeof s->target);
    const char *mode = ob_url_param_str(url, "mode", "unary");
    if (strcmp(mode, "unary") != 0 && strcmp(mode, "stream") != 0)
        return ob_err_set(err, "grpc: option mode must be unary or stream, not \"%s\"", mode);
    s->stream = strcmp(mode, "stream") == 0;
    s->tls = strcmp(url->scheme, "grpcs") == 0;
    if (ob_url_param_bool(url, "tls", s->tls, &s->tls, err) ||
        ob_url_param_int(url, "inflight", 512, 1, 100000, &s->inflight, err) ||
        ob_url_param_int(url, "stream_batch", 1000, 1, 1000000, &s->stream_batch, err) ||
        ob_url_param_int(url, "linger", 5, 0, 60000, &s->linger_ms, err) ||
        ob_url_param_int(url, "deadline", 5000, 1, 3600000, &s->deadline_ms, err) ||
        ob_url_param_int(url, "channels", 1, 1, 64, &s->channels, err) ||
        copy_opt(url, "cacert", s->cacert, sizeof s->cacert, err) ||
        copy_opt(url, "cert", s->cert, sizeof s->cert, err) ||
        copy_opt(url, "key", s->key, sizeof s->key, err))
        return -1;
    if (!s->cert[0] != !s->key[0])
        return ob_err_set(err, "grpc: cert and key go together");
    s->connect_timeout_ms = 3000;
    return 0;
}

/* OB_PAD_MAX bytes of 'x': the filler every padded message points at (written once). */
static uint8_t filler[OB_PAD_MAX];
static pthread_once_t filler_once = PTHREAD_ONCE_INIT;

static void fill_filler(void)
{
    memset(filler, 'x', sizeof filler);
}

static const uint8_t *pad_filler(void)
{
    pthread_once(&filler_once, fill_filler);
    return filler;
}

int ob_grpc_record_from_json(const char *json, size_t len, ob_record *r, ob_meta *m,
                          Infected__Infected *inf, ob_err *err)
{
    bool has_meta = false;
    if (ob_record_decode(json, len, r, m, &has_meta, err) != 0)
        return -1;
    infected__infected__init(inf);
    inf->name = r->name;
    inf->location = r->location;
    inf->age = r->age;
    inf->infectedtype = r->infectedtype;
    inf->state = r->state;
    if (has_meta) {
        inf->run = m->run;
        inf->producer = m->producer;
        inf->seq = (int64_t)m->seq;
        inf->sent_ns = m->sent_ns;
    }
    if (r->pad > 0) {
        inf->pad.len = r->pad;
        inf->pad.data = (uint8_t *)pad_filler();
    }
    return 0;
}

static int copy_field(const char *v, char *dst, size_t cap, const char *what, ob_err *err)
{
    size_t n = v ? strlen(v) : 0;
    if (n >= cap)
        return ob_err_set(err, "grpc: field %s is too long (%zu bytes)", what, n);
    if (v && !ob_utf8_valid(v)) /* protobuf-c does not check; JSON and MongoDB need it */
        return ob_err_set(err, "grpc: field %s is not valid UTF-8", what);
    memcpy(dst, v ? v : "", n + 1);
    return 0;
}

int ob_grpc_record_to_json(const Infected__Infected *inf, char *buf, size_t cap, ob_err *err)
{
    ob_record r;
    ob_meta m;
    memset(&m, 0, sizeof m);
    if (copy_field(inf->name, r.name, sizeof r.name, "name", err) ||
        copy_field(inf->location, r.location, sizeof r.location, "location", err) ||
        copy_field(inf->infectedtype, r.infectedtype, sizeof r.infectedtype, "infectedtype", err) ||
        copy_field(inf->state, r.state, sizeof r.state, "state", err) ||
        copy_field(inf->run, m.run, sizeof m.run, "run", err))
        return -1;
    r.age = inf->age;
    if (inf->pad.len > OB_PAD_MAX)
        return ob_err_set(err, "grpc: pad is too long (%zu bytes, at most %d)", inf->pad.len, OB_PAD_MAX);
    r.pad = (uint32_t)inf->pad.len;
    m.producer = (uint32_t)inf->producer;
    m.seq = (uint64_t)inf->seq;
    m.sent_ns = inf->sent_ns;
    /* a record from a client without outbreak's metadata (the course project's) goes
     * through without it: the sink counts it invalid for the harness, but answers */
    int n = ob_record_encode(&r, m.run[0] ? &m : NULL, buf, cap);
    if (n < 0)
        return ob_err_set(err, "grpc: record too large");
    return n;
}

static void grpc_adapter_close(ob_broker *b)
{
    ob_grpc_broker *gb = (ob_grpc_broker *)b;
    if (!gb->started)
        return;
    if (b->role == OB_ROLE_PUBLISHER)
        ob_grpc_client_close(gb);
    else
        ob_grpc_server_close(gb);
}

static int grpc_adapter_check(const ob_url *url, ob_err *err)
{
    ob_grpc_settings s;
    return ob_grpc_settings_parse(&s, url, err);
}

/* The sink of the comparison serves on the local port; nothing to name. */
static void grpc_adapter_default_url(const char *id, char *buf, size_t cap)
{
    (void)id;
    snprintf(buf, cap, "grpc://127.0.0.1:50051");
}

static void log_nowhere(gpr_log_func_args *args)
{
    (void)args;
}

/* gRPC's core logs its errors (a taken port, a refused connection) on stderr in lines of
 * its own; outbreak says what went wrong in one line. OUTBREAK_GRPC_LOG=1 keeps them. */
static void quiet_grpc_logs(void)
{
    const char *keep = getenv("OUTBREAK_GRPC_LOG");
    if (!keep || strcmp(keep, "1") != 0)
        gpr_set_log_function(log_nowhere);
}

static int grpc_adapter_open(ob_broker *b, const ob_url *url, ob_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, quiet_grpc_logs);
    ob_grpc_broker *gb = (ob_grpc_broker *)b;
    if (ob_grpc_settings_parse(&gb->s, url, err) != 0)
        return ob_err_kind_set(err, OB_ERR_USAGE);
    gb->s.connect_timeout_ms = b->connect_timeout_ms;
    gb->started = true;
    return b->role == OB_ROLE_PUBLISHER ? ob_grpc_client_open(gb, err) : ob_grpc_server_open(gb, err);
}

/* No broker keeps the record: the client's call is answered UNAVAILABLE, and the client
 * counts the record failed (grpc_server.c). */
static const char *grpc_adapter_rejected_means(ob_broker *b)
{
    (void)b;
    return "answered UNAVAILABLE (the client counts a failure)";
}

static void grpc_adapter_durability(ob_broker *b, ob_durability *d)
{
    const ob_grpc_settings *s = &((const ob_grpc_broker *)b)->s;
    ob_durability_set(d, s->stream ? "stream" : "unary", true, "gRPC response after the MongoDB insert",
                      "at-least-once", "persisted in MongoDB (the server answers after the insert)");
    ob_durability_str(d, "target", s->target);
    ob_durability_bool(d, "tls", s->tls);
    ob_durability_int(d, "inflight", s->inflight);
    ob_durability_int(d, "stream_batch", s->stream_batch);
    ob_durability_int(d, "deadline_ms", s->deadline_ms);
    ob_durability_int(d, "channels", s->channels);
}

#define GRPC_ADAPTER_OPS(name, scheme_text, order, synopsis_text)                              \
    const ob_broker_ops name = {                                                              \
        .scheme = scheme_text,                                                                \
        .way = "grpc",                                                                        \
        .title = "gRPC",                                                                      \
        .course_channel = "gRPC",                                                             \
        .all_order = order,                                                                   \
        .synopsis = synopsis_text,                                                            \
        .local_url = "grpc://127.0.0.1:50051",                                                \
        .default_port = 50051,                                                                \
        .sink_is_server = true,                                                               \
        .handle_size = sizeof(ob_grpc_broker),                                                \
        .params = grpc_params,                                                                \
        .check = grpc_adapter_check,                                                          \
        .default_url = grpc_adapter_default_url,                                              \
        .open = grpc_adapter_open,                                                            \
        .publish = ob_grpc_client_publish,                                                    \
        .poll = ob_grpc_client_poll,                                                          \
        .flush = ob_grpc_client_flush,                                                        \
        .subscribe = ob_grpc_server_subscribe,                                                \
        .settle = ob_grpc_server_settle,                                                      \
        .rejected_means = grpc_adapter_rejected_means,                                        \
        .durability = grpc_adapter_durability,                                                \
        .close = grpc_adapter_close,                                                          \
    }

GRPC_ADAPTER_OPS(ob_grpc_ops, "grpc", 1, "grpc[s]://host:50051");
GRPC_ADAPTER_OPS(ob_grpcs_ops, "grpcs", 0, NULL);
