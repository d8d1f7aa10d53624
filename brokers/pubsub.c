/* pubsub.c — the Google Pub/Sub adapter, over the REST API with libcurl:
 *
 *   pubsub://PROJECT/TOPIC[?options]
 *
 * Against the emulator when PUBSUB_EMULATOR_HOST is set (or ?emulator=host:port), else
 * against https://pubsub.googleapis.com with credentials (pubsub_auth.h). Publisher:
 * batched publish requests, several in flight; the message ids are the acks. Subscriber:
 * pull, acknowledge after the insert. The options and what the numbers mean are in
 * docs/brokers/pubsub.md; the parts live in pubsub_http.c, pubsub_pub.c, pubsub_sub.c. */
#include "pubsub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

extern const ob_broker_ops ob_pubsub_ops;

static const char *const ps_params[] = {
    "subscription", "batch", "max_bytes", "linger", "inflight", "retries", "pull", "pullers",
    "ack_deadline", "emulator", "endpoint", "key_file", NULL,
};

/* Project and resource names: letters, digits and - . _ ~ + (no escaping needed). */
static int name_ok(const char *v, const char *what, char *dst, size_t cap, ob_err *err)
{
    size_t n = strlen(v);
    if (n == 0 || n >= cap)
        return ob_err_set(err, "pubsub: the %s must be 1..%zu characters", what, cap - 1);
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("-._~+", c)))
            return ob_err_set(err, "pubsub: the %s \"%s\" may hold only letters, digits and - . _ ~ +",
                              what, v);
    }
    memcpy(dst, v, n + 1);
    return 0;
}

int ps_settings_parse(ps_settings *s, const ob_url *url, const ob_broker_opts *opts, ob_err *err)
{
    memset(s, 0, sizeof *s);
    if (name_ok(url->host, "project", s->project, sizeof s->project, err) ||
        name_ok(*url->path ? url->path : "outbreak.records", "topic", s->topic, sizeof s->topic, err) ||
        name_ok(ob_url_param_str(url, "subscription", "outbreak-sink"), "subscription",
                s->subscription, sizeof s->subscription, err) ||
        ob_url_param_int(url, "batch", 1000, 1, 1000, &s->batch, err) ||
        ob_url_param_int(url, "max_bytes", 9000000, 65536, 10000000, &s->max_bytes, err) ||
        ob_url_param_int(url, "linger", 10, 0, 60000, &s->linger_ms, err) ||
        ob_url_param_int(url, "inflight", 8, 1, 256, &s->inflight, err) ||
        ob_url_param_int(url, "retries", 10, 1, 100, &s->retries, err) ||
        ob_url_param_int(url, "pull", 1000, 1, 1000, &s->pull, err) ||
        ob_url_param_int(url, "pullers", 2, 1, 16, &s->pullers, err) ||
        ob_url_param_int(url, "ack_deadline", 60, 10, 600, &s->ack_deadline, err))
        return -1;
    const char *emu = ob_url_param_str(url, "emulator", getenv("PUBSUB_EMULATOR_HOST"));
    const char *endpoint = ob_url_param_str(url, "endpoint", NULL);
    if (emu && *emu) {
        s->emulator = true;
        snprintf(s->endpoint, sizeof s->endpoint, "http://%s", emu);
    } else {
        snprintf(s->endpoint, sizeof s->endpoint, "%s", endpoint ? endpoint : "https://pubsub.googleapis.com");
    }
    if (strncmp(s->endpoint, "http://", 7) != 0 && strncmp(s->endpoint, "https://", 8) != 0)
        return ob_err_set(err, "pubsub: endpoint must be an http:// or https:// URL");
    s->timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 3000;
    snprintf(s->client_name, sizeof s->client_name, "%s", opts->client_name ? opts->client_name : "outbreak");
    return 0;
}

static void ps_close(ob_broker *b)
{
    ps_broker *pb = (ps_broker *)b;
    if (!pb)
        return;
    if (pb->role == OB_ROLE_PUBLISHER)
        ps_pub_close(pb);
    else
        ps_sub_close(pb);
    ob_pubsub_auth_close(pb->auth);
    free(pb);
}

static int ps_check(const ob_url *url, ob_err *err)
{
    ps_settings s;
    ob_broker_opts opts = {.role = OB_ROLE_PUBLISHER};
    return ps_settings_parse(&s, url, &opts, err);
}

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int ps_open(ob_broker **out, const ob_url *url, const ob_broker_opts *opts, ob_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, curl_init_once);
    ps_broker *pb = calloc(1, sizeof *pb);
    if (!pb)
        return ob_err_set(err, "pubsub: out of memory");
    pb->base.ops = &ob_pubsub_ops;
    pb->base.on_ack = opts->on_ack;
    pb->base.ack_arg = opts->ack_arg;
    pb->role = opts->role;
    if (opts->role == OB_ROLE_SUBSCRIBER) {
        pthread_mutex_init(&pb->sub.lock, NULL);
        pthread_cond_init(&pb->sub.wake, NULL);
    }
    int rc = ps_settings_parse(&pb->s, url, opts, err);
    if (rc == 0 && opts->role == OB_ROLE_PUBLISHER && !opts->on_ack)
        rc = ob_err_set(err, "pubsub: a publisher needs an ack callback");
    if (rc == 0) {
        ob_pubsub_auth_opts ao = {.emulator = pb->s.emulator,
                                  .key_file = ob_url_param_str(url, "key_file", NULL),
                                  .timeout_ms = pb->s.timeout_ms};
        rc = ob_pubsub_auth_open(&pb->auth, &ao, err);
    }
    if (rc == 0)
        rc = opts->role == OB_ROLE_PUBLISHER ? ps_pub_init(pb, err) : ps_sub_init(pb, err);
    if (rc != 0) {
        ps_close(&pb->base);
        return -1;
    }
    *out = &pb->base;
    return 0;
}

static void ps_durability(ob_broker *b, char *buf, size_t cap)
{
    const ps_broker *pb = (const ps_broker *)b;
    const ps_settings *s = &pb->s;
    char endpoint[400], auth[300];
    ob_json_write_string(endpoint, sizeof endpoint, s->endpoint);
    ob_json_write_string(auth, sizeof auth, ob_pubsub_auth_kind(pb->auth));
    snprintf(buf, cap,
             "{\"mode\":\"%s\",\"broker_ack\":true,\"publish_ack\":\"message id\",\"delivery\":\"at-least-once\","
             "\"endpoint\":%s,\"credentials\":%s,\"project\":\"%s\",\"topic\":\"%s\",\"batch\":%ld,"
             "\"linger_ms\":%ld,\"inflight\":%ld,\"retries\":%ld,\"subscription\":\"%s\",\"pull\":%ld,\"pullers\":%ld,"
             "\"ack_deadline_s\":%ld,\"consumer_ack\":\"acknowledge after the MongoDB insert\"}",
             s->emulator ? "emulator" : "google", endpoint, auth, s->project, s->topic, s->batch,
             s->linger_ms, s->inflight, s->retries, s->subscription, s->pull, s->pullers, s->ack_deadline);
}

const ob_broker_ops ob_pubsub_ops = {
    .scheme = "pubsub",
    .way = "pubsub",
    .params = ps_params,
    .check = ps_check,
    .open = ps_open,
    .publish = ps_pub_publish,
    .poll = ps_pub_poll,
    .flush = ps_pub_flush,
    .subscribe = ps_sub_subscribe,
    .settle = ps_sub_settle,
    .durability = ps_durability,
    .close = ps_close,
};
