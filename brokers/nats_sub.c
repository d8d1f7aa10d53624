/* nats_sub.c — the NATS subscriber: a core queue subscription (`queue` group, so several
 * sinks share the subject), or a durable JetStream pull consumer with explicit acks, read
 * by one receive thread; each delivery is acked (+ACK) or handed back (-NAK) when the
 * sink settles it, i.e. after the MongoDB insert. */
#include "nats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

/* A delivery owns copies of the message's data and ack subject, so the natsMsg is
 * destroyed at once by the receive thread and nothing of cnats' is touched later from
 * the sink's thread (acking a natsMsg from another thread across a reconnect was seen
 * to corrupt the heap with cnats 3.4). Settling publishes +ACK / -NAK to `reply`. */
typedef struct nats_delivery {
    ob_delivery base;
    char *reply; /* NULL for core NATS */
    char bytes[];
} nats_delivery;

/* Copies msg into a new delivery and hands it over; destroys msg. Messages that are not
 * deliveries (no data, or for JetStream no $JS.ACK subject: status messages) are dropped. */
static void deliver_copy(nats_adapter *na, natsMsg *msg)
{
    const char *reply = natsMsg_GetReply(msg);
    int len = natsMsg_GetDataLength(msg);
    if (len <= 0 || (na->s.jetstream && (!reply || strncmp(reply, "$JS.ACK.", 8) != 0))) {
        natsMsg_Destroy(msg);
        return;
    }
    size_t rlen = na->s.jetstream ? strlen(reply) + 1 : 0;
    nats_delivery *d = malloc(sizeof *d + (size_t)len + 1 + rlen);
    if (!d) { /* left unacked: the broker redelivers */
        natsMsg_Destroy(msg);
        return;
    }
    memcpy(d->bytes, natsMsg_GetData(msg), (size_t)len);
    d->bytes[len] = '\0';
    d->reply = NULL;
    if (rlen) {
        d->reply = d->bytes + len + 1;
        memcpy(d->reply, reply, rlen);
    }
    natsMsg_Destroy(msg);
    d->base.data = d->bytes;
    d->base.len = (size_t)len;
    d->base.redelivered = false;
    d->base.handle = d;
    na->deliver(na->deliver_arg, &d->base);
}

#define CONSUMER_CHECK_NS OB_NS_PER_S /* idle this long: is the consumer still there? */

/* The durable pull consumer (created if missing), as na->sub. */
static natsStatus pull_subscribe(nats_adapter *na)
{
    const nats_settings *st = &na->s;
    jsSubOptions so;
    jsErrCode jerr = 0;
    jsSubOptions_Init(&so);
    so.Stream = st->stream;
    so.Config.AckPolicy = js_AckExplicit;
    so.Config.MaxAckPending = st->max_ack_pending;
    so.Config.AckWait = st->ack_wait_ms * OB_NS_PER_MS;
    return js_PullSubscribe(&na->sub, na->js, st->subject, st->durable, NULL, &so, &jerr);
}

/* The stream, or its durable consumer, deleted under the sink: the pull requests then go
 * unanswered, and nothing else would say so. Asked after CONSUMER_CHECK_NS without a
 * delivery; when the server says the consumer is not there, the stream (if it went too)
 * and the consumer are made again as at open, on one line. */
static void consumer_check(nats_adapter *na)
{
    const nats_settings *st = &na->s;
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_GetConsumerInfo(&ci, na->js, st->stream, st->durable, NULL, &jerr);
    if (s == NATS_OK)
        jsConsumerInfo_Destroy(ci);
    bool stream_gone = jerr == JSStreamNotFoundErr;
    if (s == NATS_OK || !(stream_gone || jerr == JSConsumerNotFoundErr || s == NATS_NOT_FOUND))
        return; /* there, or the server is away (cnats reconnects) */
    fprintf(stderr, "outbreak: nats: the durable consumer %s of stream %s at %s is gone%s: creating %s again\n",
            st->durable, st->stream, st->address, stream_gone ? " with its stream (deleted?)" : " (deleted?)",
            stream_gone ? "both" : "it");
    nats_stream_facts facts;
    ob_err err;
    if (ob_nats_stream_ensure(na, &facts, &err) != 0) {
        fprintf(stderr, "outbreak: %s\n", err.msg);
        return;
    }
    natsSubscription_Destroy(na->sub); /* frees it; the consumer is not deleted */
    na->sub = NULL;
    s = pull_subscribe(na);
    if (s != NATS_OK)
        fprintf(stderr, "outbreak: nats: cannot create the durable consumer %s on %s again: %s\n", st->durable,
                st->address, natsStatus_GetText(s));
}

/* One pull request of our own to the durable consumer ($JS.API.CONSUMER.MSG.NEXT): up
 * to `batch` messages, the server holding the request open for 500 ms. Not cnats'
 * natsSubscription_Fetch: in cnats 3.4.1 it was seen (under ASan) to return more
 * messages than the array it had allocated, i.e. to write past it, which explains the
 * sink's rare heap corruption. Messages of an earlier request that arrive late are
 * deliveries like any other; a status message (408 request expired, 404 no messages:
 * no $JS.ACK reply subject) ends this request. */
static natsStatus jetstream_pull(nats_adapter *na, long *got_out)
{
    *got_out = 0;
    char req[96];
    int n = snprintf(req, sizeof req, "{\"batch\":%ld,\"expires\":500000000}", na->s.batch);
    natsStatus s = natsConnection_PublishRequest(na->nc, na->next_subject, na->pull_inbox, req, n);
    if (s != NATS_OK)
        return s;
    int64_t deadline = ob_mono_ns() + OB_NS_PER_S;
    for (long got = 0; got < na->s.batch && !atomic_load(&na->stop);) {
        int64_t left_ms = (deadline - ob_mono_ns()) / OB_NS_PER_MS;
        if (left_ms <= 0)
            break;
        natsMsg *msg = NULL;
        s = natsSubscription_NextMsg(&msg, na->pull_sub, left_ms);
        if (s == NATS_TIMEOUT)
            return NATS_OK;
        if (s != NATS_OK)
            return s;
        const char *reply = natsMsg_GetReply(msg);
        if (!reply || strncmp(reply, "$JS.ACK.", 8) != 0) {
            natsMsg_Destroy(msg); /* a status: this request is over */
            break;
        }
        deliver_copy(na, msg);
        got++;
        *got_out = got;
    }
    return NATS_OK;
}

static void *receive_main(void *arg)
{
    nats_adapter *na = arg;
    int64_t last_got = ob_mono_ns(), next_check = last_got + CONSUMER_CHECK_NS;
    while (!atomic_load(&na->stop)) {
        natsStatus s;
        if (na->s.jetstream) {
            long got = 0;
            s = jetstream_pull(na, &got);
            int64_t now = ob_mono_ns();
            if (got > 0)
                last_got = now;
            else if (now - last_got >= CONSUMER_CHECK_NS && now >= next_check && !atomic_load(&na->stop)) {
                consumer_check(na);
                next_check = ob_mono_ns() + CONSUMER_CHECK_NS;
            }
        } else {
            natsMsg *msg = NULL;
            s = natsSubscription_NextMsg(&msg, na->sub, 500);
            if (s == NATS_OK)
                deliver_copy(na, msg);
        }
        if (s != NATS_OK && s != NATS_TIMEOUT)
            nats_Sleep(500); /* disconnected: let cnats reconnect before the next fetch */
    }
    return NULL;
}

int ob_nats_subscribe(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err)
{
    nats_adapter *na = (nats_adapter *)b;
    const nats_settings *st = &na->s;
    natsStatus s;
    if (st->jetstream) {
        s = pull_subscribe(na);
        if (s != NATS_OK)
            return ob_nats_fail(err, OB_ERR_REJECTED, "cannot create durable consumer on", st->address, s);
        snprintf(na->next_subject, sizeof na->next_subject, "$JS.API.CONSUMER.MSG.NEXT.%s.%s",
                 st->stream, st->durable);
        s = natsInbox_Create((natsInbox **)&na->pull_inbox);
        if (s == NATS_OK)
            s = natsConnection_SubscribeSync(&na->pull_sub, na->nc, na->pull_inbox);
        if (s == NATS_OK)
            s = natsSubscription_SetPendingLimits(na->pull_sub, -1, -1);
        if (s != NATS_OK)
            return ob_nats_fail(err, OB_ERR_UNAVAILABLE, "cannot subscribe to its pull inbox on",
                                st->address, s);
    } else {
        s = natsConnection_QueueSubscribeSync(&na->sub, na->nc, st->subject, st->queue);
        if (s == NATS_OK)
            s = natsSubscription_SetPendingLimits(na->sub, -1, -1);
        if (s != NATS_OK)
            return ob_nats_fail(err, OB_ERR_UNAVAILABLE, "cannot subscribe on", st->address, s);
    }
    na->deliver = deliver;
    na->deliver_arg = arg;
    if (pthread_create(&na->reader, NULL, receive_main, na) != 0)
        return ob_err_set(err, "nats: cannot start the receive thread");
    na->reader_started = true;
    return 0;
}

void ob_nats_settle(ob_broker *b, ob_delivery *d, bool ok)
{
    nats_adapter *na = (nats_adapter *)b;
    nats_delivery *nd = d->handle;
    /* a failed ack publish is left to the broker: it redelivers after ack_wait */
    if (nd->reply)
        natsConnection_PublishString(na->nc, nd->reply, ok ? "+ACK" : "-NAK");
    free(nd);
}

void ob_nats_sub_close(nats_adapter *na)
{
    atomic_store(&na->stop, true);
    if (na->reader_started)
        pthread_join(na->reader, NULL);
    na->reader_started = false;
    natsSubscription_Destroy(na->sub);
    natsSubscription_Destroy(na->pull_sub);
    natsInbox_Destroy((natsInbox *)na->pull_inbox);
    na->sub = na->pull_sub = NULL;
    na->pull_inbox = NULL;
}
