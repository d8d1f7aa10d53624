/* nats_auth.c — TLS and authentication for the NATS adapter:
 *
 *   tls://host:4222  or  nats://host:4222?tls=1     TLS (the system's CAs, or ca=FILE)
 *   ?ca=FILE  ?cert=FILE&key=FILE  ?verify=0  ?hostname=NAME
 *   nats://user:pass@host   ?token=T   ?nkey=SEEDFILE   ?creds=FILE      (one at most)
 *
 * The options are checked before anything connects: every file named must be readable
 * (a usage error naming the file and the address otherwise), an nkey file must hold a
 * user seed (its public key, which cnats sends, is derived here with OpenSSL's Ed25519),
 * a creds file a user JWT and a seed; the server's nonce is signed here too. A user name
 * without a password is refused rather than taken for a token (cnats' habit): a secret
 * in the user name would be printed wherever the URL is, since only the password and the
 * secret-looking options (token=) are masked. The secrets stay where they were given
 * (the URL, the files); cnats gets them at connect; no message quotes one. */
#include "nats.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "json.h"

#define WHO "nats"

/* --- nkeys: base32 with a CRC16, Ed25519 ------------------------------------------------ */

enum { NKEY_PREFIX_SEED = 18 << 3, NKEY_PREFIX_USER = 20 << 3 };

static uint16_t crc16(const unsigned char *p, size_t n)
{
    uint16_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)(p[i] << 8);
        for (int b = 0; b < 8; b++)
            crc = (uint16_t)(crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1);
    }
    return crc;
}

static const char b32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* Decodes unpadded base32 s[0..n) into out[cap]; the length, or -1. */
static int b32_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *c = s[i] ? strchr(b32, s[i]) : NULL;
        if (!c)
            return -1;
        acc = acc << 5 | (uint32_t)(c - b32);
        bits += 5;
        if (bits >= 8) {
            bits -= 8;
            if (o == cap)
                return -1;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    return (int)o;
}

static void b32_encode(const unsigned char *p, size_t n, char *out)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        acc = acc << 8 | p[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = b32[(acc >> bits) & 31];
        }
    }
    if (bits > 0)
        out[o++] = b32[(acc << (5 - bits)) & 31];
    out[o] = '\0';
}

/* The 32-byte Ed25519 seed of the user seed `seed` (58 base32 characters, "SU...") into
 * raw[32]; -1 if it is not one (its length, CRC or prefixes). */
static int nkey_user_seed(const char *seed, size_t n, unsigned char out[32])
{
    unsigned char raw[40];
    int rc = -1;
    if (n == 58 && b32_decode(seed, n, raw, sizeof raw) == 36) {
        uint16_t want = (uint16_t)(raw[34] | raw[35] << 8);
        if (crc16(raw, 34) == want && (raw[0] & 0xf8) == NKEY_PREFIX_SEED &&
            (((raw[0] & 7) << 5) | ((raw[1] & 0xf8) >> 3)) == NKEY_PREFIX_USER) {
            memcpy(out, raw + 2, 32);
            rc = 0;
        }
    }
    OPENSSL_cleanse(raw, sizeof raw);
    return rc;
}

/* The first word of text that is a valid user seed ("SU" and 56 more base32 characters,
 * as nk, nsc and a creds file write it), its 32 bytes into out; -1 if none is. */
static int find_user_seed(const char *text, unsigned char out[32])
{
    for (const char *w = text; *w; w++) {
        if (w[0] != 'S' || w[1] != 'U' || (w > text && strchr(b32, w[-1])))
            continue;
        if (nkey_user_seed(w, strspn(w, b32), out) == 0)
            return 0;
    }
    return -1;
}

/* The public key ("U...", 56 characters) of the Ed25519 seed raw[32] into pub[cap]. */
static int nkey_public_of(const unsigned char seed[32], char *pub, size_t cap)
{
    unsigned char key[35];
    size_t plen = 32;
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    int rc = -1;
    if (cap >= 57 && pk && EVP_PKEY_get_raw_public_key(pk, key + 1, &plen) == 1 && plen == 32) {
        key[0] = NKEY_PREFIX_USER;
        uint16_t crc = crc16(key, 33);
        key[33] = (unsigned char)(crc & 0xff);
        key[34] = (unsigned char)(crc >> 8);
        b32_encode(key, sizeof key, pub);
        rc = 0;
    }
    EVP_PKEY_free(pk);
    return rc;
}

int ob_nats_nkey_public(const char *seed, char *pub, size_t cap)
{
    unsigned char raw[32];
    int rc = nkey_user_seed(seed, strlen(seed), raw) == 0 ? nkey_public_of(raw, pub, cap) : -1;
    OPENSSL_cleanse(raw, sizeof raw);
    return rc;
}

/* --- files ----------------------------------------------------------------------------- */

/* Reads at most cap-1 bytes of `path` into buf (NUL-terminated). -1 with a usage error
 * "nats: option OPT: cannot read FILE (for ADDRESS): reason" if it cannot, or if it is
 * empty. */
static int read_file(const char *opt, const char *path, const char *address, char *buf,
                     size_t cap, ob_err *err)
{
    FILE *f = fopen(path, "rb");
    size_t n = 0;
    int e = 0;
    if (f) {
        n = fread(buf, 1, cap - 1, f);
        e = ferror(f) ? errno : 0;
        fclose(f);
    } else {
        e = errno;
    }
    buf[n] = '\0';
    if (!f || e)
        return ob_err_setk(err, OB_ERR_USAGE, "nats: option %s: cannot read %s (for %s): %s", opt, path,
                           address, strerror(e ? e : EIO));
    if (n == 0)
        return ob_err_setk(err, OB_ERR_USAGE, "nats: option %s: %s (for %s) is empty", opt, path, address);
    return 0;
}

/* An nkey file: the first word that is a user seed, whose public key cnats sends. */
static int load_nkey(nats_security *sec, const char *address, ob_err *err)
{
    char buf[8192];
    unsigned char seed[32];
    int rc = read_file("nkey", sec->file, address, buf, sizeof buf, err);
    if (rc == 0) {
        rc = find_user_seed(buf, seed) == 0 ? nkey_public_of(seed, sec->nkey_public, sizeof sec->nkey_public)
                                            : -1;
        if (rc != 0)
            ob_err_setk(err, OB_ERR_USAGE,
                        "nats: option nkey: %s (for %s) holds no valid user nkey seed (SU...)", sec->file,
                        address);
    }
    OPENSSL_cleanse(seed, sizeof seed);
    OPENSSL_cleanse(buf, sizeof buf);
    return rc;
}

/* A creds file's user JWT: the first line of JWT characters after its "BEGIN NATS USER
 * JWT" line, into out[cap]; -1 if there is none or it does not fit. */
static int creds_jwt(const char *text, char *out, size_t cap)
{
    static const char jwt_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=";
    const char *p = strstr(text, "BEGIN NATS USER JWT");
    p = p ? strchr(p, '\n') : NULL;
    while (p && *p && !strchr(jwt_chars, *p))
        p++;
    size_t n = p ? strspn(p, jwt_chars) : 0;
    if (n == 0 || n >= cap)
        return -1;
    memcpy(out, p, n);
    out[n] = '\0';
    return 0;
}

/* A creds file's seed: the first user seed after its "NKEY SEED" line. */
static int creds_seed(const char *text, unsigned char out[32])
{
    const char *p = strstr(text, "NKEY SEED");
    return p ? find_user_seed(p, out) : -1;
}

enum { CREDS_MAX = 65536, JWT_MAX = 16384 };

/* Reads the file of sec (nkey or creds) into a new buffer of CREDS_MAX (address: for the
 * message); NULL with err. free_secret_file cleanses and frees it. */
static char *read_secret_file(const nats_security *sec, const char *address, ob_err *err)
{
    char *buf = malloc(CREDS_MAX);
    if (!buf) {
        ob_err_set(err, "nats: out of memory reading %s", sec->file);
        return NULL;
    }
    if (read_file(sec->auth == NATS_AUTH_NKEY ? "nkey" : "creds", sec->file, address, buf, CREDS_MAX,
                  err) == 0)
        return buf;
    free(buf);
    return NULL;
}

static void free_secret_file(char *buf)
{
    if (buf)
        OPENSSL_cleanse(buf, CREDS_MAX);
    free(buf);
}

/* A creds file: a user JWT and a user seed between their "-----BEGIN" lines. */
static int load_creds(const nats_security *sec, const char *address, ob_err *err)
{
    char *buf = read_secret_file(sec, address, err), *jwt = malloc(JWT_MAX);
    unsigned char seed[32];
    int rc = !buf ? -1 : jwt ? 0 : ob_err_set(err, "nats: out of memory reading %s", sec->file);
    if (rc == 0 && creds_jwt(buf, jwt, JWT_MAX) != 0)
        rc = ob_err_setk(err, OB_ERR_USAGE, "nats: option creds: %s (for %s) holds no user JWT "
                         "(-----BEGIN NATS USER JWT----- and the JWT on the next line)", sec->file, address);
    else if (rc == 0 && creds_seed(buf, seed) != 0)
        rc = ob_err_setk(err, OB_ERR_USAGE, "nats: option creds: %s (for %s) holds no valid user nkey seed "
                         "(-----BEGIN USER NKEY SEED----- and SU... on the next line)", sec->file, address);
    OPENSSL_cleanse(seed, sizeof seed);
    free_secret_file(buf);
    if (jwt)
        OPENSSL_cleanse(jwt, JWT_MAX);
    free(jwt);
    return rc;
}

/* --- the connect's callbacks -----------------------------------------------------------
 * cnats calls these at every connect and reconnect: the files are read again each time
 * (as cnats' own SetNKeyFromSeed does), so a rotated creds file is picked up, and no secret
 * stays in memory between connects. The nonce is signed with OpenSSL's Ed25519.
 *
 * cnats 3.4 (Debian's) takes the raw signature for a C string when it encodes it: one
 * that begins with a zero byte (1 connect in 256) is sent as no signature at all, and the
 * server refuses the connect ("Authorization Violation"). Its own signer has the same
 * fault. Ed25519 signs a nonce always the same way, so such a signature is refused here
 * (counted in sec->zero_led_refused) and the connect is made again: the next connection
 * brings a new nonce. cnats' reconnects do so by themselves; the first connect is retried
 * by the adapter's open (nats.c). */

static natsStatus callback_fail(char **err_txt, const ob_err *e)
{
    *err_txt = strdup(e->msg);
    return NATS_ERR;
}

natsStatus ob_nats_sign_nonce(char **err_txt, unsigned char **signature, int *signature_len, const char *nonce,
                              void *closure)
{
    nats_security *sec = closure;
    ob_err e = {0};
    unsigned char seed[32];
    char *buf = read_secret_file(sec, "the server", &e);
    bool read = buf != NULL;
    int found = !read                         ? -1
                : sec->auth == NATS_AUTH_NKEY ? find_user_seed(buf, seed)
                                              : creds_seed(buf, seed);
    free_secret_file(buf);
    if (found != 0) {
        if (read)
            ob_err_set(&e, "nats: %s holds no valid user nkey seed any more", sec->file);
        OPENSSL_cleanse(seed, sizeof seed);
        return callback_fail(err_txt, &e);
    }
    EVP_PKEY *pk = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
    OPENSSL_cleanse(seed, sizeof seed);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char *sig = malloc(64);
    size_t len = 64;
    bool ok = pk && ctx && sig && EVP_DigestSignInit(ctx, NULL, NULL, NULL, pk) == 1 &&
              EVP_DigestSign(ctx, sig, &len, (const unsigned char *)nonce, strlen(nonce)) == 1 && len == 64;
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(pk);
    if (!ok) {
        free(sig);
        ob_err_set(&e, "nats: cannot sign the server's nonce with the seed of %s (OpenSSL's Ed25519)",
                   sec->file);
        return callback_fail(err_txt, &e);
    }
    if (sig[0] == 0) {
        free(sig);
        atomic_fetch_add(&sec->zero_led_refused, 1);
        ob_err_set(&e, "nats: the nonce's signature begins with a zero byte, which cnats would send as "
                   "none; connecting again for a new nonce");
        return callback_fail(err_txt, &e);
    }
    *signature = sig;
    *signature_len = (int)len;
    return NATS_OK;
}

static natsStatus user_jwt(char **jwt_out, char **err_txt, void *closure)
{
    const nats_security *sec = closure;
    ob_err e = {0};
    char *buf = read_secret_file(sec, "the server", &e);
    bool read = buf != NULL;
    char *jwt = read ? malloc(JWT_MAX) : NULL;
    int found = jwt ? creds_jwt(buf, jwt, JWT_MAX) : -1;
    free_secret_file(buf);
    if (found != 0) {
        free(jwt);
        if (read)
            ob_err_set(&e, "nats: %s holds no user JWT any more", sec->file);
        return callback_fail(err_txt, &e);
    }
    *jwt_out = jwt;
    return NATS_OK;
}

static int path_option(const ob_url *url, const char *key, char *dst, const char *address, ob_err *err)
{
    char buf[64];
    const char *v = ob_url_param_str(url, key, "");
    if (ob_option_copy(WHO, v, key, dst, NATS_PATH_MAX, true, err) != 0)
        return -1;
    if (!*dst)
        return 0;
    return read_file(key, dst, address, buf, sizeof buf, err);
}

/* --- the options ---------------------------------------------------------------------- */

int ob_nats_security_parse(nats_security *sec, const ob_url *url, const char *address, ob_err *err)
{
    memset(sec, 0, sizeof *sec);
    bool tls_opt;
    const char *token = ob_url_param_str(url, "token", NULL);
    const char *nkey = ob_url_param_str(url, "nkey", NULL);
    const char *creds = ob_url_param_str(url, "creds", NULL);
    if (ob_url_param_bool(url, "tls", false, &tls_opt, err) ||
        ob_url_param_bool(url, "verify", true, &sec->verify, err) ||
        ob_option_copy(WHO, ob_url_param_str(url, "hostname", ""), "hostname", sec->hostname,
                       sizeof sec->hostname, true, err) ||
        path_option(url, "ca", sec->ca, address, err) || path_option(url, "cert", sec->cert, address, err) ||
        path_option(url, "key", sec->key, address, err))
        return -1;
    bool any_tls_file = sec->ca[0] || sec->cert[0] || sec->key[0] || sec->hostname[0];
    if (strcmp(url->scheme, "tls") == 0 || tls_opt)
        sec->tls = true;
    else if (any_tls_file && ob_url_param_str(url, "tls", NULL))
        return ob_err_set(err, "nats: options ca, cert, key and hostname are for TLS, not with tls=0");
    sec->tls = sec->tls || any_tls_file;
    if (!sec->verify && !sec->tls)
        return ob_err_set(err, "nats: option verify is for TLS (tls://, or tls=1)");
    if (!sec->cert[0] != !sec->key[0])
        return ob_err_set(err, "nats: options cert and key go together (a client certificate and its key)");

    int methods = (url->user != NULL) + (token != NULL) + (nkey != NULL) + (creds != NULL);
    if (methods > 1)
        return ob_err_set(err, "nats: one way to authenticate at most: user:pass@, token, nkey or creds");
    if (url->user && !url->pass)
        return ob_err_set(err, "nats: a user name without a password in the URL of %s (a token goes in "
                          "?token=..., a user as user:pass@)", address);
    if (token && !*token)
        return ob_err_set(err, "nats: option token is empty");
    if (url->user) {
        sec->auth = NATS_AUTH_USER;
        return ob_option_copy(WHO, url->user, "user name", sec->user, sizeof sec->user, false, err);
    }
    if (token)
        sec->auth = NATS_AUTH_TOKEN;
    if (nkey || creds) {
        sec->auth = nkey ? NATS_AUTH_NKEY : NATS_AUTH_CREDS;
        if (ob_option_copy(WHO, nkey ? nkey : creds, nkey ? "nkey" : "creds", sec->file, sizeof sec->file,
                           false, err) != 0)
            return -1;
        /* the seed itself in the URL: not quoted back (as a file name it would be) */
        if (nkey && nkey[0] == 'S' && strspn(nkey, b32) == strlen(nkey) && strlen(nkey) >= 56)
            return ob_err_set(err, "nats: option nkey takes a file holding the seed, not the seed");
        return nkey ? load_nkey(sec, address, err) : load_creds(sec, address, err);
    }
    return 0;
}

/* cnats 3.4 writes the user name, password and token into its CONNECT's JSON as they
 * are: a '"' or '\' in one broke the JSON (the server closed the connection: "Expected
 * 'PONG', got ''"). cnats gets them JSON-escaped, which the server reads back as they
 * were given. A new string (cleansed and freed by free_secret), or NULL. */
static char *json_escaped(const char *secret)
{
    size_t cap = strlen(secret) * 6 + 3;
    char *buf = malloc(cap);
    int n = buf ? ob_json_write_string(buf, cap, secret) : -1;
    if (n < 2) {
        free(buf);
        return NULL;
    }
    memmove(buf, buf + 1, (size_t)n - 2); /* without its quotes */
    buf[n - 2] = '\0';
    return buf;
}

static void free_secret(char *s)
{
    if (s)
        OPENSSL_cleanse(s, strlen(s));
    free(s);
}

static natsStatus set_user_info(natsOptions *no, const char *user, const char *pass)
{
    char *u = json_escaped(user), *p = json_escaped(pass);
    natsStatus s = u && p ? natsOptions_SetUserInfo(no, u, p) : NATS_NO_MEMORY;
    free_secret(u);
    free_secret(p);
    return s;
}

static natsStatus set_token(natsOptions *no, const char *token)
{
    char *t = json_escaped(token);
    natsStatus s = t ? natsOptions_SetToken(no, t) : NATS_NO_MEMORY;
    free_secret(t);
    return s;
}

natsStatus ob_nats_security_apply(nats_security *sec, const ob_url *url, natsOptions *no)
{
    natsStatus s = NATS_OK;
    if (sec->tls) {
        s = natsOptions_SetSecure(no, true);
        if (s == NATS_OK && sec->ca[0])
            s = natsOptions_LoadCATrustedCertificates(no, sec->ca);
        if (s == NATS_OK && sec->cert[0])
            s = natsOptions_LoadCertificatesChain(no, sec->cert, sec->key);
        if (s == NATS_OK && sec->hostname[0])
            s = natsOptions_SetExpectedHostname(no, sec->hostname);
        if (s == NATS_OK && !sec->verify)
            s = natsOptions_SkipServerVerification(no, true);
    }
    if (s != NATS_OK)
        return s;
    switch (sec->auth) {
    case NATS_AUTH_USER: return set_user_info(no, url->user, url->pass);
    case NATS_AUTH_TOKEN: return set_token(no, ob_url_param_str(url, "token", ""));
    case NATS_AUTH_NKEY: return natsOptions_SetNKey(no, sec->nkey_public, ob_nats_sign_nonce, sec);
    case NATS_AUTH_CREDS:
        return natsOptions_SetUserCredentialsCallbacks(no, user_jwt, sec, ob_nats_sign_nonce, sec);
    case NATS_AUTH_NONE: break;
    }
    return NATS_OK;
}

void ob_nats_security_durability(const nats_security *sec, ob_durability *d)
{
    static const char *const names[] = {"none", "user/password", "token", "nkey", "creds (user JWT)"};
    ob_durability_bool(d, "tls", sec->tls);
    if (sec->tls) {
        ob_durability_str(d, "tls_verify", !sec->verify ? "off" : sec->ca[0] ? "ca file" : "system CAs");
        if (sec->hostname[0])
            ob_durability_str(d, "tls_hostname", sec->hostname);
        ob_durability_bool(d, "client_cert", sec->cert[0] != '\0');
    }
    ob_durability_str(d, "auth", names[sec->auth]);
    if (sec->auth == NATS_AUTH_USER)
        ob_durability_str(d, "user", sec->user);
    if (sec->auth == NATS_AUTH_NKEY)
        ob_durability_str(d, "nkey", sec->nkey_public);
}

int ob_nats_connect_fail(ob_err *err, const nats_security *sec, const char *address, natsStatus s)
{
    static const char *const names[] = {"none", "user/password", "token", "nkey", "creds"};
    char where[512];
    const char *hint = NULL;
    if (!sec->tls && (s == NATS_SSL_ERROR || s == NATS_SECURE_CONNECTION_REQUIRED))
        hint = "a TLS-only server, the URL asks for plaintext: tls:// or ?tls=1, with ca=FILE";
    else if (sec->tls && s == NATS_SECURE_CONNECTION_WANTED)
        hint = "the server offers no TLS";
    else if (sec->tls && !sec->cert[0] && s == NATS_PROTOCOL_ERROR)
        hint = "TLS closed by the server: does it want a client certificate (cert=FILE&key=FILE)?";
    if (hint)
        snprintf(where, sizeof where, "%s (%s)", address, hint);
    else if (s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED)
        snprintf(where, sizeof where, "%s (auth %s%s)", address, names[sec->auth],
                 sec->tls ? ", over TLS" : "");
    else
        snprintf(where, sizeof where, "%s", address);
    return ob_nats_fail(err, OB_ERR_UNAVAILABLE, "cannot connect to", where, s);
}
