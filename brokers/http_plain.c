/* http_plain.c — the HTTP load mode's http:// client (http.h): outbreak's own, as lean
 * per request as wrk's. One epoll set per handle on the publishing thread, `connections`
 * non-blocking keep-alive sockets, one request at a time on each. A request is one
 * write (the request line and headers, built once at open, then Content-Length and the
 * body); the answer is read when epoll says so and parsed by http_parser (Node's, from
 * Debian's libhttp-parser), which knows every way an HTTP/1.1 answer may end
 * (Content-Length, chunked, the connection closing). The next queued record is written
 * on the connection as soon as its answer is in.
 *
 * Connections are opened when a record needs one and reopened after the server closed
 * one; a request sent on a kept connection that the server had closed meanwhile (it
 * answers nothing, not even a byte) is sent once more on a new connection, as browsers
 * and libcurl do. Everything else that goes wrong fails the record with a message that
 * names it (broker.h: on_ack exactly once per publish). */
#include <errno.h>
#include <http_parser.h>
#include <netdb.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"
#include "http.h"

extern const ob_broker_ops ob_http_ops;

/* A record waiting for a free connection. */
typedef struct http_job {
    struct http_job *next;
    uint64_t token;
    size_t len, cap;
    char data[];
} http_job;

typedef enum conn_state {
    C_DOWN,       /* no socket */
    C_CONNECTING, /* connect() in progress, a request waiting in out */
    C_IDLE,       /* kept open, nothing in flight */
    C_BUSY        /* a request written (or being written), its answer awaited */
} conn_state;

typedef struct http_conn {
    int fd;
    conn_state state;
    bool reused;        /* this connection answered a request before the current one */
    bool retried;       /* the current request was already sent once more */
    bool complete;      /* the parser saw the end of the answer */
    bool in_answer;     /* some of the answer has arrived */
    bool want_out;      /* EPOLLOUT is in the epoll set */
    uint64_t token;     /* the record in flight */
    int64_t deadline;   /* when it fails by timeout (monotonic ns) */
    char *out;          /* the request: headers and body */
    size_t out_len, out_cap, out_off;
    http_parser parser;
    char line[HTTP_BODY_KEPT]; /* the start of the answer's body: a failure's message, the
                                  way a gateway names */
    size_t line_len;
    struct http_conn *next_free;
} http_conn;

typedef struct http_broker {
    ob_broker base;
    http_settings s;
    http_behind behind; /* what the gateways' 2xx said (owned by the publishing thread) */
    struct sockaddr_storage addr;
    socklen_t addr_len;
    char head[2304];      /* "POST path HTTP/1.1\r\nHost: ...\r\n[Authorization: ...]Content-Length: " */
    size_t head_len;
    http_parser_settings parse;
    http_conn *conns;
    http_conn *free_conns;
    http_job *queue, *queue_tail, *spare_jobs;
    long nbusy, nqueued;
    int epfd;
    int64_t next_deadline; /* the earliest deadline of a busy connection, or later */
    int64_t now;           /* the clock read once per round of events */
    bool use_pwait2;       /* epoll_pwait2 (ns timeouts) works on this kernel */
} http_broker;

/* ---- the answer's parser callbacks ------------------------------------------------ */

static int on_body(http_parser *p, const char *at, size_t len)
{
    http_conn *c = p->data;
    size_t room = sizeof c->line - 1 - c->line_len;
    size_t take = len < room ? len : room;
    memcpy(c->line + c->line_len, at, take);
    c->line_len += take;
    c->line[c->line_len] = '\0';
    return 0;
}

static int on_message_complete(http_parser *p)
{
    http_conn *c = p->data;
    c->complete = true;
    http_parser_pause(p, 1); /* one answer per request: stop here */
    return 0;
}

/* ---- connections -------------------------------------------------------------------- */

static void conn_close(http_broker *hb, http_conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(hb->epfd, EPOLL_CTL_DEL, c->fd, NULL);
        close(c->fd);
    }
    c->fd = -1;
    c->state = C_DOWN;
    c->reused = false;
    c->want_out = false;
}

static void conn_want_out(http_broker *hb, http_conn *c, bool on)
{
    if (c->want_out == on)
        return;
    struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(hb->epfd, EPOLL_CTL_MOD, c->fd, &ev);
    c->want_out = on;
}

/* Answers the record in flight on c and puts c on the free list (dispatch gives it
 * the next queued record: never from here, so that failing records do not recurse). */
static void conn_answer(http_broker *hb, http_conn *c, bool ok, const char *why);
static void conn_start(http_broker *hb, http_conn *c);

/* Fails the record in flight with "http: <what>" (and the system's reason). */
static void conn_fail(http_broker *hb, http_conn *c, const char *what, int errnum)
{
    char why[320];
    if (errnum)
        snprintf(why, sizeof why, "http: %s: %s", what, strerror(errnum));
    else
        snprintf(why, sizeof why, "http: %s", what);
    conn_close(hb, c);
    conn_answer(hb, c, false, why);
}

/* Writes what is left of the request; EAGAIN waits for EPOLLOUT. */
static void conn_write(http_broker *hb, http_conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n > 0) {
            c->out_off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            conn_want_out(hb, c, true);
            return;
        }
        int e = errno;
        /* a kept connection the server has closed: send it once more on a new one */
        if (c->reused && !c->retried) {
            conn_close(hb, c);
            c->retried = true;
            conn_start(hb, c);
            return;
        }
        conn_fail(hb, c, "cannot send the request", e);
        return;
    }
    conn_want_out(hb, c, false);
}

/* Opens a connection for the request in c->out, or writes it on the kept one. */
static void conn_start(http_broker *hb, http_conn *c)
{
    c->complete = c->in_answer = false;
    c->line_len = 0;
    c->line[0] = '\0';
    c->out_off = 0;
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    if (c->state == C_IDLE) {
        c->state = C_BUSY;
        c->reused = true;
        conn_write(hb, c);
        return;
    }
    c->reused = false;
    c->fd = socket(hb->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        conn_fail(hb, c, "cannot open a socket", errno);
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    c->want_out = true;
    if (epoll_ctl(hb->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0) {
        conn_fail(hb, c, "cannot watch a socket", errno);
        return;
    }
    if (connect(c->fd, (struct sockaddr *)&hb->addr, hb->addr_len) == 0) {
        c->state = C_BUSY;
        conn_write(hb, c);
    } else if (errno == EINPROGRESS) {
        c->state = C_CONNECTING;
    } else {
        char what[300];
        snprintf(what, sizeof what, "cannot connect to %s:%d", hb->s.host, hb->s.port);
        conn_fail(hb, c, what, errno);
    }
}

/* Copies the request for `len` bytes of `data` into c->out: the head built at open,
 * the length, the body. */
static int conn_fill(http_broker *hb, http_conn *c, const char *data, size_t len)
{
    size_t need = hb->head_len + 24 + len;
    if (need > c->out_cap) {
        char *grown = realloc(c->out, need);
        if (!grown)
            return -1;
        c->out = grown;
        c->out_cap = need;
    }
    memcpy(c->out, hb->head, hb->head_len);
    size_t n = hb->head_len;
    /* the length in decimal, then the blank line */
    char digits[24];
    int nd = 0;
    size_t v = len;
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (nd)
        c->out[n++] = digits[--nd];
    memcpy(c->out + n, "\r\n\r\n", 4);
    n += 4;
    memcpy(c->out + n, data, len);
    c->out_len = n + len;
    return 0;
}

/* Puts a record on the free connection c. */
static void conn_send(http_broker *hb, http_conn *c, uint64_t token)
{
    c->token = token;
    c->retried = false;
    c->deadline = hb->now + hb->s.timeout_ms * OB_NS_PER_MS;
    if (c->deadline < hb->next_deadline)
        hb->next_deadline = c->deadline;
    hb->nbusy++;
    conn_start(hb, c);
}

static http_job *job_take(http_broker *hb)
{
    http_job *job = hb->queue;
    if (job) {
        hb->queue = job->next;
        if (!hb->queue)
            hb->queue_tail = NULL;
        hb->nqueued--;
    }
    return job;
}

static void job_release(http_broker *hb, http_job *job)
{
    job->next = hb->spare_jobs;
    hb->spare_jobs = job;
}

static void conn_answer(http_broker *hb, http_conn *c, bool ok, const char *why)
{
    hb->nbusy--;
    hb->base.on_ack(hb->base.ack_arg, c->token, ok, why, hb->now);
    if (c->state == C_BUSY)
        c->state = C_IDLE;
    c->next_free = hb->free_conns;
    hb->free_conns = c;
}

/* Puts queued records on the free connections (a failure frees its connection again,
 * so this goes on until the queue or the connections are used up). */
static void dispatch(http_broker *hb)
{
    while (hb->queue && hb->free_conns) {
        http_job *job = job_take(hb);
        http_conn *c = hb->free_conns;
        if (conn_fill(hb, c, job->data, job->len) != 0) {
            hb->base.on_ack(hb->base.ack_arg, job->token, false, "http: out of memory", hb->now);
            job_release(hb, job);
            continue;
        }
        hb->free_conns = c->next_free;
        uint64_t token = job->token;
        job_release(hb, job);
        conn_send(hb, c, token);
    }
}

/* The answer has ended on c (or the connection did). */
static void conn_done(http_broker *hb, http_conn *c)
{
    long status = c->parser.status_code;
    bool keep = http_should_keep_alive(&c->parser);
    bool ok = status >= 200 && status < 300;
    char why[300];
    if (ok) {
        if (ob_broker_measured(&hb->base, c->token)) /* a warm-up's answers: in no count */
            ob_http_behind_note(&hb->behind, c->line, c->line_len);
    } else {
        ob_http_status_text(status, c->line, why, sizeof why);
    }
    /* a connection whose request was not all written (an early answer) is not reused */
    if (!keep || c->out_off < c->out_len)
        conn_close(hb, c);
    conn_answer(hb, c, ok, ok ? NULL : why);
}

/* The connection ended (EOF, or an error errnum) while c waited for an answer. */
static void conn_ended(http_broker *hb, http_conn *c, int errnum)
{
    if (c->in_answer) {
        /* an answer whose end is the connection's end (no Content-Length) */
        http_parser_pause(&c->parser, 0);
        http_parser_execute(&c->parser, &hb->parse, NULL, 0);
        if (c->complete) {
            conn_close(hb, c);
            conn_done(hb, c);
            return;
        }
        conn_fail(hb, c, "the connection ended in the middle of the answer", errnum);
        return;
    }
    if (c->reused && !c->retried) {
        /* the server closed the kept connection before reading this request */
        conn_close(hb, c);
        c->retried = true;
        conn_start(hb, c);
        return;
    }
    conn_fail(hb, c, "the server closed the connection without answering", errnum);
}

static void conn_readable(http_broker *hb, http_conn *c)
{
    char buf[16384];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (c->state == C_IDLE) {
        /* nothing is awaited: the server closed the kept connection (or spoke out of turn) */
        conn_close(hb, c);
        return;
    }
    if (n <= 0) {
        conn_ended(hb, c, n < 0 ? errno : 0);
        return;
    }
    c->in_answer = true;
    size_t used = http_parser_execute(&c->parser, &hb->parse, buf, (size_t)n);
    if (c->complete) {
        /* bytes after the answer (none were asked for) go with the connection */
        if (used < (size_t)n)
            conn_close(hb, c);
        conn_done(hb, c);
        return;
    }
    if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) {
        char what[200];
        snprintf(what, sizeof what, "a malformed answer (%s)",
                 http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
        conn_fail(hb, c, what, 0);
    }
}

static void conn_event(http_broker *hb, http_conn *c, uint32_t events)
{
    if (c->state == C_CONNECTING) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int e = 0;
        socklen_t len = sizeof e;
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &len);
        if (e) {
            char what[300];
            snprintf(what, sizeof what, "cannot connect to %s:%d", hb->s.host, hb->s.port);
            conn_fail(hb, c, what, e);
            return;
        }
        c->state = C_BUSY;
        conn_write(hb, c);
        return;
    }
    if ((events & EPOLLOUT) && c->state == C_BUSY && c->out_off < c->out_len)
        conn_write(hb, c);
    if (c->fd >= 0 && (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
        conn_readable(hb, c);
}

/* ---- the loop ------------------------------------------------------------------------- */

/* Fails the requests whose time is up; sets the next deadline. */
static void expire(http_broker *hb)
{
    if (hb->now < hb->next_deadline)
        return;
    int64_t next = INT64_MAX;
    char why[120];
    snprintf(why, sizeof why, HTTP_TIMEOUT_TEXT, hb->s.timeout_ms);
    for (long i = 0; i < hb->s.connections; i++) {
        http_conn *c = &hb->conns[i];
        if (c->state != C_BUSY && c->state != C_CONNECTING)
            continue;
        if (c->deadline <= hb->now) {
            conn_close(hb, c);
            conn_answer(hb, c, false, why);
        } else if (c->deadline < next) {
            next = c->deadline;
        }
    }
    hb->next_deadline = next;
}

/* Handles what epoll reports within timeout_ns (0: what is ready now). Returns the
 * number of answers (and failures) handled. */
static long pump(http_broker *hb, int64_t timeout_ns)
{
    struct epoll_event evs[64];
    int n;
    if (timeout_ns <= 0) {
        n = epoll_wait(hb->epfd, evs, 64, 0);
    } else if (hb->use_pwait2) {
        struct timespec ts = {.tv_sec = (time_t)(timeout_ns / OB_NS_PER_S),
                              .tv_nsec = (long)(timeout_ns % OB_NS_PER_S)};
        n = epoll_pwait2(hb->epfd, evs, 64, &ts, NULL);
        if (n < 0 && errno == ENOSYS) {
            hb->use_pwait2 = false;
            n = epoll_wait(hb->epfd, evs, 64, (int)((timeout_ns + OB_NS_PER_MS - 1) / OB_NS_PER_MS));
        }
    } else {
        n = epoll_wait(hb->epfd, evs, 64, (int)((timeout_ns + OB_NS_PER_MS - 1) / OB_NS_PER_MS));
    }
    long before = hb->nbusy + hb->nqueued;
    hb->now = ob_mono_ns();
    for (int i = 0; i < n; i++)
        conn_event(hb, evs[i].data.ptr, evs[i].events);
    expire(hb);
    dispatch(hb);
    long after = hb->nbusy + hb->nqueued;
    return before - after;
}

/* ---- the vtable ------------------------------------------------------------------------ */

static int http_publish(ob_broker *b, const ob_msg *m, ob_err *err)
{
    http_broker *hb = (http_broker *)b;
    http_conn *c = hb->free_conns;
    if (c) {
        if (conn_fill(hb, c, m->data, m->len) != 0)
            return ob_err_set(err, "http: out of memory");
        hb->free_conns = c->next_free;
        hb->now = ob_mono_ns();
        conn_send(hb, c, m->token);
        dispatch(hb); /* c may have failed at once and be free again */
        return 0;
    }
    /* every connection is busy: the record waits for one */
    http_job *job = hb->spare_jobs;
    if (job && job->cap >= m->len)
        hb->spare_jobs = job->next;
    else {
        size_t cap = m->len < 512 ? 512 : m->len; /* a record, its metadata in: about 250 bytes */
        job = malloc(sizeof *job + cap);
        if (!job)
            return ob_err_set(err, "http: out of memory");
        job->cap = cap;
    }
    job->next = NULL;
    job->token = m->token;
    job->len = m->len;
    memcpy(job->data, m->data, m->len);
    if (hb->queue_tail)
        hb->queue_tail->next = job;
    else
        hb->queue = job;
    hb->queue_tail = job;
    hb->nqueued++;
    /* a caller that never idles still sees the answers */
    if (hb->nqueued % 16 == 0)
        pump(hb, 0);
    return 0;
}

static bool http_poll(ob_broker *b, int64_t until_mono)
{
    http_broker *hb = (http_broker *)b;
    if (hb->nbusy + hb->nqueued == 0)
        return false;
    /* one wait: epoll returns at once when answers are in already */
    int64_t until = until_mono < hb->next_deadline ? until_mono : hb->next_deadline;
    pump(hb, until - ob_mono_ns());
    return true;
}

static int fail_outstanding(http_broker *hb, const char *why)
{
    int n = 0;
    hb->now = ob_mono_ns();
    for (long i = 0; i < hb->s.connections; i++) {
        http_conn *c = &hb->conns[i];
        if (c->state != C_BUSY && c->state != C_CONNECTING)
            continue;
        conn_close(hb, c);
        hb->nbusy--;
        hb->base.on_ack(hb->base.ack_arg, c->token, false, why, hb->now);
        n++;
    }
    http_job *job;
    while ((job = job_take(hb))) {
        hb->base.on_ack(hb->base.ack_arg, job->token, false, why, hb->now);
        job_release(hb, job);
        n++;
    }
    return n;
}

static int http_flush(ob_broker *b, int timeout_ms)
{
    http_broker *hb = (http_broker *)b;
    if (b->role != OB_ROLE_PUBLISHER || !hb->conns)
        return 0;
    int64_t deadline = ob_mono_ns() + (int64_t)timeout_ms * OB_NS_PER_MS;
    while (hb->nbusy + hb->nqueued > 0 && ob_mono_ns() < deadline)
        http_poll(b, deadline);
    return fail_outstanding(hb, HTTP_STOP_TEXT);
}

static void http_close(ob_broker *b)
{
    http_broker *hb = (http_broker *)b;
    for (long i = 0; hb->conns && i < hb->s.connections; i++) {
        if (hb->conns[i].fd >= 0)
            close(hb->conns[i].fd);
        free(hb->conns[i].out);
    }
    free(hb->conns);
    for (http_job *lists[2] = {hb->queue, hb->spare_jobs}, **l = lists; l < lists + 2; l++)
        while (*l) {
            http_job *job = *l;
            *l = job->next;
            free(job);
        }
    if (hb->epfd > 0)
        close(hb->epfd);
}

static int http_open(ob_broker *b, const ob_url *url, ob_err *err)
{
    http_broker *hb = (http_broker *)b;
    if (ob_http_open_common(b, url, &hb->s, err) != 0)
        return -1;
    const http_settings *s = &hb->s;
    /* the address, once */
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    char port[16];
    snprintf(port, sizeof port, "%d", s->port);
    int rc = getaddrinfo(s->host, port, &hints, &ai);
    if (rc != 0 || !ai)
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "http: cannot resolve %s: %s", s->host, gai_strerror(rc));
    memcpy(&hb->addr, ai->ai_addr, ai->ai_addrlen);
    hb->addr_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    /* the request's head, the same for every record */
    bool v6 = strchr(s->host, ':') != NULL;
    /* a login in the URL (http://user:pass@host/): HTTP Basic on every request, as curl
     * does it for https:// */
    char auth[600] = "";
    if (url->user) {
        char login[300], b64[400];
        int ln = snprintf(login, sizeof login, "%s:%s", url->user, url->pass ? url->pass : "");
        if (ln < 0 || (size_t)ln >= sizeof login)
            return ob_err_setk(err, OB_ERR_USAGE, "http: the URL's user and password are too long");
        EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)login, ln);
        snprintf(auth, sizeof auth, "Authorization: Basic %s\r\n", b64);
        OPENSSL_cleanse(login, sizeof login);
        OPENSSL_cleanse(b64, sizeof b64);
    }
    int n = snprintf(hb->head, sizeof hb->head,
                     "POST %s HTTP/1.1\r\nHost: %s%s%s:%d\r\nUser-Agent: outbreak\r\n%s"
                     "Content-Type: application/json\r\nContent-Length: ",
                     s->path, v6 ? "[" : "", s->host, v6 ? "]" : "", s->port, auth);
    OPENSSL_cleanse(auth, sizeof auth);
    if (n < 0 || (size_t)n >= sizeof hb->head)
        return ob_err_setk(err, OB_ERR_USAGE, "http: the URL's path is longer than %zu characters",
                           sizeof hb->head - 200);
    hb->head_len = (size_t)n;
    hb->parse.on_body = on_body;
    hb->parse.on_message_complete = on_message_complete;
    hb->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (hb->epfd < 0)
        return ob_err_set(err, "http: cannot create an epoll instance");
    hb->conns = calloc((size_t)s->connections, sizeof *hb->conns);
    if (!hb->conns)
        return ob_err_set(err, "http: out of memory");
    for (long i = s->connections - 1; i >= 0; i--) {
        hb->conns[i].fd = -1;
        hb->conns[i].next_free = hb->free_conns;
        hb->free_conns = &hb->conns[i];
    }
    hb->next_deadline = INT64_MAX;
    hb->use_pwait2 = true;
    return 0;
}

static void http_durability(ob_broker *b, ob_durability *d)
{
    const http_broker *hb = (const http_broker *)b;
    ob_http_durability_common(&hb->s, "outbreak (epoll, http_parser)", d);
    ob_http_behind_durability(&hb->behind, d);
}

const ob_broker_ops ob_http_ops = {
    OB_HTTP_OPS_SHARED,
    .scheme = "http",
    .synopsis = "http[s]://host:port/path[?connections=8] (POST to a gateway; -H)",
    .default_port = 80,
    .handle_size = sizeof(http_broker),
    .open = http_open,
    .publish = http_publish,
    .poll = http_poll,
    .flush = http_flush,
    .durability = http_durability,
    .close = http_close,
};
