/* test_monitor.c — the host monitor (live/monitor.h) over a fake proc tree written in a
 * mkdtemp directory: meminfo's arithmetic and its errors (malformed line, missing file),
 * stat parsing (a comm with spaces, parentheses and a quote, every state letter, CPU
 * seconds and RSS), what is skipped (non-numeric directories, a pid without stat), a
 * malformed stat, roles from names and NUL-separated cmdlines, the sort order, and the
 * JSON shapes (outbreak's, the filter, the course project's) compared to exact strings or
 * read back; then the real /proc: this process with its ppid and RSS, and the memory. */
#include "monitor.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "json.h"

/* ---- writing the fake tree ---- */

static void put_file(const char *root, const char *rel, const char *data, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "wb");
    CHECK_MSG(f != NULL, "cannot create %s", path);
    if (!f)
        return;
    CHECK(fwrite(data, 1, len, f) == len);
    fclose(f);
}

static void put_text(const char *root, const char *rel, const char *text)
{
    put_file(root, rel, text, strlen(text));
}

static void put_dir(const char *root, const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    CHECK_MSG(mkdir(path, 0755) == 0, "cannot create %s", path);
}

/* <root>/<pid>/stat with the given comm, state, ppid, utime, stime and rss (pages). */
static void put_stat(const char *root, int pid, const char *comm, char state, int ppid,
                     long utime, long stime, long rss)
{
    char rel[64], text[1024];
    snprintf(rel, sizeof rel, "%d", pid);
    put_dir(root, rel);
    snprintf(rel, sizeof rel, "%d/stat", pid);
    /* fields 1..24 and a few more, as proc(5) lists them */
    snprintf(text, sizeof text,
             "%d (%s) %c %d %d %d 0 -1 4194560 120 0 3 0 %ld %ld 0 0 20 0 1 0 4242 12345678 %ld "
             "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
             pid, comm, state, ppid, pid, pid, utime, stime, rss);
    put_text(root, rel, text);
}

/* <root>/<pid>/cmdline from args (NUL-separated, a NUL after the last). */
static void put_cmdline(const char *root, int pid, const char *const *args, int n)
{
    char rel[64], buf[1024];
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        size_t l = strlen(args[i]) + 1;
        memcpy(buf + len, args[i], l);
        len += l;
    }
    snprintf(rel, sizeof rel, "%d/cmdline", pid);
    put_file(root, rel, buf, len);
}

static void remove_tree(const char *root)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0);
}

/* ---- JSON helpers ---- */

typedef struct jbuf {
    char *text;
    size_t len;
    FILE *f;
    ob_jw w;
} jbuf;

static void jbuf_open(jbuf *b)
{
    b->text = NULL;
    b->len = 0;
    b->f = open_memstream(&b->text, &b->len);
    ob_jw_init(&b->w, b->f);
}

/* Closes the stream; the text stays in b->text (free it). */
static void jbuf_close(jbuf *b)
{
    CHECK(ob_jw_status(&b->w) == 0);
    fclose(b->f);
}

/* The number of elements of the JSON array text, each an object; -1 if it is not that. */
static int array_objects(const char *text)
{
    ob_json j;
    ob_json_init(&j, text, strlen(text));
    if (ob_json_array_begin(&j) < 0)
        return -1;
    int n = 0, rc;
    while ((rc = ob_json_array_next(&j)) > 0) {
        if (ob_json_peek(&j) != OB_JSON_OBJECT || ob_json_skip(&j) < 0)
            return -1;
        n++;
    }
    if (rc < 0 || !ob_json_at_end(&j))
        return -1;
    return n;
}

/* ---- memory ---- */

static void test_ram(const char *root)
{
    put_text(root, "meminfo",
             "MemTotal:       16000000 kB\n"
             "MemFree:         4100000 kB\n"
             "MemAvailable:    9000000 kB\n"
             "Buffers:          500000 kB\n"
             "Cached:          3000000 kB\n"
             "SwapCached:            0 kB\n"
             "SReclaimable:     300000 kB\n"
             "HugePages_Total:       0\n"
             "Hugepagesize:       2048 kB\n");
    ob_monitor_ram_info r;
    ob_err err = {0};
    CHECK(ob_monitor_ram(&r, root, &err) == 0);
    CHECK(r.total_kb == 16000000);
    CHECK(r.free_kb == 4100000);
    CHECK(r.available_kb == 9000000);
    CHECK(r.cache_kb == 3800000);          /* 3000000 + 500000 + 300000 */
    CHECK(r.used_kb == 8100000);           /* 16000000 - 4100000 - 3800000 */
    CHECK(r.used_pct > 50.6249 && r.used_pct < 50.6251);

    jbuf b;
    jbuf_open(&b);
    ob_monitor_ram_json(&b.w, &r);
    jbuf_close(&b);
    CHECK_STR(b.text, "{\"total_kb\":16000000,\"free_kb\":4100000,\"available_kb\":9000000,"
                      "\"cache_kb\":3800000,\"used_kb\":8100000,\"used_pct\":50.6}");
    free(b.text);

    jbuf_open(&b);
    ob_monitor_course_ram_json(&b.w, &r);
    jbuf_close(&b);
    CHECK_STR(b.text, "{\"total\":16000000,\"free\":4100000,\"cache\":3800000,\"used\":8100000}");
    free(b.text);

    /* free + cache above total: used is total - free, as procps' free has it */
    put_text(root, "meminfo",
             "MemTotal: 1000 kB\nMemFree: 600 kB\nBuffers: 100 kB\nCached: 400 kB\n");
    CHECK(ob_monitor_ram(&r, root, &err) == 0);
    CHECK(r.cache_kb == 500);
    CHECK(r.used_kb == 400);
    CHECK(r.available_kb == 0);
    CHECK(r.used_pct > 39.999 && r.used_pct < 40.001);

    /* a malformed line: the file and its line */
    put_text(root, "meminfo", "MemTotal: 1000 kB\nMemFree: 600 kB\nMemAvailable: lots kB\n");
    char want[1200];
    snprintf(want, sizeof want, "%s/meminfo:3: ", root);
    memset(&err, 0, sizeof err);
    CHECK(ob_monitor_ram(&r, root, &err) == -1);
    CHECK_MSG(strncmp(err.msg, want, strlen(want)) == 0, "got \"%s\", want it to start \"%s\"",
              err.msg, want);
    CHECK(strstr(err.msg, "malformed") != NULL);

    put_text(root, "meminfo", "MemTotal: 1000 kB\nno colon here\n");
    snprintf(want, sizeof want, "%s/meminfo:2: ", root);
    memset(&err, 0, sizeof err);
    CHECK(ob_monitor_ram(&r, root, &err) == -1);
    CHECK_MSG(strncmp(err.msg, want, strlen(want)) == 0, "got \"%s\"", err.msg);

    put_text(root, "meminfo", "MemTotal: 1000 kB x\nMemFree: 1 kB\n");
    snprintf(want, sizeof want, "%s/meminfo:1: ", root);
    CHECK(ob_monitor_ram(&r, root, &err) == -1);
    CHECK_MSG(strncmp(err.msg, want, strlen(want)) == 0, "got \"%s\"", err.msg);

    /* a key missing */
    put_text(root, "meminfo", "MemFree: 600 kB\n");
    memset(&err, 0, sizeof err);
    CHECK(ob_monitor_ram(&r, root, &err) == -1);
    CHECK(strstr(err.msg, "meminfo") != NULL && strstr(err.msg, "MemTotal") != NULL);

    /* no file at all: its path in the message */
    char path[1100];
    snprintf(path, sizeof path, "%s/meminfo", root);
    CHECK(unlink(path) == 0);
    memset(&err, 0, sizeof err);
    CHECK(ob_monitor_ram(&r, root, &err) == -1);
    CHECK_MSG(strncmp(err.msg, path, strlen(path)) == 0 && strstr(err.msg, "No such file"),
              "got \"%s\"", err.msg);
}

/* ---- processes ---- */

static const ob_monitor_proc *find(const ob_monitor_proc *p, size_t n, int pid)
{
    for (size_t i = 0; i < n; i++)
        if (p[i].pid == pid)
            return &p[i];
    return NULL;
}

static void test_processes(const char *root)
{
    long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);

    put_stat(root, 1, "init", 'S', 0, 250, 50, 300);
    put_stat(root, 42, "a b) c", 'R', 1, 0, 0, 0);
    put_stat(root, 43, "q\"x", 'S', 1, 0, 0, 0);
    static const char states[] = "RSDZTtXI";
    static const char *const state_names[] = {"running", "sleeping",     "disk sleep", "zombie",
                                              "stopped", "tracing stop", "dead",       "idle"};
    for (int i = 0; i < 8; i++)
        put_stat(root, 100 + i, "st", states[i], 1, 0, 0, 0);

    put_stat(root, 200, "outbreak", 'S', 1, 150, 50, 10);
    put_cmdline(root, 200, (const char *const[]){"outbreak", "sink", "--broker", "nats://x"}, 4);
    put_stat(root, 201, "outbreak", 'S', 1, 0, 0, 0);
    put_cmdline(root, 201, (const char *const[]){"/usr/bin/outbreak", "gateway"}, 2);
    put_stat(root, 202, "outbreak", 'S', 1, 0, 0, 0);
    put_cmdline(root, 202, (const char *const[]){"outbreak", "run", "--rate", "10k"}, 4);
    put_stat(root, 203, "outbreak", 'S', 1, 0, 0, 0);
    put_cmdline(root, 203, (const char *const[]){"outbreak", "web"}, 2);
    put_stat(root, 204, "outbreak", 'S', 1, 0, 0, 0); /* no cmdline: no role */
    put_stat(root, 205, "outbreak", 'S', 1, 0, 0, 0);
    put_cmdline(root, 205, (const char *const[]){"outbreak", "compare", "sink"}, 3);
    put_stat(root, 206, "outbreak", 'S', 1, 0, 0, 0);
    put_cmdline(root, 206, (const char *const[]){"outbreak", "sinks"}, 2);
    put_stat(root, 210, "nats-server", 'S', 1, 0, 0, 0);
    put_stat(root, 211, "beam.smp", 'S', 1, 0, 0, 0);
    put_stat(root, 212, "java", 'S', 1, 0, 0, 0);
    put_cmdline(root, 212,
                (const char *const[]){"java", "-Xmx1G", "-cp", "/opt/kafka/libs/*", "kafka.Kafka",
                                      "config/server.properties"},
                6);
    put_stat(root, 213, "java", 'S', 1, 0, 0, 0);
    put_cmdline(root, 213,
                (const char *const[]){"java", "-jar", "/sdk/cloud-pubsub-emulator-0.8.jar", "--port=8085"},
                4);
    put_stat(root, 214, "java", 'S', 1, 0, 0, 0);
    put_cmdline(root, 214, (const char *const[]){"java", "-jar", "app.jar"}, 3);
    put_stat(root, 215, "ferretdb", 'S', 1, 0, 0, 0);
    put_stat(root, 216, "mongod", 'S', 1, 0, 0, 0);
    put_stat(root, 217, "nginx", 'S', 1, 0, 0, 0);
    put_stat(root, 218, "sink", 'S', 1, 0, 0, 0); /* a name that is a role is no role */

    put_dir(root, "55"); /* ended: no stat */
    put_dir(root, "self");
    put_text(root, "self/stat", "not a stat at all");
    put_dir(root, "12x");
    put_text(root, "12x/stat", "12 (x) S 1");
    put_text(root, "meminfo", "MemTotal: 1 kB\n"); /* a file, not a process */
    put_text(root, "77", "a numeric file, not a directory");

    ob_monitor_proc *p = NULL;
    size_t n = 0;
    ob_err err = {0};
    int rc = ob_monitor_processes(&p, &n, root, &err);
    CHECK_MSG(rc == 0, "%s", err.msg);
    CHECK_MSG(n == 27, "n = %zu", n);

    /* the sort: by role, then pid; then the others by pid */
    static const int order[] = {210, 211, 212, 213, 215, 216, 201, 217, 202, 200, 203,
                                1,   42,  43,  100, 101, 102, 103, 104, 105, 106, 107,
                                204, 205, 206, 214, 218};
    static const char *const roles[] = {"broker", "broker",   "broker",   "broker",  "database",
                                        "database", "gateway", "lb",      "loadgen", "sink",
                                        "web"};
    size_t want_n = sizeof order / sizeof order[0];
    CHECK(want_n == 27);
    for (size_t i = 0; i < want_n && i < n; i++) {
        CHECK_MSG(p[i].pid == order[i], "position %zu: pid %d, want %d", i, p[i].pid, order[i]);
        CHECK_MSG(strcmp(p[i].role, i < 11 ? roles[i] : "") == 0, "pid %d: role \"%s\"",
                  p[i].pid, p[i].role);
    }

    const ob_monitor_proc *q = find(p, n, 1);
    CHECK(q && strcmp(q->name, "init") == 0 && q->ppid == 0 && q->state == 'S');
    CHECK(q && q->cpu_s > 300.0 / (double)ticks - 1e-9 && q->cpu_s < 300.0 / (double)ticks + 1e-9);
    CHECK(q && q->rss_kb == (uint64_t)(300 * page / 1024));
    q = find(p, n, 42);
    CHECK(q && strcmp(q->name, "a b) c") == 0 && q->ppid == 1 && q->state == 'R');
    q = find(p, n, 43);
    CHECK(q && strcmp(q->name, "q\"x") == 0);
    for (int i = 0; i < 8; i++) {
        q = find(p, n, 100 + i);
        CHECK_MSG(q && q->state == states[i] && strcmp(q->state_name, state_names[i]) == 0,
                  "state %c", states[i]);
    }
    CHECK(find(p, n, 55) == NULL);
    CHECK(find(p, n, 77) == NULL);
    CHECK(find(p, n, 12) == NULL);

    /* JSON: exact entries, then the whole list and the filters read back */
    ob_monitor_proc two[2];
    q = find(p, n, 42);
    if (q)
        two[0] = *q;
    q = find(p, n, 200);
    if (q)
        two[1] = *q;
    char want[1024];
    snprintf(want, sizeof want,
             "[{\"pid\":42,\"name\":\"a b) c\",\"state\":\"R\",\"state_name\":\"running\","
             "\"ppid\":1,\"cpu_s\":0.00,\"rss_kb\":0,\"role\":\"\"},"
             "{\"pid\":200,\"name\":\"outbreak\",\"state\":\"S\",\"state_name\":\"sleeping\","
             "\"ppid\":1,\"cpu_s\":%.2f,\"rss_kb\":%ld,\"role\":\"sink\"}]",
             200.0 / (double)ticks, 10 * page / 1024);
    jbuf b;
    jbuf_open(&b);
    ob_monitor_processes_json(&b.w, two, 2, NULL);
    jbuf_close(&b);
    CHECK_STR(b.text, want);
    free(b.text);

    jbuf_open(&b);
    ob_monitor_processes_json(&b.w, two, 2, "");
    jbuf_close(&b);
    CHECK_STR(b.text, want);
    free(b.text);

    jbuf_open(&b);
    ob_monitor_course_processes_json(&b.w, two, 2);
    jbuf_close(&b);
    CHECK_STR(b.text, "[{\"name\":\"a b) c\",\"pid\":42,\"state\":\"R\",\"parent\":1},"
                      "{\"name\":\"outbreak\",\"pid\":200,\"state\":\"S\",\"parent\":1}]");
    free(b.text);

    /* the quote in a name is escaped */
    q = find(p, n, 43);
    if (q) {
        jbuf_open(&b);
        ob_monitor_course_processes_json(&b.w, q, 1);
        jbuf_close(&b);
        CHECK_STR(b.text, "[{\"name\":\"q\\\"x\",\"pid\":43,\"state\":\"S\",\"parent\":1}]");
        free(b.text);
    }

    static const struct {
        const char *filter;
        int count;
    } filters[] = {
        {NULL, 27},     {"", 27},         {"BROKER", 4}, {"java", 3}, {"OutBreak", 7},
        {"a b)", 1},    {"sink", 2},      {"data", 2},   {"zzz", 0},  {"st", 8},
    };
    for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
        jbuf_open(&b);
        ob_monitor_processes_json(&b.w, p, n, filters[i].filter);
        jbuf_close(&b);
        int got = array_objects(b.text);
        CHECK_MSG(got == filters[i].count, "filter \"%s\": %d entries, want %d",
                  filters[i].filter ? filters[i].filter : "(null)", got, filters[i].count);
        free(b.text);
    }
    jbuf_open(&b);
    ob_monitor_processes_json(&b.w, p, n, "gAtEwAy");
    jbuf_close(&b);
    CHECK(strstr(b.text, "\"pid\":201,") != NULL && array_objects(b.text) == 1);
    free(b.text);

    jbuf_open(&b);
    ob_monitor_course_processes_json(&b.w, p, n);
    jbuf_close(&b);
    CHECK(array_objects(b.text) == 27);
    free(b.text);

    ob_monitor_processes_free(p, n);

    /* a malformed stat: an error naming it, nothing returned */
    put_dir(root, "9");
    put_text(root, "9/stat", "9 (broken) S 1 2 3\n");
    ob_monitor_proc sentinel;
    p = &sentinel; /* must be reset */
    n = 99;
    memset(&err, 0, sizeof err);
    CHECK(ob_monitor_processes(&p, &n, root, &err) == -1);
    CHECK(p == NULL && n == 0);
    char path[1100];
    snprintf(path, sizeof path, "%s/9/stat", root);
    CHECK_MSG(strncmp(err.msg, path, strlen(path)) == 0, "got \"%s\"", err.msg);
    put_text(root, "9/stat", "9 no parentheses S 1\n");
    CHECK(ob_monitor_processes(&p, &n, root, &err) == -1);

    /* a root that is not there */
    memset(&err, 0, sizeof err);
    snprintf(path, sizeof path, "%s/nowhere", root);
    CHECK(ob_monitor_processes(&p, &n, path, &err) == -1);
    CHECK(strstr(err.msg, "nowhere") != NULL);

    /* an empty root: an empty list */
    put_dir(root, "empty");
    snprintf(path, sizeof path, "%s/empty", root);
    CHECK(ob_monitor_processes(&p, &n, path, &err) == 0);
    CHECK(p == NULL && n == 0);
    jbuf_open(&b);
    ob_monitor_processes_json(&b.w, p, n, NULL);
    jbuf_close(&b);
    CHECK_STR(b.text, "[]");
    free(b.text);
    ob_monitor_processes_free(p, n);
}

/* ---- the real /proc ---- */

static void test_real_proc(void)
{
    ob_monitor_proc *p = NULL;
    size_t n = 0;
    ob_err err = {0};
    CHECK_MSG(ob_monitor_processes(&p, &n, "/proc", &err) == 0, "%s", err.msg);
    const ob_monitor_proc *me = find(p, n, (int)getpid());
    CHECK(me != NULL);
    if (me) {
        CHECK(me->ppid == (int)getppid());
        CHECK(me->rss_kb > 0);
        CHECK(me->state == 'R');
        CHECK(me->name[0] != '\0');
    }
    CHECK(n > 1);
    ob_monitor_processes_free(p, n);

    ob_monitor_ram_info r;
    CHECK_MSG(ob_monitor_ram(&r, "/proc", &err) == 0, "%s", err.msg);
    CHECK(r.total_kb > 0);
    CHECK(r.used_kb <= r.total_kb);
    CHECK(r.free_kb <= r.total_kb);
    CHECK(r.used_pct >= 0.0 && r.used_pct <= 100.0);
}

int main(void)
{
    char root[] = "/tmp/test_monitor.XXXXXX";
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    test_ram(root);
    test_processes(root);
    remove_tree(root);
    test_real_proc();
    CHECK_DONE();
}
