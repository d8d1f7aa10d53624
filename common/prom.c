/* prom.c — the Prometheus text format of prom.h. */
#include "prom.h"

#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

const int64_t ob_prom_latency_bounds_ns[OB_PROM_LATENCY_BOUNDS] = {
    10000,       20000,       50000,       100000,      200000,      500000,
    1000000,     2000000,     5000000,     10000000,    20000000,    50000000,
    100000000,   200000000,   500000000,   1000000000,  2000000000,  5000000000,
    10000000000, 20000000000, 30000000000, 60000000000,
};

/* The bounds as `le` values, written as people write them. */
static const char *const bound_text[OB_PROM_LATENCY_BOUNDS] = {
    "1e-05", "2e-05", "5e-05", "0.0001", "0.0002", "0.0005", "0.001", "0.002",
    "0.005", "0.01",  "0.02",  "0.05",   "0.1",    "0.2",    "0.5",   "1",
    "2",     "5",     "10",    "20",     "30",     "60",
};

/* Appends s escaped as a label value; false when it does not fit. */
static int put_escaped(char *buf, size_t cap, size_t *len, const char *s)
{
    for (; *s; s++) {
        const char *rep = *s == '\\' ? "\\\\" : *s == '"' ? "\\\"" : *s == '\n' ? "\\n" : NULL;
        size_t n = rep ? 2 : 1;
        if (*len + n >= cap)
            return -1;
        memcpy(buf + *len, rep ? rep : s, n);
        *len += n;
    }
    return 0;
}

static int put_raw(char *buf, size_t cap, size_t *len, const char *s)
{
    size_t n = strlen(s);
    if (*len + n >= cap)
        return -1;
    memcpy(buf + *len, s, n);
    *len += n;
    return 0;
}

/* Writes the pairs after `start` (the inside of a label set already in buf[0..len)). */
static int put_pairs(char *buf, size_t cap, size_t len, const char *const *pairs)
{
    int first = len <= 1;
    for (size_t i = 0; pairs[i]; i += 2) {
        if (!pairs[i + 1])
            continue;
        if ((!first && put_raw(buf, cap, &len, ",") != 0) || put_raw(buf, cap, &len, pairs[i]) != 0 ||
            put_raw(buf, cap, &len, "=\"") != 0 || put_escaped(buf, cap, &len, pairs[i + 1]) != 0 ||
            put_raw(buf, cap, &len, "\"") != 0)
            return -1;
        first = 0;
    }
    if (len == 1) /* no pair at all */
        len = 0;
    else if (put_raw(buf, cap, &len, "}") != 0)
        return -1;
    buf[len] = '\0';
    return (int)len;
}

int ob_prom_labels(char *buf, size_t cap, const char *const *pairs)
{
    if (cap < 2) {
        if (cap)
            buf[0] = '\0';
        return -1;
    }
    buf[0] = '{';
    int n = put_pairs(buf, cap, 1, pairs);
    if (n < 0)
        buf[0] = '\0';
    return n;
}

int ob_prom_labels_add(char *buf, size_t cap, const char *labels, const char *name, const char *value)
{
    size_t have = strlen(labels);
    const char *pairs[] = {name, value, NULL};
    if (have == 0)
        return ob_prom_labels(buf, cap, pairs);
    if (have >= cap) { /* labels ends with '}': replaced by the new pair's ',' */
        buf[0] = '\0';
        return -1;
    }
    memmove(buf, labels, have - 1);
    int n = put_pairs(buf, cap, have - 1, pairs);
    if (n < 0)
        buf[0] = '\0';
    return n;
}

void ob_prom_family(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s ", name);
    for (const char *p = help; *p; p++) {
        if (*p == '\\')
            fputs("\\\\", f);
        else if (*p == '\n')
            fputs("\\n", f);
        else
            fputc(*p, f);
    }
    fprintf(f, "\n# TYPE %s %s\n", name, type);
}

void ob_prom_double(FILE *f, const char *name, const char *labels, double value)
{
    if (isnan(value))
        fprintf(f, "%s%s NaN\n", name, labels);
    else if (isinf(value))
        fprintf(f, "%s%s %cInf\n", name, labels, value > 0 ? '+' : '-');
    else
        fprintf(f, "%s%s %.15g\n", name, labels, value);
}

void ob_prom_int(FILE *f, const char *name, const char *labels, int64_t value)
{
    fprintf(f, "%s%s %lld\n", name, labels, (long long)value);
}

void ob_prom_histogram(FILE *f, const char *name, const char *labels, const ob_hist *h)
{
    int64_t le[OB_PROM_LATENCY_BOUNDS];
    double sum_ns = 0;
    ob_hist_cumulative(h, ob_prom_latency_bounds_ns, OB_PROM_LATENCY_BOUNDS, le, &sum_ns);
    char series[256], with_le[1024];
    snprintf(series, sizeof series, "%s_bucket", name);
    for (int j = 0; j < OB_PROM_LATENCY_BOUNDS; j++)
        if (ob_prom_labels_add(with_le, sizeof with_le, labels, "le", bound_text[j]) > 0)
            ob_prom_int(f, series, with_le, le[j]);
    int64_t count = ob_hist_count(h);
    if (ob_prom_labels_add(with_le, sizeof with_le, labels, "le", "+Inf") > 0)
        ob_prom_int(f, series, with_le, count);
    snprintf(series, sizeof series, "%s_sum", name);
    ob_prom_double(f, series, labels, sum_ns / 1e9);
    snprintf(series, sizeof series, "%s_count", name);
    ob_prom_int(f, series, labels, count);
}

void ob_prom_process(FILE *f, const char *labels)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 (double)ru.ru_stime.tv_usec / 1e6;
    ob_prom_family(f, "process_cpu_seconds_total", "counter", "User and system CPU time spent in seconds.");
    ob_prom_double(f, "process_cpu_seconds_total", labels, cpu);
    long pages_total = 0, pages_resident = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (statm) {
        if (fscanf(statm, "%ld %ld", &pages_total, &pages_resident) != 2)
            pages_resident = -1;
        fclose(statm);
    }
    if (statm && pages_resident >= 0) {
        ob_prom_family(f, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        ob_prom_int(f, "process_resident_memory_bytes", labels, (int64_t)pages_resident * sysconf(_SC_PAGESIZE));
    }
}
