/* kafka_sub.c — the Kafka consumer: a consumer group (`group`, default outbreak-sink),
 * with offsets committed only for records MongoDB has.
 *
 * Kafka commits a position per partition, not an ack per record: "everything before this
 * offset is done". So each partition keeps the offsets it handed to the sink, in order;
 * settle() marks one inserted, and the commit position advances over the inserted ones
 * at the front, never past one still outstanding. The receive thread commits what has
 * advanced, asynchronously, every 200 ms.
 *
 * An insert that failed (settle with !ok) rewinds its partition to that offset: the
 * receive thread seeks there, and what follows is read again (records already inserted
 * come back as duplicates, which the sink counts). On a rebalance, the revoked
 * partitions' positions are committed synchronously before they go, and their
 * outstanding deliveries are disowned (a new generation): the new owner starts at the
 * committed position, so a record may be read twice but never skipped. */
#include "kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"

#define COMMIT_EVERY_NS (200 * OB_NS_PER_MS)

typedef struct kafka_delivery {
    ob_delivery base;
    int32_t partition;
    int64_t offset;
    uint64_t generation;
    char bytes[];
} kafka_delivery;

/* The partition's track, grown as needed. Caller holds the lock. NULL on OOM. */
static kafka_track *track(kafka_subscriber *sb, int32_t partition)
{
    if (partition < 0)
        return NULL;
    if (partition >= sb->ntracks) {
        int32_t n = partition + 16;
        kafka_track *grown = realloc(sb->tracks, (size_t)n * sizeof *grown);
        if (!grown)
            return NULL;
        memset(grown + sb->ntracks, 0, (size_t)(n - sb->ntracks) * sizeof *grown);
        for (int32_t i = sb->ntracks; i < n; i++)
            grown[i].commit = grown[i].rewind = -1;
        sb->tracks = grown;
        sb->ntracks = n;
    }
    return &sb->tracks[partition];
}

/* Forgets the outstanding offsets: their settlements will be ignored. Lock held. */
static void reset_track(kafka_subscriber *sb, kafka_track *t, bool assigned)
{
    t->assigned = assigned;
    t->generation = ++sb->next_generation;
    t->head = t->count = 0;
    t->commit = t->rewind = -1;
}

/* Appends an offset handed to the sink. Lock held. -1 on OOM. */
static int track_push(kafka_track *t, int64_t offset)
{
    if (t->count == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        int64_t *offs = malloc(cap * sizeof *offs);
        uint8_t *state = malloc(cap);
        if (!offs || !state) {
            free(offs);
            free(state);
            return -1;
        }
        for (size_t i = 0; i < t->count; i++) {
            offs[i] = t->offsets[(t->head + i) % t->cap];
            state[i] = t->state[(t->head + i) % t->cap];
        }
        free(t->offsets);
        free(t->state);
        t->offsets = offs;
        t->state = state;
        t->cap = cap;
        t->head = 0;
    }
    size_t i = (t->head + t->count) % t->cap;
    t->offsets[i] = offset;
    t->state[i] = 0;
    t->count++;
    return 0;
}

/* Marks an offset inserted and advances the commit position. Lock held. */
static void track_done(kafka_track *t, int64_t offset)
{
    for (size_t k = 0; k < t->count; k++) { /* settlements come nearly in order */
        size_t i = (t->head + k) % t->cap;
        if (t->offsets[i] == offset) {
            t->state[i] = 1;
            break;
        }
    }
    while (t->count > 0 && t->state[t->head]) {
        t->commit = t->offsets[t->head] + 1;
        t->head = (t->head + 1) % t->cap;
        t->count--;
    }
}

/* Commits the positions that advanced, for all partitions (or only `only`). Receive
 * thread (or close, once it stopped). */
static void commit_done(kafka_broker *kb, const rd_kafka_topic_partition_list_t *only, bool sync)
{
    kafka_subscriber *sb = &kb->sub;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(8);
    pthread_mutex_lock(&sb->lock);
    for (int32_t p = 0; p < sb->ntracks; p++) {
        kafka_track *t = &sb->tracks[p];
        if (!t->assigned || t->commit < 0)
            continue;
        if (only && !rd_kafka_topic_partition_list_find(only, kb->s.topic, p))
            continue;
        rd_kafka_topic_partition_list_add(list, kb->s.topic, p)->offset = t->commit;
        t->commit = -1;
    }
    pthread_mutex_unlock(&sb->lock);
    if (list->cnt > 0) {
        rd_kafka_resp_err_t e = rd_kafka_commit(kb->rk, list, sync ? 0 : 1);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR__NO_OFFSET)
            fprintf(stderr, "outbreak: kafka: commit failed: %s (the records come again)\n",
                    rd_kafka_err2str(e));
    }
    rd_kafka_topic_partition_list_destroy(list);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t e,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    kafka_broker *kb = opaque;
    kafka_subscriber *sb = &kb->sub;
    bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    sb->rebalances++;
    if (e == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        pthread_mutex_lock(&sb->lock);
        for (int i = 0; i < parts->cnt; i++) {
            kafka_track *t = track(sb, parts->elems[i].partition);
            if (t)
                reset_track(sb, t, true);
        }
        pthread_mutex_unlock(&sb->lock);
        if (cooperative)
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        return;
    }
    /* revoked (or lost): commit what MongoDB has, then let the partitions go */
    if (e == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS)
        commit_done(kb, parts, true);
    pthread_mutex_lock(&sb->lock);
    for (int i = 0; i < parts->cnt; i++) {
        kafka_track *t = track(sb, parts->elems[i].partition);
        if (t)
            reset_track(sb, t, false);
    }
    pthread_mutex_unlock(&sb->lock);
    if (cooperative)
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
}

/* Seeks the partitions whose inserts failed back to the failed offset. */
static void rewind_failed(kafka_broker *kb)
{
    kafka_subscriber *sb = &kb->sub;
    rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(4);
    pthread_mutex_lock(&sb->lock);
    for (int32_t p = 0; p < sb->ntracks; p++) {
        kafka_track *t = &sb->tracks[p];
        if (!t->assigned || t->rewind < 0)
            continue;
        rd_kafka_topic_partition_list_add(list, kb->s.topic, p)->offset = t->rewind;
        int64_t commit = t->commit;
        reset_track(sb, t, true); /* what was out is read again */
        t->commit = commit;
        sb->rewinds++;
    }
    pthread_mutex_unlock(&sb->lock);
    if (list->cnt > 0) {
        rd_kafka_error_t *e = rd_kafka_seek_partitions(kb->rk, list, 5000);
        if (e) {
            fprintf(stderr, "outbreak: kafka: cannot rewind after a failed insert: %s\n",
                    rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
        }
    }
    rd_kafka_topic_partition_list_destroy(list);
}

static void receive_one(kafka_broker *kb, rd_kafka_message_t *msg)
{
    kafka_subscriber *sb = &kb->sub;
    if (msg->err) {
        if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
            fprintf(stderr, "outbreak: kafka: %s\n", rd_kafka_message_errstr(msg));
        return;
    }
    kafka_delivery *d = malloc(sizeof *d + msg->len + 1);
    if (!d)
        return; /* not tracked: never committed past, read again after a restart */
    pthread_mutex_lock(&sb->lock);
    kafka_track *t = track(sb, msg->partition);
    if (t && t->count > 0 && msg->offset <= t->offsets[(t->head + t->count - 1) % t->cap]) {
        /* the consumer went back (a seek, a reset): what was out comes again; start over
         * so that the commit position never passes an offset read anew */
        int64_t commit = t->commit;
        reset_track(sb, t, t->assigned);
        t->commit = commit;
    }
    bool ok = t && t->assigned && track_push(t, msg->offset) == 0;
    d->generation = t ? t->generation : 0;
    pthread_mutex_unlock(&sb->lock);
    if (!ok) {
        free(d);
        return;
    }
    memcpy(d->bytes, msg->payload, msg->len);
    d->bytes[msg->len] = '\0';
    d->partition = msg->partition;
    d->offset = msg->offset;
    d->base.data = d->bytes;
    d->base.len = msg->len;
    d->base.redelivered = false;
    d->base.handle = d;
    sb->deliver(sb->deliver_arg, &d->base);
}

static void *reader_main(void *arg)
{
    kafka_broker *kb = arg;
    kafka_subscriber *sb = &kb->sub;
    while (!atomic_load(&sb->stop)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(kb->rk, 100);
        if (msg) {
            receive_one(kb, msg);
            rd_kafka_message_destroy(msg);
        }
        rewind_failed(kb);
        int64_t now = ob_mono_ns();
        if (now - sb->last_commit_ns >= COMMIT_EVERY_NS) {
            sb->last_commit_ns = now;
            commit_done(kb, NULL, false);
        }
    }
    return NULL;
}

int ob_kafka_sub_init(kafka_broker *kb, const ob_url *url, ob_err *err)
{
    kafka_subscriber *sb = &kb->sub;
    pthread_mutex_init(&sb->lock, NULL);
    rd_kafka_conf_t *conf = ob_kafka_conf_new(kb, url, OB_ROLE_SUBSCRIBER, err);
    if (!conf)
        return -1;
    rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
    char errstr[256];
    kb->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    if (!kb->rk) {
        rd_kafka_conf_destroy(conf);
        return ob_err_set(err, "kafka: cannot create a consumer for %s: %s", kb->s.bootstrap, errstr);
    }
    rd_kafka_poll_set_consumer(kb->rk);
    if (ob_kafka_ensure_topic(kb, err) != 0)
        return -1;
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, kb->s.topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(kb->rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (e)
        return ob_err_setk(err, OB_ERR_REJECTED, "kafka: cannot subscribe to \"%s\" on %s: %s", kb->s.topic,
                          kb->s.bootstrap, rd_kafka_err2str(e));
    return 0;
}

int ob_kafka_sub_subscribe(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err)
{
    kafka_broker *kb = (kafka_broker *)b;
    kb->sub.deliver = deliver;
    kb->sub.deliver_arg = arg;
    if (pthread_create(&kb->sub.reader, NULL, reader_main, kb) != 0)
        return ob_err_set(err, "kafka: cannot start the receive thread");
    kb->sub.reader_started = true;
    return 0;
}

void ob_kafka_sub_settle(ob_broker *b, ob_delivery *d, bool ok)
{
    kafka_broker *kb = (kafka_broker *)b;
    kafka_subscriber *sb = &kb->sub;
    kafka_delivery *kd = d->handle;
    pthread_mutex_lock(&sb->lock);
    kafka_track *t = kd->partition < sb->ntracks ? &sb->tracks[kd->partition] : NULL;
    if (t && t->assigned && t->generation == kd->generation) {
        if (ok)
            track_done(t, kd->offset);
        else if (t->rewind < 0 || kd->offset < t->rewind)
            t->rewind = kd->offset;
    }
    pthread_mutex_unlock(&sb->lock);
    free(kd);
}

/* Closing the consumer, on a thread of its own: librdkafka 2.0 can wait for ever in
 * rd_kafka_destroy when the topic was deleted under the consumer (a partition's reference
 * to its broker is never dropped: librdkafka issue 4362; seen here with the topic deleted
 * in the middle of a run). A sink must not hang at its stop, so close waits CLOSE_WAIT_NS
 * for it, and otherwise says so and leaves it (the process is ending). */
#define CLOSE_WAIT_NS (10 * OB_NS_PER_S)

typedef struct kafka_closing {
    rd_kafka_t *rk;
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    bool done, abandoned; /* under lock */
} kafka_closing;

static void *closing_main(void *arg)
{
    kafka_closing *c = arg;
    rd_kafka_consumer_close(c->rk);
    rd_kafka_destroy(c->rk);
    pthread_mutex_lock(&c->lock);
    c->done = true;
    bool abandoned = c->abandoned;
    pthread_cond_signal(&c->done_cond);
    pthread_mutex_unlock(&c->lock);
    if (abandoned) {
        pthread_cond_destroy(&c->done_cond);
        pthread_mutex_destroy(&c->lock);
        free(c);
    }
    return NULL;
}

static void close_consumer(kafka_broker *kb)
{
    kafka_closing *c = calloc(1, sizeof *c);
    pthread_t thread;
    if (c) {
        c->rk = kb->rk;
        pthread_mutex_init(&c->lock, NULL);
        pthread_condattr_t attr;
        pthread_condattr_init(&attr);
        pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&c->done_cond, &attr);
        pthread_condattr_destroy(&attr);
    }
    if (!c || pthread_create(&thread, NULL, closing_main, c) != 0) { /* here, then */
        if (c) {
            pthread_cond_destroy(&c->done_cond);
            pthread_mutex_destroy(&c->lock);
            free(c);
        }
        rd_kafka_consumer_close(kb->rk);
        rd_kafka_destroy(kb->rk);
        return;
    }
    int64_t until = ob_mono_ns() + CLOSE_WAIT_NS;
    struct timespec ts = {.tv_sec = until / OB_NS_PER_S, .tv_nsec = until % OB_NS_PER_S};
    pthread_mutex_lock(&c->lock);
    while (!c->done && pthread_cond_timedwait(&c->done_cond, &c->lock, &ts) == 0)
        ;
    bool done = c->done;
    c->abandoned = !done;
    pthread_mutex_unlock(&c->lock);
    if (done) {
        pthread_join(thread, NULL);
        pthread_cond_destroy(&c->done_cond);
        pthread_mutex_destroy(&c->lock);
        free(c);
    } else {
        pthread_detach(thread);
        fprintf(stderr, "outbreak: kafka: the consumer of %s on %s did not close within %lld s "
                        "(librdkafka waits for ever after a topic was deleted under it): not waiting longer\n",
                kb->s.topic, kb->s.bootstrap, (long long)(CLOSE_WAIT_NS / OB_NS_PER_S));
    }
}

void ob_kafka_sub_close(kafka_broker *kb)
{
    kafka_subscriber *sb = &kb->sub;
    atomic_store(&sb->stop, true);
    if (sb->reader_started) {
        pthread_join(sb->reader, NULL);
        sb->reader_started = false;
    }
    if (kb->rk) {
        commit_done(kb, NULL, true); /* what the sink settled last */
        close_consumer(kb);
        kb->rk = NULL;
    }
    for (int32_t p = 0; p < sb->ntracks; p++) {
        free(sb->tracks[p].offsets);
        free(sb->tracks[p].state);
    }
    free(sb->tracks);
    pthread_mutex_destroy(&sb->lock);
}
