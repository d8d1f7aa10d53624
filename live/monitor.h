/* monitor.h — the host monitor of `outbreak web`: the machine's memory and its processes,
 * read from /proc, with the processes of outbreak and of the middlewares named by their
 * role (sink, gateway, loadgen, web, broker, database, lb).
 *
 * It replaces the two Linux kernel modules of the course project, which published
 * /proc/ram_module.json and /proc/process_module.json: ob_monitor_course_ram_json and
 * ob_monitor_course_processes_json write those files' exact shapes for its front end,
 * ob_monitor_ram_json and ob_monitor_processes_json outbreak's own, richer ones.
 *
 * Every reader takes the root of the proc file system ("/proc" normally; the tests pass
 * a directory holding a fake one). Nothing here keeps state between calls. */
#ifndef OB_MONITOR_H
#define OB_MONITOR_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "json.h"

/* The memory of the machine, in KB (1024 bytes), as `free` computes it. */
typedef struct ob_monitor_ram_info {
    uint64_t total_kb;     /* MemTotal */
    uint64_t free_kb;      /* MemFree */
    uint64_t available_kb; /* MemAvailable (0 on a kernel without it) */
    uint64_t cache_kb;     /* Cached + Buffers + SReclaimable */
    uint64_t used_kb;      /* total - free - cache (total - free if that is negative) */
    double used_pct;       /* used_kb / total_kb * 100 */
} ob_monitor_ram_info;

/* One process, from /proc/PID/stat (and /proc/PID/cmdline for its role). */
typedef struct ob_monitor_proc {
    int pid;
    int ppid;
    char name[128];         /* comm: between the first '(' and the last ')' of stat */
    char state;             /* the one-letter code: R, S, D, Z, T, t, X, I, ... */
    const char *state_name; /* "running", "sleeping", ...; "unknown" for another letter */
    double cpu_s;           /* utime + stime, in seconds of CPU */
    uint64_t rss_kb;        /* resident set size */
    const char *role;       /* "sink", "gateway", "loadgen", "web", "broker", "database",
                               "lb", or "" for any other process (a static string) */
} ob_monitor_proc;

/* Reads <proc_root>/meminfo into *out. Returns 0, or -1 with err naming the file when
 * it cannot be read, lacks MemTotal or MemFree, has MemTotal 0, or has a malformed line
 * ("PATH:LINE: ..."; a line is "Key: number" with an optional " kB"). */
int ob_monitor_ram(ob_monitor_ram_info *out, const char *proc_root, ob_err *err);

/* Writes {"total_kb","free_kb","available_kb","cache_kb","used_kb","used_pct"} (used_pct
 * with one decimal) to w. */
void ob_monitor_ram_json(ob_jw *w, const ob_monitor_ram_info *r);

/* Lists the processes: every directory of proc_root whose name is all digits, read from
 * its stat (and cmdline for the role). A directory without a readable stat (a process
 * that ended between the listing and the read, or one hidden from us) is skipped. The
 * list is sorted: processes with a role first, by role then pid, then the others by
 * pid. On success returns 0 with *out (to be freed with ob_monitor_processes_free; NULL
 * when *n is 0) and *n set; returns -1 with err set when proc_root cannot be listed, a
 * stat file is malformed (err names it), or memory runs out; *out is then NULL and *n 0. */
int ob_monitor_processes(ob_monitor_proc **out, size_t *n, const char *proc_root, ob_err *err);

/* Frees a list from ob_monitor_processes (NULL is fine). */
void ob_monitor_processes_free(ob_monitor_proc *p, size_t n);

/* Writes an array of {"pid","name","state","state_name","ppid","cpu_s","rss_kb","role"}
 * (state as a one-letter string, cpu_s with two decimals) to w. With a non-NULL,
 * non-empty filter, only the processes whose name or role contains it (ASCII case
 * ignored) are written. */
void ob_monitor_processes_json(ob_jw *w, const ob_monitor_proc *p, size_t n, const char *filter);

/* The course project's /proc/ram_module.json: {"total","free","cache","used"}, in KB. */
void ob_monitor_course_ram_json(ob_jw *w, const ob_monitor_ram_info *r);

/* The course project's /proc/process_module.json: an array of {"name","pid","state",
 * "parent"}, state as a one-character string, parent the ppid. */
void ob_monitor_course_processes_json(ob_jw *w, const ob_monitor_proc *p, size_t n);

#endif
