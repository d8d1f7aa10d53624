/* net.h — TCP connect with a timeout, and the addresses listeners take: the one place outbreak opens a TCP connection of
 * its own (reachability checks before a comparison, and the reason behind a client
 * library's "socket error"). */
#ifndef OB_NET_H
#define OB_NET_H

#include <sys/socket.h>

#include "err.h"

/* Connects to host:port (every address the name resolves to, in order), giving up after
 * timeout_ms in all. On success returns 0 and *fd, a connected blocking socket
 * (close-on-exec) the caller closes. Otherwise -1 with *fd = -1 and err naming the
 * address ("cannot connect to 127.0.0.1:1: Connection refused"), kind
 * OB_ERR_UNAVAILABLE (refused, unreachable, name not found) or OB_ERR_TIMEOUT (no answer
 * within timeout_ms). fd may be NULL: the connection is closed at once (a probe). */
int ob_tcp_connect(const char *host, int port, int timeout_ms, int *fd, ob_err *err);

/* An address to listen on, as the flag `flag` (named in errors) gives it: HOST:PORT,
 * [V6]:PORT, :PORT or PORT (host 127.0.0.1), port 0 for any free one, into *ss. A bad
 * form or a name that does not resolve is OB_ERR_USAGE with one line. */
int ob_listen_addr(const char *flag, const char *text, struct sockaddr_storage *ss, socklen_t *sslen,
                   ob_err *err);

#endif
