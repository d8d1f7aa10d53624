/* test_broker_errors.c — the kinds of the adapters' errors, without servers: a bad option
 * is a usage error (exit 2) from ob_broker_check_url and from ob_broker_open alike,
 * before anything connects; a port where nothing listens (127.0.0.1:1) is unavailable
 * for every adapter, publisher and subscriber; a server that accepts and never speaks is
 * a timeout (RabbitMQ's handshake); the shared setup refuses a publisher without an ack
 * callback. Also ob_tcp_connect (common/net.h), which RabbitMQ's diagnosis and compare's
 * reachability check share. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker.h"
#include "check.h"
#include "clock.h"
#include "net.h"

static void ack(void *arg, uint64_t token, bool ok, const char *why, int64_t at)
{
    (void)arg, (void)token, (void)ok, (void)why, (void)at;
}

static ob_err open_error(const char *url, ob_role role)
{
    ob_broker_opts opts = {.role = role, .client_name = "unit", .connect_timeout_ms = 1000, .on_ack = ack};
    ob_broker *b = NULL;
    ob_err err = {.kind = OB_ERR_INTERNAL, .msg = "(no error)"};
    int rc = ob_broker_open(&b, url, &opts, &err);
    CHECK_MSG(rc == -1 && b == NULL, "%s opened", url);
    ob_broker_close(b);
    return err;
}

static void usage(const char *url, const char *word)
{
    ob_err err = {0};
    CHECK_MSG(ob_broker_check_url(url, &err) == -1, "%s passed the check", url);
    CHECK_MSG(err.kind == OB_ERR_USAGE && ob_err_exit_code(&err) == 2, "%s: kind %s", url,
              ob_err_kind_name(err.kind));
    CHECK_MSG(strstr(err.msg, word) != NULL, "%s: \"%s\" does not name %s", url, err.msg, word);
    /* open says the same without connecting: port 1 would be "unavailable" */
    int64_t t0 = ob_mono_ns();
    ob_err oerr = open_error(url, OB_ROLE_PUBLISHER);
    CHECK_MSG(oerr.kind == OB_ERR_USAGE && strcmp(oerr.msg, err.msg) == 0, "%s: open said %s (%s)", url,
              oerr.msg, ob_err_kind_name(oerr.kind));
    CHECK_MSG(ob_mono_ns() - t0 < 200 * OB_NS_PER_MS, "%s: took %lld ms", url,
              (long long)((ob_mono_ns() - t0) / OB_NS_PER_MS));
}

static void test_usage(void)
{
    usage("nats://127.0.0.1:1?storage=bogus", "storage");
    usage("nats://127.0.0.1:1?jetstream=1&storage=disk", "storage");
    usage("nats://127.0.0.1:1?replicas=0", "replicas");
    usage("nats://127.0.0.1:1?jetstream=maybe", "jetstream");
    usage("nats://127.0.0.1:1?max_pending=x", "max_pending");
    usage("nats://127.0.0.1:1?stream=a.b", "stream");
    usage("nats://127.0.0.1:1?subject=a..b", "subject");
    usage("nats://127.0.0.1:1?subject=a.*", "subject");
    usage("nats://127.0.0.1:1?durable=x%20y", "durable");
    usage("nats://127.0.0.1:1?ack_wait=5", "ack_wait");
    usage("nats://127.0.0.1:1?bogus=1", "bogus");
    usage("amqp://127.0.0.1:1/?queue_type=stream", "queue_type");
    usage("amqp://127.0.0.1:1/?prefetch=0", "prefetch");
    usage("kafka://127.0.0.1:1?acks=2", "acks");
    usage("kafka://127.0.0.1:1?rdkafka.no.such.property=1", "rdkafka.no.such.property");
    usage("pubsub://p/t?batch=2000&emulator=127.0.0.1:1", "batch");
    usage("grpc://127.0.0.1:1?mode=bidi", "mode");
    usage("nats://a:1,b:2", "one host");
    usage("frob://127.0.0.1:1", "unsupported broker scheme");
    usage("nats//127.0.0.1", "://");
    /* a value the message quotes never shows the password, wherever it comes from */
    usage("nats://ann:s3cret@127.0.0.1:1?max_age=s3cret", "max_age");
    ob_err err = {0};
    CHECK(ob_broker_check_url("nats://ann:s3cret@127.0.0.1:1?max_age=x:s3cret@y", &err) == -1);
    CHECK_MSG(strstr(err.msg, "s3cret") == NULL && strstr(err.msg, "x:***@y") != NULL, "%s", err.msg);
    ob_err e = {0};
    ob_err_set(&e, "ab ab a");
    ob_err_hide(&e, "ab");
    CHECK_STR(e.msg, "*** *** a");
    ob_err_hide(&e, "");
    ob_err_hide(&e, NULL);
    CHECK_STR(e.msg, "*** *** a");
}

static void unavailable(const char *url)
{
    for (int role = OB_ROLE_PUBLISHER; role <= OB_ROLE_SUBSCRIBER; role++) {
        ob_err err = open_error(url, (ob_role)role);
        CHECK_MSG(err.kind == OB_ERR_UNAVAILABLE && ob_err_exit_code(&err) == 1, "%s (%s): %s, kind %s", url,
                  role == OB_ROLE_PUBLISHER ? "publisher" : "subscriber", err.msg, ob_err_kind_name(err.kind));
        CHECK_MSG(strstr(err.msg, "127.0.0.1:1") != NULL, "%s: the message names no address: %s", url, err.msg);
    }
}

static void test_unavailable(void)
{
    unavailable("nats://127.0.0.1:1");
    unavailable("nats://127.0.0.1:1?jetstream=1");
    unavailable("amqp://guest:guest@127.0.0.1:1/");
    unavailable("kafka://127.0.0.1:1?topic=unit");
    unavailable("pubsub://p/t?emulator=127.0.0.1:1");
    /* gRPC: only the client dials; the server binds (a taken port is unavailable too) */
    ob_err err = open_error("grpc://127.0.0.1:1", OB_ROLE_PUBLISHER);
    CHECK_MSG(err.kind == OB_ERR_UNAVAILABLE && strstr(err.msg, "127.0.0.1:1"), "grpc: %s, kind %s", err.msg,
              ob_err_kind_name(err.kind));
}

/* A listening socket nobody accepts from: the kernel completes the TCP handshake, the
 * broker's never comes. Returns the fd; *port its port. */
static int silent_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    CHECK(bind(fd, (struct sockaddr *)&a, sizeof a) == 0 && listen(fd, 16) == 0 &&
          getsockname(fd, (struct sockaddr *)&a, &len) == 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void test_timeout_and_setup(void)
{
    int port;
    int fd = silent_listener(&port);
    char url[128];
    snprintf(url, sizeof url, "amqp://guest:guest@127.0.0.1:%d/", port);
    ob_err err = open_error(url, OB_ROLE_PUBLISHER);
    CHECK_MSG(err.kind == OB_ERR_TIMEOUT, "%s: %s, kind %s", url, err.msg, ob_err_kind_name(err.kind));

    /* ob_tcp_connect: connects (the kernel accepts), refuses, does not resolve */
    int conn = -1;
    ob_err nerr = {0};
    CHECK_MSG(ob_tcp_connect("127.0.0.1", port, 1000, &conn, &nerr) == 0 && conn >= 0, "%s", nerr.msg);
    if (conn >= 0)
        close(conn);
    CHECK(ob_tcp_connect("localhost", port, 1000, NULL, &nerr) == 0);
    close(fd);
    CHECK(ob_tcp_connect("127.0.0.1", 1, 1000, &conn, &nerr) == -1 && conn == -1);
    CHECK_MSG(nerr.kind == OB_ERR_UNAVAILABLE && strstr(nerr.msg, "127.0.0.1:1") &&
                  strstr(nerr.msg, "refused"),
              "%s", nerr.msg);
    CHECK(ob_tcp_connect("no-such-host.invalid", 80, 1000, NULL, &nerr) == -1);
    CHECK_MSG(nerr.kind == OB_ERR_UNAVAILABLE && strstr(nerr.msg, "no-such-host.invalid:80"), "%s", nerr.msg);
    CHECK(ob_tcp_connect("::1", 1, 1000, NULL, &nerr) == -1 && strstr(nerr.msg, "[::1]:1"));
    CHECK(ob_tcp_connect("127.0.0.1", 0, 1000, NULL, &nerr) == -1 && nerr.kind == OB_ERR_USAGE);

    /* the shared setup: a publisher needs an ack callback */
    ob_broker_opts opts = {.role = OB_ROLE_PUBLISHER};
    ob_broker *b = NULL;
    CHECK(ob_broker_open(&b, "nats://127.0.0.1:1", &opts, &err) == -1 && b == NULL);
    CHECK_MSG(strstr(err.msg, "ack callback") && err.kind == OB_ERR_INTERNAL, "%s", err.msg);
    ob_broker_close(NULL);
}

int main(void)
{
    unsetenv("PUBSUB_EMULATOR_HOST");
    setenv("OUTBREAK_GRPC_LOG", "0", 1);
    test_usage();
    test_unavailable();
    test_timeout_and_setup();
    CHECK_DONE();
}
