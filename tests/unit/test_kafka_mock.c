/* test_kafka_mock.c — the Kafka adapter's producer against librdkafka's mock cluster
 * (three brokers inside this process), for the faults a real single broker cannot show:
 * retriable request errors (retried, every record acked once), errors that are not
 * retried (reported as failures with the reason), a partition leader taken down mid-run
 * (acked once it is back), and a cluster down past message.timeout.ms (every record
 * reported failed, none dropped), and a full local queue (back-pressure, no failure). In
 * every case each record gets exactly one answer.
 * The real-broker tests are tests/integration/kafka_*.sh. */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdlib.h>
#include <unistd.h>

#include "broker.h"
#include "check.h"
#include "clock.h"

#define N 20000
#define PRODUCE 0 /* Kafka's ApiKey for Produce requests */

typedef struct answers {
    int ok, failed;
    unsigned char seen[N];
    int twice;
    char last_error[600];
} answers;

static void on_ack(void *arg, uint64_t token, bool ok, const char *errmsg, int64_t at_ns)
{
    (void)at_ns;
    answers *a = arg;
    if (token >= N || a->seen[token]++)
        a->twice++;
    if (ok) {
        a->ok++;
    } else {
        a->failed++;
        snprintf(a->last_error, sizeof a->last_error, "%s", errmsg ? errmsg : "(null)");
    }
}

static rd_kafka_mock_cluster_t *mock;
static answers *a_now; /* the answers of the producer being tested */

/* Publishes n records (tokens 0..n-1), running `midway` after half of them, then
 * flushes with a 20 s timeout. */
static void publish(ob_broker *b, int n, void (*midway)(void *), void *arg)
{
    char body[64];
    for (int i = 0; i < n; i++) {
        if (i == n / 2 && midway)
            midway(arg);
        int len = snprintf(body, sizeof body, "{\"record\":%d}", i);
        ob_msg m = {.data = body, .len = (size_t)len, .key = "Escuintla", .token = (uint64_t)i};
        ob_err err;
        if (ob_broker_publish(b, &m, &err) != 0) /* failed now: an answer, as the worker counts it */
            on_ack(a_now, (uint64_t)i, false, err.msg, 0);
        if (i % 1000 == 0)
            ob_broker_poll(b, ob_mono_ns() + OB_NS_PER_MS);
    }
    ob_broker_flush(b, 20000);
}

static ob_broker *open_producer(const char *bootstraps, const char *extra, answers *a)
{
    char url[1024];
    snprintf(url, sizeof url, "kafka://%s?topic=obmock&partitions=3&replication=3&linger=2%s",
             bootstraps, extra);
    ob_broker_opts opts = {.role = OB_ROLE_PUBLISHER, .client_name = "unit", .connect_timeout_ms = 5000,
                           .on_ack = on_ack, .ack_arg = a};
    ob_broker *b = NULL;
    ob_err err;
    memset(a, 0, sizeof *a);
    a_now = a;
    rd_kafka_mock_clear_request_errors(mock, PRODUCE);
    CHECK_MSG(ob_broker_open(&b, url, &opts, &err) == 0, "%s", err.msg);
    return b;
}

static void check_all_answered(const answers *a, int n, const char *what)
{
    CHECK_MSG(a->ok + a->failed == n, "%s: %d ok + %d failed != %d", what, a->ok, a->failed, n);
    CHECK_MSG(a->twice == 0, "%s: %d answered twice", what, a->twice);
    int missing = 0;
    for (int i = 0; i < n; i++)
        missing += !a->seen[i];
    CHECK_MSG(missing == 0, "%s: %d never answered", what, missing);
}


static void push_retriable(void *arg)
{
    (void)arg;
    rd_kafka_mock_push_request_errors(mock, PRODUCE, 4, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
                                      RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT,
                                      RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS,
                                      RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
}

static void push_fatal(void *arg)
{
    (void)arg;
    rd_kafka_mock_push_request_errors(mock, PRODUCE, 2, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE,
                                      RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
}

static void leader_down_for_a_second(void *arg)
{
    (void)arg;
    rd_kafka_mock_broker_set_down(mock, 1);
    ob_sleep_until_mono(ob_mono_ns() + OB_NS_PER_S);
    rd_kafka_mock_broker_set_up(mock, 1);
}

static void all_down(void *arg)
{
    (void)arg;
    for (int id = 1; id <= 3; id++)
        rd_kafka_mock_broker_set_down(mock, id);
}

int main(void)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof errstr);
    rd_kafka_t *host = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    CHECK(host != NULL);
    mock = rd_kafka_mock_cluster_new(host, 3);
    CHECK(mock != NULL);
    const char *bootstraps = rd_kafka_mock_cluster_bootstraps(mock);
    rd_kafka_mock_topic_create(mock, "obmock", 3, 3);
    answers *a = malloc(sizeof *a);

    /* 1. no faults: every record acked once */
    ob_broker *b = open_producer(bootstraps, "", a);
    publish(b, N, NULL, NULL);
    check_all_answered(a, N, "no faults");
    CHECK_MSG(a->ok == N, "no faults: %d ok", a->ok);
    ob_broker_close(b);

    /* 2. retriable produce errors mid-run: retried, all acked (idempotence keeps order) */
    b = open_producer(bootstraps, "", a);
    publish(b, N, push_retriable, NULL);
    check_all_answered(a, N, "retriable errors");
    CHECK_MSG(a->ok == N, "retriable errors: %d ok, %d failed (%s)", a->ok, a->failed, a->last_error);
    ob_broker_close(b);

    /* 3. errors that are not retried (the broker refuses a batch): failures with the
     *    reason, the rest acked */
    b = open_producer(bootstraps, "&acks=1&idempotence=0", a);
    publish(b, N, push_fatal, NULL);
    check_all_answered(a, N, "refused batches");
    CHECK_MSG(a->failed > 0 && strstr(a->last_error, "too large"), "refused batches: %d failed (%s)",
              a->failed, a->last_error);
    CHECK_MSG(a->ok > 0, "refused batches: nothing acked");
    ob_broker_close(b);

    /* 4. a broker (a partition leader) down for a second mid-run: acked once it is back */
    b = open_producer(bootstraps, "", a);
    publish(b, N, leader_down_for_a_second, NULL);
    check_all_answered(a, N, "leader down");
    CHECK_MSG(a->ok == N, "leader down: %d ok, %d failed (%s)", a->ok, a->failed, a->last_error);
    ob_broker_close(b);

    /* 5. a local queue of 100 records: publish waits for room (back-pressure), nothing
     *    fails and nothing crashes */
    b = open_producer(bootstraps, "&rdkafka.queue.buffering.max.messages=100", a);
    publish(b, N, NULL, NULL);
    check_all_answered(a, N, "small local queue");
    CHECK_MSG(a->ok == N, "small local queue: %d ok, %d failed (%s)", a->ok, a->failed, a->last_error);
    ob_broker_close(b);

    /* 6. the whole cluster down past message.timeout.ms: every record still answered, the
     *    undeliverable ones as failures saying why */
    b = open_producer(bootstraps, "&rdkafka.message.timeout.ms=1500", a);
    publish(b, 2000, all_down, NULL);
    check_all_answered(a, 2000, "cluster down");
    CHECK_MSG(a->failed >= 1000 && strstr(a->last_error, "timed out"), "cluster down: %d failed (%s)",
              a->failed, a->last_error);
    ob_broker_close(b);

    free(a);
    rd_kafka_mock_cluster_destroy(mock);
    rd_kafka_destroy(host);
    CHECK_DONE();
}
