/* http_curl.c — the HTTP load mode's https:// client (http.h): libcurl's multi interface
 * on the publishing thread, one easy handle per keep-alive connection, driven with
 * curl_multi_socket_action and an epoll set of curl's sockets. TLS and its certificates
 * (verify, cacert) are libcurl's. The answers are read inside publish, poll and flush. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "http.h"
#include "clock.h"
#include "net.h"

extern const ob_broker_ops ob_https_ops;

/* One record waiting for, or in, a request. */
typedef struct http_job {
    struct http_job *next;
    uint64_t token;
    size_t len;
    char data[];
} http_job;

/* One easy handle; `job` set while its request is in flight. */
typedef struct http_req {
    CURL *easy;
    http_job *job;
    char line[HTTP_BODY_KEPT]; /* the start of the answer's body: a failure's message, the
                                  way a gateway names */
    size_t line_len;
    char error[CURL_ERROR_SIZE];
    struct http_req *next_free;
} http_req;

typedef struct http_broker {
    ob_broker base;
    http_settings s;
    http_behind behind; /* what the gateways' 2xx said (owned by the publishing thread) */
    CURLM *multi;
    struct curl_slist *headers;
    http_req *reqs;         /* `connections` of them */
    http_req *free_reqs;
    http_job *queue, *queue_tail; /* waiting for a free connection */
    long nactive, nqueued;
    int epfd;               /* curl's sockets (CURLMOPT_SOCKETFUNCTION) */
    int64_t timer_at;       /* curl's timer (CURLMOPT_TIMERFUNCTION), monotonic ns */
} http_broker;

/* ---- requests ----------------------------------------------------------------------- */

/* Keeps the start of the answer's body (for a failure's message); reads the rest. */
static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
    http_req *r = arg;
    size_t len = size * n, room = sizeof r->line - 1 - r->line_len;
    size_t take = len < room ? len : room;
    memcpy(r->line + r->line_len, data, take);
    r->line_len += take;
    r->line[r->line_len] = '\0';
    return len;
}

static int req_init(http_broker *hb, http_req *r, ob_err *err)
{
    const http_settings *s = &hb->s;
    r->easy = curl_easy_init();
    if (!r->easy)
        return ob_err_set(err, "http: out of memory");
    CURL *e = r->easy;
    curl_easy_setopt(e, CURLOPT_URL, s->target);
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hb->headers);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->error);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)hb->base.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, s->timeout_ms);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "outbreak");
    curl_easy_setopt(e, CURLOPT_PRIVATE, r);
    /* straight to the URL's host: no proxy from the environment (and no look-up of
     * http_proxy / no_proxy for every request) */
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    if (s->tls) {
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, s->verify ? 1L : 0L);
        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, s->verify ? 2L : 0L);
        if (s->cacert[0])
            curl_easy_setopt(e, CURLOPT_CAINFO, s->cacert);
    }
    return 0;
}

/* Puts job on a free connection's handle. */
static void start(http_broker *hb, http_req *r, http_job *job)
{
    r->job = job;
    r->line_len = 0;
    r->line[0] = '\0';
    r->error[0] = '\0';
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDSIZE, (long)job->len);
    curl_easy_setopt(r->easy, CURLOPT_POSTFIELDS, (const char *)job->data);
    hb->nactive++;
    if (curl_multi_add_handle(hb->multi, r->easy) != CURLM_OK) {
        /* cannot happen with a valid handle; answer the record rather than lose it */
        hb->nactive--;
        r->job = NULL;
        r->next_free = hb->free_reqs;
        hb->free_reqs = r;
        hb->base.on_ack(hb->base.ack_arg, job->token, false, "http: cannot start a request", ob_mono_ns());
        free(job);
    }
}

/* The failure's message: the status and the body's first line (unless it is an HTML
 * page), or the connection error. */
static void failure_text(const http_req *r, CURLcode rc, long status, long timeout_ms, char *buf,
                         size_t cap)
{
    if (rc == CURLE_OPERATION_TIMEDOUT && timeout_ms > 0) {
        snprintf(buf, cap, HTTP_TIMEOUT_TEXT, timeout_ms);
        return;
    }
    if (rc != CURLE_OK) {
        /* curl's text without its " after N ms", so that equal failures group */
        char text[CURL_ERROR_SIZE];
        snprintf(text, sizeof text, "%s", r->error[0] ? r->error : curl_easy_strerror(rc));
        char *at = strstr(text, " after ");
        if (at) {
            char *p = at + 7;
            while (*p >= '0' && *p <= '9')
                p++;
            if (p > at + 7 && strncmp(p, " ms", 3) == 0)
                memmove(at, p + 3, strlen(p + 3) + 1);
        }
        snprintf(buf, cap, "http: %s", text);
        return;
    }
    ob_http_status_text(status, r->line, buf, cap);
}

/* Reads the finished requests, acks each, and starts the queued records on the freed
 * connections. Returns how many finished. */
static int harvest(http_broker *hb)
{
    int done = 0, left;
    int64_t now = 0;
    CURLMsg *msg;
    while ((msg = curl_multi_info_read(hb->multi, &left))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        if (!now)
            now = ob_mono_ns();
        CURL *e = msg->easy_handle;
        CURLcode rc = msg->data.result;
        http_req *r = NULL;
        curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
        long status = 0;
        if (rc == CURLE_OK)
            curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
        curl_multi_remove_handle(hb->multi, e);
        http_job *job = r->job;
        r->job = NULL;
        hb->nactive--;
        bool ok = rc == CURLE_OK && status >= 200 && status < 300;
        char why[300];
        if (ok) {
            if (ob_broker_measured(&hb->base, job->token)) /* a warm-up's answers: in no count */
                ob_http_behind_note(&hb->behind, r->line, r->line_len);
        } else {
            failure_text(r, rc, status, hb->s.timeout_ms, why, sizeof why);
        }
        hb->base.on_ack(hb->base.ack_arg, job->token, ok, ok ? NULL : why, now);
        free(job);
        done++;
        http_job *next = hb->queue;
        if (next) {
            hb->queue = next->next;
            if (!hb->queue)
                hb->queue_tail = NULL;
            hb->nqueued--;
            start(hb, r, next);
        } else {
            r->next_free = hb->free_reqs;
            hb->free_reqs = r;
        }
    }
    return done;
}

/* curl's sockets and timer, driven with curl_multi_socket_action: only the connection
 * that has something to do is looked at (curl_multi_perform would try every one). */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *arg, void *sockp)
{
    (void)e;
    (void)sockp;
    http_broker *hb = arg;
    if (what == CURL_POLL_REMOVE) {
        epoll_ctl(hb->epfd, EPOLL_CTL_DEL, fd, NULL);
        return 0;
    }
    struct epoll_event ev = {.data.fd = fd};
    if (what & CURL_POLL_IN)
        ev.events |= EPOLLIN;
    if (what & CURL_POLL_OUT)
        ev.events |= EPOLLOUT;
    if (epoll_ctl(hb->epfd, EPOLL_CTL_MOD, fd, &ev) != 0)
        epoll_ctl(hb->epfd, EPOLL_CTL_ADD, fd, &ev);
    return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *arg)
{
    (void)multi;
    http_broker *hb = arg;
    hb->timer_at = timeout_ms < 0 ? INT64_MAX : ob_mono_ns() + timeout_ms * OB_NS_PER_MS;
    return 0;
}

/* Hands curl the sockets that are ready (without waiting) and its timer when due. */
static void drive(http_broker *hb)
{
    int running;
    struct epoll_event evs[64];
    int n = epoll_wait(hb->epfd, evs, 64, 0);
    for (int i = 0; i < n; i++) {
        int mask = 0;
        if (evs[i].events & EPOLLIN)
            mask |= CURL_CSELECT_IN;
        if (evs[i].events & EPOLLOUT)
            mask |= CURL_CSELECT_OUT;
        if (evs[i].events & (EPOLLERR | EPOLLHUP))
            mask |= CURL_CSELECT_ERR;
        curl_multi_socket_action(hb->multi, evs[i].data.fd, mask, &running);
    }
    if (hb->timer_at <= ob_mono_ns()) {
        hb->timer_at = INT64_MAX;
        curl_multi_socket_action(hb->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    }
}

/* Lets curl send and receive what it can without waiting, then acks what finished
 * (again while finishing frees connections for queued records). */
static int progress(http_broker *hb)
{
    int total = 0;
    for (int round = 0; round < 4; round++) {
        drive(hb);
        int n = harvest(hb);
        total += n;
        if (n == 0)
            break;
    }
    return total;
}

/* Waits (nanosecond precision) until one of curl's sockets is ready, its timer is due,
 * or `until` (monotonic ns) passes. */
static void wait_io(http_broker *hb, int64_t until)
{
    if (hb->timer_at < until)
        until = hb->timer_at;
    int64_t left = until - ob_mono_ns();
    if (left <= 0)
        return;
    struct timespec ts = {.tv_sec = (time_t)(left / OB_NS_PER_S), .tv_nsec = (long)(left % OB_NS_PER_S)};
    struct pollfd pfd = {.fd = hb->epfd, .events = POLLIN};
    ppoll(&pfd, 1, &ts, NULL);
}

/* ---- the publisher ------------------------------------------------------------------- */

static int http_publish(ob_broker *b, const ob_msg *m, ob_err *err)
{
    http_broker *hb = (http_broker *)b;
    http_job *job = malloc(sizeof *job + m->len + 1);
    if (!job)
        return ob_err_set(err, "http: out of memory");
    job->next = NULL;
    job->token = m->token;
    job->len = m->len;
    memcpy(job->data, m->data, m->len);
    job->data[m->len] = '\0';
    http_req *r = hb->free_reqs;
    if (r) {
        hb->free_reqs = r->next_free;
        start(hb, r, job);
    } else {
        if (hb->queue_tail)
            hb->queue_tail->next = job;
        else
            hb->queue = job;
        hb->queue_tail = job;
        hb->nqueued++;
        /* every connection is busy: their answers are read by poll (and every 16th
         * publish, so that a caller that never idles still sees them) */
        if (hb->nqueued % 16 != 0)
            return 0;
    }
    progress(hb);
    return 0;
}

static bool http_poll(ob_broker *b, int64_t until_mono)
{
    http_broker *hb = (http_broker *)b;
    if (b->role != OB_ROLE_PUBLISHER || hb->nactive + hb->nqueued == 0)
        return false;
    if (progress(hb) == 0) {
        wait_io(hb, until_mono);
        progress(hb);
    }
    return true;
}

/* Answers every record still out as failed with `why`; returns how many. */
static int fail_outstanding(http_broker *hb, const char *why)
{
    int n = 0;
    int64_t now = ob_mono_ns();
    for (long i = 0; i < hb->s.connections; i++) {
        http_req *r = &hb->reqs[i];
        if (!r->job)
            continue;
        curl_multi_remove_handle(hb->multi, r->easy);
        hb->base.on_ack(hb->base.ack_arg, r->job->token, false, why, now);
        free(r->job);
        r->job = NULL;
        r->next_free = hb->free_reqs;
        hb->free_reqs = r;
        hb->nactive--;
        n++;
    }
    while (hb->queue) {
        http_job *job = hb->queue;
        hb->queue = job->next;
        hb->base.on_ack(hb->base.ack_arg, job->token, false, why, now);
        free(job);
        n++;
    }
    hb->queue_tail = NULL;
    hb->nqueued = 0;
    return n;
}

static int http_flush(ob_broker *b, int timeout_ms)
{
    http_broker *hb = (http_broker *)b;
    if (b->role != OB_ROLE_PUBLISHER || !hb->multi)
        return 0;
    int64_t deadline = ob_mono_ns() + (int64_t)timeout_ms * OB_NS_PER_MS;
    while (hb->nactive + hb->nqueued > 0 && ob_mono_ns() < deadline)
        http_poll(b, deadline);
    return fail_outstanding(hb, HTTP_STOP_TEXT);
}

static void http_close(ob_broker *b)
{
    http_broker *hb = (http_broker *)b;
    for (long i = 0; hb->reqs && i < hb->s.connections; i++) {
        http_req *r = &hb->reqs[i];
        if (r->easy) {
            if (r->job && hb->multi)
                curl_multi_remove_handle(hb->multi, r->easy);
            curl_easy_cleanup(r->easy);
        }
        free(r->job);
    }
    free(hb->reqs);
    while (hb->queue) {
        http_job *job = hb->queue;
        hb->queue = job->next;
        free(job);
    }
    if (hb->multi)
        curl_multi_cleanup(hb->multi);
    curl_slist_free_all(hb->headers);
    if (hb->epfd > 0)
        close(hb->epfd);
}

static int http_open(ob_broker *b, const ob_url *url, ob_err *err)
{
    http_broker *hb = (http_broker *)b;
    if (ob_http_open_common(b, url, &hb->s, err) != 0)
        return -1;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    hb->multi = curl_multi_init();
    hb->headers = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *more = hb->headers ? curl_slist_append(hb->headers, "Expect:") : NULL;
    hb->reqs = calloc((size_t)hb->s.connections, sizeof *hb->reqs);
    if (!hb->multi || !more || !hb->reqs)
        return ob_err_set(err, "http: out of memory");
    hb->headers = more;
    hb->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (hb->epfd < 0)
        return ob_err_set(err, "http: cannot create an epoll instance");
    hb->timer_at = INT64_MAX;
    curl_multi_setopt(hb->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(hb->multi, CURLMOPT_SOCKETDATA, hb);
    curl_multi_setopt(hb->multi, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(hb->multi, CURLMOPT_TIMERDATA, hb);
    curl_multi_setopt(hb->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
    curl_multi_setopt(hb->multi, CURLMOPT_MAX_HOST_CONNECTIONS, hb->s.connections);
    curl_multi_setopt(hb->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, hb->s.connections);
    curl_multi_setopt(hb->multi, CURLMOPT_MAXCONNECTS, hb->s.connections);
    for (long i = hb->s.connections - 1; i >= 0; i--) {
        if (req_init(hb, &hb->reqs[i], err) != 0)
            return -1;
        hb->reqs[i].next_free = hb->free_reqs;
        hb->free_reqs = &hb->reqs[i];
    }
    return 0;
}

static void http_durability(ob_broker *b, ob_durability *d)
{
    const http_broker *hb = (const http_broker *)b;
    ob_http_durability_common(&hb->s, "libcurl", d);
    ob_http_behind_durability(&hb->behind, d);
}

const ob_broker_ops ob_https_ops = {
    OB_HTTP_OPS_SHARED,
    .scheme = "https",
    .synopsis = NULL, /* listed with http:// */
    .default_port = 443,
    .handle_size = sizeof(http_broker),
    .open = http_open,
    .publish = http_publish,
    .poll = http_poll,
    .flush = http_flush,
    .durability = http_durability,
    .close = http_close,
};
