/* child.c — child processes of `outbreak compare` (see child.h). */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"

extern char **environ;

int ob_child_start(ob_child *c, char *const argv[], const char *log_path, bool ready_pipe,
                   bool own_group, ob_err *err)
{
    memset(c, 0, sizeof *c);
    c->ready_fd = -1;
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return ob_err_set(err, "cannot find this executable (/proc/self/exe): %s", strerror(errno));
    exe[n] = '\0';
    int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log < 0)
        return ob_err_set(err, "cannot write %s: %s", log_path, strerror(errno));
    int pipefd[2] = {-1, -1};
    if (ready_pipe) {
        int raw[2];
        if (pipe2(raw, O_CLOEXEC) != 0) {
            close(log);
            return ob_err_set(err, "pipe: %s", strerror(errno));
        }
        /* above 3, so that dup2 onto 3 is a real copy (which clears close-on-exec) */
        pipefd[0] = fcntl(raw[0], F_DUPFD_CLOEXEC, 10);
        pipefd[1] = fcntl(raw[1], F_DUPFD_CLOEXEC, 10);
        close(raw[0]);
        close(raw[1]);
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, log, 1);
    posix_spawn_file_actions_adddup2(&fa, log, 2);
    if (ready_pipe)
        posix_spawn_file_actions_adddup2(&fa, pipefd[1], 3);
    /* a fresh signal mask and default dispositions, whatever this process has */
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (own_group) {
        posix_spawnattr_setpgroup(&attr, 0);
        flags |= POSIX_SPAWN_SETPGROUP;
    }
    posix_spawnattr_setflags(&attr, flags);
    /* argv[0] of the child is the executable's path, then the subcommand and flags */
    int argc = 0;
    while (argv[argc])
        argc++;
    char **full = calloc((size_t)argc + 2, sizeof *full);
    int rc = -1;
    if (!full) {
        ob_err_set(err, "out of memory");
        goto out;
    }
    full[0] = exe;
    for (int i = 0; i < argc; i++)
        full[i + 1] = argv[i];
    int e = posix_spawn(&c->pid, exe, &fa, &attr, full, environ);
    if (e != 0) {
        c->pid = 0;
        ob_err_set(err, "cannot start %s %s: %s", exe, argv[0], strerror(e));
        goto out;
    }
    if (ready_pipe) {
        c->ready_fd = pipefd[0];
        pipefd[0] = -1;
    }
    rc = 0;
out:
    free(full);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(log);
    if (pipefd[0] >= 0)
        close(pipefd[0]);
    if (pipefd[1] >= 0)
        close(pipefd[1]);
    return rc;
}

void ob_log_last_line(const char *path, char *buf, size_t cap)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0])
            snprintf(buf, cap, "%s", line);
    }
    fclose(f);
}

static void record_exit(ob_child *c, int status, const struct rusage *ru)
{
    c->status = status;
    c->cpu_s = (double)ru->ru_utime.tv_sec + (double)ru->ru_utime.tv_usec / 1e6 +
               (double)ru->ru_stime.tv_sec + (double)ru->ru_stime.tv_usec / 1e6;
    c->peak_rss_mb = (double)ru->ru_maxrss / 1024.0; /* kB on Linux */
    c->pid = 0;
    if (c->ready_fd >= 0) {
        close(c->ready_fd);
        c->ready_fd = -1;
    }
}

static int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

/* Reaps the child if it has exited. Returns true when it has. */
static bool try_reap(ob_child *c)
{
    int status;
    struct rusage ru;
    pid_t r = wait4(c->pid, &status, WNOHANG, &ru);
    if (r == c->pid) {
        record_exit(c, status, &ru);
        return true;
    }
    if (r < 0 && errno == ECHILD) { /* reaped elsewhere: nothing to measure */
        memset(&ru, 0, sizeof ru);
        record_exit(c, 1 << 8, &ru);
        return true;
    }
    return false;
}

int ob_child_wait_ready(ob_child *c, int timeout_ms, const char *log_path, ob_err *err)
{
    int64_t deadline = ob_mono_ns() + (int64_t)timeout_ms * OB_NS_PER_MS;
    char line[512];
    for (;;) {
        int64_t left = (deadline - ob_mono_ns()) / OB_NS_PER_MS;
        if (left <= 0)
            return ob_err_set(err, "not ready after %d s", timeout_ms / 1000);
        struct pollfd p = {.fd = c->ready_fd, .events = POLLIN};
        int n = poll(&p, 1, (int)(left < 200 ? left : 200));
        if (n < 0 && errno != EINTR)
            return ob_err_set(err, "poll: %s", strerror(errno));
        if (n > 0) {
            char buf[16];
            ssize_t got = read(c->ready_fd, buf, sizeof buf);
            if (got > 0)
                return 0;
            /* end of file: the child closed it without a word, i.e. it exited; wait briefly
             * so that its exit status is there */
            for (int i = 0; i < 100 && c->pid && !try_reap(c); i++)
                ob_sleep_until_mono(ob_mono_ns() + 20 * OB_NS_PER_MS);
            if (c->pid)
                return ob_err_set(err, "closed its readiness pipe without being ready");
            ob_log_last_line(log_path, line, sizeof line);
            return ob_err_set(err, "exited with status %d: %s", exit_code(c->status),
                              line[0] ? line : "(no output)");
        }
    }
}

int ob_child_wait(ob_child *c, volatile sig_atomic_t *interrupted)
{
    bool forwarded = false;
    while (c->pid && !try_reap(c)) {
        if (interrupted && *interrupted && !forwarded) {
            kill(c->pid, SIGINT);
            forwarded = true;
        }
        ob_sleep_until_mono(ob_mono_ns() + 50 * OB_NS_PER_MS);
    }
    return exit_code(c->status);
}

int ob_child_stop(ob_child *c, int grace_ms)
{
    if (!c->pid)
        return exit_code(c->status);
    kill(c->pid, SIGTERM);
    int64_t deadline = ob_mono_ns() + (int64_t)grace_ms * OB_NS_PER_MS;
    while (!try_reap(c)) {
        if (ob_mono_ns() >= deadline) {
            kill(c->pid, SIGKILL);
            int status;
            struct rusage ru;
            if (wait4(c->pid, &status, 0, &ru) == c->pid)
                record_exit(c, status, &ru);
            else
                c->pid = 0;
            break;
        }
        ob_sleep_until_mono(ob_mono_ns() + 20 * OB_NS_PER_MS);
    }
    return exit_code(c->status);
}
