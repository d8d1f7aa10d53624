/* http.c — what the HTTP load mode's two clients share (http.h): the URL's options,
 * the durability, the failure texts, and the vtable entries that are the same for both. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "json.h"
#include "net.h"

const char *const ob_http_params[] = {"connections", "timeout", "verify", "cacert", NULL};

static const char no_sink[] = "http: no subscriber side: the sink reads from the middleware behind the gateway";

int ob_http_settings_parse(http_settings *s, const ob_url *url, ob_err *err)
{
    memset(s, 0, sizeof *s);
    s->tls = strcmp(url->scheme, "https") == 0;
    if (!url->host[0])
        return ob_err_set(err, "%s: the URL names no host", url->scheme);
    if (ob_url_param_int(url, "connections", 8, 1, 10000, &s->connections, err) ||
        ob_url_param_int(url, "timeout", 30000, 1, 3600000, &s->timeout_ms, err) ||
        ob_url_param_bool(url, "verify", true, &s->verify, err) ||
        ob_option_copy(url->scheme, ob_url_param_str(url, "cacert", ""), "cacert", s->cacert,
                       sizeof s->cacert, true, err))
        return -1;
    if (!s->tls && (ob_url_param_str(url, "verify", NULL) || s->cacert[0]))
        return ob_err_set(err, "http: options verify and cacert are for https:// URLs");
    size_t n = strcspn(url->text, "?#");
    if (n >= sizeof s->target)
        return ob_err_set(err, "%s: the URL is longer than %zu characters", url->scheme, sizeof s->target - 1);
    memcpy(s->target, url->text, n);
    s->target[n] = '\0';
    /* the path: from the first '/' after "scheme://" */
    const char *auth = strstr(s->target, "://");
    const char *slash = auth ? strchr(auth + 3, '/') : NULL;
    snprintf(s->path, sizeof s->path, "%s", slash ? slash : "/");
    /* a path with a space or a line break would break the request line */
    if (strcspn(s->path, " \r\n\t") != strlen(s->path))
        return ob_err_set(err, "%s: the URL's path has a space or a line break", url->scheme);
    ob_url_redacted(s->target, s->shown, sizeof s->shown);
    snprintf(s->host, sizeof s->host, "%s", url->host);
    s->port = url->port ? url->port : s->tls ? 443 : 80;
    return 0;
}

int ob_http_check(const ob_url *url, ob_err *err)
{
    http_settings s;
    return ob_http_settings_parse(&s, url, err);
}

void ob_http_default_url(const char *id, char *buf, size_t cap)
{
    (void)id; /* the gateways behind the load balancer choose the names */
    snprintf(buf, cap, "http://127.0.0.1:8000/");
}

int ob_http_subscribe(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err)
{
    (void)b;
    (void)deliver;
    (void)arg;
    return ob_err_setk(err, OB_ERR_USAGE, "%s", no_sink);
}

void ob_http_settle(ob_broker *b, ob_delivery *d, bool ok)
{
    (void)b;
    (void)d;
    (void)ok; /* nothing is ever delivered */
}

int ob_http_open_common(ob_broker *b, const ob_url *url, http_settings *s, ob_err *err)
{
    if (ob_http_settings_parse(s, url, err) != 0)
        return ob_err_kind_set(err, OB_ERR_USAGE);
    if (b->role != OB_ROLE_PUBLISHER)
        return ob_err_setk(err, OB_ERR_USAGE, "%s", no_sink);
    /* fail fast, naming the address, rather than with every record */
    if (ob_tcp_connect(s->host, s->port, b->connect_timeout_ms, NULL, err) != 0)
        return ob_err_prefix(err, "%s", url->scheme);
    return 0;
}

void ob_http_durability_common(const http_settings *s, const char *client, ob_durability *d)
{
    ob_durability_set(d, "http", true, "HTTP 2xx from the gateway", "the middleware's",
                      "the gateway answered 2xx (what its middleware's ack means)");
    ob_durability_str(d, "url", s->shown);
    ob_durability_int(d, "connections", s->connections);
    ob_durability_bool(d, "keep_alive", true);
    ob_durability_bool(d, "pipelining", false);
    ob_durability_int(d, "timeout_ms", s->timeout_ms);
    ob_durability_bool(d, "tls", s->tls);
    if (s->tls)
        ob_durability_bool(d, "verify", s->verify);
    ob_durability_str(d, "client", client);
}

void ob_http_status_text(long status, const char *body, char *buf, size_t cap)
{
    size_t n = strcspn(body, "\r\n");
    if (n == 0 || body[0] == '<')
        snprintf(buf, cap, "HTTP %ld", status);
    else
        snprintf(buf, cap, "HTTP %ld: %.*s", status, (int)(n < 120 ? n : 120), body);
}

/* ---- what the gateways behind said ----------------------------------------------- */

/* A way not seen before: its entry from the body's JSON (way, ack, acked_means). */
static void behind_add(http_behind *t, const char *body, size_t len, const char *way, size_t way_len)
{
    if (t->n == HTTP_BEHIND_MAX) {
        t->others++;
        return;
    }
    http_behind_way *e = &t->w[t->n];
    memset(e, 0, sizeof *e);
    snprintf(e->way, sizeof e->way, "%.*s", (int)way_len, way);
    ob_json j;
    ob_json_init(&j, body, len);
    char key[32];
    if (ob_json_object_begin(&j) == 0) {
        while (ob_json_object_next(&j, key, sizeof key, NULL) == 1) {
            char *into = strcmp(key, "ack") == 0           ? e->ack
                         : strcmp(key, "acked_means") == 0 ? e->means
                                                           : NULL;
            size_t cap = into == e->ack ? sizeof e->ack : sizeof e->means;
            if (into && ob_json_peek(&j) == OB_JSON_STRING) {
                if (ob_json_string(&j, into, cap, NULL) != 0)
                    break;
            } else if (ob_json_skip(&j) != 0) {
                break; /* a body cut short: what was read so far stays */
            }
        }
    }
    e->answers = 1;
    t->last = t->n++;
}

void ob_http_behind_note(http_behind *t, const char *body, size_t len)
{
    static const char key[] = "\"way\":\"";
    const char *at = len >= sizeof key - 1 ? memmem(body, len, key, sizeof key - 1) : NULL;
    if (!at) {
        t->unnamed++;
        return;
    }
    const char *way = at + sizeof key - 1, *end = body + len;
    const char *quote = memchr(way, '"', (size_t)(end - way));
    if (!quote || quote == way) {
        t->unnamed++;
        return;
    }
    size_t n = (size_t)(quote - way);
    /* a middleware's name, as a gateway writes it: anything else names no way (and
     * could not be a durability key) */
    bool name = n < sizeof t->w[0].way;
    for (size_t i = 0; name && i < n; i++)
        name = (way[i] >= 'a' && way[i] <= 'z') || (way[i] >= 'A' && way[i] <= 'Z') ||
               (way[i] >= '0' && way[i] <= '9') || way[i] == '_' || way[i] == '-' || way[i] == '.';
    if (!name) {
        t->unnamed++;
        return;
    }
    if (t->n > 0 && strlen(t->w[t->last].way) == n && memcmp(t->w[t->last].way, way, n) == 0) {
        t->w[t->last].answers++;
        return;
    }
    for (int i = 0; i < t->n; i++)
        if (strlen(t->w[i].way) == n && memcmp(t->w[i].way, way, n) == 0) {
            t->w[i].answers++;
            t->last = i;
            return;
        }
    behind_add(t, body, len, way, n);
}

void ob_http_behind_durability(const http_behind *t, ob_durability *d)
{
    char key[40];
    for (int i = 0; i < t->n; i++) {
        const http_behind_way *e = &t->w[i];
        snprintf(key, sizeof key, OB_DURABILITY_BEHIND_PREFIX "%s", e->way);
        ob_durability_str(d, key, e->means[0] ? e->means : e->ack[0] ? e->ack : NULL);
        snprintf(key, sizeof key, OB_DURABILITY_COUNT_PREFIX "%s", e->way);
        ob_durability_int(d, key, e->answers);
    }
    if (t->unnamed > 0)
        ob_durability_int(d, OB_DURABILITY_COUNT_PREFIX OB_DURABILITY_UNNAMED, t->unnamed);
    if (t->others > 0)
        ob_durability_int(d, OB_DURABILITY_COUNT_PREFIX OB_DURABILITY_OTHER_WAYS, t->others);
}
