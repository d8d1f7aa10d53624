/* broker.c — the registry of broker adapters, by URL scheme. */
#include "broker.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

extern const ob_broker_ops ob_nats_ops, ob_amqp_ops, ob_amqps_ops, ob_kafka_ops, ob_pubsub_ops,
    ob_grpc_ops, ob_grpcs_ops;

static const ob_broker_ops *const registry[] = {
    &ob_nats_ops,
    &ob_amqp_ops,
    &ob_amqps_ops,
    &ob_kafka_ops,
    &ob_pubsub_ops,
    &ob_grpc_ops,
    &ob_grpcs_ops,
    NULL,
};

const ob_broker_ops *ob_broker_find(const char *scheme)
{
    for (int i = 0; registry[i]; i++)
        if (strcmp(registry[i]->scheme, scheme) == 0)
            return registry[i];
    return NULL;
}

static char scheme_list[128];

static void list_schemes(void)
{
    size_t len = 0;
    for (int i = 0; registry[i]; i++)
        len += (size_t)snprintf(scheme_list + len, sizeof scheme_list - len, "%s%s", i ? ", " : "",
                                registry[i]->scheme);
}

const char *ob_broker_schemes(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, list_schemes);
    return scheme_list;
}

/* What can be checked without connecting: one host unless the adapter takes a list,
 * known option names, and the adapter's own checks of the values. */
static int check_options(const ob_broker_ops *ops, const ob_url *url, ob_err *err)
{
    if (url->hosts && !ops->multi_host)
        return ob_err_set(err, "%s:// takes one host, not a list (\"%s\")", ops->scheme, url->hosts);
    if (ob_url_check_params(url, ops->params, err) != 0)
        return -1;
    return ops->check ? ops->check(url, err) : 0;
}

int ob_broker_check_url(const char *text, ob_err *err)
{
    ob_url url;
    if (ob_url_parse(text, &url, err) != 0)
        return -1;
    int rc = -1;
    const ob_broker_ops *ops = ob_broker_find(url.scheme);
    if (!ops)
        ob_err_set(err, "unsupported broker scheme \"%s\" (built in: %s)", url.scheme,
                   ob_broker_schemes());
    else
        rc = check_options(ops, &url, err);
    ob_url_free(&url);
    return rc;
}

int ob_broker_open(ob_broker **out, const char *text, const ob_broker_opts *opts, ob_err *err)
{
    ob_url url;
    *out = NULL;
    if (ob_url_parse(text, &url, err) != 0)
        return -1;
    int rc = -1;
    const ob_broker_ops *ops = ob_broker_find(url.scheme);
    if (!ops) {
        ob_err_set(err, "unsupported broker scheme \"%s\" (built in: %s)", url.scheme,
                   ob_broker_schemes());
        goto done;
    }
    if (check_options(ops, &url, err) != 0)
        goto done;
    rc = ops->open(out, &url, opts, err);
done:
    ob_url_free(&url);
    return rc;
}
