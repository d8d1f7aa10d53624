/* nats_loop.c — the core publisher's own event loop (io=loop): cnats without its reader
 * and flusher threads. cnats' event-loop mode hands the socket to the application: it
 * asks (through the callbacks below) to be told when the socket can be read or written,
 * and reads or writes only when natsConnection_ProcessReadEvent/ProcessWriteEvent is
 * called. Here the publishing thread is that loop: what it published since it last
 * paused goes out in one write when it pauses (poll), and it waits for the replies on
 * the socket itself, so a paced publisher wakes once for its tick and once for the
 * marker's reply, not also for cnats' flusher, reader and delivery threads.
 *
 * The callbacks run on the publishing thread (inside publish, poll, flush) or on cnats'
 * reconnect thread, which attaches the new socket; they only set the fields below, with
 * cnats' connection lock held, and never call cnats. */
#include "nats.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

#include "clock.h"

static natsStatus loop_attach(void **user, void *loop, natsConnection *nc, natsSock socket)
{
    (void)nc;
    nats_loop *l = loop;
    atomic_store(&l->fd, (int)socket);
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
    return natsOptions_SetEventLoop(no, l, loop_attach, loop_read, loop_write, loop_detach);
}

void ob_nats_loop_write(nats_loop *l, natsConnection *nc)
{
    if (atomic_load(&l->want_write) && atomic_load(&l->fd) >= 0)
        natsConnection_ProcessWriteEvent(nc);
}

bool ob_nats_loop_wait(nats_loop *l, natsConnection *nc, int64_t until_mono)
{
    ob_nats_loop_write(l, nc);
    int fd = atomic_load(&l->fd);
    bool reading = atomic_load(&l->want_read);
    short events = (short)((reading ? POLLIN : 0) | (atomic_load(&l->want_write) ? POLLOUT : 0));
    int64_t now = ob_mono_ns();
    if (fd < 0 || events == 0 || natsConnection_IsReconnecting(nc) || natsConnection_IsClosed(nc)) {
        /* no socket to watch (cnats is reconnecting on its own thread): look again soon */
        int64_t soon = now + 5 * OB_NS_PER_MS;
        ob_sleep_until_mono(until_mono < soon ? until_mono : soon);
        return false;
    }
    int64_t wait = until_mono > now ? until_mono - now : 0;
    struct timespec ts = {.tv_sec = wait / OB_NS_PER_S, .tv_nsec = wait % OB_NS_PER_S};
    struct pollfd p = {.fd = fd, .events = events};
    int n = ppoll(&p, 1, &ts, NULL);
    if (n <= 0)
        return false; /* the time came (or a signal) */
    if (p.revents & POLLNVAL) { /* the socket went between reading fd and ppoll */
        int64_t soon = ob_mono_ns() + OB_NS_PER_MS;
        ob_sleep_until_mono(until_mono < soon ? until_mono : soon);
        return false;
    }
    if (p.revents & POLLOUT)
        natsConnection_ProcessWriteEvent(nc);
    /* an error or hang-up is read too: cnats sees it there and starts reconnecting */
    if (p.revents & (POLLIN | POLLERR | POLLHUP)) {
        natsConnection_ProcessReadEvent(nc);
        return true;
    }
    return false;
}
