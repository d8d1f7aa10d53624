/* test_procstat.c — other processes read from /proc: the listeners of a TCP port (IPv4
 * and IPv6, several processes sharing one socket, not this process), a process's CPU,
 * memory and name, the sampler's CPU over a burst of work and its peak memory, and
 * what a process that is gone (zombie or reaped) gives. Children are forked; each one
 * ends with _exit and never returns into the tests. */
#include "procstat.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

enum { V4, V6, SHARED };

static void put_int(int fd, int v)
{
    ssize_t n = write(fd, &v, sizeof v);
    (void)n;
}

static int get_int(int fd, int *v)
{
    size_t got = 0;
    while (got < sizeof *v) {
        ssize_t n = read(fd, (char *)v + got, sizeof *v - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        got += (size_t)n;
    }
    return 0;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The child: listens on a port the kernel picks, tells it (0 if it cannot listen), with
 * SHARED also forks a grandchild that holds the same socket and tells its pid, burns
 * 0.4 s of CPU, says so, and sleeps until killed. Never returns. */
static void child_main(int kind, int fd)
{
    int s = socket(kind == V6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    int port = 0;
    if (s >= 0) {
        struct sockaddr_storage ss = {0};
        socklen_t sl;
        if (kind == V6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            a->sin6_family = AF_INET6;
            a->sin6_addr = in6addr_loopback;
            sl = sizeof *a;
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            a->sin_family = AF_INET;
            a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            sl = sizeof *a;
        }
        if (bind(s, (struct sockaddr *)&ss, sl) == 0 && listen(s, 8) == 0 &&
            getsockname(s, (struct sockaddr *)&ss, &sl) == 0)
            port = ntohs(kind == V6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                    : ((struct sockaddr_in *)&ss)->sin_port);
    }
    put_int(fd, port);
    if (kind == SHARED) {
        pid_t g = port ? fork() : -1;
        if (g == 0) {
            for (;;)
                pause();
        }
        put_int(fd, (int)g);
    }
    if (port) {
        double until = cpu_now() + 0.4;
        volatile unsigned long x = 0;
        while (cpu_now() < until)
            for (int i = 0; i < 10000; i++)
                x = x * 31 + (unsigned long)i;
    }
    put_int(fd, 1); /* done burning */
    for (;;)
        pause();
}

typedef struct kid {
    pid_t pid;
    int fd; /* read end of its pipe */
    int port;
} kid;

static int start_kid(kid *k, int kind)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    fflush(NULL);
    k->pid = fork();
    if (k->pid < 0)
        return -1;
    if (k->pid == 0) {
        close(p[0]);
        child_main(kind, p[1]);
        _exit(0); /* not reached */
    }
    close(p[1]);
    k->fd = p[0];
    return get_int(k->fd, &k->port);
}

static void end_kid(kid *k)
{
    if (k->pid > 0) {
        kill(k->pid, SIGKILL);
        waitpid(k->pid, NULL, 0);
        k->pid = 0;
    }
    close(k->fd);
}

static bool has(const pid_t *pids, int n, pid_t pid)
{
    for (int i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

/* A port nobody listens on: one the kernel just gave and took back. */
static int free_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof a;
    int port = -1;
    if (s >= 0 && bind(s, (struct sockaddr *)&a, sl) == 0 &&
        getsockname(s, (struct sockaddr *)&a, &sl) == 0)
        port = ntohs(a.sin_port);
    if (s >= 0)
        close(s);
    return port;
}

static void test_ipv4(void)
{
    kid k = {0};
    int rc = start_kid(&k, V4);
    CHECK_MSG(rc == 0 && k.port > 0, "the child could not listen on 127.0.0.1");
    if (rc != 0 || k.port <= 0) {
        end_kid(&k);
        return;
    }

    /* the sampler follows the child over its burst of CPU (started at once, so that the
     * first sample comes early in the burst) and a group of a process that does not exist */
    ob_proc_group groups[2] = {{.pids = {k.pid}, .npids = 1},
                               {.pids = {(pid_t)0x3ffffff0}, .npids = 1}};
    ob_proc_sampler *s = NULL;
    ob_err err = {0};
    rc = ob_proc_sampler_start(&s, groups, 2, 50, &err);
    CHECK_MSG(rc == 0 && s != NULL, "%s", err.msg);
    CHECK(groups[0].seen[0] && !groups[1].seen[0]); /* the first sample is taken */
    int done = 0;
    CHECK(get_int(k.fd, &done) == 0 && done == 1);
    ob_proc_sampler_stop(rc == 0 ? s : NULL);
    double cpu = ob_proc_group_cpu_s(&groups[0]);
    CHECK_MSG(cpu > 0.2 && cpu < 2, "group cpu %.3f s over a 0.4 s burst", cpu);
    CHECK_MSG(groups[0].peak_rss_mb > 0, "peak %.3f MB", groups[0].peak_rss_mb);
    CHECK(ob_proc_group_cpu_s(&groups[1]) == -1);
    CHECK(groups[1].peak_rss_mb == 0);
    ob_proc_sampler_stop(NULL); /* NULL-safe */

    /* the figures of a window: from before the first sample, the whole; from the middle
     * of the burst, part of it; from after the last sample, none */
    double wcpu = -7, wpeak = -7;
    CHECK_MSG(groups[0].nsamples >= 4, "%zu samples over a 0.4 s burst at 50 ms", groups[0].nsamples);
    CHECK(ob_proc_group_window(&groups[0], 0, &wcpu, &wpeak) == 0);
    CHECK_MSG(wcpu == cpu && wpeak == groups[0].peak_rss_mb, "window from 0: %.3f s, %.3f MB", wcpu, wpeak);
    if (groups[0].nsamples >= 4) {
        size_t mid = groups[0].nsamples / 2;
        const ob_proc_sample *m = &groups[0].samples[mid], *last = &groups[0].samples[groups[0].nsamples - 1];
        CHECK(ob_proc_group_window(&groups[0], m->real_ns + 1, &wcpu, &wpeak) == 0);
        CHECK_MSG(wcpu == last->cpu_s - m->cpu_s && wcpu >= 0 && wcpu < cpu, "window from sample %zu: %.3f of %.3f s",
                  mid, wcpu, cpu);
        CHECK(wpeak > 0 && wpeak <= groups[0].peak_rss_mb);
        CHECK(ob_proc_group_window(&groups[0], last->real_ns + 1000000000, &wcpu, &wpeak) == 0);
        CHECK_MSG(wcpu == 0 && wpeak == last->rss_mb, "window after the last sample: %.3f s", wcpu);
    }
    CHECK(ob_proc_group_window(&groups[1], 0, &wcpu, &wpeak) == -1 && wcpu == -1 && wpeak == -1);
    ob_proc_group_release(&groups[0]);
    ob_proc_group_release(&groups[1]);
    CHECK(groups[0].samples == NULL && groups[0].nsamples == 0);
    ob_proc_group_release(NULL);

    /* the listener is the child, not this process (which forked before the socket) */
    pid_t pids[OB_PROC_MAX_PIDS];
    int n = ob_proc_listeners(k.port, pids, OB_PROC_MAX_PIDS);
    CHECK_MSG(n == 1 && pids[0] == k.pid, "port %d: %d listener(s), first %ld, child %ld", k.port,
              n, n > 0 ? (long)pids[0] : -1L, (long)k.pid);
    CHECK(!has(pids, n, getpid()));
    CHECK(ob_proc_listeners(k.port, pids, 0) == 0);
    int nobody = free_port();
    CHECK(nobody > 0 && ob_proc_listeners(nobody, pids, OB_PROC_MAX_PIDS) == 0);
    CHECK(ob_proc_listeners(0, pids, OB_PROC_MAX_PIDS) == 0);

    /* CPU, memory and name of the live child */
    double cpu_s = -1, rss_mb = -1;
    CHECK(ob_proc_read(k.pid, &cpu_s, &rss_mb) == 0);
    CHECK_MSG(cpu_s >= 0.3 && rss_mb > 0, "cpu %.3f s, rss %.3f MB", cpu_s, rss_mb);
    char name[64] = "", mine[64] = "";
    ob_proc_name(k.pid, name, sizeof name);
    ob_proc_name(getpid(), mine, sizeof mine);
    CHECK_MSG(name[0] && strcmp(name, "?") != 0 && !strchr(name, '\n'), "\"%s\"", name);
    CHECK_STR(name, mine); /* a forked child keeps the command name */
    char tiny[4];
    ob_proc_name(k.pid, tiny, sizeof tiny);
    CHECK(strlen(tiny) == 3 && strncmp(tiny, name, 3) == 0);

    /* killed but not reaped (a zombie), then reaped: gone either way */
    kill(k.pid, SIGKILL);
    siginfo_t si;
    CHECK(waitid(P_PID, (id_t)k.pid, &si, WEXITED | WNOWAIT) == 0);
    cpu_s = rss_mb = -7;
    CHECK(ob_proc_read(k.pid, &cpu_s, &rss_mb) == -1);
    CHECK(ob_proc_listeners(k.port, pids, OB_PROC_MAX_PIDS) == 0);
    waitpid(k.pid, NULL, 0);
    CHECK(ob_proc_read(k.pid, &cpu_s, &rss_mb) == -1);
    ob_proc_name(k.pid, name, sizeof name);
    CHECK_STR(name, "?");

    /* a group whose process went away before the first sample */
    ob_proc_group gone = {.pids = {k.pid}, .npids = 1};
    CHECK(ob_proc_sampler_start(&s, &gone, 1, 50, &err) == 0);
    ob_proc_sampler_stop(s);
    CHECK(ob_proc_group_cpu_s(&gone) == -1);
    CHECK(gone.nsamples == 0);
    ob_proc_group_release(&gone);
    ob_proc_group empty = {.npids = 0};
    CHECK(ob_proc_group_cpu_s(&empty) == -1);
    k.pid = 0;
    end_kid(&k);
}

static void test_ipv6(void)
{
    kid k = {0};
    int rc = start_kid(&k, V6);
    CHECK(rc == 0);
    if (rc == 0 && k.port == 0) {
        printf("note: no IPv6 loopback here (bind to [::1] failed): IPv6 listener not checked\n");
    } else if (rc == 0) {
        pid_t pids[OB_PROC_MAX_PIDS];
        int n = ob_proc_listeners(k.port, pids, OB_PROC_MAX_PIDS);
        CHECK_MSG(n == 1 && pids[0] == k.pid, "[::1]:%d: %d listener(s)", k.port, n);
    }
    end_kid(&k);
}

/* A socket held by two processes (a server and its worker): both are listeners. */
static void test_shared(void)
{
    kid k = {0};
    int grandchild = -1;
    int rc = start_kid(&k, SHARED);
    CHECK(rc == 0 && k.port > 0 && get_int(k.fd, &grandchild) == 0 && grandchild > 0);
    if (k.port > 0 && grandchild > 0) {
        pid_t pids[OB_PROC_MAX_PIDS];
        int n = ob_proc_listeners(k.port, pids, OB_PROC_MAX_PIDS);
        CHECK_MSG(n == 2 && has(pids, n, k.pid) && has(pids, n, (pid_t)grandchild), "%d listener(s)",
                  n);
        n = ob_proc_listeners(k.port, pids, 1);
        CHECK(n == 1 && (pids[0] == k.pid || pids[0] == (pid_t)grandchild));
    }
    if (grandchild > 0)
        kill((pid_t)grandchild, SIGKILL); /* not our child: init reaps it */
    end_kid(&k);
}

int main(void)
{
    test_ipv4();
    test_ipv6();
    test_shared();
    CHECK_DONE();
}
