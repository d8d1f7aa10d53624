/* nats_raw.c — ob_nats_raw: a minimal NATS client on plain sockets (no cnats), for the
 * instrument's latency floor (bench/latency_floor.sh, issue 19): the same round trip that
 * outbreak measures, without any client library in the way.
 *
 *   ob_nats_raw MODE SUBJECT RATE SECONDS [SIZE [HOST [PORT]]]
 *
 *   MODE js      PUB SUBJECT INBOX SIZE + payload, then wait for the JetStream PubAck
 *                (a MSG on INBOX, subscribed first): a JetStream publish round trip.
 *   MODE ping    PUB SUBJECT SIZE + payload, then PING, wait for the PONG: the server has
 *                read the message (core NATS' round trip).
 *   MODE marker  PUB SUBJECT SIZE + payload, then PUB INBOX 8 + a counter, wait for its
 *                MSG on INBOX: the round trip outbreak's core NATS adapter makes for a
 *                paced publisher (brokers/nats.c's header: a marker to its own inbox).
 *
 * One message at a time, paced at RATE per second (absolute deadlines, CLOCK_MONOTONIC)
 * for SECONDS; each round trip runs from just before the write to the read that completes
 * the answer. Prints one line: "raw MODE n=N p50_ms=.. p90_ms=.. p99_ms=.. max_ms=..
 * mean_ms=.. late=L" (late: sends that started after their deadline, the previous
 * answer being slower than the period). The payload is SIZE bytes (default 189) of JSON.
 *
 *   MODE arrivals  a subscriber of SUBJECT, for bench/paced_wire.sh: prints "ready" once
 *                subscribed, then takes RATE * SECONDS messages (or what came until 3 s
 *                passed without one), each stamped with the time of the read it came in,
 *                and prints how a publisher paced at RATE reached it: "arrivals n=N
 *                reads=R batched=B% lateness_p50_ms=.. p90 p99 max" (lateness: message
 *                i's arrival after the schedule t + i / RATE, t set so that the earliest
 *                is 0; batched: the messages that came in the same read as the one
 *                before, a batch the publisher or its client library wrote at once).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int fd = -1;
static char rbuf[1 << 16];
static size_t rlen;
static long long last_read_ns; /* when the latest read returned (arrivals) */
static long long reads;        /* reads that returned bytes */
/* The arrivals mode (see the header): each message's read time and read number. */
static long long *arr_at, *arr_read;
static size_t arr_n;
static double arr_rate;
static void arrivals_report(void);

static void die(const char *what)
{
    fprintf(stderr, "ob_nats_raw: %s%s%s\n", what, errno ? ": " : "", errno ? strerror(errno) : "");
    exit(1);
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void send_all(const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            die("write");
        }
        p += w;
        n -= (size_t)w;
    }
}

/* Reads more bytes into rbuf. */
static void fill(void)
{
    if (rlen == sizeof rbuf)
        die("protocol line too long");
    for (;;) {
        ssize_t r = read(fd, rbuf + rlen, sizeof rbuf - rlen);
        if (r > 0) {
            rlen += (size_t)r;
            reads++;
            last_read_ns = now_ns();
            return;
        }
        if (r == 0) {
            errno = 0;
            die("the server closed the connection");
        }
        if (arr_at && (errno == EAGAIN || errno == EWOULDBLOCK))
            arrivals_report(); /* the arrivals mode's timeout: the publisher is done */
        if (errno != EINTR)
            die("read");
    }
}

static void consume(size_t n)
{
    memmove(rbuf, rbuf + n, rlen - n);
    rlen -= n;
}

/* Waits for the next server message of interest: returns 'P' for PONG, 'M' for a MSG
 * (its payload skipped); answers the server's PINGs, skips +OK and INFO, dies on -ERR. */
static int next_op(void)
{
    for (;;) {
        char *eol = memmem(rbuf, rlen, "\r\n", 2);
        if (!eol) {
            fill();
            continue;
        }
        size_t line = (size_t)(eol - rbuf) + 2;
        if (strncmp(rbuf, "PONG", 4) == 0) {
            consume(line);
            return 'P';
        }
        if (strncmp(rbuf, "PING", 4) == 0) {
            consume(line);
            send_all("PONG\r\n", 6);
            continue;
        }
        if (strncmp(rbuf, "MSG ", 4) == 0) {
            /* MSG <subject> <sid> [reply] <#bytes> */
            char *sp = eol;
            while (sp > rbuf && sp[-1] != ' ')
                sp--;
            size_t len = strtoul(sp, NULL, 10);
            while (rlen < line + len + 2)
                fill();
            consume(line + len + 2);
            return 'M';
        }
        if (strncmp(rbuf, "-ERR", 4) == 0) {
            *eol = 0;
            errno = 0;
            fprintf(stderr, "ob_nats_raw: server: %s\n", rbuf);
            exit(1);
        }
        consume(line); /* +OK, INFO */
    }
}

static int cmp(const void *a, const void *b);
static double pct(const long long *v, size_t n, double p);


/* Prints the arrivals line from what came and exits (at the count, or when a read
 * timed out: the publisher is done). */
static void arrivals_report(void)
{
    size_t n = arr_n;
    if (n < 2) {
        fprintf(stderr, "ob_nats_raw: %zu messages arrived\n", n);
        exit(1);
    }
    long long period = (long long)(1e9 / arr_rate), lowest = 0, batched = 0;
    for (size_t i = 0; i < n; i++) {
        arr_at[i] -= (long long)i * period;
        if (i == 0 || arr_at[i] < lowest)
            lowest = arr_at[i];
        if (i > 0 && arr_read[i] == arr_read[i - 1])
            batched++;
    }
    for (size_t i = 0; i < n; i++)
        arr_at[i] -= lowest;
    long long distinct = arr_read[n - 1] - arr_read[0] + 1;
    qsort(arr_at, n, sizeof *arr_at, cmp);
    printf("arrivals n=%zu reads=%lld batched=%.1f%% lateness_p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f\n", n,
           distinct, 100.0 * (double)batched / (double)(n - 1), pct(arr_at, n, 50), pct(arr_at, n, 90),
           pct(arr_at, n, 99), (double)arr_at[n - 1] / 1e6);
    exit(0);
}

static int arrivals(double rate, double secs)
{
    size_t total = (size_t)(rate * secs);
    arr_rate = rate;
    arr_at = malloc((total ? total : 1) * sizeof *arr_at);
    arr_read = malloc((total ? total : 1) * sizeof *arr_read);
    if (!arr_at || !arr_read)
        die("malloc");
    printf("ready\n");
    fflush(stdout);
    while (arr_n < total) {
        if (next_op() != 'M')
            continue;
        if (arr_n == 0) { /* from now on, 3 s without a message ends it (fill) */
            struct timeval tv = {.tv_sec = 3};
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        }
        arr_at[arr_n] = last_read_ns;
        arr_read[arr_n] = reads;
        arr_n++;
    }
    arrivals_report();
    return 0;
}

static int cmp(const void *a, const void *b)
{
    long long x = *(const long long *)a, y = *(const long long *)b;
    return x < y ? -1 : x > y;
}

static double pct(const long long *v, size_t n, double p)
{
    size_t i = (size_t)(p / 100.0 * (double)n + 0.5);
    if (i > 0)
        i--;
    if (i >= n)
        i = n - 1;
    return (double)v[i] / 1e6;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr, "usage: ob_nats_raw js|ping|marker|arrivals SUBJECT RATE SECONDS [SIZE [HOST [PORT]]]\n");
        return 2;
    }
    const char *mode = argv[1], *subject = argv[2];
    double rate = atof(argv[3]), secs = atof(argv[4]);
    size_t size = argc > 5 ? strtoul(argv[5], NULL, 10) : 189;
    const char *host = argc > 6 ? argv[6] : "127.0.0.1", *port = argc > 7 ? argv[7] : "4222";
    int js = strcmp(mode, "js") == 0, ping = strcmp(mode, "ping") == 0, marker = strcmp(mode, "marker") == 0;
    int sub_only = strcmp(mode, "arrivals") == 0;
    if (!(js || ping || marker || sub_only) || rate <= 0 || secs <= 0 || size < 2 || size > 60000) {
        fprintf(stderr, "ob_nats_raw: bad arguments\n");
        return 2;
    }

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    if (getaddrinfo(host, port, &hints, &ai) != 0)
        die("getaddrinfo");
    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0)
        die("connect");
    freeaddrinfo(ai);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);

    char inbox[300];
    if (sub_only)
        snprintf(inbox, sizeof inbox, "%s", subject);
    else
        snprintf(inbox, sizeof inbox, "_INBOX.obraw.%ld", (long)getpid());
    char hello[256];
    int hl = snprintf(hello, sizeof hello,
                      "CONNECT {\"verbose\":false,\"pedantic\":false,\"name\":\"ob_nats_raw\",\"lang\":\"c\","
                      "\"version\":\"0\",\"protocol\":1}\r\nSUB %s 1\r\nPING\r\n",
                      inbox);
    send_all(hello, (size_t)hl);
    while (next_op() != 'P')
        ;
    if (sub_only)
        return arrivals(rate, secs);

    /* one request, built once: PUB line, payload, and the ping or marker after it */
    size_t cap = size + 512, n = 0;
    char *req = malloc(cap);
    if (!req)
        die("malloc");
    if (js)
        n += (size_t)snprintf(req + n, cap - n, "PUB %s %s %zu\r\n", subject, inbox, size);
    else
        n += (size_t)snprintf(req + n, cap - n, "PUB %s %zu\r\n", subject, size);
    req[n] = '{';
    memset(req + n + 1, 'x', size - 2);
    req[n + size - 1] = '}';
    n += size;
    memcpy(req + n, "\r\n", 2);
    n += 2;
    if (ping) {
        memcpy(req + n, "PING\r\n", 6);
        n += 6;
    } else if (marker) {
        n += (size_t)snprintf(req + n, cap - n, "PUB %s 8\r\n00000000\r\n", inbox);
    }

    size_t total = (size_t)(rate * secs);
    long long *rt = malloc((total ? total : 1) * sizeof *rt);
    if (!rt)
        die("malloc");
    long long period = (long long)(1e9 / rate), t0 = now_ns() + 1000000, late = 0;
    for (size_t i = 0; i < total; i++) {
        long long due = t0 + (long long)i * period;
        struct timespec ts = {.tv_sec = due / 1000000000LL, .tv_nsec = due % 1000000000LL};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        long long s = now_ns();
        if (s - due > period)
            late++;
        send_all(req, n);
        int want = ping ? 'P' : 'M';
        while (next_op() != want)
            ;
        rt[i] = now_ns() - s;
    }
    double sum = 0;
    for (size_t i = 0; i < total; i++)
        sum += (double)rt[i];
    qsort(rt, total, sizeof *rt, cmp);
    printf("raw %s n=%zu p50_ms=%.4f p90_ms=%.4f p99_ms=%.4f max_ms=%.4f mean_ms=%.4f late=%lld\n", mode, total,
           pct(rt, total, 50), pct(rt, total, 90), pct(rt, total, 99), (double)rt[total - 1] / 1e6,
           sum / (double)total / 1e6, late);
    close(fd);
    free(rt);
    free(req);
    return 0;
}
