/* listener.h — what every HTTP listener of outbreak shares (the gateway, the web UI, the
 * /metrics of run and sink; all on libmicrohttpd): TLS from a certificate and a key in
 * PEM files (Locust's --tls-cert and --tls-key), and the HTTP Basic login.
 *
 *   ob_listener_tls tls;
 *   if (ob_listener_tls_load(&tls, cert_path, key_path, &err) != 0) ... usage error
 *   struct MHD_OptionItem opts[OB_LISTENER_TLS_OPTIONS];
 *   ob_listener_tls_options(&tls, opts);           // MHD_OPTION_ARRAY, opts
 *   flags |= ob_listener_tls_flags(&tls);          // MHD_USE_TLS when on
 *   ...
 *   if (!ob_listener_login_ok(conn, "user:pass")) return ob_listener_ask_login(conn, ...);
 *
 * The files are read once, at start; the daemon keeps its own copy of the key. */
#ifndef OB_LISTENER_H
#define OB_LISTENER_H

#include <microhttpd.h>
#include <stdbool.h>

#include "err.h"

typedef struct ob_listener_tls {
    char *cert_pem; /* NULL: plain HTTP */
    char *key_pem;
} ob_listener_tls;

/* Room ob_listener_tls_options needs, its terminator included. */
#define OB_LISTENER_TLS_OPTIONS 3

/* Reads the certificate (chain) and the key, both given or neither (then plain HTTP).
 * Returns 0, or -1 with err (kind OB_ERR_USAGE) naming the flag or the file: one given
 * without the other, a file that cannot be read, one that is not PEM. */
int ob_listener_tls_load(ob_listener_tls *t, const char *cert_path, const char *key_path, ob_err *err);

/* MHD_USE_TLS when TLS is on, else 0. */
unsigned ob_listener_tls_flags(const ob_listener_tls *t);

/* The daemon's options for TLS (the certificate and key in memory) into items, ended by
 * MHD_OPTION_END: pass them with MHD_OPTION_ARRAY. Nothing but the end when off. */
void ob_listener_tls_options(const ob_listener_tls *t, struct MHD_OptionItem *items);

/* "https" or "http", for the lines that print the listener's address. */
const char *ob_listener_scheme(const ob_listener_tls *t);

/* NULL-safe on the fields; the key is wiped before it is freed. */
void ob_listener_tls_free(ob_listener_tls *t);

/* True when login is NULL (none asked for) or the request's HTTP Basic credentials are
 * exactly login ("USER:PASS"), compared in constant time. */
bool ob_listener_login_ok(struct MHD_Connection *conn, const char *login);

/* Queues 401 with WWW-Authenticate: Basic realm="outbreak" and the body given. */
enum MHD_Result ob_listener_ask_login(struct MHD_Connection *conn, const char *type, const char *body);

#endif
