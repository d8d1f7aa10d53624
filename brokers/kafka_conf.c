/* kafka_conf.c — the Kafka adapter's options and librdkafka configuration: the URL's
 * options checked, librdkafka's own properties passed through (?rdkafka.NAME=VALUE, set
 * last so they win), its logs kept for error messages instead of printed, and the topic
 * created if missing. */
#include "kafka.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"

#define PASS_PREFIX "rdkafka."

#define WHO "kafka"

/* The URL option `key` (or def) into dst[cap]; it may not be empty. */
static int param(const ob_url *url, const char *key, const char *def, char *dst, size_t cap,
                 ob_err *err)
{
    return ob_option_copy(WHO, ob_url_param_str(url, key, def), key, dst, cap, false, err);
}

int ob_kafka_settings_parse(kafka_settings *s, const ob_url *url, ob_err *err)
{
    static const char *const acks[] = {"0", "1", "all", NULL};
    static const char *const codecs[] = {"none", "gzip", "snappy", "lz4", "zstd", NULL};
    static const char *const keys[] = {"none", "location", NULL};
    memset(s, 0, sizeof *s);
    if (url->hosts)
        snprintf(s->bootstrap, sizeof s->bootstrap, "%s", url->hosts);
    else
        ob_url_hostport(url, 9092, s->bootstrap, sizeof s->bootstrap);
    const char *key = ob_url_param_str(url, "key", "none");
    if (param(url, "topic", "outbreak.records", s->topic, sizeof s->topic, err) ||
        param(url, "acks", "all", s->acks, sizeof s->acks, err) ||
        ob_option_choice(WHO, s->acks, "acks", acks, err) ||
        param(url, "compression", "none", s->compression, sizeof s->compression, err) ||
        ob_option_choice(WHO, s->compression, "compression", codecs, err) ||
        ob_option_choice(WHO, key, "key", keys, err) ||
        param(url, "group", "outbreak-sink", s->group, sizeof s->group, err) ||
        ob_url_param_bool(url, "idempotence", strcmp(s->acks, "all") == 0, &s->idempotence, err) ||
        ob_url_param_int(url, "partitions", 3, 1, 10000, &s->partitions, err) ||
        ob_url_param_int(url, "replication", 1, 1, 100, &s->replication, err) ||
        ob_url_param_int(url, "linger", 5, 0, 900000, &s->linger_ms, err) ||
        ob_url_param_int(url, "batch", 1000000, 1, 2147483647, &s->batch_bytes, err))
        return -1;
    if (s->idempotence && strcmp(s->acks, "all") != 0)
        return ob_err_set(err, "kafka: idempotence needs acks=all (not acks=%s)", s->acks);
    s->key_by_location = strcmp(key, "location") == 0;
    s->partitions_given = ob_url_param_str(url, "partitions", NULL) != NULL;
    s->replication_given = ob_url_param_str(url, "replication", NULL) != NULL;
    if (ob_kafka_sec_parse(s, url, err) != 0)
        return -1;

    /* librdkafka checks its own properties' names and values */
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char errstr[256];
    for (int i = 0; i < url->nparams; i++) {
        const char *k = url->params[i].key;
        if (strncmp(k, PASS_PREFIX, strlen(PASS_PREFIX)) != 0)
            continue;
        if (rd_kafka_conf_set(conf, k + strlen(PASS_PREFIX), url->params[i].value, errstr,
                              sizeof errstr) != RD_KAFKA_CONF_OK) {
            rd_kafka_conf_destroy(conf);
            return ob_err_set(err, "kafka: option %s: %s", k, errstr);
        }
    }
    rd_kafka_conf_destroy(conf);
    return 0;
}

void ob_kafka_last_problem(kafka_broker *kb, char *buf, size_t cap)
{
    pthread_mutex_lock(&kb->problem_lock);
    snprintf(buf, cap, "%s", kb->problem);
    pthread_mutex_unlock(&kb->problem_lock);
}

/* Keeps the problem (a failed SSL handshake or SASL login in plain words, also as
 * kb->fatal); once the adapter is open, prints it (at most one a second). */
static void note_problem(kafka_broker *kb, const char *text)
{
    bool print = false;
    char cause[480];
    bool fatal = ob_kafka_sec_cause(&kb->s, text, cause, sizeof cause);
    if (fatal)
        text = cause;
    pthread_mutex_lock(&kb->problem_lock);
    snprintf(kb->problem, sizeof kb->problem, "%s", text);
    if (fatal)
        snprintf(kb->fatal, sizeof kb->fatal, "%s", text);
    int64_t now = ob_mono_ns();
    if (kb->opened && now - kb->last_report_ns >= OB_NS_PER_S) {
        kb->last_report_ns = now;
        print = true;
    }
    pthread_mutex_unlock(&kb->problem_lock);
    if (print)
        fprintf(stderr, "outbreak: kafka: %s\n", text);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)fac;
    if (level <= 4) /* warnings and worse */
        note_problem(rd_kafka_opaque(rk), buf);
}

static void on_error(rd_kafka_t *rk, int code, const char *reason, void *opaque)
{
    (void)rk;
    char text[512];
    snprintf(text, sizeof text, "%s: %s", rd_kafka_err2name((rd_kafka_resp_err_t)code), reason);
    note_problem(opaque, text);
}

/* Sets one property; the value of a secret-looking one (a password) is not quoted. */
static int set(rd_kafka_conf_t *conf, const char *name, const char *value, ob_err *err)
{
    char errstr[256];
    if (rd_kafka_conf_set(conf, name, value, errstr, sizeof errstr) != RD_KAFKA_CONF_OK)
        return strstr(name, "password") || strstr(name, "secret")
                   ? ob_err_set(err, "kafka: %s refused by librdkafka", name)
                   : ob_err_set(err, "kafka: %s=%s: %s", name, value, errstr);
    return 0;
}

rd_kafka_conf_t *ob_kafka_conf_new(kafka_broker *kb, const ob_url *url, ob_role role, ob_err *err)
{
    const kafka_settings *s = &kb->s;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char num[32], timeout[32];
    snprintf(timeout, sizeof timeout, "%d", kb->base.connect_timeout_ms);
    rd_kafka_conf_set_opaque(conf, kb);
    rd_kafka_conf_set_log_cb(conf, on_log);
    rd_kafka_conf_set_error_cb(conf, on_error);
    int rc = set(conf, "bootstrap.servers", s->bootstrap, err) ||
             set(conf, "client.id", kb->base.client_name, err) ||
             set(conf, "socket.connection.setup.timeout.ms", timeout, err) ||
             ob_kafka_sec_conf(conf, s, url, err);
    if (rc == 0 && role == OB_ROLE_PUBLISHER) {
        rc = set(conf, "acks", s->acks, err) ||
             set(conf, "enable.idempotence", s->idempotence ? "true" : "false", err) ||
             set(conf, "compression.type", s->compression, err);
        snprintf(num, sizeof num, "%ld", s->linger_ms);
        rc = rc || set(conf, "linger.ms", num, err);
        snprintf(num, sizeof num, "%ld", s->batch_bytes);
        rc = rc || set(conf, "batch.size", num, err);
    }
    if (rc == 0 && role == OB_ROLE_SUBSCRIBER)
        rc = set(conf, "group.id", s->group, err) || set(conf, "enable.auto.commit", "false", err) ||
             set(conf, "enable.auto.offset.store", "false", err) ||
             set(conf, "auto.offset.reset", "earliest", err) ||
             /* a sink that died gives its partitions back after 10 s, not Kafka's 45 */
             set(conf, "session.timeout.ms", "10000", err) ||
             set(conf, "heartbeat.interval.ms", "2000", err) ||
             /* a topic just created may be unknown to the metadata the subscription
              * first reads ("Subscribed topic not available"); librdkafka's default
              * would look again after 5 minutes, consuming nothing meanwhile */
             set(conf, "topic.metadata.refresh.interval.ms", "5000", err);
    for (int i = 0; rc == 0 && i < url->nparams; i++) {
        const char *k = url->params[i].key;
        if (strncmp(k, PASS_PREFIX, strlen(PASS_PREFIX)) == 0)
            rc = set(conf, k + strlen(PASS_PREFIX), url->params[i].value, err);
    }
    if (rc != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    return conf;
}

/* 1 if the cluster has the topic (its partitions and replication then in kb->topic_*),
 * 0 if not, -1 (err set) if it cannot be asked. */
static int topic_exists(kafka_broker *kb, ob_err *err)
{
    const kafka_settings *s = &kb->s;
    const struct rd_kafka_metadata *md = NULL;
    char problem[480];
    /* all topics: asking for one by name could auto-create it with the broker's defaults;
     * asked in slices, so that a failed SSL handshake or SASL login ends the wait */
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
    int64_t until = ob_mono_ns() + (int64_t)kb->base.connect_timeout_ms * 1000000;
    for (;;) {
        int64_t left_ms = (until - ob_mono_ns()) / 1000000;
        e = rd_kafka_metadata(kb->rk, 1, NULL, &md, (int)(left_ms < 250 ? (left_ms > 1 ? left_ms : 1) : 250));
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR)
            break;
        pthread_mutex_lock(&kb->problem_lock);
        snprintf(problem, sizeof problem, "%s", kb->fatal);
        pthread_mutex_unlock(&kb->problem_lock);
        if (*problem)
            return ob_err_setk(err, OB_ERR_REJECTED, "kafka: %s", problem);
        if (left_ms <= 250)
            break;
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        ob_kafka_last_problem(kb, problem, sizeof problem);
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "kafka: cannot reach %s within %d ms: %s", s->bootstrap,
                          kb->base.connect_timeout_ms, *problem ? problem : rd_kafka_err2str(e));
    }
    int found = 0;
    for (int i = 0; i < md->topic_cnt && !found; i++) {
        const struct rd_kafka_metadata_topic *t = &md->topics[i];
        found = strcmp(t->topic, s->topic) == 0 && t->err == 0;
        if (found) {
            kb->topic_known = true;
            kb->topic_existed = true;
            kb->topic_partitions = t->partition_cnt;
            kb->topic_replication = t->partition_cnt > 0 ? t->partitions[0].replica_cnt : 0;
        }
    }
    rd_kafka_metadata_destroy(md);
    return found;
}

/* Waits until the cluster's metadata shows the topic that was just created (here, or by
 * another process: TOPIC_ALREADY_EXISTS), up to the connect timeout: a consumer that
 * subscribed before it showed would see "Unknown topic or partition", and its group's
 * leader could assign it no partition until its next metadata refresh (a sink started
 * beside another, which made the topic a moment before). 1 once shown, 0 if not in
 * time (taken as created all the same), -1 (err set) if the cluster cannot be asked. */
static int topic_shown(kafka_broker *kb, ob_err *err)
{
    int64_t until = ob_mono_ns() + (int64_t)kb->base.connect_timeout_ms * 1000000;
    for (;;) {
        int found = topic_exists(kb, err);
        if (found != 0 || ob_mono_ns() >= until)
            return found;
        ob_sleep_until_mono(ob_mono_ns() + 50 * OB_NS_PER_MS);
    }
}

/* An existing topic has what the URL names, or -1 with one line saying what differs. */
static int topic_matches(kafka_broker *kb, ob_err *err)
{
    const kafka_settings *s = &kb->s;
    const char *key = NULL;
    long has = 0, asked = 0;
    if (s->partitions_given && kb->topic_partitions != s->partitions)
        key = "partitions", has = kb->topic_partitions, asked = s->partitions;
    else if (s->replication_given && kb->topic_replication != s->replication)
        key = "replication", has = kb->topic_replication, asked = s->replication;
    if (!key)
        return 0;
    return ob_err_setk(err, OB_ERR_REJECTED,
                       "kafka: topic \"%s\" on %s exists with %s %ld, the URL asks for %s=%ld (use another "
                       "topic= or delete it: kafka-topics.sh --delete --topic %s)",
                       s->topic, s->bootstrap, key, has, key, asked, s->topic);
}

int ob_kafka_ensure_topic(kafka_broker *kb, ob_err *err)
{
    const kafka_settings *s = &kb->s;
    char errstr[256], problem[480];
    int exists = topic_exists(kb, err);
    if (exists != 0)
        return exists < 0 ? -1 : topic_matches(kb, err);
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(s->topic, (int)s->partitions,
                                                    (int)s->replication, errstr, sizeof errstr);
    if (!nt)
        return ob_err_set(err, "kafka: topic \"%s\": %s", s->topic, errstr);
    rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(kb->rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(ao, kb->base.connect_timeout_ms, errstr, sizeof errstr);
    rd_kafka_AdminOptions_set_operation_timeout(ao, kb->base.connect_timeout_ms, errstr, sizeof errstr);
    rd_kafka_queue_t *q = rd_kafka_queue_new(kb->rk);
    rd_kafka_CreateTopics(kb->rk, &nt, 1, ao, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, kb->base.connect_timeout_ms + 1000);
    int rc = 0;
    rd_kafka_resp_err_t e = RD_KAFKA_RESP_ERR__TIMED_OUT;
    const char *why = NULL;
    if (ev) {
        e = rd_kafka_event_error(ev);
        why = rd_kafka_event_error_string(ev);
        const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
        size_t n = 0;
        const rd_kafka_topic_result_t **tr = res ? rd_kafka_CreateTopics_result_topics(res, &n) : NULL;
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR && n == 1) {
            e = rd_kafka_topic_result_error(tr[0]);
            why = rd_kafka_topic_result_error_string(tr[0]);
        }
    }
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        ob_kafka_last_problem(kb, problem, sizeof problem);
        if (e == RD_KAFKA_RESP_ERR__TIMED_OUT || e == RD_KAFKA_RESP_ERR__TRANSPORT)
            rc = ob_err_setk(err, OB_ERR_UNAVAILABLE, "kafka: cannot reach %s within %d ms%s%s", s->bootstrap,
                            kb->base.connect_timeout_ms, *problem ? ": " : "", problem);
        else
            rc = ob_err_setk(err, OB_ERR_REJECTED, "kafka: cannot create topic \"%s\" on %s: %s", s->topic,
                            s->bootstrap, why && *why ? why : rd_kafka_err2str(e));
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_NewTopic_destroy(nt);
    if (rc == 0 && e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        /* made by another process meanwhile: taken as it is (if the metadata does not
         * show it yet, the durability says what the URL asked) */
        int again = topic_shown(kb, err);
        rc = again < 0 ? -1 : again == 0 ? 0 : topic_matches(kb, err);
    } else if (rc == 0) {
        rc = topic_shown(kb, err) < 0 ? -1 : 0;
        kb->topic_known = true;
        kb->topic_existed = false; /* made here, whatever the metadata now says */
        kb->topic_partitions = s->partitions;
        kb->topic_replication = s->replication;
    }
    return rc;
}

/* The group's committed offset of partition `part` of the topic in list `l`, or -1. */
static int64_t committed_of(const rd_kafka_topic_partition_list_t *l, const char *topic, int32_t part)
{
    for (int i = 0; l && i < l->cnt; i++)
        if (l->elems[i].partition == part && strcmp(l->elems[i].topic, topic) == 0 && !l->elems[i].err)
            return l->elems[i].offset;
    return -1;
}

/* The sinks' group's committed offsets (every partition it committed), or NULL with
 * *known false when the cluster did not answer. Free with the list destroy. */
static rd_kafka_topic_partition_list_t *group_offsets(kafka_broker *kb, bool *known)
{
    char errstr[256];
    *known = false;
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(kb->s.group, NULL);
    rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(kb->rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    rd_kafka_AdminOptions_set_request_timeout(ao, kb->base.connect_timeout_ms, errstr, sizeof errstr);
    rd_kafka_queue_t *q = rd_kafka_queue_new(kb->rk);
    rd_kafka_ListConsumerGroupOffsets(kb->rk, &req, 1, ao, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, kb->base.connect_timeout_ms + 1000);
    rd_kafka_topic_partition_list_t *out = NULL;
    const rd_kafka_ListConsumerGroupOffsets_result_t *res =
        ev && !rd_kafka_event_error(ev) ? rd_kafka_event_ListConsumerGroupOffsets_result(ev) : NULL;
    size_t n = 0;
    const rd_kafka_group_result_t **groups = res ? rd_kafka_ListConsumerGroupOffsets_result_groups(res, &n) : NULL;
    if (n == 1) {
        const rd_kafka_error_t *gerr = rd_kafka_group_result_error(groups[0]);
        const rd_kafka_topic_partition_list_t *parts = rd_kafka_group_result_partitions(groups[0]);
        /* a group that never committed has no offsets: not an error */
        if (!gerr || rd_kafka_error_code(gerr) == RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND) {
            *known = true;
            out = parts ? rd_kafka_topic_partition_list_copy(parts) : NULL;
        }
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_queue_destroy(q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    return out;
}

void ob_kafka_backlog_look_up(kafka_broker *kb)
{
    kb->backlog = -1;
    if (!kb->topic_known)
        return;
    if (!kb->topic_existed) {
        kb->backlog = 0;
        return;
    }
    bool known;
    rd_kafka_topic_partition_list_t *offs = group_offsets(kb, &known);
    int64_t sum = 0;
    for (int32_t p = 0; known && p < (int32_t)kb->topic_partitions; p++) {
        int64_t lo = 0, hi = 0;
        if (rd_kafka_query_watermark_offsets(kb->rk, kb->s.topic, p, &lo, &hi, kb->base.connect_timeout_ms) !=
            RD_KAFKA_RESP_ERR_NO_ERROR) {
            known = false;
            break;
        }
        int64_t from = committed_of(offs, kb->s.topic, p);
        sum += hi - (from >= lo ? from : lo);
    }
    if (offs)
        rd_kafka_topic_partition_list_destroy(offs);
    if (!known)
        return;
    kb->backlog = sum;
    char where[1600];
    snprintf(where, sizeof where, "topic \"%s\" on %s for the sinks' group %s", kb->s.topic, kb->s.bootstrap,
             kb->s.group);
    ob_broker_say_backlog("kafka", sum, where, "a topic of the run's own: topic=NAME");
}

#define MIN_ISR_WAIT_NS (2 * OB_NS_PER_S)

void ob_kafka_min_isr_ask(kafka_broker *kb)
{
    char errstr[256];
    kb->min_isr_res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, kb->s.topic);
    kb->min_isr_ao = rd_kafka_AdminOptions_new(kb->rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    rd_kafka_AdminOptions_set_request_timeout(kb->min_isr_ao, (int)(MIN_ISR_WAIT_NS / 1000000), errstr,
                                              sizeof errstr);
    kb->min_isr_q = rd_kafka_queue_new(kb->rk);
    rd_kafka_DescribeConfigs(kb->rk, &kb->min_isr_res, 1, kb->min_isr_ao, kb->min_isr_q);
    kb->min_isr_until = ob_mono_ns() + MIN_ISR_WAIT_NS;
    kb->min_isr_asked = true;
}

/* The answer in ev: min.insync.replicas, or 0. */
static long min_isr_of(rd_kafka_event_t *ev)
{
    const rd_kafka_DescribeConfigs_result_t *result = ev ? rd_kafka_event_DescribeConfigs_result(ev) : NULL;
    size_t nres = 0, nconf = 0;
    const rd_kafka_ConfigResource_t **got =
        result && rd_kafka_event_error(ev) == RD_KAFKA_RESP_ERR_NO_ERROR
            ? rd_kafka_DescribeConfigs_result_resources(result, &nres)
            : NULL;
    const rd_kafka_ConfigEntry_t **entries =
        nres == 1 && rd_kafka_ConfigResource_error(got[0]) == RD_KAFKA_RESP_ERR_NO_ERROR
            ? rd_kafka_ConfigResource_configs(got[0], &nconf)
            : NULL;
    long v = 0;
    for (size_t i = 0; i < nconf; i++) {
        const char *value = rd_kafka_ConfigEntry_value(entries[i]);
        if (strcmp(rd_kafka_ConfigEntry_name(entries[i]), "min.insync.replicas") == 0 && value)
            v = strtol(value, NULL, 10);
    }
    return v > 0 ? v : 0;
}

void ob_kafka_min_isr_forget(kafka_broker *kb)
{
    if (kb->min_isr_q)
        rd_kafka_queue_destroy(kb->min_isr_q);
    if (kb->min_isr_ao)
        rd_kafka_AdminOptions_destroy(kb->min_isr_ao);
    if (kb->min_isr_res)
        rd_kafka_ConfigResource_destroy(kb->min_isr_res);
    kb->min_isr_q = NULL;
    kb->min_isr_ao = NULL;
    kb->min_isr_res = NULL;
}

long ob_kafka_min_isr(kafka_broker *kb)
{
    pthread_mutex_lock(&kb->min_isr_lock);
    if (kb->min_isr_asked && !kb->min_isr_read) {
        int64_t left_ms = (kb->min_isr_until - ob_mono_ns()) / 1000000;
        rd_kafka_event_t *ev = rd_kafka_queue_poll(kb->min_isr_q, left_ms > 0 ? (int)left_ms : 0);
        kb->topic_min_isr = min_isr_of(ev);
        if (ev)
            rd_kafka_event_destroy(ev);
        kb->min_isr_read = true;
        ob_kafka_min_isr_forget(kb);
    }
    long v = kb->topic_min_isr;
    pthread_mutex_unlock(&kb->min_isr_lock);
    return v;
}
