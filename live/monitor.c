/* monitor.c — the host monitor of `outbreak web` (see monitor.h): the memory from
 * <proc>/meminfo, the processes from <proc>/PID/stat and, to tell outbreak's and the
 * middlewares' processes by their role, <proc>/PID/cmdline; and the JSON shapes, both
 * outbreak's and those of the course project's kernel modules. Files are read whole
 * with read(2) (proc files report a size of 0), then parsed in memory. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include "monitor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PATH_CAP 4096
#define FILE_MAX (1u << 20) /* no proc file we read is larger; a longer cmdline is cut */

/* Reads the file at path whole, NUL-terminated, into *buf (*len bytes before the NUL),
 * at most FILE_MAX bytes. Returns 0, or -1 with errno set (*buf is then NULL). */
static int read_whole(const char *path, char **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    size_t cap = 4096, n = 0;
    char *b = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    b = malloc(cap);
    if (!b)
        goto fail;
    for (;;) {
        if (n + 1 >= cap) {
            if (cap >= FILE_MAX)
                break;
            char *nb = realloc(b, cap * 2);
            if (!nb)
                goto fail;
            b = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, b + n, cap - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            goto fail;
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
fail:;
    int saved = errno;
    free(b);
    close(fd);
    errno = saved ? saved : ENOMEM;
    return -1;
}

/* ---- memory ---- */

/* Parses the value of a meminfo line, "  12345 kB" or "  0": true with *v set. */
static bool meminfo_value(const char *s, const char *end, uint64_t *v)
{
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (s == end || *s < '0' || *s > '9')
        return false;
    uint64_t x = 0;
    for (; s < end && *s >= '0' && *s <= '9'; s++) {
        if (x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
            return false;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    while (s < end && (*s == ' ' || *s == '\t'))
        s++;
    if (end - s >= 2 && s[0] == 'k' && s[1] == 'B')
        s += 2;
    while (s < end && (*s == ' ' || *s == '\t' || *s == '\r'))
        s++;
    if (s != end)
        return false;
    *v = x;
    return true;
}

int ob_monitor_ram(ob_monitor_ram_info *out, const char *proc_root, ob_err *err)
{
    char path[PATH_CAP];
    char *buf = NULL;
    size_t len;
    int rc = -1;
    memset(out, 0, sizeof *out);
    if ((size_t)snprintf(path, sizeof path, "%s/meminfo", proc_root) >= sizeof path)
        return ob_err_set(err, "%s: path too long", proc_root);
    if (read_whole(path, &buf, &len) < 0) {
        ob_err_set(err, "%s: %s", path, strerror(errno));
        goto fail;
    }
    enum { TOTAL, FREE, AVAIL, BUFFERS, CACHED, SRECL, NKEYS };
    static const char *const keys[NKEYS] = {"MemTotal", "MemFree", "MemAvailable",
                                            "Buffers", "Cached", "SReclaimable"};
    uint64_t val[NKEYS] = {0};
    bool seen[NKEYS] = {false};
    const char *p = buf, *end = buf + len;
    for (int line = 1; p < end; line++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if (eol > p) {
            const char *colon = memchr(p, ':', (size_t)(eol - p));
            uint64_t v;
            if (!colon || colon == p || !meminfo_value(colon + 1, eol, &v)) {
                ob_err_setk(err, OB_ERR_USAGE, "%s:%d: malformed line (want \"Key: number kB\")",
                            path, line);
                goto fail;
            }
            size_t klen = (size_t)(colon - p);
            for (int k = 0; k < NKEYS; k++)
                if (strlen(keys[k]) == klen && memcmp(keys[k], p, klen) == 0) {
                    val[k] = v;
                    seen[k] = true;
                }
        }
        p = eol < end ? eol + 1 : end;
    }
    if (!seen[TOTAL] || !seen[FREE]) {
        ob_err_setk(err, OB_ERR_USAGE, "%s: no %s line", path, seen[TOTAL] ? "MemFree" : "MemTotal");
        goto fail;
    }
    if (val[TOTAL] == 0) {
        ob_err_setk(err, OB_ERR_USAGE, "%s: MemTotal is 0", path);
        goto fail;
    }
    out->total_kb = val[TOTAL];
    out->free_kb = val[FREE];
    out->available_kb = val[AVAIL];
    out->cache_kb = val[CACHED] + val[BUFFERS] + val[SRECL];
    /* as procps' free: total - free - cache, or total - free when that is negative */
    if (val[FREE] > val[TOTAL])
        out->used_kb = 0;
    else if (val[FREE] + out->cache_kb > val[TOTAL])
        out->used_kb = val[TOTAL] - val[FREE];
    else
        out->used_kb = val[TOTAL] - val[FREE] - out->cache_kb;
    out->used_pct = (double)out->used_kb / (double)out->total_kb * 100.0;
    rc = 0;
fail:
    free(buf);
    if (rc < 0)
        memset(out, 0, sizeof *out);
    return rc;
}

void ob_monitor_ram_json(ob_jw *w, const ob_monitor_ram_info *r)
{
    ob_jw_object(w);
    ob_jw_key(w, "total_kb");
    ob_jw_int(w, (int64_t)r->total_kb);
    ob_jw_key(w, "free_kb");
    ob_jw_int(w, (int64_t)r->free_kb);
    ob_jw_key(w, "available_kb");
    ob_jw_int(w, (int64_t)r->available_kb);
    ob_jw_key(w, "cache_kb");
    ob_jw_int(w, (int64_t)r->cache_kb);
    ob_jw_key(w, "used_kb");
    ob_jw_int(w, (int64_t)r->used_kb);
    ob_jw_key(w, "used_pct");
    ob_jw_num(w, r->used_pct, 1);
    ob_jw_end(w);
}

void ob_monitor_course_ram_json(ob_jw *w, const ob_monitor_ram_info *r)
{
    ob_jw_object(w);
    ob_jw_key(w, "total");
    ob_jw_int(w, (int64_t)r->total_kb);
    ob_jw_key(w, "free");
    ob_jw_int(w, (int64_t)r->free_kb);
    ob_jw_key(w, "cache");
    ob_jw_int(w, (int64_t)r->cache_kb);
    ob_jw_key(w, "used");
    ob_jw_int(w, (int64_t)r->used_kb);
    ob_jw_end(w);
}

/* ---- processes ---- */

static const char *state_name(char s)
{
    switch (s) {
    case 'R': return "running";
    case 'S': return "sleeping";
    case 'D': return "disk sleep";
    case 'Z': return "zombie";
    case 'T': return "stopped";
    case 't': return "tracing stop";
    case 'X': return "dead";
    case 'x': return "dead";
    case 'I': return "idle";
    case 'K': return "wakekill";
    case 'W': return "waking";
    case 'P': return "parked";
    default: return "unknown";
    }
}

/* Parses a decimal integer token [s, e) (an optional '-' first): true with *v set. */
static bool parse_ll(const char *s, const char *e, long long *v)
{
    bool neg = false;
    if (s < e && *s == '-') {
        neg = true;
        s++;
    }
    if (s == e)
        return false;
    unsigned long long x = 0;
    for (; s < e; s++) {
        if (*s < '0' || *s > '9' || x >= 100000000000000000ULL)
            return false;
        x = x * 10 + (unsigned long long)(*s - '0');
    }
    *v = neg ? -(long long)x : (long long)x;
    return true;
}

/* Parses one stat line into p (all but role): false if it is malformed. Fields after
 * the comm, counted from 3 as proc(5) does: 3 state, 4 ppid, 14 utime, 15 stime, 24 rss. */
static bool parse_stat(const char *buf, ob_monitor_proc *p, long ticks, long page_bytes)
{
    const char *open = strchr(buf, '(');
    const char *close = strrchr(buf, ')');
    if (!open || !close || close < open)
        return false;
    long long pid;
    const char *ps = buf;
    while (ps < open && *ps == ' ')
        ps++;
    const char *pe = ps;
    while (pe < open && *pe != ' ')
        pe++;
    if (!parse_ll(ps, pe, &pid) || pid <= 0 || pid > 0x7fffffff)
        return false;
    size_t nlen = (size_t)(close - open - 1);
    if (nlen >= sizeof p->name)
        nlen = sizeof p->name - 1;
    memcpy(p->name, open + 1, nlen);
    p->name[nlen] = '\0';

    enum { NTOK = 22 }; /* fields 3..24 */
    const char *tok[NTOK], *tend[NTOK];
    int nt = 0;
    const char *s = close + 1;
    while (nt < NTOK) {
        while (*s == ' ')
            s++;
        if (*s == '\0' || *s == '\n')
            break;
        tok[nt] = s;
        while (*s != ' ' && *s != '\0' && *s != '\n')
            s++;
        tend[nt++] = s;
    }
    if (nt < NTOK || tend[0] - tok[0] != 1)
        return false;
    long long ppid, utime, stime, rss;
    if (!parse_ll(tok[1], tend[1], &ppid) || !parse_ll(tok[11], tend[11], &utime) ||
        !parse_ll(tok[12], tend[12], &stime) || !parse_ll(tok[21], tend[21], &rss))
        return false;
    if (ppid < 0 || ppid > 0x7fffffff || utime < 0 || stime < 0)
        return false;
    p->pid = (int)pid;
    p->ppid = (int)ppid;
    p->state = tok[0][0];
    p->state_name = state_name(p->state);
    p->cpu_s = (double)(utime + stime) / (double)ticks;
    p->rss_kb = rss > 0 ? (uint64_t)rss * (uint64_t)page_bytes / 1024u : 0;
    return true;
}

/* Whether the NUL-separated buf[0..len) contains needle (within one argument or across
 * them: NULs are bytes like any other here). */
static bool mem_contains(const char *buf, size_t len, const char *needle)
{
    size_t nl = strlen(needle);
    for (size_t i = 0; i + nl <= len; i++)
        if (memcmp(buf + i, needle, nl) == 0)
            return true;
    return false;
}

/* The role of a process named `name` whose directory is `dir` ("" if none). */
static const char *role_of(const char *name, const char *dir)
{
    static const struct {
        const char *name, *role;
    } by_name[] = {
        {"nats-server", "broker"}, {"beam.smp", "broker"}, {"ferretdb", "database"},
        {"mongod", "database"},    {"nginx", "lb"},
    };
    for (size_t i = 0; i < sizeof by_name / sizeof by_name[0]; i++)
        if (strcmp(name, by_name[i].name) == 0)
            return by_name[i].role;
    bool outbreak = strcmp(name, "outbreak") == 0;
    if (!outbreak && strcmp(name, "java") != 0)
        return "";
    char path[PATH_CAP];
    if ((size_t)snprintf(path, sizeof path, "%s/cmdline", dir) >= sizeof path)
        return "";
    char *cmd;
    size_t len;
    if (read_whole(path, &cmd, &len) < 0)
        return "";
    const char *role = "";
    if (outbreak) {
        static const struct {
            const char *cmd, *role;
        } by_cmd[] = {
            {"sink", "sink"}, {"gateway", "gateway"}, {"run", "loadgen"}, {"web", "web"},
        };
        const char *nul = memchr(cmd, '\0', len);
        const char *arg = nul && nul + 1 < cmd + len ? nul + 1 : NULL; /* NUL-terminated */
        for (size_t i = 0; arg && i < sizeof by_cmd / sizeof by_cmd[0]; i++)
            if (strcmp(arg, by_cmd[i].cmd) == 0)
                role = by_cmd[i].role;
    } else if (mem_contains(cmd, len, "kafka.Kafka") || mem_contains(cmd, len, "pubsub-emulator")) {
        role = "broker";
    }
    free(cmd);
    return role;
}

static int proc_cmp(const void *a, const void *b)
{
    const ob_monitor_proc *x = a, *y = b;
    bool rx = x->role[0] != '\0', ry = y->role[0] != '\0';
    if (rx != ry)
        return rx ? -1 : 1;
    int c = strcmp(x->role, y->role);
    if (c != 0)
        return c;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

static bool all_digits(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

int ob_monitor_processes(ob_monitor_proc **out, size_t *n, const char *proc_root, ob_err *err)
{
    *out = NULL;
    *n = 0;
    ob_monitor_proc *list = NULL;
    size_t count = 0, cap = 0;
    char *stat = NULL;
    long ticks = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    if (ticks <= 0)
        ticks = 100;
    if (page <= 0)
        page = 4096;
    DIR *d = opendir(proc_root);
    if (!d)
        return ob_err_set(err, "%s: %s", proc_root, strerror(errno));
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (!e) {
            if (errno != 0) {
                ob_err_set(err, "%s: %s", proc_root, strerror(errno));
                goto fail;
            }
            break;
        }
        if (!all_digits(e->d_name))
            continue;
        char dir[PATH_CAP], path[PATH_CAP];
        if ((size_t)snprintf(dir, sizeof dir, "%s/%s", proc_root, e->d_name) >= sizeof dir ||
            (size_t)snprintf(path, sizeof path, "%s/stat", dir) >= sizeof path) {
            ob_err_set(err, "%s: path too long", proc_root);
            goto fail;
        }
        size_t len;
        if (read_whole(path, &stat, &len) < 0) {
            if (errno == ENOENT || errno == ESRCH || errno == EACCES || errno == EPERM ||
                errno == ENOTDIR)
                continue; /* gone since the listing, or not ours to see */
            ob_err_set(err, "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (len == 0) { /* ended while we read */
            free(stat);
            stat = NULL;
            continue;
        }
        if (count == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            ob_monitor_proc *nl = realloc(list, ncap * sizeof *nl);
            if (!nl) {
                ob_err_set(err, "out of memory listing %s", proc_root);
                goto fail;
            }
            list = nl;
            cap = ncap;
        }
        ob_monitor_proc *p = &list[count];
        memset(p, 0, sizeof *p);
        if (!parse_stat(stat, p, ticks, page)) {
            ob_err_set(err, "%s: malformed", path);
            goto fail;
        }
        free(stat);
        stat = NULL;
        p->role = role_of(p->name, dir);
        count++;
    }
    closedir(d);
    if (count == 0) {
        free(list);
        list = NULL;
    } else {
        qsort(list, count, sizeof *list, proc_cmp);
    }
    *out = list;
    *n = count;
    return 0;
fail:
    free(stat);
    free(list);
    closedir(d);
    return -1;
}

void ob_monitor_processes_free(ob_monitor_proc *p, size_t n)
{
    (void)n; /* the entries own nothing */
    free(p);
}

/* Whether s contains needle, ASCII case ignored. */
static bool contains_nocase(const char *s, const char *needle)
{
    size_t nl = strlen(needle);
    for (; *s; s++) {
        size_t i = 0;
        while (i < nl && s[i]) {
            char a = s[i], b = needle[i];
            if (a >= 'A' && a <= 'Z')
                a = (char)(a - 'A' + 'a');
            if (b >= 'A' && b <= 'Z')
                b = (char)(b - 'A' + 'a');
            if (a != b)
                break;
            i++;
        }
        if (i == nl)
            return true;
    }
    return nl == 0;
}

void ob_monitor_processes_json(ob_jw *w, const ob_monitor_proc *p, size_t n, const char *filter)
{
    bool filtered = filter && *filter;
    ob_jw_array(w);
    for (size_t i = 0; i < n; i++) {
        if (filtered && !contains_nocase(p[i].name, filter) && !contains_nocase(p[i].role, filter))
            continue;
        char state[2] = {p[i].state, '\0'};
        ob_jw_object(w);
        ob_jw_key(w, "pid");
        ob_jw_int(w, p[i].pid);
        ob_jw_key(w, "name");
        ob_jw_str(w, p[i].name);
        ob_jw_key(w, "state");
        ob_jw_str(w, state);
        ob_jw_key(w, "state_name");
        ob_jw_str(w, p[i].state_name);
        ob_jw_key(w, "ppid");
        ob_jw_int(w, p[i].ppid);
        ob_jw_key(w, "cpu_s");
        ob_jw_num(w, p[i].cpu_s, 2);
        ob_jw_key(w, "rss_kb");
        ob_jw_int(w, (int64_t)p[i].rss_kb);
        ob_jw_key(w, "role");
        ob_jw_str(w, p[i].role);
        ob_jw_end(w);
    }
    ob_jw_end(w);
}

void ob_monitor_course_processes_json(ob_jw *w, const ob_monitor_proc *p, size_t n)
{
    ob_jw_array(w);
    for (size_t i = 0; i < n; i++) {
        char state[2] = {p[i].state, '\0'};
        ob_jw_object(w);
        ob_jw_key(w, "name");
        ob_jw_str(w, p[i].name);
        ob_jw_key(w, "pid");
        ob_jw_int(w, p[i].pid);
        ob_jw_key(w, "state");
        ob_jw_str(w, state);
        ob_jw_key(w, "parent");
        ob_jw_int(w, p[i].ppid);
        ob_jw_end(w);
    }
    ob_jw_end(w);
}
