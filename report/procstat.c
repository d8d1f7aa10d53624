/* procstat.c — CPU and memory of other processes from /proc (see procstat.h). */
#include "procstat.h"

#include <ctype.h>
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"

#define MAX_INODES 16

/* Inodes of the sockets listening on `port` in one /proc/net/tcp-style table. */
static int listening_inodes(const char *table, int port, unsigned long *inodes, int n, int cap)
{
    FILE *f = fopen(table, "r");
    if (!f)
        return n;
    char line[512];
    if (!fgets(line, sizeof line, f)) { /* header */
        fclose(f);
        return n;
    }
    while (n < cap && fgets(line, sizeof line, f)) {
        char local[128], remote[128];
        unsigned state, uid;
        unsigned long inode;
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*s %127s %127s %x %*s %*s %*s %u %*s %lu", local, remote, &state, &uid,
                   &inode) != 5)
            continue;
        const char *colon = strrchr(local, ':');
        if (!colon || state != 0x0A) /* TCP_LISTEN */
            continue;
        if ((int)strtol(colon + 1, NULL, 16) == port && inode != 0)
            inodes[n++] = inode;
    }
    fclose(f);
    return n;
}

/* Whether process `pid` holds one of the socket inodes among its descriptors. */
static bool holds_socket(const char *pid, const unsigned long *inodes, int n)
{
    char dir[300];
    snprintf(dir, sizeof dir, "/proc/%s/fd", pid);
    DIR *d = opendir(dir);
    if (!d)
        return false;
    bool found = false;
    struct dirent *e;
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[600], target[64];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        ssize_t len = readlink(path, target, sizeof target - 1);
        if (len <= 0)
            continue;
        target[len] = '\0';
        unsigned long inode;
        if (sscanf(target, "socket:[%lu]", &inode) != 1)
            continue;
        for (int i = 0; i < n && !found; i++)
            found = inodes[i] == inode;
    }
    closedir(d);
    return found;
}

int ob_proc_listeners(int port, pid_t *pids, int cap)
{
    unsigned long inodes[MAX_INODES];
    int n = listening_inodes("/proc/net/tcp", port, inodes, 0, MAX_INODES);
    n = listening_inodes("/proc/net/tcp6", port, inodes, n, MAX_INODES);
    if (n == 0)
        return 0;
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int found = 0;
    pid_t self = getpid();
    struct dirent *e;
    while (found < cap && (e = readdir(d)) != NULL) {
        if (!isdigit((unsigned char)e->d_name[0]))
            continue;
        pid_t pid = (pid_t)strtol(e->d_name, NULL, 10);
        if (pid != self && holds_socket(e->d_name, inodes, n))
            pids[found++] = pid;
    }
    closedir(d);
    return found;
}

int ob_proc_read(pid_t pid, double *cpu_s, double *rss_mb)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t len = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[len] = '\0';
    /* the command name may hold spaces and parentheses: fields resume after the last ')' */
    const char *p = strrchr(buf, ')');
    unsigned long long utime, stime;
    char state;
    if (!p || sscanf(p + 1, " %c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &state, &utime,
                     &stime) != 3 ||
        state == 'Z')
        return -1;
    long ticks = sysconf(_SC_CLK_TCK);
    *cpu_s = (double)(utime + stime) / (double)(ticks > 0 ? ticks : 100);
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = 0;
    while (fgets(buf, sizeof buf, f))
        if (sscanf(buf, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    *rss_mb = (double)kb / 1024.0;
    return 0;
}

void ob_proc_name(pid_t pid, char *buf, size_t cap)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%ld/comm", (long)pid);
    FILE *f = fopen(path, "r");
    if (!f || !fgets(buf, (int)cap, f)) {
        snprintf(buf, cap, "?");
    } else {
        buf[strcspn(buf, "\n")] = '\0';
    }
    if (f)
        fclose(f);
}

struct ob_proc_sampler {
    ob_proc_group *groups;
    int ngroups;
    int interval_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool stop;
};

static void sample_group(ob_proc_group *g)
{
    double rss_sum = 0;
    bool any = false;
    for (int i = 0; i < g->npids; i++) {
        double cpu, rss;
        if (ob_proc_read(g->pids[i], &cpu, &rss) != 0)
            continue;
        if (!g->seen[i])
            g->cpu_start[i] = cpu;
        g->seen[i] = true;
        g->cpu_last[i] = cpu;
        rss_sum += rss;
        any = true;
    }
    if (rss_sum > g->peak_rss_mb)
        g->peak_rss_mb = rss_sum;
    if (!any)
        return;
    if (g->nsamples == g->samples_cap) {
        size_t cap = g->samples_cap ? 2 * g->samples_cap : 256;
        ob_proc_sample *grown = realloc(g->samples, cap * sizeof *grown);
        if (!grown)
            return; /* out of memory: the window figures end at the last sample kept */
        g->samples = grown;
        g->samples_cap = cap;
    }
    g->samples[g->nsamples++] = (ob_proc_sample){ob_real_ns(), ob_proc_group_cpu_s(g), rss_sum};
}

static void sample_all(ob_proc_sampler *s)
{
    for (int i = 0; i < s->ngroups; i++)
        sample_group(&s->groups[i]);
}

static void *sampler_main(void *arg)
{
    ob_proc_sampler *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ns = (int64_t)until.tv_nsec + (int64_t)s->interval_ms * OB_NS_PER_MS;
        until.tv_sec += (time_t)(ns / OB_NS_PER_S);
        until.tv_nsec = (long)(ns % OB_NS_PER_S);
        pthread_cond_timedwait(&s->wake, &s->lock, &until);
        if (!s->stop)
            sample_all(s);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

int ob_proc_sampler_start(ob_proc_sampler **out, ob_proc_group *groups, int ngroups,
                          int interval_ms, ob_err *err)
{
    ob_proc_sampler *s = calloc(1, sizeof *s);
    if (!s)
        return ob_err_set(err, "out of memory");
    s->groups = groups;
    s->ngroups = ngroups;
    s->interval_ms = interval_ms;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    sample_all(s);
    if (pthread_create(&s->thread, NULL, sampler_main, s) != 0) {
        pthread_mutex_destroy(&s->lock);
        pthread_cond_destroy(&s->wake);
        free(s);
        return ob_err_set(err, "cannot start the /proc sampler thread");
    }
    *out = s;
    return 0;
}

void ob_proc_sampler_stop(ob_proc_sampler *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    s->stop = true;
    pthread_cond_signal(&s->wake);
    pthread_mutex_unlock(&s->lock);
    pthread_join(s->thread, NULL);
    sample_all(s);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->wake);
    free(s);
}

int ob_proc_group_window(const ob_proc_group *g, int64_t from_real_ns, double *cpu_s, double *peak_rss_mb)
{
    *cpu_s = *peak_rss_mb = -1;
    if (g->nsamples == 0)
        return -1;
    size_t base = 0;
    while (base + 1 < g->nsamples && g->samples[base + 1].real_ns <= from_real_ns)
        base++;
    double peak = 0;
    for (size_t i = base; i < g->nsamples; i++)
        if (g->samples[i].rss_mb > peak)
            peak = g->samples[i].rss_mb;
    *cpu_s = g->samples[g->nsamples - 1].cpu_s - g->samples[base].cpu_s;
    *peak_rss_mb = peak;
    return 0;
}

void ob_proc_group_release(ob_proc_group *g)
{
    if (!g)
        return;
    free(g->samples);
    g->samples = NULL;
    g->nsamples = g->samples_cap = 0;
}

double ob_proc_group_cpu_s(const ob_proc_group *g)
{
    double sum = 0;
    bool any = false;
    for (int i = 0; i < g->npids; i++)
        if (g->seen[i]) {
            sum += g->cpu_last[i] - g->cpu_start[i];
            any = true;
        }
    return any ? sum : -1;
}
