/* pubsub_jwt.c — the JWT assertion a service-account key is exchanged with for an
 * access token (RFC 7523): base64url(header) "." base64url(claims) "." base64url(RS256
 * signature of the first two parts), signed through OpenSSL with the key's PEM private
 * key. Declared in pubsub_auth.h; the key never leaves this file's buffers, which are
 * wiped before they are freed, and no message quotes it. */
#include "pubsub_auth.h"

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
