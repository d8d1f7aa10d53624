/* fuzz_monitor.c — libFuzzer target for the host monitor's /proc parsers (live/monitor.h):
 * the input is written as a fake proc tree's meminfo, 1/stat and 1/cmdline (the part
 * before the first NUL byte as meminfo and stat, the rest as cmdline), then read back.
 * Any bytes must parse or fail with an error naming the file; what parses must be
 * consistent (used <= total, at most one process, with a state word, a role and a
 * terminated name), and the JSON writers must produce a value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor.h"

static int write_file(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t n = fwrite(data, 1, size, f);
    fclose(f);
    return n == size ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char root[] = "/tmp/ob-fuzz-proc.XXXXXX";
    if (!mkdtemp(root))
        return 0;
    char path[256];
    const uint8_t *nul = memchr(data, 0, size);
    size_t head = nul ? (size_t)(nul - data) : size;
    snprintf(path, sizeof path, "%s/meminfo", root);
    write_file(path, data, head);
    snprintf(path, sizeof path, "%s/1", root);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/1/stat", root);
    write_file(path, data, head);
    snprintf(path, sizeof path, "%s/1/cmdline", root);
    if (nul)
        write_file(path, nul + 1, size - head - 1);

    ob_err err = {0};
    ob_monitor_ram_info ram;
    char *json = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&json, &len);
    if (!f)
        abort();
    ob_jw w;
    ob_jw_init(&w, f);
    if (ob_monitor_ram(&ram, root, &err) == 0) {
        if (ram.used_kb > ram.total_kb || ram.total_kb == 0)
            abort();
        ob_jw_array(&w);
        ob_monitor_ram_json(&w, &ram);
        ob_monitor_course_ram_json(&w, &ram);
        ob_jw_end(&w);
    } else if (!strstr(err.msg, "meminfo")) {
        abort();
    }
    ob_monitor_proc *procs = NULL;
    size_t n = 0;
    err.msg[0] = '\0';
    if (ob_monitor_processes(&procs, &n, root, &err) == 0) {
        if (n > 1 || (n == 1 && (!procs[0].state_name || !procs[0].role ||
                               memchr(procs[0].name, 0, sizeof procs[0].name) == NULL)))
            abort();
        ob_monitor_processes_json(&w, procs, n, "a");
        ob_monitor_course_processes_json(&w, procs, n);
        ob_monitor_processes_free(procs, n);
    } else if (!strstr(err.msg, "stat")) {
        abort();
    }
    fclose(f);
    free(json);

    snprintf(path, sizeof path, "%s/1/cmdline", root);
    unlink(path);
    snprintf(path, sizeof path, "%s/1/stat", root);
    unlink(path);
    snprintf(path, sizeof path, "%s/1", root);
    rmdir(path);
    snprintf(path, sizeof path, "%s/meminfo", root);
    unlink(path);
    rmdir(root);
    return 0;
}
