/* http.h — the HTTP load mode's two clients and what they share (brokers/ only).
 *
 *   http://host:port/path[?connections=8&timeout=30000]     https:// for TLS
 *
 * Publisher only: each record is one POST of its JSON body to the URL's path; a 2xx
 * answer is the ack, anything else a failure whose message carries the status
 * ("HTTP 503", "HTTP 400: <the body's first line>") or the connection error, so that
 * failures group by code. `connections` keep-alive connections per handle, one request
 * at a time on each (no pipelining); records beyond them wait in a FIFO in the adapter.
 *
 *   http://   http_plain.c: outbreak's own client, one epoll set per handle, the
 *             answers parsed by http_parser (Node's, Debian's libhttp-parser);
 *   https://  http_curl.c: libcurl's multi interface (TLS, certificates).
 *
 * The options and what the numbers mean are in docs/brokers/http.md. */
#ifndef OB_BROKERS_HTTP_H
#define OB_BROKERS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "broker.h"

/* The URL's options, checked. */
typedef struct http_settings {
    char target[2048];  /* the URL without its query: where the POSTs go */
    char path[1024];    /* the target's path ("/" when it has none) */
    char shown[256];    /* the target, redacted, for messages and the summary */
    char host[256];
    int port;
    long connections;   /* keep-alive connections, one request in flight on each */
    long timeout_ms;    /* per request, connecting included */
    bool tls, verify;
    char cacert[512];
} http_settings;

/* Parses and checks url's options into *s; -1 with one line naming the option. */
int ob_http_settings_parse(http_settings *s, const ob_url *url, ob_err *err);

/* The URL options both clients know. */
extern const char *const ob_http_params[];

/* The vtable entries both clients share; each client's ops start with these. */
#define OB_HTTP_OPS_SHARED                                                                \
    .way = "http", .title = "HTTP",                                                       \
    .all_order = 0, /* a client of a gateway, not a middleware: never in "all" */         \
    .local_url = "http://127.0.0.1:8000/", .relay = true, .params = ob_http_params,       \
    .check = ob_http_check, .default_url = ob_http_default_url,                           \
    .subscribe = ob_http_subscribe, .settle = ob_http_settle

int ob_http_check(const ob_url *url, ob_err *err);
void ob_http_default_url(const char *id, char *buf, size_t cap);
int ob_http_subscribe(ob_broker *b, ob_deliver_fn *deliver, void *arg, ob_err *err);
void ob_http_settle(ob_broker *b, ob_delivery *d, bool ok);
/* The durability both write: mode, acks, url, connections, keep-alive, timeout, tls;
 * `client` names the client ("outbreak" or "libcurl"). */
void ob_http_durability_common(const http_settings *s, const char *client, ob_durability *d);
/* The open's common part: the settings, the role, one connect naming the address. */
int ob_http_open_common(ob_broker *b, const ob_url *url, http_settings *s, ob_err *err);

/* A failure's message for an answer with `status` whose body starts with `body`
 * (NUL-terminated, possibly cut): "HTTP 503", or "HTTP 400: <its first line>" unless the
 * body is empty or an HTML page. */
void ob_http_status_text(long status, const char *body, char *buf, size_t cap);

/* What the gateways behind the URL said their 2xx answers mean: the body of an
 * `outbreak gateway`'s 200 names its middleware and what its ack means
 * ({"acked":1,...,"way":"nats","ack":"PubAck","acked_means":"..."}, docs/gateway.md).
 * One entry per way named, in the order first seen, with how many 2xx named it; a 2xx
 * whose body names no way (another server) is counted in `unnamed`. */
#define HTTP_BEHIND_MAX 6 /* the five middlewares and one more: 2 extras each */
#define HTTP_BODY_KEPT 512 /* the start of an answer's body each client keeps */

typedef struct http_behind_way {
    char way[24];
    char ack[96];
    char means[320];
    int64_t answers;
} http_behind_way;

typedef struct http_behind {
    int n, last;
    int64_t unnamed, others; /* 2xx naming no way; naming a way past HTTP_BEHIND_MAX */
    http_behind_way w[HTTP_BEHIND_MAX];
} http_behind;

/* Notes one 2xx answer's body (its first len bytes, maybe cut): a memmem for the way
 * per answer, the JSON read (ob_json) only for a way not seen before. */
void ob_http_behind_note(http_behind *t, const char *body, size_t len);
/* Adds the ways to d: "behind_<way>": what a 2xx through that way means (its
 * acked_means), and "answers_<way>": how many 2xx named it; "answers_unnamed" when some
 * named none. Nothing when no 2xx came. */
void ob_http_behind_durability(const http_behind *t, ob_durability *d);

#define HTTP_TIMEOUT_TEXT "http: no answer within %ld ms (timeout)"
#define HTTP_STOP_TEXT "http: no answer within the stop timeout"

#endif
