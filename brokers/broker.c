/* broker.c — the registry of broker adapters and what every adapter shares: lookup by
 * scheme and by way, the URL check (a usage error), the handle's allocation and defaults
 * in ob_broker_open, close, and the local-stack URLs and endpoints callers ask for.
 *
 * Adding a middleware: write brokers/<name>.c with its ob_broker_ops, and add one line
 * below. */
#include "broker.h"

#include <assert.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const ob_broker_ops ob_nats_ops, ob_nats_tls_ops, ob_amqp_ops, ob_amqps_ops, ob_kafka_ops, ob_pubsub_ops,
    ob_grpc_ops, ob_grpcs_ops, ob_http_ops, ob_https_ops;

/* The first entry is `outbreak run`'s default broker. */
static const ob_broker_ops *const registry[] = {
    &ob_nats_ops,
    &ob_nats_tls_ops, /* tls://: NATS over TLS (the way stays "nats") */
    &ob_amqp_ops,
    &ob_amqps_ops,
    &ob_kafka_ops,
    &ob_pubsub_ops,
    &ob_grpc_ops,
    &ob_grpcs_ops,
    &ob_http_ops, /* the HTTP load mode (a gateway's client); ob_https_ops beside it */
    &ob_https_ops,
};

#define NREGISTRY ((int)(sizeof registry / sizeof registry[0]))

int ob_broker_count(void)
{
    return NREGISTRY;
}

const ob_broker_ops *ob_broker_at(int i)
{
    return i >= 0 && i < NREGISTRY ? registry[i] : NULL;
}

const ob_broker_ops *ob_broker_find(const char *scheme)
{
    for (int i = 0; i < NREGISTRY; i++)
        if (strcmp(registry[i]->scheme, scheme) == 0)
            return registry[i];
    return NULL;
}

const ob_broker_ops *ob_broker_of_url(const char *text)
{
    ob_url url;
    if (ob_url_parse(text, &url, NULL) != 0)
        return NULL;
    const ob_broker_ops *ops = ob_broker_find(url.scheme);
    ob_url_free(&url);
    return ops;
}

const ob_broker_ops *ob_broker_by_way(const char *way)
{
    for (int i = 0; i < NREGISTRY; i++)
        if (registry[i]->all_order > 0 && strcmp(registry[i]->way, way) == 0)
            return registry[i];
    return NULL;
}

int ob_broker_all_count(void)
{
    int n = 0;
    for (int i = 0; i < NREGISTRY; i++)
        n += registry[i]->all_order > 0;
    return n;
}

/* The i-th adapter of "all": the one with the i-th smallest all_order. */
const ob_broker_ops *ob_broker_all_at(int i)
{
    for (int k = 0; k < NREGISTRY; k++) {
        int order = registry[k]->all_order, before = 0;
        if (order <= 0)
            continue;
        for (int j = 0; j < NREGISTRY; j++)
            before += registry[j]->all_order > 0 &&
                      (registry[j]->all_order < order || (registry[j]->all_order == order && j < k));
        if (before == i)
            return registry[k];
    }
    return NULL;
}

/* The texts built once from the tables (read-only afterwards). */
typedef struct texts {
    char schemes[256];
    char ways[256];
    char help[2048];
} texts;

static texts built;

static void append(char *buf, size_t cap, const char *fmt, const char *a, const char *b)
{
    size_t len = strlen(buf);
    if (len + 1 < cap)
        snprintf(buf + len, cap - len, fmt, a, b);
}

static void build_texts(void)
{
    for (int i = 0; i < NREGISTRY; i++) {
        const ob_broker_ops *ops = registry[i];
        append(built.schemes, sizeof built.schemes, "%s%s", i ? ", " : "", ops->scheme);
        if (ops->synopsis)
            append(built.help, sizeof built.help, "%s%s", ops->synopsis, "\n");
        assert(ops->check && ops->default_url && ops->open && ops->close && ops->durability &&
               ops->handle_size >= sizeof(ob_broker));
    }
    for (int i = 0; i < ob_broker_all_count(); i++)
        append(built.ways, sizeof built.ways, "%s%s", i ? ", " : "", ob_broker_all_at(i)->way);
    append(built.help, sizeof built.help, "(default %s); the options are in\n%s", ob_broker_default_url(),
           "docs/brokers/<middleware>.md");
}

static const texts *get_texts(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, build_texts);
    return &built;
}

const char *ob_broker_schemes(void)
{
    return get_texts()->schemes;
}

const char *ob_broker_ways(void)
{
    return get_texts()->ways;
}

const char *ob_broker_help(void)
{
    return get_texts()->help;
}

const char *ob_broker_default_url(void)
{
    return registry[0]->local_url;
}

void ob_broker_local_url(const ob_broker_ops *ops, const char *id, char *buf, size_t cap)
{
    char lower[128];
    size_t n = 0;
    for (; id[n] && n + 1 < sizeof lower; n++)
        lower[n] = (char)(id[n] >= 'A' && id[n] <= 'Z' ? id[n] - 'A' + 'a' : id[n]);
    lower[n] = '\0';
    if (cap)
        buf[0] = '\0';
    ops->default_url(lower, buf, cap);
}

void ob_broker_endpoint(const char *text, char *host, size_t cap, int *port)
{
    host[0] = '\0';
    *port = 0;
    ob_url url;
    if (ob_url_parse(text, &url, NULL) != 0)
        return;
    const ob_broker_ops *ops = ob_broker_find(url.scheme);
    if (ops && !ops->sink_is_server) {
        if (ops->endpoint) {
            ops->endpoint(&url, host, cap, port);
        } else {
            snprintf(host, cap, "%s", url.host);
            *port = url.port ? url.port : ops->default_port;
        }
    }
    ob_url_free(&url);
}

/* What can be checked without connecting: one host unless the adapter takes a list,
 * known option names, and the adapter's own checks of the values. Usage errors. */
static int check_options(const ob_broker_ops *ops, const ob_url *url, ob_err *err)
{
    if (!ops->check) /* broker.h: required; test_broker_registry checks every adapter */
        ob_err_set(err, "%s: the adapter has no check", ops->scheme);
    else if (url->hosts && !ops->multi_host)
        ob_err_set(err, "%s:// takes one host, not a list (\"%s\")", ops->scheme, url->hosts);
    else if (ob_url_check_params(url, ops->params, err) == 0 && ops->check(url, err) == 0)
        return 0;
    return ob_err_kind_set(err, OB_ERR_USAGE);
}

/* Parses and checks `text`; *ops is its adapter. */
static int parse_checked(const char *text, ob_url *url, const ob_broker_ops **ops, ob_err *err)
{
    if (ob_url_parse(text, url, err) != 0)
        return ob_err_kind_set(err, OB_ERR_USAGE);
    *ops = ob_broker_find(url->scheme);
    if (!*ops)
        ob_err_setk(err, OB_ERR_USAGE, "unsupported broker scheme \"%s\" (built in: %s)", url->scheme,
                    ob_broker_schemes());
    else if (check_options(*ops, url, err) == 0)
        return 0;
    ob_err_hide(err, url->pass);
    ob_url_free(url);
    return -1;
}

int ob_broker_check_url(const char *text, ob_err *err)
{
    ob_url url;
    const ob_broker_ops *ops;
    if (parse_checked(text, &url, &ops, err) != 0)
        return -1;
    ob_url_free(&url);
    return 0;
}

ob_auto_tick ob_broker_auto_tick(const char *text)
{
    ob_url url;
    const ob_broker_ops *ops;
    ob_err err;
    ob_auto_tick t = {0};
    if (parse_checked(text, &url, &ops, &err) != 0)
        return t;
    if (ops->auto_tick)
        t = ops->auto_tick(&url);
    ob_url_free(&url);
    return t;
}

void ob_broker_measure_from(ob_broker *b, uint64_t token)
{
    atomic_store_explicit(&b->measure_from, token, memory_order_release);
}

bool ob_broker_measured(const ob_broker *b, uint64_t token)
{
    return token >= atomic_load_explicit(&((ob_broker *)b)->measure_from, memory_order_acquire);
}

int ob_broker_open(ob_broker **out, const char *text, const ob_broker_opts *opts, ob_err *err)
{
    *out = NULL;
    ob_url url;
    const ob_broker_ops *ops;
    if (parse_checked(text, &url, &ops, err) != 0)
        return -1;
    int rc = -1;
    ob_broker *b = NULL;
    if (opts->role == OB_ROLE_PUBLISHER && !opts->on_ack) {
        ob_err_set(err, "%s: a publisher needs an ack callback", ops->way);
        goto done;
    }
    b = calloc(1, ops->handle_size);
    if (!b) {
        ob_err_set(err, "%s: out of memory", ops->way);
        goto done;
    }
    b->ops = ops;
    b->role = opts->role;
    b->on_ack = opts->on_ack;
    b->ack_arg = opts->ack_arg;
    b->connect_timeout_ms = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms : 3000;
    b->paced_rate = opts->paced_rate > 0 ? opts->paced_rate : 0;
    b->paced_tick_ns = opts->paced_tick_ns > 0 ? opts->paced_tick_ns : 0;
    b->paced_open = opts->paced_open && b->paced_rate > 0;
    b->loop_driven = opts->loop_driven && opts->role == OB_ROLE_PUBLISHER;
    atomic_init(&b->measure_from, opts->warmup ? UINT64_MAX : 1);
    snprintf(b->client_name, sizeof b->client_name, "%s",
             opts->client_name && *opts->client_name ? opts->client_name : "outbreak");
    rc = ops->open(b, &url, err);
    if (rc != 0) {
        ob_err_hide(err, url.pass);
        ops->close(b);
        free(b);
        b = NULL;
    }
done:
    ob_url_free(&url);
    *out = b;
    return rc;
}

void ob_broker_close(ob_broker *b)
{
    if (!b)
        return;
    b->ops->close(b);
    free(b);
}

void ob_broker_durability(ob_broker *b, ob_durability *d)
{
    memset(d, 0, sizeof *d);
    b->ops->durability(b, d);
}

/* ---- durability ---------------------------------------------------------------------- */


void ob_durability_set(ob_durability *d, const char *mode, bool broker_ack, const char *publish_ack,
                       const char *delivery, const char *acked_means)
{
    ob_utf8_copy(d->mode, sizeof d->mode, mode);
    d->broker_ack = broker_ack;
    ob_utf8_copy(d->publish_ack, sizeof d->publish_ack, publish_ack);
    ob_utf8_copy(d->delivery, sizeof d->delivery, delivery);
    ob_utf8_copy(d->acked_means, sizeof d->acked_means, acked_means);
}

static ob_dur_extra *add_extra(ob_durability *d, const char *key, ob_dur_type type)
{
    if (d->nextras >= OB_DURABILITY_MAX_EXTRAS)
        return NULL;
    ob_dur_extra *e = &d->extras[d->nextras++];
    memset(e, 0, sizeof *e);
    ob_utf8_copy(e->key, sizeof e->key, key);
    e->type = type;
    return e;
}

int ob_durability_str(ob_durability *d, const char *key, const char *value)
{
    ob_dur_extra *e = add_extra(d, key, value ? OB_DUR_STR : OB_DUR_NULL);
    if (!e)
        return -1;
    if (value && !(e->str = strdup(value))) {
        e->type = OB_DUR_NULL;
        return -1;
    }
    return 0;
}

int ob_durability_int(ob_durability *d, const char *key, int64_t value)
{
    ob_dur_extra *e = add_extra(d, key, OB_DUR_INT);
    if (!e)
        return -1;
    e->num = value;
    return 0;
}

int ob_durability_bool(ob_durability *d, const char *key, bool value)
{
    ob_dur_extra *e = add_extra(d, key, OB_DUR_BOOL);
    if (!e)
        return -1;
    e->flag = value;
    return 0;
}

void ob_durability_free(ob_durability *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->nextras && i < OB_DURABILITY_MAX_EXTRAS; i++)
        free(d->extras[i].str);
    memset(d, 0, sizeof *d);
}

void ob_durability_backlog(ob_durability *d, int64_t n)
{
    if (n >= 0)
        ob_durability_int(d, "backlog_at_start", n);
    else
        ob_durability_str(d, "backlog_at_start", NULL);
}

void ob_broker_say_backlog(const char *way, int64_t n, const char *where, const char *remedy)
{
    static atomic_bool said;
    if (n <= 0 || atomic_exchange(&said, true))
        return;
    fprintf(stderr,
            "outbreak: %s: %lld records from before this run wait in %s: sinks deliver them first, so this run's "
            "records reach MongoDB after them and their end-to-end latency counts that wait (%s)\n",
            way, (long long)n, where, remedy);
}

void ob_durability_merge(ob_durability *into, const ob_durability *from)
{
    size_t plen = strlen(OB_DURABILITY_COUNT_PREFIX);
    for (int i = 0; i < from->nextras; i++) {
        const ob_dur_extra *e = &from->extras[i];
        ob_dur_extra *mine = NULL;
        for (int k = 0; k < into->nextras && !mine; k++)
            if (strcmp(into->extras[k].key, e->key) == 0)
                mine = &into->extras[k];
        if (mine) {
            if (mine->type == OB_DUR_INT && e->type == OB_DUR_INT &&
                strncmp(e->key, OB_DURABILITY_COUNT_PREFIX, plen) == 0)
                mine->num += e->num;
            continue;
        }
        switch (e->type) {
        case OB_DUR_STR: ob_durability_str(into, e->key, e->str); break;
        case OB_DUR_INT: ob_durability_int(into, e->key, e->num); break;
        case OB_DUR_BOOL: ob_durability_bool(into, e->key, e->flag); break;
        case OB_DUR_NULL: ob_durability_str(into, e->key, NULL); break;
        }
    }
}

void ob_durability_write(ob_jw *w, const ob_durability *d)
{
    ob_jw_object(w);
    ob_jw_key(w, "mode");
    ob_jw_str(w, d->mode);
    ob_jw_key(w, "broker_ack");
    ob_jw_bool(w, d->broker_ack);
    ob_jw_key(w, "publish_ack");
    ob_jw_str(w, d->publish_ack);
    if (d->acked_means[0]) {
        ob_jw_key(w, "acked_means");
        ob_jw_str(w, d->acked_means);
    }
    ob_jw_key(w, "delivery");
    ob_jw_str(w, d->delivery);
    for (int i = 0; i < d->nextras && i < OB_DURABILITY_MAX_EXTRAS; i++) {
        const ob_dur_extra *e = &d->extras[i];
        ob_jw_key(w, e->key);
        switch (e->type) {
        case OB_DUR_STR: ob_jw_str(w, e->str); break;
        case OB_DUR_INT: ob_jw_int(w, e->num); break;
        case OB_DUR_BOOL: ob_jw_bool(w, e->flag); break;
        case OB_DUR_NULL: ob_jw_null(w); break;
        }
    }
    ob_jw_end(w);
}
