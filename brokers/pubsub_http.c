/* pubsub_http.c — the Pub/Sub adapter's HTTP: growable buffers, base64, one request on a
 * libcurl easy handle (URL, JSON body, credentials' header, timeouts), the server's JSON
 * error as one line, and creating the topic and subscription if missing. */
#include "pubsub.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json.h"

/* Makes room for n more bytes and a NUL. */
static int reserve(ps_buf *b, size_t n)
{
    if (b->len + n + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n + 1)
        cap *= 2;
    char *grown = realloc(b->data, cap);
    if (!grown)
        return -1;
    b->data = grown;
    b->cap = cap;
    return 0;
}

int ob_ps_buf_add(ps_buf *b, const char *s, size_t n)
{
    if (reserve(b, n) != 0)
        return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int ob_ps_buf_str(ps_buf *b, const char *s)
{
    return ob_ps_buf_add(b, s, strlen(s));
}

int ob_ps_buf_base64(ps_buf *b, const char *data, size_t n)
{
    if (reserve(b, 4 * ((n + 2) / 3)) != 0)
        return -1;
    int w = EVP_EncodeBlock((unsigned char *)b->data + b->len, (const unsigned char *)data, (int)n);
    if (w < 0)
        return -1;
    b->len += (size_t)w;
    b->data[b->len] = '\0';
    return 0;
}

int ob_ps_base64_decode(const char *text, size_t n, char **out, size_t *outlen)
{
    char *buf = malloc(3 * (n / 4) + 4);
    if (!buf || n % 4 != 0) {
        free(buf);
        return -1;
    }
    int w = EVP_DecodeBlock((unsigned char *)buf, (const unsigned char *)text, (int)n);
    if (w < 0) {
        free(buf);
        return -1;
    }
    /* EVP_DecodeBlock counts the padding's zero bytes */
    if (n >= 1 && text[n - 1] == '=')
        w--;
    if (n >= 2 && text[n - 2] == '=')
        w--;
    buf[w] = '\0';
    *out = buf;
    *outlen = (size_t)w;
    return 0;
}

void ob_ps_buf_free(ps_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    return ob_ps_buf_add(arg, data, size * n) == 0 ? size * n : 0;
}

int ob_ps_request_init(ps_request *r, const ps_settings *s, ob_pubsub_auth *auth, const char *method,
                    const char *path, const ps_buf *body, long timeout_ms, ob_err *err)
{
    memset(r, 0, sizeof *r);
    char url[1024], auth_header[4096];
    snprintf(url, sizeof url, "%s/v1/%s", s->endpoint, path);
    if (ob_pubsub_auth_header(auth, auth_header, sizeof auth_header, err) != 0)
        return -1;
    r->easy = curl_easy_init();
    if (!r->easy)
        return ob_err_set(err, "pubsub: out of memory");
    r->headers = curl_slist_append(NULL, "Content-Type: application/json");
    if (auth_header[0])
        r->headers = curl_slist_append(r->headers, auth_header);
    curl_easy_setopt(r->easy, CURLOPT_URL, url);
    curl_easy_setopt(r->easy, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(r->easy, CURLOPT_HTTPHEADER, r->headers);
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, body ? body->data : "");
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, body ? (long)body->len : 0L);
    curl_easy_setopt(r->easy, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(r->easy, CURLOPT_WRITEDATA, &r->resp);
    curl_easy_setopt(r->easy, CURLOPT_ERRORBUFFER, r->error);
    curl_easy_setopt(r->easy, CURLOPT_CONNECTTIMEOUT_MS, (long)s->timeout_ms);
    curl_easy_setopt(r->easy, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(r->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r->easy, CURLOPT_USERAGENT, "outbreak");
    curl_easy_setopt(r->easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(r->easy, CURLOPT_PRIVATE, r);
    return 0;
}

void ob_ps_request_cleanup(ps_request *r)
{
    if (r->easy)
        curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    ob_ps_buf_free(&r->resp);
    memset(r, 0, sizeof *r);
}

long ob_ps_request_run(ps_request *r, ob_err *err)
{
    CURLcode c = curl_easy_perform(r->easy);
    if (c != CURLE_OK) {
        ob_err_setk(err, c == CURLE_OPERATION_TIMEDOUT ? OB_ERR_TIMEOUT : OB_ERR_UNAVAILABLE, "%s",
                    r->error[0] ? r->error : curl_easy_strerror(c));
        return 0;
    }
    long status = 0;
    curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
    return status;
}

bool ob_ps_retryable(long status)
{
    return status == 0 || status == 429 || status >= 500;
}

/* {"error":{"code":403,"message":"...","status":"PERMISSION_DENIED"}} */
void ob_ps_http_error(long status, const ps_buf *resp, char *buf, size_t cap)
{
    char message[300] = "", state[64] = "", key[32];
    ob_json j;
    ob_json_init(&j, resp->data, resp->len);
    if (ob_json_peek(&j) == OB_JSON_OBJECT && ob_json_object_begin(&j) == 0) {
        while (ob_json_object_next(&j, key, sizeof key, NULL) > 0) {
            if (strcmp(key, "error") != 0 || ob_json_peek(&j) != OB_JSON_OBJECT) {
                ob_json_skip(&j);
                continue;
            }
            ob_json_object_begin(&j);
            while (ob_json_object_next(&j, key, sizeof key, NULL) > 0) {
                if (strcmp(key, "message") == 0 && ob_json_peek(&j) == OB_JSON_STRING)
                    ob_json_string(&j, message, sizeof message, NULL);
                else if (strcmp(key, "status") == 0 && ob_json_peek(&j) == OB_JSON_STRING)
                    ob_json_string(&j, state, sizeof state, NULL);
                else
                    ob_json_skip(&j);
            }
        }
    }
    if (!message[0] && resp->len && resp->len < 200 && !memchr(resp->data, '\n', resp->len))
        snprintf(message, sizeof message, "%s", resp->data);
    /* one line, whatever the server put in it */
    ob_text_one_line(message, ' ');
    ob_text_one_line(state, ' ');
    snprintf(buf, cap, "HTTP %ld%s%s%s%s", status, state[0] ? " " : "", state,
             message[0] ? ": " : "", message);
}

long ob_ps_count_ids(const char *body, size_t len)
{
    ob_json j;
    char key[32];
    long n = -1;
    ob_json_init(&j, body, len);
    if (ob_json_object_begin(&j) != 0)
        return -1;
    while (ob_json_object_next(&j, key, sizeof key, NULL) > 0) {
        if (strcmp(key, "messageIds") != 0) {
            ob_json_skip(&j);
            continue;
        }
        if (ob_json_array_begin(&j) != 0)
            return -1;
        n = 0;
        while (ob_json_array_next(&j) > 0 && ob_json_skip(&j) == 0)
            n++;
    }
    return j.failed ? -1 : n;
}

/* A string value, whatever its length, as a malloc'd copy (*len bytes); NULL if it is
 * not a string (the reader has then failed) or there is no memory. */
static char *read_text(ob_json *j, size_t *len)
{
    char small[2048];
    ob_json before = *j;
    size_t n;
    if (ob_json_string(j, small, sizeof small, &n) != 0)
        return NULL;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    if (n < sizeof small) {
        memcpy(out, small, n + 1);
    } else {
        *j = before; /* once more, into a buffer that fits */
        if (ob_json_string(j, out, n + 1, NULL) != 0) {
            free(out);
            return NULL;
        }
    }
    *len = n;
    return out;
}

/* One element of receivedMessages: its ack id and decoded data, where present (the last
 * of a key given twice). -1 if it is not an object. */
static int read_received(ob_json *j, char **ack_id, char **data, size_t *data_len)
{
    char key[32];
    size_t len;
    *ack_id = *data = NULL;
    if (ob_json_object_begin(j) != 0)
        return -1;
    while (ob_json_object_next(j, key, sizeof key, NULL) > 0) {
        if (strcmp(key, "ackId") == 0) {
            free(*ack_id);
            *ack_id = read_text(j, &len);
        } else if (strcmp(key, "message") == 0 && ob_json_object_begin(j) == 0) {
            while (ob_json_object_next(j, key, sizeof key, NULL) > 0) {
                if (strcmp(key, "data") != 0) {
                    ob_json_skip(j);
                    continue;
                }
                char *text = read_text(j, &len);
                free(*data);
                *data = NULL; /* stays NULL when the text is not base64 */
                if (text)
                    ob_ps_base64_decode(text, len, data, data_len);
                free(text);
            }
        } else {
            ob_json_skip(j);
        }
    }
    return 0;
}

int ob_ps_read_pull(const char *body, size_t len, ob_ps_received_fn *fn, void *arg)
{
    ob_json j;
    char key[32];
    int got = 0;
    ob_json_init(&j, body, len);
    if (ob_json_object_begin(&j) != 0)
        return 0;
    while (ob_json_object_next(&j, key, sizeof key, NULL) > 0) {
        if (strcmp(key, "receivedMessages") != 0 || ob_json_array_begin(&j) != 0) {
            ob_json_skip(&j);
            continue;
        }
        while (ob_json_array_next(&j) > 0) {
            char *ack_id, *data;
            size_t data_len = 0;
            int rc = read_received(&j, &ack_id, &data, &data_len);
            if (ack_id && data) {
                fn(arg, ack_id, data, data_len);
                got++;
            } else {
                free(ack_id);
                free(data);
            }
            if (rc != 0)
                break;
        }
    }
    return got;
}

int ob_ps_read_subscription(const char *body, size_t len, char *topic, size_t cap, long *ack_deadline)
{
    ob_json j;
    char key[32];
    bool has_topic = false, has_deadline = false;
    ob_json_init(&j, body, len);
    if (ob_json_object_begin(&j) != 0)
        return -1;
    while (ob_json_object_next(&j, key, sizeof key, NULL) > 0) {
        int64_t n;
        size_t tlen = 0;
        if (strcmp(key, "topic") == 0 && !has_topic) {
            has_topic = ob_json_string(&j, topic, cap, &tlen) == 0 && tlen < cap; /* not cut */
        } else if (strcmp(key, "ackDeadlineSeconds") == 0 && !has_deadline) {
            has_deadline = ob_json_int64(&j, 0, 86400, &n) == 0;
            *ack_deadline = (long)n;
        } else {
            ob_json_skip(&j);
        }
    }
    return has_topic && has_deadline && !j.failed ? 0 : -1;
}

/* PUT a resource; 200 = created (0), 409 = it was there (1); else -1 with err. */
static int ensure_one(const ps_settings *s, ob_pubsub_auth *auth, const char *path, const ps_buf *body,
                      const char *what, ob_err *err)
{
    ps_request r;
    if (ob_ps_request_init(&r, s, auth, "PUT", path, body, s->timeout_ms + 2000L, err) != 0)
        return -1;
    ob_err rerr;
    long status = ob_ps_request_run(&r, &rerr);
    int rc = status == 409 ? 1 : 0;
    if (status == 0) {
        rc = ob_err_setk(err, rerr.kind, "pubsub: cannot reach %s: %s", s->endpoint, rerr.msg);
    } else if (status != 200 && status != 409) {
        char why[400];
        ob_ps_http_error(status, &r.resp, why, sizeof why);
        rc = ob_err_setk(err, ob_ps_retryable(status) ? OB_ERR_UNAVAILABLE : OB_ERR_REJECTED,
                         "pubsub: cannot create %s at %s: %s", what, s->endpoint, why);
    }
    ob_ps_request_cleanup(&r);
    return rc;
}

/* GET the subscription: 0 with its topic and ack deadline, 1 if there is none (404), -1
 * with err (what it is: `what`) otherwise. */
static int get_subscription(const ps_settings *s, ob_pubsub_auth *auth, const char *what, char *topic,
                            size_t cap, long *ack_deadline, ob_err *err)
{
    char path[700];
    snprintf(path, sizeof path, "projects/%s/subscriptions/%s", s->project, s->subscription);
    ps_request r;
    if (ob_ps_request_init(&r, s, auth, "GET", path, NULL, s->timeout_ms + 2000L, err) != 0)
        return -1;
    ob_err rerr;
    long status = ob_ps_request_run(&r, &rerr);
    int rc = 0;
    if (status == 0) {
        rc = ob_err_setk(err, rerr.kind, "pubsub: cannot reach %s: %s", s->endpoint, rerr.msg);
    } else if (status == 404) {
        rc = 1;
    } else if (status != 200) {
        char why[400];
        ob_ps_http_error(status, &r.resp, why, sizeof why);
        rc = ob_err_setk(err, OB_ERR_REJECTED, "pubsub: cannot read %s at %s: %s", what, s->endpoint, why);
    } else if (ob_ps_read_subscription(r.resp.data, r.resp.len, topic, cap, ack_deadline) != 0) {
        rc = ob_err_setk(err, OB_ERR_REJECTED, "pubsub: %s at %s: the answer names no topic and ack deadline",
                         what, s->endpoint);
    }
    ob_ps_request_cleanup(&r);
    return rc;
}

/* PUT the topic: as ensure_one; what[cap] gets "topic projects/P/topics/T". */
static int ensure_topic(const ps_settings *s, ob_pubsub_auth *auth, char *what, size_t cap, ob_err *err)
{
    char path[700];
    snprintf(path, sizeof path, "projects/%s/topics/%s", s->project, s->topic);
    snprintf(what, cap, "topic %s", path);
    return ensure_one(s, auth, path, NULL, what, err);
}

/* PUT the subscription, on the topic, with s->ack_deadline: as ensure_one; what[cap]
 * gets "subscription projects/P/subscriptions/S". */
static int ensure_subscription(const ps_settings *s, ob_pubsub_auth *auth, char *what, size_t cap,
                               ob_err *err)
{
    ps_buf body = {0};
    char text[1024], path[700];
    snprintf(text, sizeof text, "{\"topic\":\"projects/%s/topics/%s\",\"ackDeadlineSeconds\":%ld}",
             s->project, s->topic, s->ack_deadline);
    if (ob_ps_buf_str(&body, text) != 0)
        return ob_err_set(err, "pubsub: out of memory");
    snprintf(path, sizeof path, "projects/%s/subscriptions/%s", s->project, s->subscription);
    snprintf(what, cap, "subscription %s", path);
    int rc = ensure_one(s, auth, path, &body, what, err);
    ob_ps_buf_free(&body);
    return rc;
}

int ob_ps_ensure(ps_settings *s, ob_pubsub_auth *auth, bool subscription, ob_err *err)
{
    char what[800];
    if (ensure_topic(s, auth, what, sizeof what, err) < 0)
        return -1;
    if (!subscription)
        return 0;
    int rc = ensure_subscription(s, auth, what, sizeof what, err);
    if (rc < 0)
        return -1;
    s->subscription_known = true;
    s->subscription_existed = rc == 1;
    if (rc == 0)
        return 0;
    /* it was there: on this topic, and with the ack deadline the URL names (else its own) */
    char topic[600], want[600];
    long deadline = 0;
    rc = get_subscription(s, auth, what, topic, sizeof topic, &deadline, err);
    if (rc != 0) {
        s->subscription_known = false;
        return rc < 0 ? -1 : 0; /* deleted meanwhile: the pull says so */
    }
    snprintf(want, sizeof want, "projects/%s/topics/%s", s->project, s->topic);
    if (strcmp(topic, want) != 0)
        return ob_err_setk(err, OB_ERR_REJECTED,
                           "pubsub: %s at %s exists on topic %s, not %s (use another subscription= or delete it)",
                           what, s->endpoint, topic, want);
    if (s->ack_deadline_given && deadline != s->ack_deadline)
        return ob_err_setk(err, OB_ERR_REJECTED,
                           "pubsub: %s at %s exists with ack deadline %ld s, the URL asks for ack_deadline=%ld "
                           "(use another subscription= or delete it)",
                           what, s->endpoint, deadline, s->ack_deadline);
    s->ack_deadline = deadline;
    return 0;
}

int ob_ps_recreate(const ps_settings *s, ob_pubsub_auth *auth, bool subscription, ob_err *err)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    static int64_t last_ns; /* the last attempt's, under lock */
    pthread_mutex_lock(&lock);
    int64_t now = ob_mono_ns();
    bool skip = last_ns != 0 && now - last_ns < OB_NS_PER_S;
    if (!skip)
        last_ns = now;
    pthread_mutex_unlock(&lock);
    if (skip)
        return 1;
    char what[800], made[1800] = "";
    int rc = ensure_topic(s, auth, what, sizeof what, err);
    if (rc < 0)
        return -1;
    if (rc == 0)
        snprintf(made, sizeof made, "%s", what);
    if (subscription) {
        rc = ensure_subscription(s, auth, what, sizeof what, err);
        if (rc < 0)
            return -1;
        if (rc == 0) {
            size_t n = strlen(made);
            snprintf(made + n, sizeof made - n, "%s%s (ack deadline %ld s)", n ? " and " : "", what,
                     s->ack_deadline);
        }
    }
    if (made[0])
        fprintf(stderr, "outbreak: pubsub: %s at %s %s gone (the emulator restarted?): created again\n", made,
                s->endpoint, strstr(made, " and ") ? "were" : "was");
    return 0;
}

void ob_ps_look_up_subscription(ps_settings *s, ob_pubsub_auth *auth)
{
    char topic[600], want[600];
    long deadline = 0;
    ob_err err;
    if (get_subscription(s, auth, "subscription", topic, sizeof topic, &deadline, &err) != 0)
        return;
    snprintf(want, sizeof want, "projects/%s/topics/%s", s->project, s->topic);
    if (strcmp(topic, want) != 0)
        return; /* not this topic's: it does not take these records */
    s->ack_deadline = deadline;
    s->subscription_known = true;
    s->subscription_existed = true;
}
