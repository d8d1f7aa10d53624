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

int ob_ps_settings_parse(ps_settings *s, const ob_url *url, ob_err *err)
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
    s->ack_deadline_given = ob_url_param_str(url, "ack_deadline", NULL) != NULL;
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
    s->timeout_ms = 3000;
    return 0;
}

static void ps_close(ob_broker *b)
{
    ps_broker *pb = (ps_broker *)b;
    /* both are safe on a part that never started (the subscriber's lock is made first
     * thing at open) */
    if (b->role == OB_ROLE_PUBLISHER)
        ob_ps_pub_close(pb);
    else
        ob_ps_sub_close(pb);
    ob_pubsub_auth_close(pb->auth);
}

static int ps_check(const ob_url *url, ob_err *err)
{
    ps_settings s;
    return ob_ps_settings_parse(&s, url, err);
}

/* The emulator of the local stack: PUBSUB_EMULATOR_HOST, else scripts/stack's port. */
static const char *local_emulator(void)
{
    const char *emu = getenv("PUBSUB_EMULATOR_HOST");
    return emu && *emu ? emu : "127.0.0.1:8085";
}

static void ps_default_url(const char *id, char *buf, size_t cap)
{
    snprintf(buf, cap, "pubsub://outbreak-compare/outbreak-%s?subscription=outbreak-%s-sink&emulator=%s", id,
             id, local_emulator());
}

/* The broker process is the emulator, when there is one (Google's servers are not ours
 * to check). */
static void ps_endpoint(const ob_url *url, char *host, size_t cap, int *port)
{
    const char *emu = ob_url_param_str(url, "emulator", getenv("PUBSUB_EMULATOR_HOST"));
    const char *colon = emu ? strrchr(emu, ':') : NULL;
    if (colon && colon > emu) {
        snprintf(host, cap, "%.*s", (int)(colon - emu), emu);
        *port = atoi(colon + 1);
    }
}

static void curl_init_once(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

static int ps_open(ob_broker *b, const ob_url *url, ob_err *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, curl_init_once);
    ps_broker *pb = (ps_broker *)b;
    if (b->role == OB_ROLE_SUBSCRIBER) {
        pthread_mutex_init(&pb->sub.lock, NULL);
        pthread_cond_init(&pb->sub.wake, NULL);
    }
    if (ob_ps_settings_parse(&pb->s, url, err) != 0)
        return ob_err_kind_set(err, OB_ERR_USAGE);
    pb->s.timeout_ms = b->connect_timeout_ms;
    ob_pubsub_auth_opts ao = {.emulator = pb->s.emulator,
                              .key_file = ob_url_param_str(url, "key_file", NULL),
                              .timeout_ms = pb->s.timeout_ms};
    if (ob_pubsub_auth_open(&pb->auth, &ao, err) != 0)
        return -1;
    return b->role == OB_ROLE_PUBLISHER ? ob_ps_pub_init(pb, err) : ob_ps_sub_init(pb, err);
}

static void ps_durability(ob_broker *b, ob_durability *d)
{
    const ps_broker *pb = (const ps_broker *)b;
    const ps_settings *s = &pb->s;
    ob_durability_set(d, s->emulator ? "emulator" : "google", true, "message id", "at-least-once", NULL);
    ob_durability_str(d, "endpoint", s->endpoint);
    ob_durability_str(d, "credentials", ob_pubsub_auth_kind(pb->auth));
    ob_durability_str(d, "project", s->project);
    ob_durability_str(d, "topic", s->topic);
    ob_durability_int(d, "batch", s->batch);
    ob_durability_int(d, "linger_ms", s->linger_ms);
    ob_durability_int(d, "inflight", s->inflight);
    ob_durability_int(d, "retries", s->retries);
    ob_durability_str(d, "subscription", s->subscription);
    ob_durability_int(d, "pull", s->pull);
    ob_durability_int(d, "pullers", s->pullers);
    /* the subscription's own deadline when it was read (the URL's when it is created) */
    ob_durability_int(d, "ack_deadline_s", s->ack_deadline);
    ob_durability_str(d, "subscription_origin", !s->subscription_known ? "not there at start"
                                                : s->subscription_existed ? "existed"
                                                                          : "created by this process");
    ob_durability_str(d, "consumer_ack", "acknowledge after the MongoDB insert");
}

const ob_broker_ops ob_pubsub_ops = {
    .scheme = "pubsub",
    .way = "pubsub",
    .title = "Pub/Sub",
    .course_channel = "Google Pub-Sub",
    .all_order = 4,
    .synopsis = "pubsub://project/topic",
    .local_url = "pubsub://outbreak/outbreak.records",
    .default_port = 0,
    .handle_size = sizeof(ps_broker),
    .params = ps_params,
    .check = ps_check,
    .default_url = ps_default_url,
    .endpoint = ps_endpoint,
    .open = ps_open,
    .publish = ob_ps_pub_publish,
    .poll = ob_ps_pub_poll,
    .flush = ob_ps_pub_flush,
    .subscribe = ob_ps_sub_subscribe,
    .settle = ob_ps_sub_settle,
    .durability = ps_durability,
    .close = ps_close,
};
