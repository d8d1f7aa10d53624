/* kafka_pub.c — the Kafka producer: each record's delivery report is its ack.
 *
 * librdkafka batches records per partition (linger, batch size), sends them and, when the
 * broker answered as `acks` asks (0: not at all, 1: the leader wrote it, all: every
 * in-sync replica has it), queues a delivery report per record on the main queue. The
 * reports are served on the publishing thread: after each produce without waiting (no
 * system call, and no clock reading unless a report is there), and while the worker is
 * idle, by waiting on a pipe librdkafka writes to when a report is queued on an empty
 * queue (so a report's time is taken when it arrives). A record librdkafka could not
 * deliver (after its retries, or message.timeout.ms) reports its error: a failure with
 * that reason. A full local queue is back-pressure: produce serves reports and tries
 * again. At the end, flush waits for the reports; what is still out after the timeout is
 * purged, and the purge's reports are the failures. */
#include "kafka.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    kafka_broker *kb = opaque;
    uint64_t token = (uint64_t)(uintptr_t)msg->_private;
    bool ok = msg->err == RD_KAFKA_RESP_ERR_NO_ERROR;
    char why[200];
    if (!ok) {
        snprintf(why, sizeof why, "kafka: %s", rd_kafka_err2str(msg->err));
        if (kb->pub.purging)
            kb->pub.purged++;
    }
    if (kb->pub.now == 0) /* one clock reading for the reports served together */
        kb->pub.now = ob_mono_ns();
    kb->base.on_ack(kb->base.ack_arg, token, ok, ok ? NULL : why, kb->pub.now);
}

/* Serves the queued delivery reports; returns how many. */
static int serve(kafka_broker *kb)
{
    kb->pub.now = 0;
    return rd_kafka_poll(kb->rk, 0);
}

/* Waits until a report is queued or `until` (monotonic ns) passes, then serves. The pipe
 * is emptied first: librdkafka writes to it only when a report lands on an empty queue,
 * so after the serve below any new report wakes the wait (a byte left from a report
 * served already costs one early return). */
static void wait_and_serve(kafka_broker *kb, int64_t until)
{
    char buf[64];
    while (read(kb->pub.wake[0], buf, sizeof buf) > 0)
        ;
    if (serve(kb) > 0)
        return;
    int64_t left = until - ob_mono_ns();
    if (left > 0) {
        struct timespec ts = {.tv_sec = (time_t)(left / OB_NS_PER_S), .tv_nsec = (long)(left % OB_NS_PER_S)};
        struct pollfd pfd = {.fd = kb->pub.wake[0], .events = POLLIN};
        ppoll(&pfd, 1, &ts, NULL);
    }
    serve(kb);
}

int ob_kafka_pub_init(kafka_broker *kb, const ob_url *url, ob_err *err)
{
    kafka_publisher *p = &kb->pub;
    p->wake[0] = p->wake[1] = -1;
    if (pipe2(p->wake, O_NONBLOCK | O_CLOEXEC) != 0)
        return ob_err_set(err, "kafka: cannot create a pipe: %s", strerror(errno));
    rd_kafka_conf_t *conf = ob_kafka_conf_new(kb, url, OB_ROLE_PUBLISHER, err);
    if (!conf)
        return -1;
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    char errstr[256];
    kb->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!kb->rk) {
        rd_kafka_conf_destroy(conf);
        return ob_err_set(err, "kafka: cannot create a producer for %s: %s", kb->s.bootstrap, errstr);
    }
    if (ob_kafka_ensure_topic(kb, err) != 0)
        return -1;
    ob_kafka_min_isr_ask(kb);
    ob_kafka_backlog_look_up(kb);
    p->rkt = rd_kafka_topic_new(kb->rk, kb->s.topic, NULL);
    if (!p->rkt)
        return ob_err_set(err, "kafka: topic \"%s\": %s", kb->s.topic,
                          rd_kafka_err2str(rd_kafka_last_error()));
    p->main_q = rd_kafka_queue_get_main(kb->rk);
    rd_kafka_queue_io_event_enable(p->main_q, p->wake[1], "1", 1);
    return 0;
}

int ob_kafka_pub_publish(ob_broker *b, const ob_msg *m, ob_err *err)
{
    kafka_broker *kb = (kafka_broker *)b;
    const char *key = kb->s.key_by_location ? m->key : NULL;
    for (;;) {
        if (rd_kafka_produce(kb->pub.rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, (void *)m->data,
                             m->len, key, key ? strlen(key) : 0, (void *)(uintptr_t)m->token) == 0)
            break;
        rd_kafka_resp_err_t e = rd_kafka_last_error();
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return ob_err_setk(err, OB_ERR_REJECTED, "kafka: cannot produce to %s: %s", kb->s.topic,
                               rd_kafka_err2str(e));
        /* the local queue is full: back-pressure, wait for reports to make room */
        wait_and_serve(kb, ob_mono_ns() + 100 * OB_NS_PER_MS);
    }
    serve(kb);
    return 0;
}

bool ob_kafka_pub_poll(ob_broker *b, int64_t until_mono)
{
    kafka_broker *kb = (kafka_broker *)b;
    if (rd_kafka_outq_len(kb->rk) == 0)
        return false;
    wait_and_serve(kb, until_mono);
    return true;
}

int ob_kafka_pub_flush(ob_broker *b, int timeout_ms)
{
    kafka_broker *kb = (kafka_broker *)b;
    if (kb->base.role != OB_ROLE_PUBLISHER)
        return 0;
    int64_t deadline = ob_mono_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 1) * OB_NS_PER_MS;
    while (rd_kafka_outq_len(kb->rk) > 0 && ob_mono_ns() < deadline) {
        int64_t step = ob_mono_ns() + 100 * OB_NS_PER_MS;
        wait_and_serve(kb, step < deadline ? step : deadline);
    }
    if (rd_kafka_outq_len(kb->rk) == 0)
        return 0;
    /* what is left fails: purged from the queues, each with a report saying so */
    kb->pub.purging = true;
    kb->pub.purged = 0;
    rd_kafka_purge(kb->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    int64_t until = ob_mono_ns() + 2 * OB_NS_PER_S;
    while (rd_kafka_outq_len(kb->rk) > 0 && ob_mono_ns() < until)
        wait_and_serve(kb, ob_mono_ns() + 50 * OB_NS_PER_MS);
    kb->pub.purging = false;
    return kb->pub.purged;
}

void ob_kafka_pub_close(kafka_broker *kb)
{
    kafka_publisher *p = &kb->pub;
    if (p->main_q) {
        rd_kafka_queue_io_event_enable(p->main_q, -1, NULL, 0);
        rd_kafka_queue_destroy(p->main_q);
    }
    if (p->rkt)
        rd_kafka_topic_destroy(p->rkt);
    ob_kafka_min_isr_forget(kb); /* its queue goes before the handle */
    if (kb->rk) {
        /* nothing is left to report after flush; a late report must not call back */
        rd_kafka_purge(kb->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        serve(kb);
        rd_kafka_destroy(kb->rk);
        kb->rk = NULL;
    }
    for (int i = 0; i < 2; i++)
        if (p->wake[i] >= 0)
            close(p->wake[i]);
}
