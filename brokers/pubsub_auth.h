/* pubsub_auth.h — credentials for Google Pub/Sub's REST API: which ones, and the
 * "Authorization" header to send with each request.
 *
 * Chosen in this order:
 *   1. the emulator (PUBSUB_EMULATOR_HOST set, or opts->emulator): no credentials;
 *   2. a service-account key file (opts->key_file, else GOOGLE_APPLICATION_CREDENTIALS):
 *      a JWT (RS256, signed with the key's private key through OpenSSL, claims iss = the
 *      key's client_email, scope, aud = token_uri, iat, exp = iat + 3600) exchanged at the
 *      key's token_uri (or opts->token_uri) for an access token
 *      (grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer);
 *   3. the GCE metadata server (opts->metadata_url, default
 *      http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token,
 *      with the header Metadata-Flavor: Google).
 * An access token is refreshed when it expires within 60 s. Tokens, keys and JWTs never
 * appear in messages, logs or output: errors say which step failed and the HTTP status
 * and the server's error text (the "error" / "error_description" fields), nothing else. */
#ifndef OB_PUBSUB_AUTH_H
#define OB_PUBSUB_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct ob_pubsub_auth ob_pubsub_auth;

typedef struct ob_pubsub_auth_opts {
    int emulator;             /* 1: no credentials whatever the environment says */
    const char *key_file;     /* NULL: GOOGLE_APPLICATION_CREDENTIALS */
    const char *token_uri;    /* NULL: the key file's token_uri */
    const char *metadata_url; /* NULL: the GCE metadata server's token URL */
    const char *scope;        /* NULL: https://www.googleapis.com/auth/pubsub */
    int timeout_ms;           /* per HTTP request (default 3000) */
} ob_pubsub_auth_opts;

/* Picks the credentials (see above) and, for a key file or the metadata server, fetches
 * the first token, so that bad credentials fail here, with one line. */
int ob_pubsub_auth_open(ob_pubsub_auth **out, const ob_pubsub_auth_opts *opts, ob_err *err);

/* Writes the header line to send ("Authorization: Bearer <token>") into buf, refreshing
 * the token first if it expires within 60 s; writes "" for the emulator. Thread-safe.
 * -1 with err (no secret in it) if a refresh failed. */
int ob_pubsub_auth_header(ob_pubsub_auth *a, char *buf, size_t cap, ob_err *err);

/* "none (emulator)", "service-account key <client_email>", "metadata server". */
const char *ob_pubsub_auth_kind(const ob_pubsub_auth *a);

/* Seconds until the current token expires (for tests and logs); -1 without a token. */
int64_t ob_pubsub_auth_expires_in(const ob_pubsub_auth *a);

/* NULL-safe. Wipes the token and key from memory. */
void ob_pubsub_auth_close(ob_pubsub_auth *a);

/* The JWT assertion for a key (exposed for the tests, which verify its signature with
 * the key's public half): header.claims.signature, base64url. iat is `now` (Unix s).
 * Returns a malloc'd string or NULL with err. */
char *ob_pubsub_jwt(const char *client_email, const char *private_key_pem, const char *scope,
                    const char *audience, int64_t now, ob_err *err);

#endif
