/* url.h — the broker and database URLs: scheme://[user[:pass]@]host[:port][,host[:port]...][/path][?k=v&k=v].
 *
 * Also accepts the Pub/Sub form pubsub://project/topic (host = project). Percent-
 * escapes in user, password, path and query values are decoded. IPv6 hosts in
 * brackets ("[::1]:4222") are accepted; the brackets are stripped from host. */
#ifndef OB_URL_H
#define OB_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define OB_URL_MAX_PARAMS 32

typedef struct ob_url_param {
    char *key;
    char *value; /* "" when the key had no '=' */
} ob_url_param;

typedef struct ob_url {
    char *text;   /* the original string, as given */
    char *scheme; /* lower-cased */
    char *user;   /* NULL if absent */
    char *pass;   /* NULL if absent */
    char *host;   /* never NULL after a successful parse; may be "" only if scheme allows */
    int port;     /* 0 if absent */
    char *hosts;  /* "a:9092,b:9092" as written when the URL lists several hosts (Kafka's
                     bootstrap servers; host and port are then the first), else NULL */
    char *path;   /* without the leading '/', "" if absent */
    int nparams;
    ob_url_param params[OB_URL_MAX_PARAMS];
} ob_url;

/* Parses `text` into *url (all strings malloc'd; free with ob_url_free). On error
 * returns -1 with err like: invalid URL "nats//x": missing "://". */
int ob_url_parse(const char *text, ob_url *url, ob_err *err);
/* NULL-safe; leaves *url zeroed. */
void ob_url_free(ob_url *url);

/* The value of query parameter `key` (last one wins), or `def` if absent. */
const char *ob_url_param_str(const ob_url *url, const char *key, const char *def);
/* Boolean parameter: 1/true/yes/on or 0/false/no/off; "" (key present, no value) is
 * true. Returns -1 with err naming the key and value if it is something else. */
int ob_url_param_bool(const ob_url *url, const char *key, bool def, bool *out, ob_err *err);
/* Integer parameter within [min, max]; -1 with err naming the key otherwise. */
int ob_url_param_int(const ob_url *url, const char *key, long def, long min, long max, long *out,
                     ob_err *err);
/* Copies an option's value v into dst[cap] for adapter `who` ("rabbitmq", "kafka", ...);
 * -1 with err "WHO: option KEY must be 1..N characters" (0..N when it may be empty) if
 * it is empty or does not fit. */
int ob_option_copy(const char *who, const char *v, const char *key, char *dst, size_t cap,
                   bool may_be_empty, ob_err *err);
/* 0 if v is one of `allowed` (NULL-terminated), else -1 with err
 * "WHO: option KEY must be one of a, b, not \"v\"". */
int ob_option_choice(const char *who, const char *v, const char *key, const char *const *allowed,
                     ob_err *err);

/* Returns -1 with err naming the first parameter not in the NULL-terminated list
 * `known` (an entry "prefix.*" admits every key that starts with "prefix.") ("unknown option 'x' in nats://...; known: a, b"), else 0. */
int ob_url_check_params(const ob_url *url, const char *const *known, ob_err *err);

/* The URL as it may be shown (reports, JSON, logs): the password and the values of
 * secret-looking options replaced by "***", escaped, cut at 200 bytes. Returns buf. */
const char *ob_url_redacted(const char *text, char *buf, size_t cap);

/* "host:port" (or "[v6]:port"), with `defport` when the URL has none, into buf. */
const char *ob_url_hostport(const ob_url *url, int defport, char *buf, int cap);

#endif
