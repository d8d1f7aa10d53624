/* pubsub_auth.c — Pub/Sub credentials (see pubsub_auth.h): the emulator, a
 * service-account key (read and signed with by pubsub_key.c) whose JWT is exchanged for
 * an access token, or the GCE metadata server; the token is cached and refreshed under
 * a mutex.
 *
 * Secrets (the PEM key, the JWT, the token, the raw response bodies holding them) live
 * only in malloc'd buffers that are wiped with OPENSSL_cleanse before free. Messages are
 * one line: the step, the URL, the HTTP status and the server's error fields. */
#include "pubsub_auth.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "clock.h"
#include "json.h"
#include "pubsub_key.h"

#define DEFAULT_SCOPE "https://www.googleapis.com/auth/pubsub"
#define DEFAULT_TOKEN_URI "https://oauth2.googleapis.com/token"
#define DEFAULT_METADATA_URL \
    "http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/default/token"
#define REFRESH_MARGIN_S 60
#define MAX_RESPONSE (1024 * 1024)

typedef enum { SRC_EMULATOR, SRC_KEY, SRC_METADATA } auth_src;

struct ob_pubsub_auth {
    auth_src src;
    char kind[300];
    char *key_file; /* for messages */
    ob_pubsub_key key;
    char *token_uri, *scope, *metadata_url;
    int timeout_ms;
    pthread_mutex_t mu;      /* guards token and the refresh */
    char *token;             /* secret; NULL before the first fetch */
    _Atomic int64_t expires; /* monotonic ns when the token expires; 0 without one */
};

/* Frees a secret string after overwriting it. */
static void free_secret(char *s, size_t n)
{
    if (s)
        OPENSSL_cleanse(s, n);
    free(s);
}

static void free_secret_str(char *s)
{
    free_secret(s, s ? strlen(s) : 0);
}

/* ---- HTTP ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

typedef struct http_resp {
    long status;
    char *body; /* NUL-terminated; may hold a token: release with resp_free */
    size_t len, cap;
    int too_big;
} http_resp;

static void resp_free(http_resp *r)
{
    free_secret(r->body, r->cap);
    *r = (http_resp){0};
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
    http_resp *r = ud;
    size_t n = size * nmemb;
    if (r->len + n + 1 > MAX_RESPONSE) {
        r->too_big = 1;
        return 0;
    }
    if (r->len + n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap : 4096;
        while (cap < r->len + n + 1)
            cap *= 2;
        char *b = malloc(cap); /* not realloc: the old buffer is wiped, not left behind */
        if (!b)
            return 0;
        if (r->body)
            memcpy(b, r->body, r->len);
        free_secret(r->body, r->cap);
        r->body = b;
        r->cap = cap;
    }
    memcpy(r->body + r->len, data, n);
    r->len += n;
    r->body[r->len] = '\0';
    return n;
}

/* One request: a POST of the form `form` when it is not NULL, else a GET; `header` an
 * extra header line or NULL. Any HTTP status is a success here (the caller judges it);
 * -1 with curl's reason in err when no response came. */
static int http_do(const char *url, const char *form, const char *header, int timeout_ms,
                   http_resp *r, ob_err *err)
{
    *r = (http_resp){0};
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc != CURLE_OK)
        return ob_err_set(err, "curl_global_init: %s", curl_easy_strerror(curl_init_rc));
    CURL *c = curl_easy_init();
    if (!c)
        return ob_err_set(err, "curl_easy_init failed");
    char why[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = header ? curl_slist_append(NULL, header) : NULL;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    if (hdrs)
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    if (form)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, form); /* Content-Type: form-urlencoded */
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(c);
    if (rc == CURLE_OK)
        return 0;
    int big = r->too_big;
    resp_free(r);
    if (big)
        return ob_err_set(err, "response larger than %d bytes", MAX_RESPONSE);
    return ob_err_setk(err, rc == CURLE_OPERATION_TIMEDOUT ? OB_ERR_TIMEOUT : OB_ERR_UNAVAILABLE, "%s",
                       why[0] ? why : curl_easy_strerror(rc));
}

/* ---- responses ---- */

void ob_pubsub_error_text(const char *body, size_t len, char *out, size_t cap)
{
    char a[160] = "", b[240] = "", key[32];
    ob_json j;
    int rc;
    out[0] = '\0';
    ob_json_init(&j, body, len);
    if (ob_json_object_begin(&j) < 0)
        return;
    while ((rc = ob_json_object_next(&j, key, sizeof key, NULL)) > 0) {
        if (!strcmp(key, "error") && ob_json_peek(&j) == OB_JSON_OBJECT) {
            ob_json_object_begin(&j);
            while (ob_json_object_next(&j, key, sizeof key, NULL) > 0) {
                if (!strcmp(key, "status") && ob_json_peek(&j) == OB_JSON_STRING)
                    ob_json_string(&j, a, sizeof a, NULL);
                else if (!strcmp(key, "message") && ob_json_peek(&j) == OB_JSON_STRING)
                    ob_json_string(&j, b, sizeof b, NULL);
                else
                    ob_json_skip(&j);
            }
        } else if (!strcmp(key, "error") && ob_json_peek(&j) == OB_JSON_STRING) {
            ob_json_string(&j, a, sizeof a, NULL);
        } else if (!strcmp(key, "error_description") && ob_json_peek(&j) == OB_JSON_STRING) {
            ob_json_string(&j, b, sizeof b, NULL);
        } else {
            ob_json_skip(&j);
        }
    }
    char both[sizeof a + sizeof b + 2];
    snprintf(both, sizeof both, "%s%s%s", a, a[0] && b[0] ? ": " : "", b);
    ob_text_one_line(both, ' ');
    ob_utf8_copy(out, cap, both);
}

int ob_pubsub_token_parse(const char *body, size_t len, char **token, int64_t *expires_in, ob_err *err)
{
    char key[32], type[32] = "Bearer";
    size_t tlen = 0;
    int rc;
    ob_json j;
    *token = NULL;
    *expires_in = -1;
    ob_json_init(&j, body, len);
    if (ob_json_object_begin(&j) < 0)
        return ob_err_set(err, "the response is not a JSON object");
    while ((rc = ob_json_object_next(&j, key, sizeof key, NULL)) > 0) {
        if (!strcmp(key, "access_token") && !*token) {
            if (!(*token = malloc(len + 1)))
                return ob_err_set(err, "out of memory");
            rc = ob_json_string(&j, *token, len + 1, &tlen);
        } else if (!strcmp(key, "expires_in")) {
            rc = ob_json_int64(&j, INT64_MIN, INT64_MAX, expires_in);
        } else if (!strcmp(key, "token_type")) {
            rc = ob_json_string(&j, type, sizeof type, NULL);
        } else {
            rc = ob_json_skip(&j);
        }
        if (rc < 0)
            break;
    }
    const char *bad = rc < 0 || !ob_json_at_end(&j) ? "the response is not valid JSON"
                      : !*token || tlen == 0        ? "the response has no access_token"
                      : *expires_in < 0 || *expires_in > INT32_MAX
                          ? "the response's expires_in is missing or out of range"
                      : strcasecmp(type, "Bearer")  ? "the token_type is not Bearer"
                                                    : NULL;
    if (bad) {
        free_secret(*token, *token ? len + 1 : 0);
        *token = NULL;
        return ob_err_set(err, "%s", bad);
    }
    return 0;
}

/* ---- fetching a token ---- */

/* Fetches a token from the token endpoint (key file) or the metadata server and sets
 * a->token and a->expires. Called with a->mu held (or before a is shared). */
static int fetch_token(ob_pubsub_auth *a, ob_err *err)
{
    const char *step = a->src == SRC_KEY ? "token exchange" : "metadata server token request";
    const char *url = a->src == SRC_KEY ? a->token_uri : a->metadata_url;
    static const char grant[] =
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=";
    char *form = NULL;
    int64_t start = ob_mono_ns();
    http_resp r;
    int rc;
    if (a->src == SRC_KEY) {
        char *jwt = ob_pubsub_jwt(a->key.email, a->key.pem, a->scope, a->token_uri,
                                  (int64_t)time(NULL), err);
        if (!jwt) { /* the key in the file is not usable */
            ob_err_kind_set(err, OB_ERR_USAGE);
            return ob_err_prefix(err, "key file %s: signing the JWT", a->key_file);
        }
        size_t n = strlen(jwt);
        form = malloc(sizeof grant + n);
        if (form) {
            memcpy(form, grant, sizeof grant - 1);
            memcpy(form + sizeof grant - 1, jwt, n + 1);
        }
        free_secret(jwt, n);
        if (!form)
            return ob_err_set(err, "%s at %s: out of memory", step, url);
        rc = http_do(url, form, NULL, a->timeout_ms, &r, err);
        free_secret_str(form);
    } else {
        rc = http_do(url, NULL, "Metadata-Flavor: Google", a->timeout_ms, &r, err);
    }
    if (rc < 0)
        return ob_err_prefix(err, "%s at %s", step, url);
    if (r.status != 200) {
        char why[400];
        ob_pubsub_error_text(r.body, r.len, why, sizeof why);
        ob_err_setk(err, r.status == 429 || r.status >= 500 ? OB_ERR_UNAVAILABLE : OB_ERR_REJECTED,
                    "%s at %s: HTTP %ld%s%s", step, url, r.status, why[0] ? ": " : "", why);
        resp_free(&r);
        return -1;
    }
    char *token;
    int64_t expires_in;
    rc = ob_pubsub_token_parse(r.body, r.len, &token, &expires_in, err);
    resp_free(&r);
    if (rc < 0)
        return ob_err_prefix(err, "%s at %s: HTTP 200", step, url);
    free_secret_str(a->token);
    a->token = token;
    atomic_store(&a->expires, start + expires_in * OB_NS_PER_S);
    return 0;
}

/* ---- the handle ---- */

static char *dup_or(const char *s, const char *dflt)
{
    return strdup(s ? s : dflt);
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && v[0] ? v : NULL;
}

int ob_pubsub_auth_open(ob_pubsub_auth **out, const ob_pubsub_auth_opts *opts, ob_err *err)
{
    static const ob_pubsub_auth_opts none = {0};
    if (!opts)
        opts = &none;
    *out = NULL;
    ob_pubsub_auth *a = calloc(1, sizeof *a);
    if (!a)
        return ob_err_set(err, "out of memory");
    pthread_mutex_init(&a->mu, NULL);
    a->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 3000;
    const char *key_file = opts->key_file ? opts->key_file : env("GOOGLE_APPLICATION_CREDENTIALS");
    if (opts->emulator || env("PUBSUB_EMULATOR_HOST")) {
        a->src = SRC_EMULATOR;
        snprintf(a->kind, sizeof a->kind, "none (emulator)");
        *out = a;
        return 0;
    }
    a->scope = dup_or(opts->scope, DEFAULT_SCOPE);
    if (!a->scope)
        goto oom;
    if (key_file) {
        a->src = SRC_KEY;
        if (!(a->key_file = strdup(key_file)))
            goto oom;
        if (ob_pubsub_key_read(&a->key, key_file, err) < 0) {
            ob_err_kind_set(err, OB_ERR_USAGE); /* the file the user named */
            goto fail;
        }
        if (!(a->token_uri = dup_or(opts->token_uri ? opts->token_uri : a->key.token_uri,
                                    DEFAULT_TOKEN_URI)))
            goto oom;
        snprintf(a->kind, sizeof a->kind, "service-account key %s", a->key.email);
    } else {
        a->src = SRC_METADATA;
        if (!(a->metadata_url = dup_or(opts->metadata_url, DEFAULT_METADATA_URL)))
            goto oom;
        snprintf(a->kind, sizeof a->kind, "metadata server");
    }
    if (fetch_token(a, err) < 0) {
        if (a->src == SRC_METADATA && err) { /* the last way to a token: say the others */
            size_t n = strlen(err->msg);
            snprintf(err->msg + n, sizeof err->msg - n,
                     " (no emulator= option, PUBSUB_EMULATOR_HOST or GOOGLE_APPLICATION_CREDENTIALS: outside a "
                     "Google Cloud VM, give one of them)");
        }
        goto fail;
    }
    *out = a;
    return 0;
oom:
    ob_err_set(err, "out of memory");
fail:
    ob_pubsub_auth_close(a);
    return -1;
}

int ob_pubsub_auth_header(ob_pubsub_auth *a, char *buf, size_t cap, ob_err *err)
{
    if (a->src == SRC_EMULATOR) {
        if (cap)
            buf[0] = '\0';
        return 0;
    }
    pthread_mutex_lock(&a->mu);
    int rc = 0;
    if (!a->token || ob_pubsub_auth_expires_in(a) < REFRESH_MARGIN_S)
        rc = fetch_token(a, err);
    if (rc == 0) {
        int n = snprintf(buf, cap, "Authorization: Bearer %s", a->token);
        if (n < 0 || (size_t)n >= cap) {
            if (cap)
                OPENSSL_cleanse(buf, cap);
            rc = ob_err_set(err, "the Authorization header needs %d bytes, the buffer has %zu",
                            n + 1, cap);
        }
    }
    pthread_mutex_unlock(&a->mu);
    return rc;
}

const char *ob_pubsub_auth_kind(const ob_pubsub_auth *a)
{
    return a->kind;
}

int64_t ob_pubsub_auth_expires_in(const ob_pubsub_auth *a)
{
    int64_t at = atomic_load(&a->expires);
    if (!at)
        return -1;
    int64_t left = at - ob_mono_ns();
    return left > 0 ? left / OB_NS_PER_S : 0;
}

void ob_pubsub_auth_close(ob_pubsub_auth *a)
{
    if (!a)
        return;
    ob_pubsub_key_free(&a->key);
    free_secret_str(a->token);
    free(a->key_file);
    free(a->token_uri);
    free(a->scope);
    free(a->metadata_url);
    pthread_mutex_destroy(&a->mu);
    free(a);
}
