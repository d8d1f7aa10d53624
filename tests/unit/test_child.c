/* test_child.c — child processes started as compare starts sinks and load generators:
 * ob_child_start can only start this same executable, so this test binary is its own
 * child (argv[1] names the part it plays). Readiness on descriptor 3, a child that exits
 * first (its status and the last line of its log in the message), one that is never
 * ready (the timeout, then SIGTERM), one that ignores SIGTERM (SIGKILL after the grace
 * period), SIGINT forwarded on interruption, a process group of its own, a fresh signal
 * mask whatever this process blocks, rusage once reaped, no descriptor left open. */
#include "child.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "clock.h"

/* ---- the parts the child plays ---- */

static int play(const char *part)
{
    if (strcmp(part, "ready-child") == 0) {
        struct stat st;
        if (fstat(3, &st) != 0 || !S_ISFIFO(st.st_mode))
            return 4;
        printf("starting\n");
        fflush(stdout);
        if (write(3, "ready\n", 6) != 6)
            return 5;
        return 0;
    }
    if (strcmp(part, "crash-child") == 0) {
        fprintf(stderr, "boom: it failed\n");
        return 3;
    }
    if (strcmp(part, "stubborn-child") == 0) {
        signal(SIGTERM, SIG_IGN);
        if (write(3, "ready\n", 6) != 6)
            return 5;
    }
    if (strcmp(part, "slow-child") == 0 || strcmp(part, "stubborn-child") == 0) {
        struct timespec ts = {10, 0};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
        return 0;
    }
    fprintf(stderr, "unknown part %s\n", part);
    return 2;
}

/* ---- the tests ---- */

static char log_path[64];

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    int n = 0;
    if (!d)
        return -1;
    while (readdir(d))
        n++;
    closedir(d);
    return n;
}

static double elapsed_ms(int64_t since)
{
    return (double)(ob_mono_ns() - since) / 1e6;
}

static void test_ready(void)
{
    ob_child c;
    ob_err err = {0};
    char *argv[] = {"ready-child", NULL};
    int rc = ob_child_start(&c, argv, log_path, true, false, &err);
    CHECK_MSG(rc == 0 && c.pid > 0 && c.ready_fd >= 0, "%s", err.msg);
    if (rc != 0)
        return;
    rc = ob_child_wait_ready(&c, 10000, log_path, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    int code = ob_child_wait(&c, NULL);
    CHECK_MSG(code == 0, "exit code %d", code);
    CHECK(c.pid == 0 && c.ready_fd == -1);
    CHECK(WIFEXITED(c.status) && WEXITSTATUS(c.status) == 0);
    CHECK_MSG(c.cpu_s >= 0 && c.cpu_s < 5 && c.peak_rss_mb > 0, "cpu %.3f s, peak %.3f MB", c.cpu_s,
              c.peak_rss_mb);
    char last[256];
    ob_log_last_line(log_path, last, sizeof last);
    CHECK_STR(last, "starting");
    /* once reaped, stop only tells the code again */
    CHECK(ob_child_stop(&c, 1000) == 0 && c.pid == 0);
}

static void test_crash(void)
{
    ob_child c;
    ob_err err = {0};
    char *argv[] = {"crash-child", NULL};
    int rc = ob_child_start(&c, argv, log_path, true, false, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc != 0)
        return;
    rc = ob_child_wait_ready(&c, 10000, log_path, &err);
    CHECK(rc == -1);
    CHECK_MSG(strstr(err.msg, "exited with status 3") != NULL, "%s", err.msg);
    CHECK_MSG(strstr(err.msg, "boom: it failed") != NULL, "%s", err.msg);
    CHECK(c.pid == 0 && c.ready_fd == -1); /* reaped */
    CHECK(ob_child_wait(&c, NULL) == 3);
    /* the log is appended to: the earlier child's line is still there */
    FILE *f = fopen(log_path, "r");
    char buf[4096] = "";
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
    CHECK(strstr(buf, "starting\n") != NULL && strstr(buf, "boom: it failed\n") != NULL);
}

static void test_slow(void)
{
    ob_child c;
    ob_err err = {0};
    char *argv[] = {"slow-child", NULL};
    int rc = ob_child_start(&c, argv, log_path, true, true, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc != 0)
        return;
    CHECK(getpgid(c.pid) == c.pid); /* a process group of its own */
    int64_t t0 = ob_mono_ns();
    rc = ob_child_wait_ready(&c, 300, log_path, &err);
    double ms = elapsed_ms(t0);
    CHECK_MSG(rc == -1 && strstr(err.msg, "not ready") != NULL, "%s", err.msg);
    CHECK_MSG(ms >= 250 && ms < 2000, "waited %.0f ms for 300", ms);
    CHECK(c.pid > 0); /* still running */
    t0 = ob_mono_ns();
    int code = ob_child_stop(&c, 1000);
    ms = elapsed_ms(t0);
    CHECK_MSG(code == 128 + SIGTERM, "exit code %d", code);
    CHECK(WIFSIGNALED(c.status) && WTERMSIG(c.status) == SIGTERM);
    CHECK_MSG(ms < 900, "SIGTERM took %.0f ms", ms);
    CHECK(c.pid == 0 && c.ready_fd == -1 && c.cpu_s >= 0 && c.peak_rss_mb > 0);
}

static void test_stubborn(void)
{
    ob_child c;
    ob_err err = {0};
    char *argv[] = {"stubborn-child", NULL};
    int rc = ob_child_start(&c, argv, log_path, true, false, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc != 0)
        return;
    /* ready means its SIGTERM is ignored by now */
    CHECK_MSG(ob_child_wait_ready(&c, 10000, log_path, &err) == 0, "%s", err.msg);
    CHECK(getpgid(c.pid) == getpgid(0)); /* without own_group: ours */
    int64_t t0 = ob_mono_ns();
    int code = ob_child_stop(&c, 300);
    double ms = elapsed_ms(t0);
    CHECK_MSG(code == 128 + SIGKILL, "exit code %d", code);
    CHECK_MSG(ms >= 250 && ms < 3000, "stopped after %.0f ms with a 300 ms grace", ms);
    CHECK(c.pid == 0 && c.peak_rss_mb > 0);
}

/* Whatever this process blocks or ignores, the child starts with default dispositions
 * and an empty mask: SIGTERM ends it at once, SIGINT is forwarded on interruption. */
static void test_signals(void)
{
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old);
    void (*was)(int) = signal(SIGINT, SIG_IGN);

    ob_child c;
    ob_err err = {0};
    char *argv[] = {"slow-child", NULL};
    int rc = ob_child_start(&c, argv, log_path, false, false, &err);
    CHECK_MSG(rc == 0 && c.ready_fd == -1, "%s", err.msg);
    if (rc == 0) {
        usleep(100 * 1000);
        int64_t t0 = ob_mono_ns();
        int code = ob_child_stop(&c, 3000);
        CHECK_MSG(code == 128 + SIGTERM && elapsed_ms(t0) < 2500, "exit code %d after %.0f ms", code,
                  elapsed_ms(t0));
    }

    rc = ob_child_start(&c, argv, log_path, false, false, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    if (rc == 0) {
        usleep(100 * 1000);
        volatile sig_atomic_t interrupted = 1;
        int64_t t0 = ob_mono_ns();
        int code = ob_child_wait(&c, &interrupted);
        CHECK_MSG(code == 128 + SIGINT && elapsed_ms(t0) < 5000, "exit code %d after %.0f ms", code,
                  elapsed_ms(t0));
        CHECK(c.pid == 0);
    }
    signal(SIGINT, was);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static void test_errors(void)
{
    ob_child c;
    ob_err err = {0};
    char *argv[] = {"ready-child", NULL};
    int rc = ob_child_start(&c, argv, "/nonexistent-dir/x.log", true, false, &err);
    CHECK_MSG(rc == -1 && strstr(err.msg, "/nonexistent-dir/x.log") != NULL, "%s", err.msg);
    CHECK(c.pid == 0 && c.ready_fd == -1);
    CHECK(ob_child_stop(&c, 100) >= 0); /* not running: nothing to do */

    char last[64] = "x";
    ob_log_last_line("/nonexistent-dir/x.log", last, sizeof last);
    CHECK_STR(last, "");
    /* a line longer than the buffer is cut, not overrun */
    FILE *f = fopen(log_path, "a");
    if (f) {
        fprintf(f, "%0200d\n\n\n", 7);
        fclose(f);
    }
    char small[16];
    ob_log_last_line(log_path, small, sizeof small);
    CHECK(strlen(small) == sizeof small - 1 && small[0] == '0');
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return play(argv[1]);

    snprintf(log_path, sizeof log_path, "/tmp/test_child.%ld.log", (long)getpid());
    unlink(log_path);
    int fds = open_fds();
    test_ready();
    test_crash();
    test_slow();
    test_stubborn();
    test_signals();
    test_errors();
    CHECK_MSG(open_fds() == fds, "%d descriptors open, %d before", open_fds(), fds);
    unlink(log_path);
    CHECK_DONE();
}
