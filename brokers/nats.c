/* nats.c — the NATS adapter (cnats): core NATS and JetStream.
 *
 *   nats://host:4222                      core NATS: at-most-once, no broker ack
 *   nats://host:4222?jetstream=1          JetStream: async publish with PubAck, durable
 *                                         pull consumer with explicit acks on the sink side
 *   tls://host:4222, nats://...?tls=1     either over TLS; credentials: nats_auth.c
 *
 * Core NATS has no acknowledgement. What can be measured is a round trip through the
 * server: after every `flush_every` messages, and whenever the publisher idles, the
 * adapter closes a batch and confirms it, with a PING (confirm=ping: a thread of its own
 * runs cnats' flush round trips, one at a time, each covering every batch closed before
 * it) or a marker published to its own inbox (confirm=marker: it rides in cnats'
 * buffered writes); auto pings unless the publisher is paced. The server handles a
 * connection's protocol in order, so when the PONG or the marker comes back every
 * message sent before it has been read by the server, and they are reported acked;
 * a batch begun before cnats reconnected is failed instead. Neither blocks the
 * publisher. "acked" for core NATS means "received by the server"; under full load,
 * publish latency includes the batching.
 *
 * JetStream: the stream is created if missing. Each publish carries a reply subject of
 * the adapter's own, _INBOX.<nuid>.<token in hex>; the PubAcks come to one wildcard
 * subscription, which reads the token from the subject and the result from the PubAck
 * (a stored message has a "seq", a refused one an "error" with its description, and no
 * stream at all gives "no responders"). At most max_pending are in flight.
 * Options (URL query): jetstream, subject, stream, storage, replicas, max_msgs,
 * max_bytes, max_age (the stream's, when created: nats_stream.c), max_pending,
 * flush_every, confirm, write, io, durable, batch, ack_wait, max_ack_pending, queue, and TLS and auth's tls,
 * ca, cert, key, verify, hostname, token, nkey, creds; docs/brokers/nats.md.
 * The subscriber is in nats_sub.c. */
#include "nats.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "units.h"

#define WHO "nats"

/* the core publisher's first ring of batches in flight (doubled when full) */
#define CORE_RING_FIRST 1024
/* io=loop: a publisher that does not pause writes after about this many bytes */
#define LOOP_WRITE_BYTES (64 * 1024)

extern const ob_broker_ops ob_nats_ops, ob_nats_tls_ops;

static const char *const params[] = {
    "jetstream", "subject", "stream",  "storage",         "replicas", "max_pending",
    "flush_every", "durable", "batch", "max_ack_pending", "ack_wait", "queue", "puback_timeout",
    "tls",         "ca",      "cert",  "key",             "verify",   "hostname",
    "token",       "nkey",    "creds", "write",   "confirm",  "io",
    "max_msgs",    "max_bytes", "max_age",
    NULL,
};

/* --- options -------------------------------------------------------------------------- */

/* NATS names: a stream, consumer or queue group name may not hold whitespace or any of
 * `bad`; a subject to publish to is dot-separated tokens, none empty, no wildcards. */
static int name_ok(const char *key, const char *v, const char *bad, ob_err *err)
{
    for (const char *p = v; *p; p++)
        if ((unsigned char)*p <= ' ' || strchr(bad, *p))
            return ob_err_set(err, "nats: option %s may not contain '%c' or whitespace (\"%s\")", key,
                              (unsigned char)*p <= ' ' ? ' ' : *p, v);
    return 0;
}

static int subject_ok(const char *v, ob_err *err)
{
    if (name_ok("subject", v, "*>", err) != 0)
        return -1;
    if (v[0] == '.' || v[strlen(v) - 1] == '.' || strstr(v, ".."))
        return ob_err_set(err, "nats: option subject has an empty token (\"%s\")", v);
    return 0;
}

/* A stream limit: a count ("1000000", "10M", "1G": decimal) or for max_age a duration
 * ("1h", "30m", a bare number is seconds); "0" or absent: none. */
static int limit_param(const ob_url *url, const char *key, unsigned given, int64_t *out, nats_settings *s,
                       ob_err *err)
{
    const char *v = ob_url_param_str(url, key, NULL);
    *out = 0;
    if (v == NULL)
        return 0;
    s->given |= given;
    ob_err why;
    if (given == NATS_GIVEN_MAX_AGE) {
        if (ob_parse_duration(v, out, &why) == 0)
            return 0;
    } else {
        double n;
        if (ob_parse_count(v, &n, &why) == 0 && n < 9e18 && n == (double)(int64_t)n) {
            *out = (int64_t)n;
            return 0;
        }
    }
    return ob_err_set(err, "nats: option %s must be %s, not \"%s\"", key,
                      given == NATS_GIVEN_MAX_AGE ? "a duration (\"1h\", \"30m\", seconds)"
                                                  : "a whole number (\"1000000\", \"10M\", \"1G\")",
                      v);
}

int ob_nats_settings_parse(nats_settings *s, const ob_url *url, ob_err *err)
{
    static const char *const storages[] = {"file", "memory", NULL};
    static const char *const writes[] = {"auto", "asap", "buffered", NULL};
    static const char *const confirms[] = {"auto", "ping", "marker", NULL};
    static const char *const ios[] = {"auto", "loop", "threads", NULL};
    memset(s, 0, sizeof *s);
    ob_url_hostport(url, 4222, s->address, sizeof s->address);
    if (ob_url_param_bool(url, "jetstream", false, &s->jetstream, err) ||
        ob_option_copy(WHO, ob_url_param_str(url, "subject", "outbreak.records"), "subject", s->subject,
                       sizeof s->subject, false, err) ||
        ob_option_copy(WHO, ob_url_param_str(url, "stream", "OUTBREAK"), "stream", s->stream,
                       sizeof s->stream, false, err) ||
        ob_option_copy(WHO, ob_url_param_str(url, "durable", "outbreak-sink"), "durable", s->durable,
                       sizeof s->durable, false, err) ||
        ob_option_copy(WHO, ob_url_param_str(url, "queue", "outbreak-sink"), "queue", s->queue,
                       sizeof s->queue, false, err) ||
        ob_option_copy(WHO, ob_url_param_str(url, "storage", "file"), "storage", s->storage,
                       sizeof s->storage, false, err) ||
        ob_option_choice(WHO, s->storage, "storage", storages, err) ||
        ob_option_copy(WHO, ob_url_param_str(url, "write", "auto"), "write", s->write, sizeof s->write,
                       false, err) ||
        ob_option_choice(WHO, s->write, "write", writes, err) ||
        ob_option_copy(WHO, ob_url_param_str(url, "confirm", "auto"), "confirm", s->confirm,
                       sizeof s->confirm, false, err) ||
        ob_option_choice(WHO, s->confirm, "confirm", confirms, err) ||
        ob_option_copy(WHO, ob_url_param_str(url, "io", "auto"), "io", s->io, sizeof s->io, false, err) ||
        ob_option_choice(WHO, s->io, "io", ios, err) ||
        ob_url_param_int(url, "replicas", 1, 1, 5, &s->replicas, err) ||
        ob_url_param_int(url, "max_pending", 4096, 1, 1 << 20, &s->max_pending, err) ||
        ob_url_param_int(url, "flush_every", 16384, 1, 1 << 20, &s->flush_every, err) ||
        ob_url_param_int(url, "batch", 256, 1, 10000, &s->batch, err) ||
        ob_url_param_int(url, "max_ack_pending", 4096, 1, 1 << 20, &s->max_ack_pending, err) ||
        ob_url_param_int(url, "ack_wait", 30000, 100, 3600000, &s->ack_wait_ms, err) ||
        ob_url_param_int(url, "puback_timeout", 5000, 100, 3600000, &s->puback_timeout_ms, err) ||
        subject_ok(s->subject, err) || name_ok("stream", s->stream, ".*>/\\", err) ||
        name_ok("durable", s->durable, ".*>/\\", err) || name_ok("queue", s->queue, "", err) ||
        ob_nats_security_parse(&s->sec, url, s->address, err) ||
        limit_param(url, "max_msgs", NATS_GIVEN_MAX_MSGS, &s->max_msgs, s, err) ||
        limit_param(url, "max_bytes", NATS_GIVEN_MAX_BYTES, &s->max_bytes, s, err) ||
        limit_param(url, "max_age", NATS_GIVEN_MAX_AGE, &s->max_age_ns, s, err))
        return -1;
    if (ob_url_param_str(url, "storage", NULL))
        s->given |= NATS_GIVEN_STORAGE;
    if (ob_url_param_str(url, "replicas", NULL))
        s->given |= NATS_GIVEN_REPLICAS;
    return 0;
}

static int nats_adapter_check(const ob_url *url, ob_err *err)
{
    nats_settings s;
    return ob_nats_settings_parse(&s, url, err);
}

/* NATS paced above what its loop wakes for record by record (OB_NATS_LOOP_WAKES a
 * second): cnats' flusher would gather each record for a millisecond before writing it
 * (a subscriber sees the records arrive in batches a millisecond apart either way), so
 * the open model sends a millisecond's records together, written at once: core NATS by
 * the publisher's own loop (choose_io: the tick makes it fit), JetStream publish by
 * publish (send_asap: a few writes a tick, and no flusher holding them another
 * millisecond). Not where cnats' threads and flusher stay whatever the tick (TLS,
 * io=threads, write=asap or buffered, confirm=ping). */
static ob_auto_tick nats_adapter_auto_tick(const ob_url *url)
{
    nats_settings s;
    ob_err err;
    ob_auto_tick none = {0};
    if (ob_nats_settings_parse(&s, url, &err) != 0 || s.sec.tls || strcmp(s.io, "auto") != 0 ||
        strcmp(s.write, "auto") != 0 || strcmp(s.confirm, "ping") == 0)
        return none;
    return (ob_auto_tick){.step_ns = OB_NS_PER_MS, .above_rate = OB_NATS_LOOP_WAKES};
}

static void nats_adapter_default_url(const char *id, char *buf, size_t cap)
{
    snprintf(buf, cap, "nats://127.0.0.1:4222?jetstream=1&stream=OUTBREAK_%s&subject=outbreak.compare.%s",
             id, id);
}

static ob_err_kind status_kind(natsStatus s, ob_err_kind otherwise)
{
    switch (s) {
    case NATS_TIMEOUT: return OB_ERR_TIMEOUT;
    case NATS_NO_SERVER:
    case NATS_IO_ERROR:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
    case NATS_NOT_YET_CONNECTED:
    case NATS_NO_RESPONDERS: return OB_ERR_UNAVAILABLE;
    case NATS_CONNECTION_AUTH_FAILED:
    case NATS_NOT_PERMITTED:
    case NATS_NOT_FOUND:
    case NATS_SECURE_CONNECTION_REQUIRED:
    case NATS_SECURE_CONNECTION_WANTED:
    case NATS_SSL_ERROR:
    case NATS_MAX_PAYLOAD: return OB_ERR_REJECTED;
    case NATS_NO_MEMORY: return OB_ERR_INTERNAL;
    default: return otherwise;
    }
}

int ob_nats_fail(ob_err *err, ob_err_kind otherwise, const char *what, const char *address, natsStatus s)
{
    const char *text = natsStatus_GetText(s);
    const char *detail = nats_GetLastError(NULL);
    ob_err_kind kind = status_kind(s, otherwise);
    /* cnats prefixes its detail with "(file.c:line): "; skip that, and skip a detail
     * that only repeats the status text */
    if (detail && *detail == '(' && strstr(detail, "): "))
        detail = strstr(detail, "): ") + 3;
    if (!detail || !*detail || strcmp(detail, text) == 0)
        return ob_err_setk(err, kind, "nats: %s %s: %s", what, address, text);
    return ob_err_setk(err, kind, "nats: %s %s: %s: %s", what, address, text, detail);
}

/* --- JetStream publisher ------------------------------------------------------------ */

/* The in-flight table: linear probing with backward-shift deletion, under na->lock. */
static size_t slot_hash(const nats_adapter *na, uint64_t token)
{
    uint64_t x = token;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return (size_t)x & (na->nslots - 1);
}

/* Caller holds na->lock. Returns -1 when the table is full. */
static int inflight_put(nats_adapter *na, uint64_t token, int64_t now)
{
    if (na->ninflight + 1 >= na->nslots / 2)
        return -1;
    size_t i = slot_hash(na, token);
    while (na->slots[i].token)
        i = (i + 1) & (na->nslots - 1);
    na->slots[i].token = token;
    na->slots[i].sent_mono = now;
    na->ninflight++;
    return 0;
}

/* Caller holds na->lock. Removes token; returns 0, or -1 if absent (answered already). */
static int inflight_take(nats_adapter *na, uint64_t token)
{
    size_t mask = na->nslots - 1, i = slot_hash(na, token);
    while (na->slots[i].token != token) {
        if (!na->slots[i].token)
            return -1;
        i = (i + 1) & mask;
    }
    na->slots[i].token = 0;
    na->ninflight--;
    /* backward-shift: move later entries of the probe run into the hole */
    for (size_t j = (i + 1) & mask; na->slots[j].token; j = (j + 1) & mask) {
        size_t home = slot_hash(na, na->slots[j].token);
        bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            na->slots[i] = na->slots[j];
            na->slots[j].token = 0;
            i = j;
        }
    }
    return 0;
}

/* Hands one answer to on_ack, one call at a time. */
static void report(nats_adapter *na, uint64_t token, bool ok, const char *why, int64_t now)
{
    pthread_mutex_lock(&na->ack_lock);
    na->base.on_ack(na->base.ack_arg, token, ok, why, now);
    pthread_mutex_unlock(&na->ack_lock);
}

/* Takes token from the in-flight set (0; -1 if it is not there). With `to_report` the
 * caller reports it next and then calls reported(): until then a flush waits for it, so
 * that no answer is still on its way to on_ack when the flush returns. */
static int take_token(nats_adapter *na, uint64_t token, bool to_report)
{
    pthread_mutex_lock(&na->lock);
    int found = inflight_take(na, token);
    if (found == 0 && to_report)
        na->reporting++;
    if (found == 0 && (na->ninflight + 1 == (size_t)na->s.max_pending || na->ninflight + na->reporting == 0))
        pthread_cond_broadcast(&na->room);
    pthread_mutex_unlock(&na->lock);
    return found;
}

static void reported(nats_adapter *na)
{
    pthread_mutex_lock(&na->lock);
    if (--na->reporting == 0 && na->ninflight == 0)
        pthread_cond_broadcast(&na->room);
    pthread_mutex_unlock(&na->lock);
}

/* The in-flight table's clock: CLOCK_MONOTONIC_COARSE (a few ms of resolution, a
 * fraction of the fine clock's cost on every publish), enough for puback_timeout. */
static int64_t coarse_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (int64_t)ts.tv_sec * OB_NS_PER_S + ts.tv_nsec;
}

/* How often js_expire looks, at most (on the publisher thread's publish, poll and wait
 * for room). */
#define JS_SWEEP_NS (250 * OB_NS_PER_MS)
#define JS_SWEEP_PUBLISHES 4096u

/* Fails the JetStream publishes that have waited puback_timeout for their PubAck (none
 * will come: no stream takes the subject but something subscribes to it, so the server
 * answers no "no responders"; a PubAck lost with a server that went away), so that they
 * are counted and their room in the window is given back: without it a run waits for
 * them for ever. A PubAck that comes later finds its token gone and is dropped (the
 * record counts failed; it may be stored all the same: docs/measurement.md, "Failed but
 * persisted"). Not while the connection is down: the publishes then wait in cnats'
 * reconnect buffer, or their PubAcks were lost with the connection, and the timeout
 * runs again from the reconnection (a broker restarted within it loses nothing, and a
 * gateway's window stays full while the broker is away, so that it answers 503 at once).
 * Publisher thread. */
static void js_expire(nats_adapter *na, int64_t now)
{
    na->js_since_sweep = 0;
    if (now < na->js_next_sweep)
        return;
    na->js_next_sweep = now + JS_SWEEP_NS;
    int64_t coarse = coarse_ns();
    if (natsConnection_Status(na->nc) != NATS_CONN_STATUS_CONNECTED) {
        na->js_resumed = coarse;
        return;
    }
    int64_t before = coarse - (int64_t)na->s.puback_timeout_ms * OB_NS_PER_MS;
    if (na->js_resumed > before)
        return;
    pthread_mutex_lock(&na->lock);
    size_t n = 0;
    for (size_t i = 0; i < na->nslots; i++)
        n += na->slots[i].token && na->slots[i].sent_mono <= before;
    uint64_t *late = n ? malloc(n * sizeof *late) : NULL;
    size_t k = 0;
    for (size_t i = 0; late && i < na->nslots && k < n; i++)
        if (na->slots[i].token && na->slots[i].sent_mono <= before)
            late[k++] = na->slots[i].token;
    for (size_t i = 0; i < k; i++)
        inflight_take(na, late[i]); /* keeps the probe runs whole */
    na->reporting += k;
    if (k)
        pthread_cond_broadcast(&na->room);
    pthread_mutex_unlock(&na->lock);
    if (k == 0) {
        free(late);
        return;
    }
    char why[128];
    snprintf(why, sizeof why, "no PubAck within %ld ms (puback_timeout): is a stream taking the subject?",
             na->s.puback_timeout_ms);
    for (size_t i = 0; i < k; i++) {
        report(na, late[i], false, why, ob_mono_ns());
        reported(na);
    }
    free(late);
}

const char *ob_nats_puback_error(const char *data, size_t len, char *why, size_t cap)
{
    ob_json j;
    ob_json_init(&j, data, len);
    char key[32];
    size_t klen;
    int rc;
    bool stored = false;
    if (ob_json_object_begin(&j) < 0)
        return "not a PubAck";
    while ((rc = ob_json_object_next(&j, key, sizeof key, &klen)) > 0) {
        if (strcmp(key, "error") != 0) {
            stored |= strcmp(key, "seq") == 0;
            ob_json_skip(&j);
            continue;
        }
        snprintf(why, cap, "JetStream refused the message");
        if (ob_json_object_begin(&j) < 0)
            return why;
        while (ob_json_object_next(&j, key, sizeof key, &klen) > 0) {
            char text[256];
            if (strcmp(key, "description") != 0 || ob_json_string(&j, text, sizeof text, NULL) != 0) {
                ob_json_skip(&j);
                continue;
            }
            /* the server's words, on one line; an empty description says nothing */
            ob_text_one_line(text, ' ');
            if (text[0])
                ob_utf8_copy(why, cap, text);
        }
        return why;
    }
    return rc == 0 && stored ? NULL : "not a PubAck";
}

int ob_nats_stream_names(const char *data, size_t len, char *out, size_t cap)
{
    ob_json j;
    char key[32], name[256];
    size_t klen, nlen, used = 0;
    int found = 0;
    if (cap)
        out[0] = '\0';
    ob_json_init(&j, data, len);
    if (ob_json_object_begin(&j) < 0)
        return 0;
    while (ob_json_object_next(&j, key, sizeof key, &klen) > 0) {
        if (strcmp(key, "streams") != 0 || ob_json_peek(&j) != OB_JSON_ARRAY) {
            if (ob_json_skip(&j) != 0)
                return found;
            continue;
        }
        ob_json_array_begin(&j);
        while (ob_json_array_next(&j) > 0) {
            if (ob_json_peek(&j) != OB_JSON_STRING || ob_json_string(&j, name, sizeof name, &nlen) != 0) {
                if (ob_json_skip(&j) != 0)
                    return found;
                continue;
            }
            found++;
            ob_text_one_line(name, ' ');
            size_t need = (used ? 2 : 0) + strlen(name);
            if (nlen >= sizeof name || used + need >= cap)
                continue; /* cut, or no room: left out whole */
            used += (size_t)snprintf(out + used, cap - used, "%s%s", used ? ", " : "", name);
        }
    }
    return found;
}

/* Which JetStream streams take a core publisher's subject (na->stored_by): such a stream
 * stores every record of the run, so the server writes each to disk and a core run would
 * measure JetStream's storage too. Asked once at open, on the publisher's own connection
 * (with io=loop the thread reads the answer itself). A server without JetStream answers
 * "no responders" (none); without an answer within 500 ms it is not known. */
static void core_find_streams(nats_adapter *na)
{
    char subject[300], req[320];
    if (ob_json_write_string(subject, sizeof subject, na->s.subject) < 0)
        return;
    int n = snprintf(req, sizeof req, "{\"subject\":%s}", subject);
    if (n <= 0 || (size_t)n >= sizeof req)
        return;
    natsInbox *inbox = NULL;
    natsSubscription *sub = NULL;
    natsMsg *reply = NULL;
    natsStatus got = NATS_TIMEOUT;
    if (natsInbox_Create(&inbox) == NATS_OK && natsConnection_SubscribeSync(&sub, na->nc, inbox) == NATS_OK &&
        natsConnection_PublishRequest(na->nc, "$JS.API.STREAM.NAMES", inbox, req, n) == NATS_OK) {
        if (!na->use_loop) {
            got = natsSubscription_NextMsg(&reply, sub, 500);
        } else {
            int64_t until = ob_mono_ns() + 500 * OB_NS_PER_MS;
            while ((got = natsSubscription_NextMsg(&reply, sub, 0)) != NATS_OK && got != NATS_NO_RESPONDERS &&
                   ob_mono_ns() < until)
                ob_nats_loop_wait(&na->loop, na->nc, until, false);
        }
    }
    /* a 503 status (no responders: no JetStream) comes back from cnats as that status,
     * not as a message: no stream takes the subject. What is found is said in the
     * durability, which every summary prints (not here: a start that fails after this,
     * as a gateway's listen, says one line) */
    na->stored_by_known = reply != NULL || got == NATS_NO_RESPONDERS;
    if (reply)
        ob_nats_stream_names(natsMsg_GetData(reply), (size_t)natsMsg_GetDataLength(reply), na->stored_by,
                             sizeof na->stored_by);
    natsMsg_Destroy(reply);
    natsSubscription_Destroy(sub);
    natsInbox_Destroy(inbox);
}

/* What the PubAck msg says (ob_nats_puback_error), or that no stream took it. */
static const char *puback_error(natsMsg *msg, char *why, size_t cap)
{
    if (natsMsg_IsNoResponders(msg))
        return "no responders: no JetStream stream takes the subject";
    int len = natsMsg_GetDataLength(msg);
    return ob_nats_puback_error(natsMsg_GetData(msg), len > 0 ? (size_t)len : 0, why, cap);
}

/* Destroys what bin holds. */
static void reply_bin_empty(nats_reply_bin *bin)
{
    for (int i = 0; i < bin->n; i++)
        natsMsg_Destroy(bin->msgs[i]);
    bin->n = 0;
}

/* Keeps msg in bin, destroying the bin's messages when it is full. */
static void reply_bin_put(nats_reply_bin *bin, natsMsg *msg)
{
    bin->msgs[bin->n++] = msg;
    if (bin->n == NATS_REPLY_BIN)
        reply_bin_empty(bin);
}

/* cnats' delivery thread of the reply subscription: one PubAck (or a "no responders"). */
static void jetstream_on_reply(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    nats_adapter *na = closure;
    int64_t now = ob_mono_ns();
    const char *subject = natsMsg_GetSubject(msg);
    uint64_t token = 0;
    if (subject && strncmp(subject, na->reply_prefix, na->reply_prefix_len) == 0)
        token = strtoull(subject + na->reply_prefix_len, NULL, 16);
    if (token && take_token(na, token, true) == 0) {
        char why[256];
        const char *error = puback_error(msg, why, sizeof why);
        report(na, token, error == NULL, error, now);
        reported(na);
    }
    reply_bin_put(&na->reply_bin, msg);
}

/* A stream that existed: na->stream says what it holds, and it must have what the URL
 * gave. One that does not take the subject is said at once, on one line: a publisher's
 * records then go to whichever stream takes the subject (none: each publish fails, "no
 * responders"), and this stream's sinks never see them. Not refused: another stream may
 * take the subject, for a publisher measured alone. Takes `si`. */
static int jetstream_take_existing(nats_adapter *na, jsStreamInfo *si, nats_stream_facts *f, ob_err *err)
{
    ob_nats_stream_facts(si->Config, true, f);
    f->msgs = (int64_t)si->State.Msgs;
    jsStreamInfo_Destroy(si);
    if (ob_nats_stream_matches(&na->s, f, err) != 0)
        return -1;
    if (!ob_nats_stream_takes(f, na->s.subject))
        fprintf(stderr,
                "outbreak: nats: stream %s at %s takes %s, not the subject %s: %s (use another stream= or subject=, "
                "or add the subject to the stream)\n",
                na->s.stream, na->s.address, f->subjects, na->s.subject,
                na->base.role == OB_ROLE_PUBLISHER ? "the records go to whichever stream takes it, none of this "
                                                     "stream's sinks"
                                                   : "this sink will see none of the subject's records");
    return 0;
}

int ob_nats_stream_ensure(nats_adapter *na, nats_stream_facts *f, ob_err *err)
{
    const nats_settings *st = &na->s;
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetStreamInfo(&si, na->js, st->stream, NULL, &jerr);
    if (s == NATS_OK)
        return jetstream_take_existing(na, si, f, err);
    if (s != NATS_NOT_FOUND)
        return ob_nats_fail(err, OB_ERR_REJECTED, "cannot look up JetStream stream at", st->address, s);
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char *subjects[1] = {st->subject};
    cfg.Name = st->stream;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = strcmp(st->storage, "memory") == 0 ? js_MemoryStorage : js_FileStorage;
    cfg.Replicas = st->replicas;
    if (st->max_msgs)
        cfg.MaxMsgs = st->max_msgs;
    if (st->max_bytes)
        cfg.MaxBytes = st->max_bytes;
    cfg.MaxAge = st->max_age_ns;
    s = js_AddStream(&si, na->js, &cfg, NULL, &jerr);
    if (s != NATS_OK && jerr == JSStreamNameExistErr) {
        /* another sink or publisher created it meanwhile: take it as it is */
        s = js_GetStreamInfo(&si, na->js, st->stream, NULL, &jerr);
        if (s == NATS_OK)
            return jetstream_take_existing(na, si, f, err);
    }
    if (s != NATS_OK)
        return ob_nats_fail(err, OB_ERR_REJECTED, "cannot create JetStream stream at", st->address, s);
    ob_nats_stream_facts(si && si->Config ? si->Config : &cfg, false, f);
    jsStreamInfo_Destroy(si);
    return 0;
}

/* --- core publisher: confirmations (markers or PINGs) --------------------------------- */

#define RECONNECTED "sent before cnats reconnected: whether the server read it is not known"

/* Reports each token of batch b acked or failed (under ack_lock). */
static void core_report(nats_adapter *na, nats_core_batch b, bool ok, const char *why, int64_t now)
{
    for (uint64_t t = b.first; t < b.first + b.n; t++)
        na->base.on_ack(na->base.ack_arg, t, ok, why, now);
}

/* Any epoch: core_complete's `epoch` when every batch gets the same answer. */
#define ANY_EPOCH UINT64_MAX

/* Reports every token of the batches up to `upto` (all if UINT64_MAX): acked when `ok`
 * and the batch's epoch is `epoch` (or epoch is ANY_EPOCH), else failed with `why`,
 * taking them off the ring in chunks (on_ack runs outside `lock`: the publisher thread
 * keeps sending meanwhile). */
static void core_complete_at(nats_adapter *na, uint64_t upto, bool ok, uint64_t epoch, const char *why,
                             int64_t now)
{
    pthread_mutex_lock(&na->ack_lock);
    for (;;) {
        nats_core_batch chunk[64];
        size_t k = 0;
        pthread_mutex_lock(&na->lock);
        uint64_t last = upto < na->next_batch_id ? upto : na->next_batch_id;
        while (k < sizeof chunk / sizeof chunk[0] && na->sent_done < last) {
            chunk[k++] = na->sent[na->sent_done & (na->sent_cap - 1)]; /* id sent_done + 1 */
            na->sent_done++;
        }
        if (na->sent_done == na->next_batch_id)
            pthread_cond_broadcast(&na->sent_empty);
        pthread_mutex_unlock(&na->lock);
        if (k == 0)
            break;
        for (size_t i = 0; i < k; i++) {
            bool acked = ok && (epoch == ANY_EPOCH || chunk[i].epoch == epoch);
            core_report(na, chunk[i], acked, acked ? NULL : why ? why : RECONNECTED, now);
        }
    }
    pthread_mutex_unlock(&na->ack_lock);
}

static void core_complete(nats_adapter *na, uint64_t upto, bool ok, uint64_t epoch, const char *why)
{
    core_complete_at(na, upto, ok, epoch, why, ob_mono_ns());
}

/* Makes room in the ring for one more batch (under `lock`): false when out of memory. */
static bool core_ring_room(nats_adapter *na)
{
    if (na->next_batch_id - na->sent_done < na->sent_cap)
        return true;
    uint64_t cap = na->sent_cap ? na->sent_cap * 2 : CORE_RING_FIRST;
    nats_core_batch *grown = malloc(cap * sizeof *grown);
    if (!grown)
        return false;
    for (uint64_t id = na->sent_done + 1; id <= na->next_batch_id; id++)
        grown[(id - 1) & (cap - 1)] = na->sent[(id - 1) & (na->sent_cap - 1)];
    free(na->sent);
    na->sent = grown;
    na->sent_cap = cap;
    return true;
}

/* cnats' count of reconnections of nc (0 if it cannot be read) */
static uint64_t reconnects(natsConnection *nc, natsStatistics *st)
{
    uint64_t n = 0;
    if (st && natsConnection_GetStats(nc, st) == NATS_OK)
        natsStatistics_GetCounts(st, NULL, NULL, NULL, NULL, &n);
    return n;
}

/* One marker back, received at `at` (CLOCK_MONOTONIC ns): every batch up to the id it
 * carries is confirmed. */
static void core_marker(nats_adapter *na, natsMsg *msg, int64_t at)
{
    uint64_t id = 0;
    if (natsMsg_GetDataLength(msg) == (int)sizeof id)
        memcpy(&id, natsMsg_GetData(msg), sizeof id);
    reply_bin_put(&na->marker_bin, msg);
    core_complete_at(na, id, true, reconnects(na->nc, na->confirm_stats), NULL, at);
}

/* cnats' delivery thread for the marker subscription. */
static void core_on_marker(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    core_marker(closure, msg, ob_mono_ns());
}

/* io=loop: the markers cnats has read (queued on the sync subscription), taken on the
 * publishing thread, with the time the loop's last read says they arrived. Returns how
 * many. The queue's length is asked first: natsSubscription_NextMsg on an empty queue
 * fails with a timeout that cnats formats into its error stack (snprintf), and the loop
 * asks after every wait, most of which bring no marker. */
static int core_take_markers(nats_adapter *na)
{
    int n = 0, queued = 0;
    natsMsg *msg = NULL;
    while (natsSubscription_GetPending(na->marker_sub, &queued, NULL) == NATS_OK && queued > 0 &&
           natsSubscription_NextMsg(&msg, na->marker_sub, 0) == NATS_OK) {
        core_marker(na, msg, na->loop.rx_mono > 0 ? na->loop.rx_mono : ob_mono_ns());
        n++;
    }
    return n;
}

/* io=loop: writes what is held, waits for the socket (or only for the time, if
 * time_only) until until_mono and takes the markers read. */
static int core_loop_wait_for(nats_adapter *na, int64_t until_mono, bool time_only)
{
    na->loop_unwritten = 0;
    ob_nats_loop_wait(&na->loop, na->nc, until_mono, time_only);
    return core_take_markers(na);
}

static int core_loop_wait(nats_adapter *na, int64_t until_mono)
{
    return core_loop_wait_for(na, until_mono, false);
}

/* Closes the open batch and sends its marker. Publisher thread only. False when out of
 * memory: the batch stays open (its records wait for the next marker). */
static bool core_send_marker(nats_adapter *na)
{
    if (na->open_batch.n == 0)
        return true;
    pthread_mutex_lock(&na->lock);
    if (!core_ring_room(na)) {
        pthread_mutex_unlock(&na->lock);
        return false;
    }
    uint64_t id = ++na->next_batch_id;
    na->sent[(id - 1) & (na->sent_cap - 1)] = na->open_batch;
    bool ping = na->pinger_started;
    if (ping && na->pinger_idle)
        pthread_cond_signal(&na->ping_wake);
    pthread_mutex_unlock(&na->lock);
    na->open_batch.n = 0;
    if (ping)
        return true;
    /* a marker that cannot be sent shows up as a flush timeout at the end */
    natsConnection_Publish(na->nc, na->marker_inbox, &id, (int)sizeof id);
    return true;
}

/* A core publisher whose caller's own event loop watches the socket (the gateway's,
 * ob_broker_opts.loop_driven), with io=loop (or auto, with write=auto), confirmed by
 * markers (confirm=auto or marker), without TLS (a TLS record held behind another would
 * wait for the next readiness): the loop's thread writes each round's records and marker
 * and reads the markers when the socket is readable, with no hand-off to or from cnats'
 * threads. */
static bool loop_driven_fits(const nats_adapter *na)
{
    const nats_settings *s = &na->s;
    bool asked = strcmp(s->io, "loop") == 0 || (strcmp(s->io, "auto") == 0 && strcmp(s->write, "auto") == 0);
    return na->base.loop_driven && !s->jetstream && !s->sec.tls && asked && strcmp(s->confirm, "ping") != 0;
}

/* Whether the core publisher confirms with PINGs (confirm=ping, or auto and not paced:
 * the gateway, --rate max, closed users without a wait) rather than markers (paced:
 * markers ride in cnats' buffered writes, one round trip for all sent within its 1 ms,
 * where a PING each would cost a write and two wake-ups per record). */
static bool core_pings(const nats_adapter *na)
{
    if (loop_driven_fits(na))
        return false;
    if (strcmp(na->s.confirm, "auto") != 0)
        return strcmp(na->s.confirm, "ping") == 0;
    return na->base.paced_rate <= 0;
}

/* confirm=ping: one flush round trip (cnats writes what it holds and a PING, and the
 * PONG says the server read everything before it) at a time, covering every batch
 * closed before it started; batches closed meanwhile wait for the next one. A JetStream
 * publisher that is not paced uses the same thread only for the write: when it pauses
 * (a gateway's round, a full window), what it published goes out at once rather than
 * after cnats' flusher's millisecond; its acks are the PubAcks. */
static void *core_pinger(void *arg)
{
    nats_adapter *na = arg;
    bool js = na->s.jetstream;
    pthread_mutex_lock(&na->lock);
    for (;;) {
        while (!na->pinger_stop && na->pinged_upto == (js ? na->js_kicks : na->next_batch_id)) {
            na->pinger_idle = true;
            pthread_cond_wait(&na->ping_wake, &na->lock);
            na->pinger_idle = false;
        }
        if (na->pinger_stop)
            break;
        uint64_t upto = js ? na->js_kicks : na->next_batch_id;
        pthread_mutex_unlock(&na->lock);
        uint64_t before = js ? 0 : reconnects(na->nc, na->confirm_stats);
        natsStatus s = natsConnection_FlushTimeout(na->nc, 10000);
        /* a PONG confirms what this connection carried: batches begun on an earlier one
         * (and any, if a reconnect came during the round trip) are failed */
        if (!js && s == NATS_OK)
            core_complete(na, upto, reconnects(na->nc, na->confirm_stats) == before, before, NULL);
        else if (!js && s == NATS_CONNECTION_DISCONNECTED)
            core_complete(na, upto, false, ANY_EPOCH, RECONNECTED);
        pthread_mutex_lock(&na->lock);
        if (s == NATS_OK || s == NATS_CONNECTION_DISCONNECTED)
            na->pinged_upto = upto;
        else if (s == NATS_CONNECTION_CLOSED)
            break;
        else { /* no PONG in 10 s (the batches stay: the next PONG covers them), or cnats
                * cannot send a PING now: try again shortly */
            pthread_mutex_unlock(&na->lock);
            struct timespec pause = {.tv_nsec = 50 * 1000 * 1000};
            nanosleep(&pause, NULL);
            pthread_mutex_lock(&na->lock);
        }
    }
    pthread_mutex_unlock(&na->lock);
    return NULL;
}

static int start_pinger(nats_adapter *na, ob_err *err)
{
    pthread_cond_init(&na->ping_wake, NULL);
    if (pthread_create(&na->pinger, NULL, core_pinger, na) != 0) {
        pthread_cond_destroy(&na->ping_wake);
        return ob_err_set(err, "nats: cannot start a thread");
    }
    na->pinger_started = true;
    return 0;
}

/* io=loop, at open: a marker for no batch (id 0) through the server and back, within the
 * connect timeout: the subscription is in place, as cnats' own flush would say (which
 * needs its reader thread). */
static natsStatus core_loop_round_trip(nats_adapter *na)
{
    uint64_t none = 0;
    natsStatus s = natsConnection_Publish(na->nc, na->marker_inbox, &none, (int)sizeof none);
    int64_t until = ob_mono_ns() + (int64_t)na->base.connect_timeout_ms * OB_NS_PER_MS;
    while (s == NATS_OK && core_loop_wait(na, until) == 0)
        if (ob_mono_ns() >= until)
            s = NATS_TIMEOUT;
    return s;
}

static int core_open_markers(nats_adapter *na, ob_err *err)
{
    if (natsStatistics_Create(&na->stats) != NATS_OK || natsStatistics_Create(&na->confirm_stats) != NATS_OK)
        return ob_err_set(err, "nats: out of memory");
    if (core_pings(na))
        return start_pinger(na, err);
    natsStatus s = natsInbox_Create((natsInbox **)&na->marker_inbox);
    if (s == NATS_OK && na->use_loop)
        s = natsConnection_SubscribeSync(&na->marker_sub, na->nc, na->marker_inbox);
    else if (s == NATS_OK)
        s = natsConnection_Subscribe(&na->marker_sub, na->nc, na->marker_inbox, core_on_marker, na);
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(na->marker_sub, -1, -1);
    if (s == NATS_OK && !na->use_loop)
        s = natsConnection_Flush(na->nc);
    if (s == NATS_OK && na->use_loop)
        s = core_loop_round_trip(na);
    return s == NATS_OK ? 0
                        : ob_nats_fail(err, OB_ERR_UNAVAILABLE, "cannot subscribe to its own inbox on",
                                       na->s.address, s);
}

static int nats_adapter_publish(ob_broker *b, const ob_msg *m, ob_err *err)
{
    nats_adapter *na = (nats_adapter *)b;
    const nats_settings *st = &na->s;
    natsStatus s;
    if (!st->jetstream) {
        nats_core_batch *ob = &na->open_batch;
        /* a token was skipped (a failed send): the open batch closes, batches stay consecutive */
        if (ob->n > 0 && ob->first + ob->n != m->token && !core_send_marker(na))
            return ob_err_set(err, "nats: out of memory");
        s = natsConnection_Publish(na->nc, st->subject, m->data, (int)m->len);
        if (s != NATS_OK)
            return ob_nats_fail(err, OB_ERR_UNAVAILABLE, "publish to", st->address, s);
        if (ob->n++ == 0) {
            ob->first = m->token;
            ob->epoch = reconnects(na->nc, na->stats);
        }
        if ((long)ob->n >= st->flush_every)
            core_send_marker(na);
        /* io=loop, a publisher that has not paused for a while: it writes, and reads
         * the markers come back meanwhile, every LOOP_WRITE_BYTES */
        if (na->use_loop && (na->loop_unwritten += m->len + 64) >= LOOP_WRITE_BYTES)
            core_loop_wait(na, 0);
        return 0;
    }
    /* JetStream: at most max_pending in flight (as cnats' own async publish), waiting for
     * room while the oldest are failed after puback_timeout (js_expire), up to that and
     * a second in all */
    if (++na->js_since_sweep >= JS_SWEEP_PUBLISHES)
        js_expire(na, ob_mono_ns());
    pthread_mutex_lock(&na->lock);
    if (na->ninflight >= (size_t)st->max_pending) {
        int64_t give_up = ob_mono_ns() + (int64_t)(st->puback_timeout_ms + 1000) * OB_NS_PER_MS;
        while (na->ninflight >= (size_t)st->max_pending && ob_mono_ns() < give_up) {
            int64_t until = ob_real_ns() + JS_SWEEP_NS;
            struct timespec ts = {.tv_sec = until / OB_NS_PER_S, .tv_nsec = until % OB_NS_PER_S};
            pthread_cond_timedwait(&na->room, &na->lock, &ts);
            if (na->ninflight >= (size_t)st->max_pending) {
                pthread_mutex_unlock(&na->lock);
                js_expire(na, ob_mono_ns());
                pthread_mutex_lock(&na->lock);
            }
        }
    }
    int put = na->ninflight >= (size_t)st->max_pending ? -1 : inflight_put(na, m->token, coarse_ns());
    pthread_mutex_unlock(&na->lock);
    if (put != 0)
        return ob_err_setk(err, OB_ERR_TIMEOUT, "nats: %ld JetStream publishes to %s without a PubAck for %ld ms",
                           st->max_pending, st->address, st->puback_timeout_ms + 1000);
    char reply[128];
    memcpy(reply, na->reply_prefix, na->reply_prefix_len);
    snprintf(reply + na->reply_prefix_len, sizeof reply - na->reply_prefix_len, "%" PRIx64, m->token);
    s = natsConnection_PublishRequest(na->nc, st->subject, reply, m->data, (int)m->len);
    if (s != NATS_OK) {
        take_token(na, m->token, false);
        return ob_nats_fail(err, OB_ERR_UNAVAILABLE, "JetStream publish to", st->address, s);
    }
    na->js_unflushed = true;
    return 0;
}

/* Markers lost with a connection never come back: once cnats has reconnected, one more
 * marker covers every batch sent so far (those begun before the reconnect are then
 * failed, see core_on_marker), so a publisher waiting for acks does not wait for ever.
 * Publisher thread. */
static void core_markers_after_reconnect(nats_adapter *na)
{
    pthread_mutex_lock(&na->lock);
    uint64_t id = na->next_batch_id;
    bool waiting = na->sent_done < id;
    pthread_mutex_unlock(&na->lock);
    if (!waiting)
        return;
    uint64_t now = reconnects(na->nc, na->stats);
    if (now == na->marker_epoch)
        return;
    na->marker_epoch = now;
    natsConnection_Publish(na->nc, na->marker_inbox, &id, (int)sizeof id);
}

static bool nats_adapter_poll(ob_broker *b, int64_t until_mono)
{
    nats_adapter *na = (nats_adapter *)b;
    if (na->use_loop) {
        /* the marker goes out with the records; this thread then waits for its reply, or,
         * in the open model (nothing waits for an ack) on a socket the kernel stamps,
         * sleeps until until_mono and reads the reply then, with the time it arrived: no
         * wake-up for the reply */
        if (na->open_batch.n > 0)
            core_send_marker(na);
        core_markers_after_reconnect(na);
        core_loop_wait_for(na, until_mono, na->base.paced_open && atomic_load(&na->loop.stamped));
        return true;
    }
    /* otherwise acks arrive on cnats' threads: nothing to wait for here */
    if (na->s.jetstream) {
        js_expire(na, ob_mono_ns());
        if (na->pinger_started && na->js_unflushed) { /* write what it published now */
            pthread_mutex_lock(&na->lock);
            na->js_kicks++;
            if (na->pinger_idle)
                pthread_cond_signal(&na->ping_wake);
            pthread_mutex_unlock(&na->lock);
            na->js_unflushed = false;
        }
        return false;
    }
    /* an idle publisher closes its batch at once: markers are cheap and do not block,
     * and at low rates this makes the latency a per-message round trip */
    if (na->open_batch.n > 0)
        core_send_marker(na);
    if (!na->pinger_started)
        core_markers_after_reconnect(na);
    return false;
}

static int nats_adapter_loop_fd(ob_broker *b, uint64_t *attached)
{
    nats_adapter *na = (nats_adapter *)b;
    if (!na->use_loop || !b->loop_driven)
        return -1;
    *attached = atomic_load(&na->loop.attaches);
    /* only while cnats reads it: a readable socket it would not read (closing,
     * reconnecting) would wake the caller's loop again and again */
    return atomic_load(&na->loop.want_read) ? atomic_load(&na->loop.fd) : -1;
}

/* io=loop: the publishing thread reads the markers until all are back or until_mono. */
static void core_loop_drain(nats_adapter *na, int64_t until_mono)
{
    for (;;) {
        pthread_mutex_lock(&na->lock);
        bool done = na->sent_done == na->next_batch_id;
        pthread_mutex_unlock(&na->lock);
        int64_t now = ob_mono_ns();
        if (done || now >= until_mono)
            return;
        core_markers_after_reconnect(na);
        int64_t step = now + 50 * OB_NS_PER_MS;
        core_loop_wait(na, step < until_mono ? step : until_mono);
    }
}

static int core_flush(nats_adapter *na, int timeout_ms)
{
    core_send_marker(na);
    int64_t wait_ns = (int64_t)(timeout_ms > 0 ? timeout_ms : 1) * OB_NS_PER_MS;
    if (na->use_loop)
        core_loop_drain(na, ob_mono_ns() + wait_ns);
    int64_t until = ob_real_ns() + (na->use_loop ? 0 : wait_ns);
    struct timespec ts = {.tv_sec = until / OB_NS_PER_S, .tv_nsec = until % OB_NS_PER_S};
    pthread_mutex_lock(&na->lock);
    while (na->sent_done < na->next_batch_id && pthread_cond_timedwait(&na->sent_empty, &na->lock, &ts) == 0)
        ;
    uint64_t missing = 0;
    for (uint64_t id = na->sent_done + 1; id <= na->next_batch_id; id++)
        missing += na->sent[(id - 1) & (na->sent_cap - 1)].n;
    pthread_mutex_unlock(&na->lock);
    const char *why = "no flush round trip before the timeout";
    core_complete(na, UINT64_MAX, false, ANY_EPOCH, why);
    if (na->open_batch.n > 0) { /* its marker could not be queued (out of memory) */
        pthread_mutex_lock(&na->ack_lock);
        core_report(na, na->open_batch, false, why, ob_mono_ns());
        pthread_mutex_unlock(&na->ack_lock);
        missing += na->open_batch.n;
        na->open_batch.n = 0;
    }
    return (int)missing;
}

static int nats_adapter_flush(ob_broker *b, int timeout_ms)
{
    nats_adapter *na = (nats_adapter *)b;
    if (na->base.role != OB_ROLE_PUBLISHER)
        return 0;
    if (!na->s.jetstream)
        return core_flush(na, timeout_ms);
    /* the PubAcks, or puback_timeout for each (js_expire), or timeout_ms for all */
    int64_t until = ob_mono_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 1) * OB_NS_PER_MS;
    pthread_mutex_lock(&na->lock);
    while ((na->ninflight > 0 || na->reporting > 0) && ob_mono_ns() < until) {
        int64_t step = ob_real_ns() + JS_SWEEP_NS;
        struct timespec ts = {.tv_sec = step / OB_NS_PER_S, .tv_nsec = step % OB_NS_PER_S};
        pthread_cond_timedwait(&na->room, &na->lock, &ts);
        if (na->ninflight > 0) {
            pthread_mutex_unlock(&na->lock);
            js_expire(na, ob_mono_ns());
            pthread_mutex_lock(&na->lock);
        }
    }
    /* Timed out: whatever is still pending is reported failed (an answer being reported
     * now is its reporter's). */
    size_t n = 0;
    uint64_t *left = na->ninflight ? malloc(na->ninflight * sizeof *left) : NULL;
    for (size_t i = 0; left && i < na->nslots; i++)
        if (na->slots[i].token) {
            left[n++] = na->slots[i].token;
            na->slots[i].token = 0;
        }
    if (left)
        na->ninflight = 0;
    pthread_mutex_unlock(&na->lock);
    for (size_t i = 0; i < n; i++)
        report(na, left[i], false, "no PubAck before the timeout", ob_mono_ns());
    free(left);
    return (int)n;
}

/* --- durability, open, close ---------------------------------------------------------- */

static const char *writes_text(const nats_adapter *na)
{
    if (na->base.role != OB_ROLE_PUBLISHER)
        return "n/a";
    if (na->use_loop)
        return "gathered until the publisher pauses, then written by it (io=loop)";
    if (na->send_asap)
        return "each publish at once";
    return na->pinger_started ? "buffered (written with a PING whenever the publisher pauses, or by cnats' flusher within 1 ms)"
                              : "buffered (cnats' flusher, gathers up to 1 ms)";
}

/* Core NATS keeps nothing: a record the sink could not store is gone (the sink's
 * summary and the run's lost count say so); JetStream redelivers it (a -NAK). */
static const char *nats_adapter_rejected_means(ob_broker *b)
{
    return ((nats_adapter *)b)->s.jetstream ? NULL : "dropped (core NATS does not deliver again: lost)";
}

/* JetStream publisher: the records from before this process that wait for the sinks'
 * consumer, which sinks deliver before any of this run's: the consumer's undelivered and
 * unacknowledged ones, or, before a sink has made it, every record of a stream that takes
 * only this subject (a new consumer starts from the first); -1 when not known. */
static int64_t jetstream_backlog(const nats_adapter *na)
{
    const nats_consumer_facts *c = &na->consumer;
    const nats_stream_facts *f = &na->stream;
    if (c->exists)
        return c->backlog;
    if (c->looked && f->known && !f->subjects_cut && strcmp(f->subjects, na->s.subject) == 0)
        return f->msgs;
    return -1;
}

/* Says a backlog (jetstream_backlog): it delays every record of the run on its way to
 * MongoDB, and its end-to-end latency counts that wait. */
static void say_backlog(const nats_adapter *na)
{
    char where[700], remedy[400];
    snprintf(where, sizeof where, "stream %s at %s for the sinks' consumer %s", na->s.stream, na->s.address,
             na->s.durable);
    snprintf(remedy, sizeof remedy, "a stream of the run's own: stream=NAME; or empty it: nats stream purge %s",
             na->s.stream);
    ob_broker_say_backlog("nats", jetstream_backlog(na), where, remedy);
}

static void nats_adapter_durability(ob_broker *b, ob_durability *d)
{
    const nats_adapter *na = (nats_adapter *)b;
    const nats_settings *s = &na->s;
    if (!s->jetstream) {
        char means[200];
        if (na->pinger_started)
            snprintf(means, sizeof means,
                     "the server read it (a PING's round trip, one at a time, after every %ld messages "
                     "or when idle)",
                     s->flush_every);
        else
            snprintf(means, sizeof means,
                     "the server read it (a marker's round trip every %ld messages or when idle)",
                     s->flush_every);
        ob_durability_set(d, "core", false, "none", "at-most-once", means);
        ob_durability_str(d, "subject", s->subject);
        ob_durability_str(d, "queue_group", s->queue);
        ob_durability_str(d, "writes", writes_text(na));
        if (na->base.role == OB_ROLE_PUBLISHER) {
            ob_durability_str(d, "confirm", na->pinger_started ? "ping" : "marker");
            ob_durability_str(d, "io", na->use_loop ? "loop" : "threads");
            /* a stream that takes the subject stores every record: say which */
            const char *stored = na->stored_by[0]    ? na->stored_by
                                 : na->stored_by_known ? "none"
                                                       : "not known (the server did not answer in 500 ms)";
            ob_durability_str(d, "stored_by_streams", stored);
        }
        ob_nats_security_durability(&s->sec, d);
        return;
    }
    ob_durability_set(d, "jetstream", true, "PubAck", "at-least-once", NULL);
    ob_durability_str(d, "writes", writes_text(na));
    ob_durability_str(d, "stream", s->stream);
    ob_durability_str(d, "subject", s->subject);
    /* the stream as the server holds it (known once open), else what the URL asks */
    const nats_stream_facts *f = &na->stream;
    ob_durability_str(d, "storage", f->known ? f->storage : s->storage);
    ob_durability_int(d, "replicas", f->known ? f->replicas : s->replicas);
    if (f->known) {
        ob_durability_str(d, "stream_origin", f->existed ? "existed" : "created by this process");
        ob_durability_str(d, "retention", f->retention);
        ob_durability_str(d, "stream_limits", f->limits);
    }
    ob_durability_int(d, "max_pending", s->max_pending);
    ob_durability_str(d, "consumer", s->durable);
    ob_durability_str(d, "consumer_ack", "explicit");
    /* a publisher: the sinks' consumer as the server has it when it is there */
    const nats_consumer_facts *c = &na->consumer;
    bool found = na->base.role == OB_ROLE_PUBLISHER && c->exists;
    ob_durability_int(d, "max_ack_pending", found ? c->max_ack_pending : s->max_ack_pending);
    ob_durability_int(d, "ack_wait_ms", found ? c->ack_wait_ms : s->ack_wait_ms);
    if (na->base.role == OB_ROLE_PUBLISHER) {
        ob_durability_str(d, "consumer_origin", found       ? "existed"
                                                : c->looked ? "not there at start"
                                                            : "not known (the server did not say)");
        ob_durability_backlog(d, jetstream_backlog(na));
    }
    ob_nats_security_durability(&s->sec, d);
}

static void nats_adapter_close(ob_broker *b)
{
    nats_adapter *na = (nats_adapter *)b;
    ob_nats_sub_close(na);
    if (na->pinger_started) {
        pthread_mutex_lock(&na->lock);
        na->pinger_stop = true;
        pthread_cond_signal(&na->ping_wake);
        pthread_mutex_unlock(&na->lock);
        natsConnection_Close(na->nc); /* ends a round trip in progress */
        pthread_join(na->pinger, NULL);
        pthread_cond_destroy(&na->ping_wake);
    }
    natsStatistics_Destroy(na->stats);
    natsStatistics_Destroy(na->confirm_stats);
    natsSubscription_Destroy(na->marker_sub);
    natsSubscription_Destroy(na->reply_sub);
    jsCtx_Destroy(na->js);
    natsConnection_Destroy(na->nc);
    reply_bin_empty(&na->marker_bin); /* closed: no delivery is left to fill them */
    reply_bin_empty(&na->reply_bin);
    free(na->slots);
    free(na->sent);
    natsInbox_Destroy((natsInbox *)na->marker_inbox);
    natsInbox_Destroy((natsInbox *)na->reply_inbox);
    if (na->locks_ready) {
        pthread_mutex_destroy(&na->lock);
        pthread_mutex_destroy(&na->ack_lock);
        pthread_cond_destroy(&na->sent_empty);
        pthread_cond_destroy(&na->room);
    }
}

/* Whether cnats should write each publish at once. Buffered, a publish waits for cnats'
 * flusher thread, which gathers for a millisecond before it writes: cheap per record
 * when records come fast, but up to 1 ms added to each round trip of a slow publisher.
 * write=auto: at once for a publisher paced at up to OB_NATS_ASAP_RATE records/s (a
 * write per record costs little then), or on a tick of at most the flusher's millisecond
 * (the tick has gathered them already: the flusher would add a wake-up and up to another
 * millisecond to each tick's records); buffered when faster or not paced. */
static bool send_asap(const nats_settings *s, const ob_broker *b)
{
    if (strcmp(s->write, "auto") != 0)
        return strcmp(s->write, "asap") == 0;
    if (b->role != OB_ROLE_PUBLISHER || b->paced_rate <= 0)
        return false;
    return b->paced_rate <= OB_NATS_ASAP_RATE ||
           (b->paced_open && b->paced_tick_ns > 0 && b->paced_tick_ns <= OB_NS_PER_MS);
}

/* io=auto: the publishing thread reads and writes for a core publisher driven by its
 * caller's event loop (loop_driven_fits: the gateway's), or for one confirmed by
 * markers, without TLS, with write=auto, paced by a schedule (the open model) and waking
 * at most OB_NATS_LOOP_WAKES times a second (its paced_rate, or one wake-up per --tick
 * when that is fewer); cnats' threads otherwise. (The loop wakes once a record or a
 * tick, reading the replies that came meanwhile; waking more often than that, each
 * wake-up's own reads and writes cost more on a VM than cnats' flusher gathering a
 * millisecond of records.) io=loop asks for it, and needs such a publisher: a PING's
 * round trip (confirm=ping, or auto when not paced) needs cnats' reader while the
 * publisher waits, and a publisher that is neither paced nor loop-driven never pauses to
 * write (the gateway's loop pauses after each round). A subscriber ignores io. */
static int choose_io(nats_adapter *na, ob_err *err)
{
    const nats_settings *s = &na->s;
    const ob_broker *b = &na->base;
    if (loop_driven_fits(na)) {
        na->use_loop = true;
        return 0;
    }
    bool fits = !s->jetstream && b->role == OB_ROLE_PUBLISHER && !core_pings(na) && b->paced_rate > 0;
    if (strcmp(s->io, "loop") == 0 && b->role == OB_ROLE_PUBLISHER && !fits)
        return ob_err_set(err, "nats: io=loop is for a paced core NATS publisher confirmed by markers "
                               "(--rate N or users with --wait; or a gateway's own event loop, without TLS; "
                               "not jetstream=1 or confirm=ping)");
    double wakes = b->paced_rate;
    if (b->paced_tick_ns > 0 && (double)OB_NS_PER_S / (double)b->paced_tick_ns < wakes)
        wakes = (double)OB_NS_PER_S / (double)b->paced_tick_ns;
    /* not over TLS: a read there gives one TLS record, and a reply the TLS layer holds
     * behind another waits for the next readiness, a tick later (docs/brokers/nats.md) */
    na->use_loop = fits && (strcmp(s->io, "loop") == 0 ||
                            (strcmp(s->io, "auto") == 0 && strcmp(s->write, "auto") == 0 && b->paced_open &&
                             !s->sec.tls && wakes <= OB_NATS_LOOP_WAKES));
    return 0;
}

static void library_init(void)
{
    nats_Open(-1);
}

static natsStatus set_options(natsOptions *no, nats_adapter *na, const ob_url *url, const char *server)
{
    const ob_broker *b = &na->base;
    natsStatus s = natsOptions_SetURL(no, server);
    if (s == NATS_OK)
        s = ob_nats_security_apply(&na->s.sec, url, no);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(no, b->connect_timeout_ms);
    if (s == NATS_OK)
        s = natsOptions_SetName(no, b->client_name);
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(no, 120);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(no, 250);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectBufSize(no, 64 * 1024 * 1024);
    if (s == NATS_OK) /* a larger socket buffer: fewer writes for a fast publisher */
        s = natsOptions_SetIOBufSize(no, 256 * 1024);
    if (s == NATS_OK)
        s = natsOptions_SetSendAsap(no, na->send_asap);
    if (s == NATS_OK && na->use_loop)
        s = ob_nats_loop_options(no, &na->loop);
    return s;
}

/* A JetStream publisher's PubAcks: the in-flight table and one subscription to
 * _INBOX.<nuid>.* (each publish's reply subject ends in its token, in hex). Publishing
 * with a reply subject of our own, rather than through cnats' js_PublishMsgAsync, spares
 * a message object, a hash map entry and a full JSON parse per record (issue 19: they
 * were most of the publisher's CPU); the PubAck is the same. */
static int jetstream_open_replies(nats_adapter *na, ob_err *err)
{
    na->nslots = 1;
    while (na->nslots < (size_t)na->s.max_pending * 4)
        na->nslots <<= 1;
    na->slots = calloc(na->nslots, sizeof *na->slots);
    if (!na->slots)
        return ob_err_set(err, "nats: out of memory");
    natsStatus s = natsInbox_Create((natsInbox **)&na->reply_inbox);
    if (s == NATS_OK) {
        int n = snprintf(na->reply_prefix, sizeof na->reply_prefix, "%s.", na->reply_inbox);
        na->reply_prefix_len = n > 0 && (size_t)n < sizeof na->reply_prefix ? (size_t)n : 0;
        char wildcard[128];
        snprintf(wildcard, sizeof wildcard, "%s*", na->reply_prefix);
        s = natsConnection_Subscribe(&na->reply_sub, na->nc, wildcard, jetstream_on_reply, na);
    }
    if (s == NATS_OK)
        s = natsSubscription_SetPendingLimits(na->reply_sub, -1, -1);
    if (s != NATS_OK || na->reply_prefix_len == 0)
        return ob_nats_fail(err, OB_ERR_UNAVAILABLE, "cannot subscribe to PubAcks on", na->s.address, s);
    return 0;
}

/* The JetStream context and the stream; for a publisher, its PubAck subscription. */
static int open_jetstream(nats_adapter *na, ob_err *err)
{
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = na->base.connect_timeout_ms;
    natsStatus s = natsConnection_JetStream(&na->js, na->nc, &jo);
    if (s != NATS_OK)
        return ob_nats_fail(err, OB_ERR_UNAVAILABLE, "cannot get a JetStream context on", na->s.address, s);
    if (ob_nats_stream_ensure(na, &na->stream, err) != 0)
        return -1;
    if (na->base.role != OB_ROLE_PUBLISHER)
        return 0;
    ob_nats_consumer_look_up(na->js, &na->s, &na->consumer);
    say_backlog(na);
    if (jetstream_open_replies(na, err) != 0)
        return -1;
    return !na->send_asap && core_pings(na) ? start_pinger(na, err) : 0;
}

static int nats_adapter_open(ob_broker *b, const ob_url *url, ob_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    nats_adapter *na = (nats_adapter *)b;
    pthread_mutex_init(&na->lock, NULL);
    pthread_mutex_init(&na->ack_lock, NULL);
    pthread_cond_init(&na->sent_empty, NULL);
    pthread_cond_init(&na->room, NULL);
    na->locks_ready = true;
    if (ob_nats_settings_parse(&na->s, url, err) != 0)
        return ob_err_kind_set(err, OB_ERR_USAGE);
    pthread_once(&once, library_init);
    if (choose_io(na, err) != 0)
        return ob_err_kind_set(err, OB_ERR_USAGE);
    /* io=loop: "at once" means into cnats' buffer, which the loop writes when the
     * publisher pauses; it also keeps cnats from starting its flusher thread */
    na->send_asap = na->use_loop || send_asap(&na->s, b);

    char server[320];
    snprintf(server, sizeof server, "nats://%s", na->s.address);
    natsOptions *no = NULL;
    natsStatus s = natsOptions_Create(&no);
    if (s == NATS_OK)
        s = set_options(no, na, url, server);
    if (s != NATS_OK) {
        natsOptions_Destroy(no);
        return ob_nats_fail(err, OB_ERR_INTERNAL, "cannot set options for", na->s.address, s);
    }
    /* a nonce signature refused for its zero first byte (nats_auth.c): a new connection
     * brings a new nonce; 4 such in a row: 1 in 2^32 */
    for (int tries = 0;; tries++) {
        int refused = atomic_load(&na->s.sec.zero_led_refused);
        s = natsConnection_Connect(&na->nc, no);
        if (s == NATS_OK || tries == 3 || atomic_load(&na->s.sec.zero_led_refused) == refused)
            break;
    }
    natsOptions_Destroy(no);
    if (s != NATS_OK)
        return ob_nats_connect_fail(err, &na->s.sec, na->s.address, s);
    if (!na->s.jetstream && b->role == OB_ROLE_PUBLISHER) {
        core_find_streams(na);
        return core_open_markers(na, err);
    }
    return na->s.jetstream ? open_jetstream(na, err) : 0;
}

/* nats:// and tls:// (the same adapter, TLS required; not in compare's "all"). */
#define NATS_OPS(name, scheme_text, order, synopsis_text, local)                                  \
    const ob_broker_ops name = {                                                              \
        .scheme = scheme_text,                                                                \
        .way = "nats",                                                                        \
        .title = "NATS",                                                                      \
        .course_channel = "nats",                                                             \
        .all_order = order,                                                                   \
        .synopsis = synopsis_text,                                                            \
        .local_url = local,                                                                   \
        .default_port = 4222,                                                                 \
        .acks_on_own_threads = true,                                                          \
        .handle_size = sizeof(nats_adapter),                                                  \
        .params = params,                                                                     \
        .check = nats_adapter_check,                                                          \
        .default_url = nats_adapter_default_url,                                              \
        .auto_tick = nats_adapter_auto_tick,                                                  \
        .open = nats_adapter_open,                                                            \
        .publish = nats_adapter_publish,                                                      \
        .poll = nats_adapter_poll,                                                            \
        .loop_fd = nats_adapter_loop_fd,                                                      \
        .flush = nats_adapter_flush,                                                          \
        .subscribe = ob_nats_subscribe,                                                       \
        .settle = ob_nats_settle,                                                             \
        .rejected_means = nats_adapter_rejected_means,                                        \
        .durability = nats_adapter_durability,                                                \
        .close = nats_adapter_close,                                                          \
    }

NATS_OPS(ob_nats_ops, "nats", 2, "nats://host:4222[?jetstream=1]", "nats://127.0.0.1:4222");
NATS_OPS(ob_nats_tls_ops, "tls", 0, "tls://host:4222[?ca=FILE&cert=FILE&key=FILE]", "tls://127.0.0.1:4222");
