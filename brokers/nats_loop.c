/* nats_loop.c — the core publisher's own event loop (io=loop): cnats without its reader
 * and flusher threads. cnats' event-loop mode hands the socket to the application: it
 * asks (through the callbacks below) to be told when the socket can be read or written,
 * and reads or writes only when natsConnection_ProcessReadEvent/ProcessWriteEvent is
 * called. Here the publishing thread is that loop: what it published since it last
 * paused goes out in one write when it pauses (poll), and it reads the replies on the
 * socket itself, not waking cnats' flusher, reader and delivery threads.
 *
 * The kernel stamps each segment the socket receives (SO_TIMESTAMPNS); before cnats
 * reads, what is waiting is peeked at for its stamp, so a reply's time is when it
 * arrived, not when the thread woke to read it. A publisher of the open model then need
 * not wake for the marker's reply: it sleeps until its next tick (or record) and reads
 * the reply then, with the time it arrived (one wake-up a tick instead of two). Without
 * stamps, the time of the read stands in, and the thread wakes for the reply.
 *
 * The callbacks run on the publishing thread (inside publish, poll, flush) or on cnats'
 * reconnect thread, which attaches the new socket; they only set the fields below, with
 * cnats' connection lock held, and never call cnats. */
#include "nats.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "clock.h"

static natsStatus loop_attach(void **user, void *loop, natsConnection *nc, natsSock socket)
{
    (void)nc;
    nats_loop *l = loop;
    int one = 1;
    atomic_store(&l->stamped, setsockopt((int)socket, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == 0);
    atomic_store(&l->fd, (int)socket);
    atomic_fetch_add(&l->attaches, 1);
    atomic_store(&l->want_read, true);
    *user = l;
    return NATS_OK;
}

static natsStatus loop_read(void *user, bool add)
{
    nats_loop *l = user;
    atomic_store(&l->want_read, add);
    return NATS_OK;
}

static natsStatus loop_write(void *user, bool add)
{
    nats_loop *l = user;
    atomic_store(&l->want_write, add);
    return NATS_OK;
}

static natsStatus loop_detach(void *user)
{
    nats_loop *l = user;
    atomic_store(&l->fd, -1);
    atomic_store(&l->want_write, false);
    return NATS_OK;
}

natsStatus ob_nats_loop_options(natsOptions *no, nats_loop *l)
{
    atomic_store(&l->fd, -1);
    atomic_store(&l->want_read, false);
    atomic_store(&l->want_write, false);
    atomic_store(&l->stamped, false);
    atomic_store(&l->attaches, 0);
    l->rx_mono = 0;
    l->looked_mono = ob_mono_ns();
    return natsOptions_SetEventLoop(no, l, loop_attach, loop_read, loop_write, loop_detach);
}

void ob_nats_loop_write(nats_loop *l, natsConnection *nc)
{
    if (atomic_load(&l->want_write) && atomic_load(&l->fd) >= 0)
        natsConnection_ProcessWriteEvent(nc);
}

/* When what is waiting on fd arrived (CLOCK_MONOTONIC ns): the kernel's stamp of the
 * last segment of it (so never before any reply in it), peeked at without taking it.
 * 0 when nothing is waiting; -1 when the socket is closed or failed (cnats' read sees
 * it); the time now when there is no stamp, or more waiting than l->peek holds (the stamp
 * would be of an earlier segment). Kept within [l->looked_mono, now]: what is waiting
 * came after the last look (a clock step cannot move it out). */
static int64_t arrived(nats_loop *l, int fd)
{
    char control[CMSG_SPACE(sizeof(struct timespec))];
    struct iovec iov = {.iov_base = l->peek, .iov_len = sizeof l->peek};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
    ssize_t n = recvmsg(fd, &mh, MSG_PEEK | MSG_DONTWAIT);
    int64_t real = ob_real_ns(), now = ob_mono_ns(), looked = l->looked_mono;
    l->looked_mono = now;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (n <= 0)
        return -1;
    if ((size_t)n == sizeof l->peek)
        return now;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS)
            continue;
        struct timespec ts;
        memcpy(&ts, CMSG_DATA(c), sizeof ts);
        int64_t at = now - (real - ((int64_t)ts.tv_sec * OB_NS_PER_S + ts.tv_nsec));
        return at < looked ? looked : at > now ? now : at;
    }
    return now;
}

/* Lets cnats read once; what it reads arrived at `at` (the time now when not known). */
static void read_now(nats_loop *l, natsConnection *nc, int64_t at)
{
    l->rx_mono = at > 0 ? at : ob_mono_ns();
    natsConnection_ProcessReadEvent(nc);
}

/* Lets cnats read what is waiting, noting when it arrived; true if there was anything
 * (or the socket closed: cnats then starts reconnecting). */
static bool read_waiting(nats_loop *l, natsConnection *nc, int fd)
{
    int64_t at = 0;
    if (atomic_load(&l->stamped)) {
        at = arrived(l, fd);
    } else {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        at = poll(&p, 1, 0) > 0 ? ob_mono_ns() : 0;
    }
    if (at == 0)
        return false;
    read_now(l, nc, at);
    return true;
}

bool ob_nats_loop_wait(nats_loop *l, natsConnection *nc, int64_t until_mono, bool time_only)
{
    ob_nats_loop_write(l, nc);
    int fd = atomic_load(&l->fd);
    bool reading = atomic_load(&l->want_read);
    bool writing = atomic_load(&l->want_write);
    short events = (short)((reading && !time_only ? POLLIN : 0) | (writing ? POLLOUT : 0));
    int64_t now = ob_mono_ns();
    if (fd < 0 || !reading || natsConnection_IsReconnecting(nc) || natsConnection_IsClosed(nc)) {
        /* no socket to watch (cnats is reconnecting on its own thread): look again soon */
        int64_t soon = now + 5 * OB_NS_PER_MS;
        ob_sleep_until_mono(until_mono < soon ? until_mono : soon);
        return false;
    }
    int64_t wait = until_mono > now ? until_mono - now : 0;
    struct timespec ts = {.tv_sec = wait / OB_NS_PER_S, .tv_nsec = wait % OB_NS_PER_S};
    struct pollfd p = {.fd = fd, .events = events};
    int n = ppoll(events ? &p : NULL, events ? 1 : 0, &ts, NULL);
    if (n > 0 && (p.revents & POLLNVAL)) { /* the socket went between reading fd and ppoll */
        int64_t soon = ob_mono_ns() + OB_NS_PER_MS;
        ob_sleep_until_mono(until_mono < soon ? until_mono : soon);
        return false;
    }
    if (n > 0 && (p.revents & POLLOUT))
        natsConnection_ProcessWriteEvent(nc);
    if (n > 0 && (p.revents & (POLLIN | POLLERR | POLLHUP))) {
        /* an error or hang-up is read too: cnats sees it there and starts reconnecting */
        read_now(l, nc, atomic_load(&l->stamped) ? arrived(l, fd) : 0);
        return true;
    }
    if (!time_only)
        return false; /* the time came (or a signal) */
    /* the time came: what arrived meanwhile is read now, with the time it arrived */
    return read_waiting(l, nc, fd);
}
