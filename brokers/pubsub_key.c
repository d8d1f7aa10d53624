/* pubsub_key.c — a service-account key: its JSON file read (pubsub_key.h), and the JWT
 * assertion it is exchanged with for an access token (RFC 7523, ob_pubsub_jwt in
 * pubsub_auth.h): base64url(header) "." base64url(claims) "." base64url(RS256 signature
 * of the first two parts), signed through OpenSSL with the key's PEM private key.
 * Buffers that held the key are wiped before they are freed; no message quotes it. */
#include "pubsub_key.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "json.h"
#include "pubsub_auth.h"

#define MAX_KEY_FILE (64 * 1024)

/* Frees a secret buffer of n bytes after overwriting it. */
static void free_secret(char *s, size_t n)
{
    if (s)
        OPENSSL_cleanse(s, n);
    free(s);
}

/* ---- the key file ---- */

/* Reads the whole file (at most MAX_KEY_FILE bytes) into a malloc'd buffer. */
static char *read_key_file(const char *path, size_t *len, ob_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        ob_err_set(err, "key file %s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(MAX_KEY_FILE + 1);
    size_t n = buf ? fread(buf, 1, MAX_KEY_FILE + 1, f) : 0;
    int bad = !buf ? ENOMEM : ferror(f) ? EIO : 0;
    fclose(f);
    if (bad || n > MAX_KEY_FILE) {
        if (bad)
            ob_err_set(err, "key file %s: %s", path, strerror(bad));
        else
            ob_err_set(err, "key file %s: larger than %d bytes", path, MAX_KEY_FILE);
        free_secret(buf, buf ? MAX_KEY_FILE + 1 : 0);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Reads one string member into a new malloc'd string (at most len bytes decoded);
 * *out stays NULL on failure. */
static int read_member(ob_json *j, size_t len, char **out)
{
    if (*out)
        return ob_json_fail(j, ob_json_where(j), "duplicate member");
    if (!(*out = malloc(len + 1)))
        return ob_json_fail(j, ob_json_where(j), "out of memory");
    if (ob_json_string(j, *out, len + 1, NULL) == 0)
        return 0;
    free_secret(*out, len + 1); /* a prefix of the key may have been decoded */
    *out = NULL;
    return -1;
}

/* Checks what was read; -1 with err when the file is not a service-account key. */
static int check_key(const ob_pubsub_key *k, const char *type, const char *name, ob_err *err)
{
    const char *missing = !type ? "type" : !k->email ? "client_email" : !k->pem ? "private_key" : NULL;
    if (missing)
        return ob_err_set(err, "key file %s: no \"%s\"", name, missing);
    if (strcmp(type, "service_account"))
        return ob_err_set(err, "key file %s: type is \"%.40s\", not \"service_account\"", name,
                          type);
    return 0;
}

int ob_pubsub_key_parse(ob_pubsub_key *k, const char *name, const char *buf, size_t len, ob_err *err)
{
    char *type = NULL, key[32];
    *k = (ob_pubsub_key){0};
    ob_json j;
    int rc;
    ob_json_init(&j, buf, len);
    if (ob_json_object_begin(&j) < 0)
        goto bad_json;
    while ((rc = ob_json_object_next(&j, key, sizeof key, NULL)) > 0) {
        char **dst = !strcmp(key, "type")           ? &type
                     : !strcmp(key, "client_email") ? &k->email
                     : !strcmp(key, "private_key")  ? &k->pem
                     : !strcmp(key, "token_uri")    ? &k->token_uri
                                                    : NULL;
        if ((dst ? read_member(&j, len, dst) : ob_json_skip(&j)) < 0)
            goto bad_json;
    }
    if (rc < 0 || !ob_json_at_end(&j))
        goto bad_json;
    rc = check_key(k, type, name, err);
    free(type);
    if (rc < 0)
        ob_pubsub_key_free(k);
    return rc;
bad_json:
    free(type);
    ob_pubsub_key_free(k);
    char where[1024];
    snprintf(where, sizeof where, "key file %s", name);
    return ob_json_err(&j, where, err);
}

int ob_pubsub_key_read(ob_pubsub_key *k, const char *path, ob_err *err)
{
    size_t len;
    char *buf = read_key_file(path, &len, err);
    *k = (ob_pubsub_key){0};
    if (!buf)
        return -1;
    int rc = ob_pubsub_key_parse(k, path, buf, len, err);
    free_secret(buf, len);
    return rc;
}

void ob_pubsub_key_free(ob_pubsub_key *k)
{
    free_secret(k->pem, k->pem ? strlen(k->pem) : 0);
    free(k->email);
    free(k->token_uri);
    *k = (ob_pubsub_key){0};
}

/* ---- the JWT ---- */

/* Length of base64url (no padding) of n bytes. */
static size_t b64url_len(size_t n)
{
    return n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
}

/* Writes base64url (RFC 4648 §5, no padding) of in[0..n) at out, NUL-terminated; out
 * must hold b64url_len(n) + 1 bytes. Returns the length written. */
static size_t b64url_encode(char *out, const unsigned char *in, size_t n)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0, i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = abc[v >> 6 & 63];
        out[o++] = abc[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)in[i] << 16;
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        out[o++] = abc[v >> 6 & 63];
    }
    out[o] = '\0';
    return o;
}

/* The claims as JSON, strings escaped; malloc'd, or NULL when out of memory. */
static char *claims_json(const char *iss, const char *scope, const char *aud, int64_t now)
{
    size_t cap = 6 * (strlen(iss) + strlen(scope) + strlen(aud)) + 128;
    char *buf = malloc(cap), *esc = malloc(cap);
    if (!buf || !esc)
        goto fail;
    size_t n = (size_t)snprintf(buf, cap, "{\"iss\":");
    int w = ob_json_write_string(esc, cap, iss);
    n += (size_t)snprintf(buf + n, cap - n, "%s,\"scope\":", w < 0 ? "" : esc);
    w = w < 0 ? w : ob_json_write_string(esc, cap, scope);
    n += (size_t)snprintf(buf + n, cap - n, "%s,\"aud\":", w < 0 ? "" : esc);
    w = w < 0 ? w : ob_json_write_string(esc, cap, aud);
    n += (size_t)snprintf(buf + n, cap - n, "%s,\"iat\":%" PRId64 ",\"exp\":%" PRId64 "}",
                          w < 0 ? "" : esc, now, now + 3600);
    if (w < 0 || n >= cap)
        goto fail;
    free(esc);
    return buf;
fail:
    free(buf);
    free(esc);
    return NULL;
}

/* Never asks for a passphrase (OpenSSL would otherwise prompt on the terminal). */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf, (void)size, (void)rwflag, (void)u;
    return 0;
}

/* Reads the RSA private key from PEM text; NULL with err (OpenSSL's reason, never the
 * text) otherwise. */
static EVP_PKEY *read_rsa_key(const char *pem, ob_err *err)
{
    BIO *bio = BIO_new_mem_buf(pem, -1);
    EVP_PKEY *pkey = bio ? PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL) : NULL;
    BIO_free(bio);
    if (!pkey) {
        char why[160];
        ERR_error_string_n(ERR_peek_last_error(), why, sizeof why);
        ERR_clear_error();
        ob_err_set(err, "private_key is not a PEM private key (%s)", why);
        return NULL;
    }
    if (EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA) {
        EVP_PKEY_free(pkey);
        ob_err_set(err, "private_key is not an RSA key (RS256 needs one)");
        return NULL;
    }
    return pkey;
}

/* Signs msg[0..n) with RS256; the signature is malloc'd into *sig. */
static int sign_rs256(EVP_PKEY *pkey, const char *msg, size_t n, unsigned char **sig,
                      size_t *siglen, ob_err *err)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    *sig = NULL;
    if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) != 1 ||
        EVP_DigestSign(md, NULL, siglen, (const unsigned char *)msg, n) != 1 ||
        !(*sig = malloc(*siglen)) ||
        EVP_DigestSign(md, *sig, siglen, (const unsigned char *)msg, n) != 1) {
        char why[160];
        ERR_error_string_n(ERR_peek_last_error(), why, sizeof why);
        ERR_clear_error();
        EVP_MD_CTX_free(md);
        free(*sig);
        *sig = NULL;
        return ob_err_set(err, "RS256 signing failed (%s)", why);
    }
    EVP_MD_CTX_free(md);
    return 0;
}

char *ob_pubsub_jwt(const char *client_email, const char *private_key_pem, const char *scope,
                    const char *audience, int64_t now, ob_err *err)
{
    static const char header[] = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
    char *claims = NULL, *jwt = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    EVP_PKEY *pkey = read_rsa_key(private_key_pem, err);
    if (!pkey)
        return NULL;
    claims = claims_json(client_email, scope, audience, now);
    if (!claims) {
        ob_err_set(err, "out of memory building the JWT");
        goto fail;
    }
    size_t hlen = b64url_len(sizeof header - 1), clen = b64url_len(strlen(claims));
    jwt = malloc(hlen + 1 + clen + 1 + b64url_len(512) + 1); /* RSA up to 4096 bits */
    if (!jwt) {
        ob_err_set(err, "out of memory building the JWT");
        goto fail;
    }
    size_t n = b64url_encode(jwt, (const unsigned char *)header, sizeof header - 1);
    jwt[n++] = '.';
    n += b64url_encode(jwt + n, (const unsigned char *)claims, strlen(claims));
    if (sign_rs256(pkey, jwt, n, &sig, &siglen, err) < 0)
        goto fail;
    if (siglen > 512) {
        ob_err_set(err, "RSA keys above 4096 bits are not supported");
        goto fail;
    }
    jwt[n++] = '.';
    b64url_encode(jwt + n, sig, siglen);
    free(sig);
    free(claims);
    EVP_PKEY_free(pkey);
    return jwt;
fail:
    free(sig);
    free(claims);
    free(jwt);
    EVP_PKEY_free(pkey);
    return NULL;
}
