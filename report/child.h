/* child.h — child processes of `outbreak compare`: this same executable started as a
 * sink or as a load generator, its output going to a log file, and what it cost (its
 * CPU time and peak memory, from wait4) once it has exited. */
#ifndef OB_CHILD_H
#define OB_CHILD_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "err.h"

typedef struct ob_child {
    pid_t pid;         /* 0: not running */
    int ready_fd;      /* read end of the readiness pipe, -1 if none */
    int status;        /* exit status once reaped (wait status) */
    double cpu_s;      /* user + system, once reaped */
    double peak_rss_mb;
} ob_child;

/* Starts `argv` (argv[0] is a subcommand of this executable, e.g. "sink") with stdout and
 * stderr appended to `log_path`. With `ready_pipe`, the child inherits the write end of
 * a pipe as descriptor 3 (for `outbreak sink --ready-fd 3`). With `own_group`, the child
 * gets a process group of its own, so that a Ctrl-C at the terminal does not reach it
 * (the caller stops it). Returns 0 or -1 with err set. */
int ob_child_start(ob_child *c, char *const argv[], const char *log_path, bool ready_pipe,
                   bool own_group, ob_err *err);

/* Waits up to timeout_ms for the child to write a line to its readiness pipe. Returns
 * 0 when it did, -1 when it exited first or the time ran out (err says which; the last
 * line of the log is quoted when the child exited). */
int ob_child_wait_ready(ob_child *c, int timeout_ms, const char *log_path, ob_err *err);

/* Waits for the child to exit and records its status and rusage. While waiting, the
 * first time *interrupted is set the child is sent SIGINT. Returns the exit code
 * (128 + signal when killed). */
int ob_child_wait(ob_child *c, volatile sig_atomic_t *interrupted);

/* Sends SIGTERM, waits up to grace_ms, then SIGKILL; records status and rusage.
 * Returns the exit code as ob_child_wait. NULL-safe on a child that is not running. */
int ob_child_stop(ob_child *c, int grace_ms);

/* The last non-empty line of a log file (for error messages), "" if none. */
void ob_log_last_line(const char *path, char *buf, size_t cap);

#endif
