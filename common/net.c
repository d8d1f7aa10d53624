/* net.c — TCP connect with a timeout (see net.h): non-blocking connect, poll for
 * writability, SO_ERROR for the outcome, each resolved address in turn within one
 * overall deadline. */
#include "net.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "clock.h"

/* "host:port", or "[v6]:port". */
static void address_text(const char *host, int port, char *buf, size_t cap)
{
    snprintf(buf, cap, strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
}

/* One attempt: 0 and *out, or the errno (ETIMEDOUT when the deadline passed). */
static int connect_one(const struct addrinfo *a, int64_t deadline, int *out)
{
    int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0)
        return errno;
    int e = 0;
    if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
        e = errno;
        while (e == EINPROGRESS || e == EINTR) {
            int64_t left_ms = (deadline - ob_mono_ns()) / OB_NS_PER_MS;
            if (left_ms <= 0) {
                e = ETIMEDOUT;
                break;
            }
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            int n = poll(&p, 1, (int)(left_ms > 1000000 ? 1000000 : left_ms));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                e = n == 0 ? ETIMEDOUT : errno;
                break;
            }
            socklen_t len = sizeof e;
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) != 0)
                e = errno;
        }
    }
    if (e == 0 && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0)
        e = errno;
    if (e != 0) {
        close(fd);
        return e;
    }
    *out = fd;
    return 0;
}

int ob_tcp_connect(const char *host, int port, int timeout_ms, int *fd, ob_err *err)
{
    char where[300], service[16];
    address_text(host, port, where, sizeof where);
    if (fd)
        *fd = -1;
    if (port <= 0 || port > 65535)
        return ob_err_setk(err, OB_ERR_USAGE, "cannot connect to %s: no such port", where);
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    int g = getaddrinfo(host, service, &hints, &res);
    if (g != 0 || !res)
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "cannot connect to %s: %s", where,
                           g == EAI_SYSTEM ? strerror(errno) : gai_strerror(g));
    int64_t deadline = ob_mono_ns() + (int64_t)(timeout_ms > 0 ? timeout_ms : 1) * OB_NS_PER_MS;
    int e = 0, conn = -1;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        e = connect_one(a, deadline, &conn);
        if (e == 0 || e == ETIMEDOUT)
            break;
    }
    freeaddrinfo(res);
    if (e == ETIMEDOUT)
        return ob_err_setk(err, OB_ERR_TIMEOUT, "cannot connect to %s: no answer within %d ms", where,
                           timeout_ms);
    if (e != 0)
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "cannot connect to %s: %s", where, strerror(e));
    if (fd)
        *fd = conn;
    else
        close(conn);
    return 0;
}

int ob_listen_addr(const char *flag, const char *text, struct sockaddr_storage *ss, socklen_t *sslen, ob_err *err)
{
    char host[256] = "127.0.0.1";
    const char *port = text;
    const char *colon = strrchr(text, ':');
    if (text[0] == '[') {
        const char *close = strchr(text, ']');
        if (!close || close[1] != ':' || (size_t)(close - text - 1) >= sizeof host)
            return ob_err_setk(err, OB_ERR_USAGE, "%s: expected [ADDRESS]:PORT, not \"%s\"", flag, text);
        memcpy(host, text + 1, (size_t)(close - text - 1));
        host[close - text - 1] = '\0';
        port = close + 2;
    } else if (colon) {
        if ((size_t)(colon - text) >= sizeof host)
            return ob_err_setk(err, OB_ERR_USAGE, "%s: host too long", flag);
        if (colon > text) {
            memcpy(host, text, (size_t)(colon - text));
            host[colon - text] = '\0';
        }
        port = colon + 1;
    }
    char *end;
    errno = 0;
    long p = strtol(port, &end, 10);
    if (!*port || *end || errno || p < 0 || p > 65535)
        return ob_err_setk(err, OB_ERR_USAGE, "%s: expected HOST:PORT with a port from 0 to 65535, not \"%s\"",
                           flag, text);
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *ai;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0)
        return ob_err_setk(err, OB_ERR_USAGE, "%s: cannot resolve \"%s\": %s", flag, host, gai_strerror(rc));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *sslen = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}
