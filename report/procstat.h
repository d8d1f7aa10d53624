/* procstat.h — what other processes cost, read from Linux's /proc: the processes that
 * listen on a TCP port (a broker, the database), their CPU time and resident memory,
 * and a sampler that follows a set of them for the length of a run.
 *
 * CPU is user + system time of all threads (/proc/PID/stat), so a process's CPU during
 * a run is the difference of two readings; memory is VmRSS (/proc/PID/status), whose
 * peak over a run is the largest sampled value (VmHWM would be the peak over the
 * process's whole life, not this run's). */
#ifndef OB_PROCSTAT_H
#define OB_PROCSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define OB_PROC_MAX_PIDS 8

/* Fills pids with the processes that have a listening TCP socket (IPv4 or IPv6) on
 * `port`, at most `cap`. Returns how many (0: none found, or not ours to see). */
int ob_proc_listeners(int port, pid_t *pids, int cap);

/* CPU seconds (user + system) and resident memory in MB of one process. Returns 0, or
 * -1 if it is gone or unreadable. */
int ob_proc_read(pid_t pid, double *cpu_s, double *rss_mb);

/* The process's command name ("nats-server", "beam.smp", "java"); "?" if unknown. */
void ob_proc_name(pid_t pid, char *buf, size_t cap);

/* One sample of a group: when (CLOCK_REALTIME), the group's CPU seconds since its
 * first sample, and the sum of its VmRSS. */
typedef struct ob_proc_sample {
    int64_t real_ns;
    double cpu_s, rss_mb;
} ob_proc_sample;

/* One group of processes followed over a run (the broker, the database). Fill pids and
 * npids and leave the rest zeroed; a sampled group holds its samples until
 * ob_proc_group_release. */
typedef struct ob_proc_group {
    pid_t pids[OB_PROC_MAX_PIDS];
    int npids;
    double cpu_start[OB_PROC_MAX_PIDS], cpu_last[OB_PROC_MAX_PIDS];
    bool seen[OB_PROC_MAX_PIDS]; /* read at least once */
    double peak_rss_mb;          /* largest sum of the group's VmRSS at one sample */
    ob_proc_sample *samples;     /* every sample in order (those that read a process) */
    size_t nsamples, samples_cap;
} ob_proc_group;

/* A thread that samples groups every `interval_ms` until stopped. */
typedef struct ob_proc_sampler ob_proc_sampler;

/* Starts sampling `groups` (the caller keeps them alive until ob_proc_sampler_stop). The
 * first sample is taken before this returns. Returns 0 or -1 with err set. */
int ob_proc_sampler_start(ob_proc_sampler **out, ob_proc_group *groups, int ngroups,
                          int interval_ms, ob_err *err);

/* Takes a last sample, stops the thread and frees the sampler (NULL-safe). */
void ob_proc_sampler_stop(ob_proc_sampler *s);

/* The group's CPU seconds between the first and the last sample; -1 if it has no
 * process or none could be read. */
double ob_proc_group_cpu_s(const ob_proc_group *g);

/* The group's figures over the part of the run from `from_real_ns` (CLOCK_REALTIME) to
 * its last sample: the CPU seconds since the last sample at or before that instant (the
 * first sample if none was), and the peak RSS of the samples from that one on. A window
 * that starts after the last sample has CPU 0 and the last sample's RSS. Returns 0, or
 * -1 if no sample read a process (then *cpu_s and *peak_rss_mb are -1). */
int ob_proc_group_window(const ob_proc_group *g, int64_t from_real_ns, double *cpu_s, double *peak_rss_mb);

/* Frees the group's samples (the group may be sampled again after). NULL-safe. */
void ob_proc_group_release(ob_proc_group *g);

#endif
