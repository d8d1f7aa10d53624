/* pubsub_key.h — what the credentials read: a service-account key file (the JSON Google
 * issues for a service account) and the token endpoint's answers. Private to
 * pubsub_auth.c and pubsub_key.c (which also defines ob_pubsub_jwt, declared in
 * pubsub_auth.h, to sign the JWT with the key), and to the fuzz targets of these readers
 * (tests/fuzz/fuzz_pubsub_key.c, fuzz_pubsub_token.c). */
#ifndef OB_PUBSUB_KEY_H
#define OB_PUBSUB_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

typedef struct ob_pubsub_key {
    char *email;     /* client_email */
    char *pem;       /* private_key as PEM text: secret */
    char *token_uri; /* NULL when the file has none */
} ob_pubsub_key;

/* Reads the key file at path (at most 64 KiB of JSON; "type" must be "service_account",
 * "client_email" and "private_key" must be there). -1 with one line naming the file,
 * never quoting the key; k is then empty. The file's buffers are wiped. */
int ob_pubsub_key_read(ob_pubsub_key *k, const char *path, ob_err *err);

/* The same for a key file's text already in memory, buf[0..len) (the caller wipes it);
 * name stands for the file in messages. Fuzzed: tests/fuzz/fuzz_pubsub_key.c. */
int ob_pubsub_key_parse(ob_pubsub_key *k, const char *name, const char *buf, size_t len, ob_err *err);

/* Wipes the PEM and frees what k holds, leaving it empty. */
void ob_pubsub_key_free(ob_pubsub_key *k);

/* Reads access_token (malloc'd into *token, len + 1 bytes: the caller wipes and frees
 * it), expires_in and token_type (must be Bearer when present) from a token response.
 * -1 with err (one line, never quoting the body), *token then NULL. */
int ob_pubsub_token_parse(const char *body, size_t len, char **token, int64_t *expires_in, ob_err *err);

/* The server's error text from a JSON error body, as one line into out: "error:
 * error_description" (OAuth), or "status: message" when "error" is an object (Google
 * APIs). "" when the body has neither. */
void ob_pubsub_error_text(const char *body, size_t len, char *out, size_t cap);

#endif
