/* test_pubsub_auth.c — Pub/Sub credentials against a local HTTP endpoint (libmicrohttpd
 * on 127.0.0.1, an ephemeral port) standing in for the token endpoint and the metadata
 * server: the JWT's parts and its RS256 signature checked with the public half of an
 * RSA key generated here, the exchange (the endpoint verifies the assertion too), the
 * refresh before expiry (also from several threads at once), the metadata server, the
 * emulator, and the failures: their messages are one line and quote no secret. */
#include "pubsub_auth.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "check.h"
#include "clock.h"
#include "json.h"

#define EMAIL "loadtest@proj.iam.gserviceaccount.com"
#define SCOPE "https://www.googleapis.com/auth/pubsub"
#define GRANT "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"

/* ---- base64url and JWT helpers (independent of the code under test) ---- */

/* Decodes base64url without padding; malloc'd (NUL-terminated), NULL on a bad char. */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *out_len)
{
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char *out = malloc(n * 3 / 4 + 2);
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const char *p = s[i] ? strchr(abc, s[i]) : NULL;
        if (!p) {
            free(out);
            return NULL;
        }
        acc = acc << 6 | (uint32_t)(p - abc);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

/* 1 if jwt is header.claims.signature with a valid RS256 signature by key. */
static int jwt_verifies(const char *jwt, EVP_PKEY *key)
{
    const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d2 || strchr(d2 + 1, '.'))
        return 0;
    size_t siglen;
    unsigned char *sig = b64url_decode(d2 + 1, strlen(d2 + 1), &siglen);
    if (!sig)
        return 0;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestVerify(md, sig, siglen, (const unsigned char *)jwt, (size_t)(d2 - jwt)) == 1;
    EVP_MD_CTX_free(md);
    free(sig);
    return ok;
}

/* Finds member `name` of the flat JSON object buf: a string into str, or an integer
 * into num. 1 if found, 0 if not, -1 if buf is not valid JSON. */
static int json_member(const char *buf, size_t len, const char *name, char *str, size_t cap,
                       int64_t *num)
{
    ob_json j;
    char key[64];
    int rc, found = 0;
    ob_json_init(&j, buf, len);
    if (ob_json_object_begin(&j) < 0)
        return -1;
    while ((rc = ob_json_object_next(&j, key, sizeof key, NULL)) > 0) {
        if (strcmp(key, name))
            rc = ob_json_skip(&j);
        else if (ob_json_peek(&j) == OB_JSON_STRING && str)
            rc = ob_json_string(&j, str, cap, NULL), found = 1;
        else if (num)
            rc = ob_json_int64(&j, INT64_MIN, INT64_MAX, num), found = 1;
        else
            rc = ob_json_skip(&j);
        if (rc < 0)
            return -1;
    }
    return rc < 0 || !ob_json_at_end(&j) ? -1 : found;
}

/* Decodes part i (0: header, 1: claims) of a JWT; malloc'd or NULL. */
static char *jwt_part(const char *jwt, int i, size_t *len)
{
    const char *s = jwt;
    for (int k = 0; k < i && s; k++)
        s = strchr(s, '.') ? strchr(s, '.') + 1 : NULL;
    if (!s)
        return NULL;
    const char *e = strchr(s, '.');
    return (char *)b64url_decode(s, e ? (size_t)(e - s) : strlen(s), len);
}

/* ---- the local HTTP endpoint ---- */

typedef struct server {
    struct MHD_Daemon *d;
    int port;
    EVP_PKEY *key; /* verifies the assertions */
    pthread_mutex_t mu;
    /* what to answer */
    int status;             /* 200, or this status with error_body */
    const char *error_body;
    int expires_first, expires_rest;
    /* what it saw */
    int requests;
    int grant_ok, sig_ok, flavor_ok; /* of the last request */
    char assertion[4096];
} server;

typedef struct upload {
    char *data;
    size_t len;
} upload;

static void server_reset(server *s, int status, const char *error_body, int e1, int e2)
{
    pthread_mutex_lock(&s->mu);
    s->status = status;
    s->error_body = error_body;
    s->expires_first = e1;
    s->expires_rest = e2;
    s->requests = s->grant_ok = s->sig_ok = s->flavor_ok = 0;
    s->assertion[0] = '\0';
    pthread_mutex_unlock(&s->mu);
}

static int server_requests(server *s)
{
    pthread_mutex_lock(&s->mu);
    int n = s->requests;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* Checks a token request's form; sets grant_ok, sig_ok and assertion. mu held. */
static void check_form(server *s, const char *form)
{
    const char *g = strstr(form, "grant_type="), *a = strstr(form, "assertion=");
    s->grant_ok = g && !strncmp(g + 11, GRANT, strlen(GRANT)) &&
                  (g[11 + strlen(GRANT)] == '&' || !g[11 + strlen(GRANT)]);
    if (a) {
        a += strlen("assertion=");
        size_t n = strcspn(a, "&");
        if (n < sizeof s->assertion) {
            memcpy(s->assertion, a, n);
            s->assertion[n] = '\0';
        }
    }
    s->sig_ok = s->assertion[0] && jwt_verifies(s->assertion, s->key);
}

static enum MHD_Result reply(struct MHD_Connection *c, int status, const char *body)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result rc = MHD_queue_response(c, (unsigned)status, r);
    MHD_destroy_response(r);
    return rc;
}

/* POST /token: the token endpoint; GET /metadata: the metadata server. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *data, size_t *data_size, void **req)
{
    (void)version;
    server *s = cls;
    upload *up = *req;
    if (!up) {
        *req = calloc(1, sizeof(upload));
        return MHD_YES;
    }
    if (*data_size) {
        up->data = realloc(up->data, up->len + *data_size + 1);
        memcpy(up->data + up->len, data, *data_size);
        up->len += *data_size;
        up->data[up->len] = '\0';
        *data_size = 0;
        return MHD_YES;
    }
    char body[256];
    int status = 200;
    pthread_mutex_lock(&s->mu);
    int n = ++s->requests;
    if (!strcmp(url, "/token") && !strcmp(method, "POST")) {
        check_form(s, up->data ? up->data : "");
        if (!s->grant_ok || !s->sig_ok)
            status = 401;
    } else if (!strcmp(url, "/metadata") && !strcmp(method, "GET")) {
        const char *f = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Metadata-Flavor");
        s->flavor_ok = f && !strcmp(f, "Google");
        if (!s->flavor_ok)
            status = 403;
    } else {
        status = 404;
    }
    if (status == 200 && s->status != 200) {
        status = s->status;
        snprintf(body, sizeof body, "%s", s->error_body);
    } else if (status == 200) {
        snprintf(body, sizeof body,
                 "{\"access_token\":\"tok-%d\",\"expires_in\":%d,\"token_type\":\"Bearer\"}", n,
                 n == 1 ? s->expires_first : s->expires_rest);
    } else {
        snprintf(body, sizeof body, "{\"error\":\"rejected by the test endpoint\"}");
    }
    pthread_mutex_unlock(&s->mu);
    return reply(c, status, body);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req,
                         enum MHD_RequestTerminationCode why)
{
    (void)cls, (void)c, (void)why;
    upload *up = *req;
    if (up)
        free(up->data);
    free(up);
    *req = NULL;
}

static int server_start(server *s, EVP_PKEY *key)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = 0};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    memset(s, 0, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    s->key = key;
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, s,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    if (!s->d)
        return -1;
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : 0;
    return s->port ? 0 : -1;
}

static void server_stop(server *s)
{
    if (s->d)
        MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->mu);
}

/* ---- fixtures ---- */

typedef struct fixture {
    EVP_PKEY *key;
    char *pem; /* PKCS#8 PEM, as in Google's key files */
    char dir[64];
    char key_file[128];
    char token_url[64], metadata_url[64];
    server srv;
} fixture;

static EVP_PKEY *rsa_key(void)
{
    EVP_PKEY *key = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, NULL);
    if (!ctx || EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) != 1 ||
        EVP_PKEY_keygen(ctx, &key) != 1)
        key = NULL;
    EVP_PKEY_CTX_free(ctx);
    return key;
}

static char *pem_of(EVP_PKEY *key)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *data, *out = NULL;
    if (PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL) == 1) {
        long n = BIO_get_mem_data(bio, &data);
        out = strndup(data, (size_t)n);
    }
    BIO_free(bio);
    return out;
}

/* Writes dir/name with `text`; returns the path in path. */
static void write_file(const fixture *f, const char *name, const char *text, char *path,
                       size_t cap)
{
    snprintf(path, cap, "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "w");
    if (fp) {
        fputs(text, fp);
        fclose(fp);
    }
}

/* A service-account key file as Google issues it (the PEM's newlines as \n). */
static void write_key_file(fixture *f, const char *name, const char *token_uri, char *path,
                           size_t cap)
{
    size_t n = strlen(f->pem);
    char *esc = malloc(2 * n + 1), *json = malloc(2 * n + 1024);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (f->pem[i] == '\n')
            esc[o++] = '\\', esc[o++] = 'n';
        else
            esc[o++] = f->pem[i];
    }
    esc[o] = '\0';
    sprintf(json,
            "{\n  \"type\": \"service_account\",\n  \"project_id\": \"proj\",\n"
            "  \"private_key_id\": \"0123abcd\",\n  \"private_key\": \"%s\",\n"
            "  \"client_email\": \"" EMAIL "\",\n  \"client_id\": \"1234\",\n"
            "  \"auth_uri\": \"https://accounts.google.com/o/oauth2/auth\",\n"
            "  \"token_uri\": \"%s\"\n}\n",
            esc, token_uri);
    write_file(f, name, json, path, cap);
    free(esc);
    free(json);
}

/* 1 if msg quotes a 16-byte piece of text[0..n) (one without a newline). */
static int quotes_piece(const char *msg, const char *text, size_t n)
{
    for (size_t i = 0; i + 16 <= n; i += 4) {
        char piece[17];
        memcpy(piece, text + i, 16);
        piece[16] = '\0';
        if (!strchr(piece, '\n') && strstr(msg, piece))
            return 1;
    }
    return 0;
}

/* 1 if msg is one line and quotes neither the key (its PEM body), nor the last
 * assertion the endpoint saw, nor a token. */
static int msg_is_clean(const fixture *f, const char *msg)
{
    const char *body = strchr(f->pem, '\n') + 1, *end = strstr(body, "-----END");
    return !strchr(msg, '\n') && !strstr(msg, "PRIVATE KEY") && !strstr(msg, "tok-") &&
           !quotes_piece(msg, body, (size_t)(end - body)) &&
           !quotes_piece(msg, f->srv.assertion, strlen(f->srv.assertion));
}

/* ---- (a) the JWT ---- */

static void test_jwt(fixture *f)
{
    ob_err err = {0};
    const char *aud = "https://oauth2.example/token";
    char *jwt = ob_pubsub_jwt(EMAIL, f->pem, SCOPE, aud, 1700000000, &err);
    CHECK_MSG(jwt != NULL, "%s", err.msg);
    if (!jwt)
        return;
    CHECK(strspn(jwt, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") ==
          strlen(jwt));
    const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    CHECK(d1 && d2 && !strchr(d2 + 1, '.') && d1 > jwt && d2 > d1 + 1 && d2[1]);

    size_t len;
    char s[256];
    int64_t iat = 0, exp = 0;
    char *header = jwt_part(jwt, 0, &len);
    CHECK(header && json_member(header, len, "alg", s, sizeof s, NULL) == 1 && !strcmp(s, "RS256"));
    CHECK(header && json_member(header, len, "typ", s, sizeof s, NULL) == 1 && !strcmp(s, "JWT"));
    free(header);
    char *claims = jwt_part(jwt, 1, &len);
    CHECK(claims && json_member(claims, len, "iss", s, sizeof s, NULL) == 1 && !strcmp(s, EMAIL));
    CHECK(claims && json_member(claims, len, "scope", s, sizeof s, NULL) == 1 && !strcmp(s, SCOPE));
    CHECK(claims && json_member(claims, len, "aud", s, sizeof s, NULL) == 1 && !strcmp(s, aud));
    CHECK(claims && json_member(claims, len, "iat", NULL, 0, &iat) == 1 && iat == 1700000000);
    CHECK(claims && json_member(claims, len, "exp", NULL, 0, &exp) == 1 && exp == iat + 3600);
    free(claims);

    CHECK(jwt_verifies(jwt, f->key));
    /* one byte of the claims changed: the signature no longer holds */
    char *bad = strdup(jwt);
    bad[d1 - jwt + 5] = bad[d1 - jwt + 5] == 'A' ? 'B' : 'A';
    CHECK(!jwt_verifies(bad, f->key));
    free(bad);
    /* nor does it for another key */
    EVP_PKEY *other = rsa_key();
    CHECK(other && !jwt_verifies(jwt, other));
    EVP_PKEY_free(other);
    /* a different time, a different JWT */
    char *later = ob_pubsub_jwt(EMAIL, f->pem, SCOPE, aud, 1700000001, &err);
    CHECK(later && strcmp(later, jwt) && jwt_verifies(later, f->key));
    free(later);
    free(jwt);

    /* a broken key: NULL, and the message does not quote it */
    const char *broken = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANsecretsecret\n-----END PRIVATE KEY-----\n";
    err.msg[0] = '\0';
    jwt = ob_pubsub_jwt(EMAIL, broken, SCOPE, aud, 1700000000, &err);
    CHECK(jwt == NULL);
    CHECK_MSG(err.msg[0] && !strstr(err.msg, "secretsecret") && !strchr(err.msg, '\n'), "%s",
              err.msg);
    free(jwt);
}

/* ---- (b) the exchange, (c) the refresh ---- */

static void test_exchange(fixture *f)
{
    char path[256], buf[512];
    ob_err err = {0};
    ob_pubsub_auth *a = NULL;

    /* token_uri from the key file */
    server_reset(&f->srv, 200, NULL, 3600, 3600);
    write_key_file(f, "key.json", f->token_url, path, sizeof path);
    ob_pubsub_auth_opts o = {.key_file = path};
    int rc = ob_pubsub_auth_open(&a, &o, &err);
    CHECK_MSG(rc == 0 && a, "%s", err.msg);
    if (rc != 0)
        return;
    CHECK(server_requests(&f->srv) == 1);
    CHECK(f->srv.grant_ok && f->srv.sig_ok);
    size_t len;
    char aud[128] = "";
    char *claims = jwt_part(f->srv.assertion, 1, &len);
    CHECK(claims && json_member(claims, len, "aud", aud, sizeof aud, NULL) == 1);
    CHECK_STR(aud, f->token_url);
    free(claims);
    CHECK_STR(ob_pubsub_auth_kind(a), "service-account key " EMAIL);
    int64_t left = ob_pubsub_auth_expires_in(a);
    CHECK_MSG(left > 3590 && left <= 3600, "%" PRId64, left);
    CHECK(ob_pubsub_auth_header(a, buf, sizeof buf, &err) == 0);
    CHECK_STR(buf, "Authorization: Bearer tok-1");
    CHECK(ob_pubsub_auth_header(a, buf, sizeof buf, &err) == 0);
    CHECK_STR(buf, "Authorization: Bearer tok-1");
    CHECK(server_requests(&f->srv) == 1); /* 3600 s left: no refresh */
    /* a buffer too small: an error, not a cut token */
    char small[20];
    CHECK(ob_pubsub_auth_header(a, small, sizeof small, &err) == -1 && strstr(err.msg, "bytes"));
    ob_pubsub_auth_close(a);

    /* opts.token_uri overrides the key file's (which points nowhere) */
    server_reset(&f->srv, 200, NULL, 3600, 3600);
    write_key_file(f, "key2.json", "http://127.0.0.1:1/nowhere", path, sizeof path);
    o = (ob_pubsub_auth_opts){.key_file = path, .token_uri = f->token_url};
    rc = ob_pubsub_auth_open(&a, &o, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(server_requests(&f->srv) == 1 && f->srv.sig_ok);
    ob_pubsub_auth_close(a);

    /* GOOGLE_APPLICATION_CREDENTIALS when opts.key_file is NULL */
    server_reset(&f->srv, 200, NULL, 3600, 3600);
    setenv("GOOGLE_APPLICATION_CREDENTIALS", path, 1);
    o = (ob_pubsub_auth_opts){.token_uri = f->token_url, .metadata_url = f->metadata_url};
    rc = ob_pubsub_auth_open(&a, &o, &err);
    unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK(rc == 0 && !strcmp(ob_pubsub_auth_kind(a), "service-account key " EMAIL));
    CHECK(server_requests(&f->srv) == 1 && f->srv.sig_ok && !f->srv.flavor_ok);
    ob_pubsub_auth_close(a);
}

typedef struct caller {
    ob_pubsub_auth *a;
    char buf[256];
    int rc;
} caller;

static void *call_header(void *arg)
{
    caller *c = arg;
    c->rc = ob_pubsub_auth_header(c->a, c->buf, sizeof c->buf, NULL);
    return NULL;
}

static void test_refresh(fixture *f)
{
    char path[256], buf[512];
    ob_err err = {0};
    ob_pubsub_auth *a = NULL;
    write_key_file(f, "key.json", f->token_url, path, sizeof path);
    ob_pubsub_auth_opts o = {.key_file = path};

    /* expires in 30 s (< 60): the next header fetches tok-2 */
    server_reset(&f->srv, 200, NULL, 30, 3600);
    int rc = ob_pubsub_auth_open(&a, &o, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc != 0)
        return;
    CHECK(ob_pubsub_auth_expires_in(a) <= 30);
    CHECK(ob_pubsub_auth_header(a, buf, sizeof buf, &err) == 0);
    CHECK_STR(buf, "Authorization: Bearer tok-2");
    CHECK(server_requests(&f->srv) == 2 && f->srv.sig_ok);
    CHECK(ob_pubsub_auth_expires_in(a) > 3590);
    CHECK(ob_pubsub_auth_header(a, buf, sizeof buf, &err) == 0);
    CHECK_STR(buf, "Authorization: Bearer tok-2");
    CHECK(server_requests(&f->srv) == 2);
    ob_pubsub_auth_close(a);

    /* four threads at once on an expiring token: one refresh, all get tok-2 */
    server_reset(&f->srv, 200, NULL, 30, 3600);
    rc = ob_pubsub_auth_open(&a, &o, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc != 0)
        return;
    caller c[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        c[i] = (caller){.a = a, .rc = -2};
        pthread_create(&t[i], NULL, call_header, &c[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        CHECK(c[i].rc == 0);
        CHECK_STR(c[i].buf, "Authorization: Bearer tok-2");
    }
    CHECK(server_requests(&f->srv) == 2);

    /* a refresh that fails: -1 and a clean message */
    server_reset(&f->srv, 503, "{\"error\":\"backend_error\"}", 30, 30);
    rc = ob_pubsub_auth_header(a, buf, sizeof buf, &err);
    CHECK(rc == 0 && server_requests(&f->srv) == 0); /* tok-2 still has 3600 s */
    ob_pubsub_auth_close(a);
    server_reset(&f->srv, 200, NULL, 30, 30);
    rc = ob_pubsub_auth_open(&a, &o, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc != 0)
        return;
    server_reset(&f->srv, 503, "{\"error\":\"backend_error\"}", 30, 30);
    err.msg[0] = '\0';
    CHECK(ob_pubsub_auth_header(a, buf, sizeof buf, &err) == -1);
    CHECK_MSG(strstr(err.msg, "503") && strstr(err.msg, "backend_error") && msg_is_clean(f, err.msg),
              "%s", err.msg);
    ob_pubsub_auth_close(a);
}

/* ---- (d) the metadata server ---- */

static void test_metadata(fixture *f)
{
    char buf[512], url[128];
    ob_err err = {0};
    ob_pubsub_auth *a = NULL;
    server_reset(&f->srv, 200, NULL, 3599, 3599);
    ob_pubsub_auth_opts o = {.metadata_url = f->metadata_url};
    int rc = ob_pubsub_auth_open(&a, &o, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc != 0)
        return;
    CHECK(server_requests(&f->srv) == 1 && f->srv.flavor_ok);
    CHECK_STR(ob_pubsub_auth_kind(a), "metadata server");
    CHECK(ob_pubsub_auth_header(a, buf, sizeof buf, &err) == 0);
    CHECK_STR(buf, "Authorization: Bearer tok-1");
    int64_t left = ob_pubsub_auth_expires_in(a);
    CHECK_MSG(left > 3590 && left <= 3599, "%" PRId64, left);
    ob_pubsub_auth_close(a);

    /* no such path: the status in one line with the URL */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/nothing-here", f->srv.port);
    o.metadata_url = url;
    err.msg[0] = '\0';
    CHECK(ob_pubsub_auth_open(&a, &o, &err) == -1 && a == NULL);
    CHECK_MSG(strstr(err.msg, "metadata server") && strstr(err.msg, url) &&
                  strstr(err.msg, "HTTP 404") && !strchr(err.msg, '\n'),
              "%s", err.msg);
    /* the metadata server is the last way to a token: the others are named */
    CHECK_MSG(strstr(err.msg, "(no emulator= option, PUBSUB_EMULATOR_HOST or GOOGLE_APPLICATION_CREDENTIALS"),
              "%s", err.msg);

    /* 200 without a token */
    server_reset(&f->srv, 200, NULL, 3599, 3599);
    o.metadata_url = f->token_url; /* GET /token: 404 */
    CHECK(ob_pubsub_auth_open(&a, &o, &err) == -1 && strstr(err.msg, "HTTP 404"));
}

/* ---- (e) failures ---- */

static int64_t open_ms(const ob_pubsub_auth_opts *o, ob_err *err, int *rc)
{
    ob_pubsub_auth *a = NULL;
    int64_t t0 = ob_mono_ns();
    *rc = ob_pubsub_auth_open(&a, o, err);
    int64_t ms = (ob_mono_ns() - t0) / OB_NS_PER_MS;
    ob_pubsub_auth_close(a);
    return ms;
}

static void test_errors(fixture *f)
{
    char path[256], url[64];
    ob_err err = {0};
    ob_pubsub_auth *a = (ob_pubsub_auth *)&err; /* must come back NULL */
    int rc;

    /* the endpoint refuses: status and error fields, no secret */
    server_reset(&f->srv, 400,
                 "{\"error\":\"invalid_grant\",\"error_description\":\"Invalid JWT Signature.\"}",
                 3600, 3600);
    write_key_file(f, "key.json", f->token_url, path, sizeof path);
    ob_pubsub_auth_opts o = {.key_file = path};
    CHECK(ob_pubsub_auth_open(&a, &o, &err) == -1 && a == NULL);
    CHECK(server_requests(&f->srv) == 1 && f->srv.sig_ok);
    CHECK_MSG(strstr(err.msg, "token exchange") && strstr(err.msg, f->token_url) &&
                  strstr(err.msg, "400") && strstr(err.msg, "invalid_grant") &&
                  strstr(err.msg, "Invalid JWT Signature."),
              "%s", err.msg);
    CHECK_MSG(msg_is_clean(f, err.msg), "%s", err.msg);
    CHECK(f->srv.assertion[0] && !strstr(err.msg, f->srv.assertion));

    /* Google APIs' error object */
    server_reset(&f->srv, 403,
                 "{\"error\":{\"code\":403,\"message\":\"Permission denied\",\"status\":"
                 "\"PERMISSION_DENIED\"}}",
                 3600, 3600);
    CHECK(ob_pubsub_auth_open(&a, &o, &err) == -1);
    CHECK_MSG(strstr(err.msg, "HTTP 403: PERMISSION_DENIED: Permission denied") &&
                  msg_is_clean(f, err.msg),
              "%s", err.msg);

    /* a 200 that is not a token response */
    server_reset(&f->srv, 200, NULL, -1, -1); /* "expires_in":-1 */
    CHECK(ob_pubsub_auth_open(&a, &o, &err) == -1);
    CHECK_MSG(strstr(err.msg, "HTTP 200") && strstr(err.msg, "expires_in") &&
                  msg_is_clean(f, err.msg),
              "%s", err.msg);

    /* a port that accepts connections and never answers: fails within the timeout */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET};
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sin;
    CHECK(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0 && listen(fd, 8) == 0 &&
          getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/token", ntohs(sin.sin_port));
    o = (ob_pubsub_auth_opts){.key_file = path, .token_uri = url, .timeout_ms = 300};
    int64_t ms = open_ms(&o, &err, &rc);
    CHECK(rc == -1);
    CHECK_MSG(ms >= 250 && ms < 2000, "%" PRId64 " ms", ms);
    CHECK_MSG(strstr(err.msg, "token exchange") && strstr(err.msg, url) &&
                  strstr(err.msg, "timed out") && msg_is_clean(f, err.msg),
              "%s", err.msg);
    close(fd); /* now nothing listens there: refused */
    ms = open_ms(&o, &err, &rc);
    CHECK(rc == -1 && ms < 2000);
    CHECK_MSG(strstr(err.msg, url) && strstr(err.msg, "onnect") && msg_is_clean(f, err.msg),
              "%s", err.msg);

    /* key files: missing, malformed, of another type, incomplete, with a broken key */
    static const struct {
        const char *text, *want;
    } bad[] = {
        {NULL, "No such file"},
        {"{\"type\": \"service_account\", \"private_key\": ", "unexpected end"},
        {"[1, 2]", "expected"},
        {"{\"type\": \"authorized_user\", \"client_email\": \"x\", \"private_key\": \"y\"}",
         "service_account"},
        {"{\"type\": \"service_account\", \"private_key\": \"y\"}", "client_email"},
        {"{\"type\": \"service_account\", \"client_email\": \"x\", \"private_key\": "
         "\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANsecretsecret\\n-----END PRIVATE KEY-----\\n\"}",
         "private_key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu.json", i);
        if (bad[i].text)
            write_file(f, name, bad[i].text, path, sizeof path);
        else
            snprintf(path, sizeof path, "%s/%s", f->dir, name);
        server_reset(&f->srv, 200, NULL, 3600, 3600);
        o = (ob_pubsub_auth_opts){.key_file = path, .token_uri = f->token_url};
        err.msg[0] = '\0';
        CHECK_MSG(ob_pubsub_auth_open(&a, &o, &err) == -1 && a == NULL, "%zu", i);
        CHECK_MSG(strstr(err.msg, path) && strstr(err.msg, bad[i].want) &&
                      !strstr(err.msg, "secretsecret") && !strchr(err.msg, '\n'),
                  "%zu: %s", i, err.msg);
        CHECK(server_requests(&f->srv) == 0);
    }
}

/* ---- (f) the emulator ---- */

static void test_emulator(fixture *f)
{
    char buf[64] = "x", path[256];
    ob_err err = {0};
    ob_pubsub_auth *a = NULL;
    server_reset(&f->srv, 200, NULL, 3600, 3600);
    write_key_file(f, "key.json", f->token_url, path, sizeof path);
    ob_pubsub_auth_opts o = {.emulator = 1, .key_file = path};
    CHECK(ob_pubsub_auth_open(&a, &o, &err) == 0 && a);
    CHECK(ob_pubsub_auth_header(a, buf, sizeof buf, &err) == 0);
    CHECK_STR(buf, "");
    CHECK_STR(ob_pubsub_auth_kind(a), "none (emulator)");
    CHECK(ob_pubsub_auth_expires_in(a) == -1);
    ob_pubsub_auth_close(a);

    setenv("PUBSUB_EMULATOR_HOST", "localhost:8085", 1);
    o.emulator = 0;
    a = NULL;
    CHECK(ob_pubsub_auth_open(&a, &o, &err) == 0 && a);
    CHECK(a && !strcmp(ob_pubsub_auth_kind(a), "none (emulator)"));
    ob_pubsub_auth_close(a);
    unsetenv("PUBSUB_EMULATOR_HOST");
    CHECK(server_requests(&f->srv) == 0);

    /* without it, the same options use the key file */
    CHECK(ob_pubsub_auth_open(&a, &o, &err) == 0 && a);
    CHECK(a && !strcmp(ob_pubsub_auth_kind(a), "service-account key " EMAIL));
    CHECK(server_requests(&f->srv) == 1);
    ob_pubsub_auth_close(a);
    ob_pubsub_auth_close(NULL);
}

/* Removes dir and the files in it. */
static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[512];
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            unlink(path);
        }
    }
    if (d)
        closedir(d);
    if (rmdir(dir) != 0)
        fprintf(stderr, "test_pubsub_auth: could not remove %s\n", dir);
}

int main(void)
{
    static const char *vars[] = {"PUBSUB_EMULATOR_HOST", "GOOGLE_APPLICATION_CREDENTIALS",
                                 "http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                                 "all_proxy", "ALL_PROXY"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
    fixture f = {.dir = "/tmp/ob_pubsub_auth_XXXXXX"};
    f.key = rsa_key();
    f.pem = f.key ? pem_of(f.key) : NULL;
    if (!f.pem || !mkdtemp(f.dir) || server_start(&f.srv, f.key) < 0) {
        fprintf(stderr, "test_pubsub_auth: setup failed\n");
        return 1;
    }
    snprintf(f.token_url, sizeof f.token_url, "http://127.0.0.1:%d/token", f.srv.port);
    snprintf(f.metadata_url, sizeof f.metadata_url, "http://127.0.0.1:%d/metadata", f.srv.port);

    test_jwt(&f);
    test_exchange(&f);
    test_refresh(&f);
    test_metadata(&f);
    test_errors(&f);
    test_emulator(&f);

    server_stop(&f.srv);
    remove_dir(f.dir);
    free(f.pem);
    EVP_PKEY_free(f.key);
    curl_global_cleanup();
    CHECK_DONE();
}
