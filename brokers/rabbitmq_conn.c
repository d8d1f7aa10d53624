/* rabbitmq_conn.c — one RabbitMQ connection for the adapter: the URL's options, connect
 * with a timeout, log in, open the channel, declare the exchange, queue and binding,
 * and the error texts of rabbitmq-c replies. */
#include "rabbitmq.h"

#include <amqp_ssl_socket.h>
#include <amqp_tcp_socket.h>
#include <stdio.h>
#include <string.h>

#include "net.h"

#define WHO "rabbitmq"

/* The URL option `key` (or def) into dst[cap]. */
static int param(const ob_url *url, const char *key, const char *def, char *dst, size_t cap,
                 bool may_be_empty, ob_err *err)
{
    return ob_option_copy(WHO, ob_url_param_str(url, key, def), key, dst, cap, may_be_empty, err);
}

int ob_rmq_settings_parse(rmq_settings *s, const ob_url *url, ob_err *err)
{
    static const char *const queue_types[] = {"classic", "quorum", NULL};
    static const char *const exchange_types[] = {"direct", "fanout", "topic", NULL};
    memset(s, 0, sizeof *s);
    s->tls = strcmp(url->scheme, "amqps") == 0;
    s->port = url->port ? url->port : (s->tls ? 5671 : 5672);
    ob_url_hostport(url, s->port, s->address, sizeof s->address);
    /* the AMQP URI defaults: guest/guest, vhost "/" for an empty path */
    if (ob_option_copy(WHO, url->host, "host", s->host, sizeof s->host, false, err) ||
        ob_option_copy(WHO, url->user ? url->user : "guest", "user", s->user, sizeof s->user, false,
                       err) ||
        ob_option_copy(WHO, url->pass ? url->pass : "guest", "password", s->pass, sizeof s->pass,
                       true, err) ||
        ob_option_copy(WHO, *url->path ? url->path : "/", "vhost", s->vhost, sizeof s->vhost, false,
                       err))
        return -1;
    const char *queue = ob_url_param_str(url, "queue", "outbreak.records");
    if (ob_option_copy(WHO, queue, "queue", s->queue, sizeof s->queue, false, err) ||
        param(url, "queue_type", "classic", s->queue_type, sizeof s->queue_type, false, err) ||
        ob_option_choice(WHO, s->queue_type, "queue_type", queue_types, err) ||
        param(url, "exchange", "", s->exchange, sizeof s->exchange, true, err) ||
        param(url, "exchange_type", "direct", s->exchange_type, sizeof s->exchange_type, false, err) ||
        ob_option_choice(WHO, s->exchange_type, "exchange_type", exchange_types, err) ||
        param(url, "routing_key", queue, s->routing_key, sizeof s->routing_key, true, err) ||
        param(url, "cacert", "", s->cacert, sizeof s->cacert, true, err) ||
        ob_url_param_bool(url, "durable", true, &s->durable, err) ||
        ob_url_param_bool(url, "persistent", true, &s->persistent, err) ||
        ob_url_param_bool(url, "confirms", true, &s->confirms, err) ||
        ob_url_param_bool(url, "mandatory", true, &s->mandatory, err) ||
        ob_url_param_bool(url, "declare", true, &s->declare, err) ||
        ob_url_param_bool(url, "verify", true, &s->verify, err) ||
        ob_url_param_int(url, "confirm_window", 1000, 1, 1 << 20, &s->confirm_window, err) ||
        ob_url_param_int(url, "prefetch", 1000, 1, 65535, &s->prefetch, err) ||
        ob_url_param_int(url, "heartbeat", 30, 0, 3600, &s->heartbeat, err))
        return -1;
    if (strcmp(s->queue_type, "quorum") == 0 && !s->durable)
        return ob_err_set(err, "rabbitmq: a quorum queue is always durable; drop durable=0");
    if (!s->exchange[0] && strcmp(s->routing_key, s->queue) != 0)
        return ob_err_set(err, "rabbitmq: routing_key needs an exchange (the default exchange "
                               "routes by queue name)");
    return 0;
}

const char *ob_rmq_reply_text(amqp_rpc_reply_t r, char *buf, size_t cap)
{
    switch (r.reply_type) {
    case AMQP_RESPONSE_NORMAL:
        snprintf(buf, cap, "ok");
        break;
    case AMQP_RESPONSE_NONE:
        snprintf(buf, cap, "no reply from the broker");
        break;
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        snprintf(buf, cap, "%s", amqp_error_string2(r.library_error));
        break;
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        if (r.reply.id == AMQP_CONNECTION_CLOSE_METHOD) {
            const amqp_connection_close_t *m = r.reply.decoded;
            snprintf(buf, cap, "%.*s (%u)", (int)m->reply_text.len, (const char *)m->reply_text.bytes,
                     m->reply_code);
        } else if (r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
            const amqp_channel_close_t *m = r.reply.decoded;
            snprintf(buf, cap, "%.*s (%u)", (int)m->reply_text.len, (const char *)m->reply_text.bytes,
                     m->reply_code);
        } else {
            snprintf(buf, cap, "unexpected method 0x%08x from the broker", r.reply.id);
        }
        break;
    }
    return buf;
}

bool ob_rmq_closing_frame(amqp_connection_state_t conn, const amqp_frame_t *frame, char *buf, size_t cap)
{
    if (frame->frame_type != AMQP_FRAME_METHOD)
        return false;
    amqp_method_number_t id = frame->payload.method.id;
    if (id == AMQP_CONNECTION_CLOSE_METHOD) {
        const amqp_connection_close_t *m = frame->payload.method.decoded;
        snprintf(buf, cap, "closed by the broker: %.*s (%u)", (int)m->reply_text.len,
                 (const char *)m->reply_text.bytes, m->reply_code);
        amqp_connection_close_ok_t ok = {0};
        amqp_send_method(conn, 0, AMQP_CONNECTION_CLOSE_OK_METHOD, &ok);
        return true;
    }
    if (id == AMQP_CHANNEL_CLOSE_METHOD) {
        const amqp_channel_close_t *m = frame->payload.method.decoded;
        snprintf(buf, cap, "channel closed by the broker: %.*s (%u)", (int)m->reply_text.len,
                 (const char *)m->reply_text.bytes, m->reply_code);
        amqp_channel_close_ok_t ok = {0};
        amqp_send_method(conn, frame->channel, AMQP_CHANNEL_CLOSE_OK_METHOD, &ok);
        return true;
    }
    return false;
}

/* What a failed reply means: the broker said no (a server exception), no answer in
 * time, or the connection is gone. */
static ob_err_kind reply_kind(amqp_rpc_reply_t r)
{
    if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION)
        return OB_ERR_REJECTED;
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT)
        return OB_ERR_TIMEOUT;
    return OB_ERR_UNAVAILABLE;
}

/* The step that failed, with the broker's reason, naming the address. */
static int step_failed(const rmq_settings *s, const char *what, amqp_connection_state_t conn,
                       ob_err *err)
{
    char why[300];
    amqp_rpc_reply_t r = amqp_get_rpc_reply(conn);
    ob_rmq_reply_text(r, why, sizeof why);
    return ob_err_setk(err, reply_kind(r), "rabbitmq: %s on %s (vhost \"%s\"): %s", what, s->address,
                       s->vhost, why);
}

static amqp_table_t no_arguments(void)
{
    return (amqp_table_t){.num_entries = 0, .entries = NULL};
}

static int declare(const rmq_settings *s, amqp_connection_state_t conn, int64_t *ready, ob_err *err)
{
    char what[700];
    amqp_bytes_t queue = amqp_cstring_bytes(s->queue);
    if (!s->declare) {
        /* passive: only checks that the queue is there */
        amqp_queue_declare_ok_t *ok = amqp_queue_declare(conn, RMQ_CHANNEL, queue, 1, 0, 0, 0, no_arguments());
        snprintf(what, sizeof what, "queue \"%s\" (declare=0) is not usable", s->queue);
        if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL)
            return step_failed(s, what, conn, err);
        if (ok && ready)
            *ready = ok->message_count;
        return 0;
    }
    if (s->exchange[0]) {
        amqp_exchange_declare(conn, RMQ_CHANNEL, amqp_cstring_bytes(s->exchange),
                              amqp_cstring_bytes(s->exchange_type), 0, s->durable, 0, 0, no_arguments());
        if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
            snprintf(what, sizeof what, "cannot declare exchange \"%s\"", s->exchange);
            return step_failed(s, what, conn, err);
        }
    }
    amqp_table_entry_t type_arg = {
        .key = amqp_cstring_bytes("x-queue-type"),
        .value = {.kind = AMQP_FIELD_KIND_UTF8, .value.bytes = amqp_cstring_bytes(s->queue_type)},
    };
    /* only quorum queues carry the argument: a classic queue declared elsewhere without
     * it (by another tool, say) would otherwise not be "equivalent" on RabbitMQ 3.10 */
    bool quorum = strcmp(s->queue_type, "quorum") == 0;
    amqp_table_t args = {.num_entries = quorum ? 1 : 0, .entries = quorum ? &type_arg : NULL};
    amqp_queue_declare_ok_t *ok = amqp_queue_declare(conn, RMQ_CHANNEL, queue, 0, s->durable, 0, 0, args);
    if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
        snprintf(what, sizeof what, "cannot declare %s%s queue \"%s\"",
                 s->durable ? "durable " : "", s->queue_type, s->queue);
        return step_failed(s, what, conn, err);
    }
    if (ok && ready)
        *ready = ok->message_count;
    if (s->exchange[0]) {
        amqp_queue_bind(conn, RMQ_CHANNEL, queue, amqp_cstring_bytes(s->exchange),
                        amqp_cstring_bytes(s->routing_key), no_arguments());
        if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
            snprintf(what, sizeof what, "cannot bind queue \"%s\" to exchange \"%s\"", s->queue,
                     s->exchange);
            return step_failed(s, what, conn, err);
        }
    }
    return 0;
}

/* A failed TCP connect: rabbitmq-c reports "a socket error occurred" and keeps the
 * reason to itself; one more connect attempt of our own finds it (connection refused,
 * no route to host, no answer) and its kind. */
static int connect_failed(const rmq_settings *s, int timeout_ms, int rc, ob_err *err)
{
    ob_err why;
    if (rc == AMQP_STATUS_SOCKET_ERROR && ob_tcp_connect(s->host, s->port, timeout_ms, NULL, &why) != 0) {
        const char *reason = strstr(why.msg, ": ") ? strstr(why.msg, ": ") + 2 : why.msg;
        return ob_err_setk(err, why.kind, "rabbitmq: cannot connect to %s: %s", s->address, reason);
    }
    return ob_err_setk(err, rc == AMQP_STATUS_TIMEOUT ? OB_ERR_TIMEOUT : OB_ERR_UNAVAILABLE,
                       "rabbitmq: cannot connect to %s: %s", s->address, amqp_error_string2(rc));
}

static amqp_socket_t *new_socket(const rmq_settings *s, amqp_connection_state_t conn, ob_err *err)
{
    if (!s->tls) {
        amqp_socket_t *sock = amqp_tcp_socket_new(conn);
        if (!sock)
            ob_err_set(err, "rabbitmq: cannot create a socket for %s", s->address);
        return sock;
    }
    amqp_socket_t *sock = amqp_ssl_socket_new(conn);
    if (!sock) {
        ob_err_set(err, "rabbitmq: cannot create a TLS socket for %s", s->address);
        return NULL;
    }
    if (s->cacert[0] && amqp_ssl_socket_set_cacert(sock, s->cacert) != AMQP_STATUS_OK) {
        ob_err_set(err, "rabbitmq: cannot read the CA certificates in %s", s->cacert);
        return NULL;
    }
    amqp_ssl_socket_set_verify_peer(sock, s->verify);
    amqp_ssl_socket_set_verify_hostname(sock, s->verify);
    return sock;
}

amqp_connection_state_t ob_rmq_connect(const rmq_broker *rb, int64_t *ready, ob_err *err)
{
    const rmq_settings *s = &rb->s;
    ob_role role = rb->base.role;
    int timeout_ms = rb->base.connect_timeout_ms;
    amqp_connection_state_t conn = amqp_new_connection();
    if (!conn) {
        ob_err_set(err, "rabbitmq: out of memory");
        return NULL;
    }
    amqp_socket_t *sock = new_socket(s, conn, err);
    if (!sock)
        goto fail;
    struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    int rc = amqp_socket_open_noblock(sock, s->host, s->port, &tv);
    if (rc != AMQP_STATUS_OK) {
        connect_failed(s, timeout_ms, rc, err);
        goto fail;
    }
    /* every handshake step and RPC gives up after the connect timeout */
    amqp_set_handshake_timeout(conn, &tv);
    amqp_set_rpc_timeout(conn, &tv);

    /* Capabilities, which rabbitmq-c merges with its own. consumer_cancel_notify: a
     * consumer whose queue is deleted gets basic.cancel (the sink then connects again,
     * which declares the queue again, and consumes); without it the broker drops the
     * consumer silently and the sink waits for ever. connection.blocked: a broker that
     * blocks publishers (a memory or disk alarm) says so (connection.blocked and
     * .unblocked, which the publisher reports); without it the publisher only stalls. */
    amqp_table_entry_t capability[] = {
        {.key = amqp_cstring_bytes("consumer_cancel_notify"),
         .value = {.kind = AMQP_FIELD_KIND_BOOLEAN, .value.boolean = 1}},
        {.key = amqp_cstring_bytes("connection.blocked"),
         .value = {.kind = AMQP_FIELD_KIND_BOOLEAN, .value.boolean = 1}},
    };
    amqp_table_entry_t props_entries[] = {
        {.key = amqp_cstring_bytes("connection_name"),
         .value = {.kind = AMQP_FIELD_KIND_UTF8, .value.bytes = amqp_cstring_bytes(rb->base.client_name)}},
        {.key = amqp_cstring_bytes("capabilities"),
         .value = {.kind = AMQP_FIELD_KIND_TABLE, .value.table = {.num_entries = 2, .entries = capability}}},
    };
    amqp_table_t props = {.num_entries = 2, .entries = props_entries};
    amqp_rpc_reply_t r = amqp_login_with_properties(conn, s->vhost, 0, 131072, (int)s->heartbeat,
                                                    &props, AMQP_SASL_METHOD_PLAIN, s->user, s->pass);
    if (r.reply_type != AMQP_RESPONSE_NORMAL) {
        char why[300];
        ob_rmq_reply_text(r, why, sizeof why);
        ob_err_setk(err, reply_kind(r), "rabbitmq: cannot log in to %s (vhost \"%s\", user \"%s\"): %s",
                    s->address, s->vhost, s->user, why);
        goto fail;
    }
    amqp_channel_open(conn, RMQ_CHANNEL);
    if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
        step_failed(s, "cannot open a channel", conn, err);
        goto fail;
    }
    if (declare(s, conn, ready, err) != 0)
        goto fail;
    if (role == OB_ROLE_PUBLISHER && s->confirms) {
        amqp_confirm_select(conn, RMQ_CHANNEL);
        if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
            step_failed(s, "cannot turn on publisher confirms", conn, err);
            goto fail;
        }
    }
    if (role == OB_ROLE_SUBSCRIBER) {
        amqp_basic_qos(conn, RMQ_CHANNEL, 0, (uint16_t)s->prefetch, 0);
        if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
            step_failed(s, "cannot set the prefetch (basic.qos)", conn, err);
            goto fail;
        }
        amqp_basic_consume(conn, RMQ_CHANNEL, amqp_cstring_bytes(s->queue), amqp_empty_bytes, 0, 0, 0,
                           no_arguments());
        if (amqp_get_rpc_reply(conn).reply_type != AMQP_RESPONSE_NORMAL) {
            char what[300];
            snprintf(what, sizeof what, "cannot consume from queue \"%s\"", s->queue);
            step_failed(s, what, conn, err);
            goto fail;
        }
    }
    /* from here on the connection is read by us in our own time: no RPC timeout */
    amqp_set_rpc_timeout(conn, NULL);
    return conn;
fail:
    amqp_destroy_connection(conn);
    return NULL;
}

void ob_rmq_disconnect(amqp_connection_state_t conn)
{
    if (!conn)
        return;
    struct timeval tv = {.tv_sec = 1, .tv_usec = 0};
    amqp_set_rpc_timeout(conn, &tv);
    amqp_channel_close(conn, RMQ_CHANNEL, AMQP_REPLY_SUCCESS);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    amqp_destroy_connection(conn);
}

void ob_rmq_drop(amqp_connection_state_t conn)
{
    if (conn)
        amqp_destroy_connection(conn);
}
