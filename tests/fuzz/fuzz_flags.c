/* fuzz_flags.c — libFuzzer target for the command line of `outbreak run` (the flag
 * table of loadgen/options.c read by common/flags.c): the input, split at NUL bytes,
 * is argv. It must parse or fail with one line of kind usage; what parses must respect
 * the flags' bounds. Inputs asking for --help are skipped (they print the help). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstring.h"
#include "options.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    char *buf = fuzz_cstring(data, size);
    if (!buf)
        return 0;
    char *argv[66];
    int argc = 0;
    argv[argc++] = "run";
    for (size_t i = 0; i <= size && argc < 65;) {
        char *arg = buf + i;
        size_t n = strlen(arg);
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 || strncmp(arg, "-h", 2) == 0) {
            free(buf);
            return 0;
        }
        argv[argc++] = arg;
        i += n + 1;
    }
    argv[argc] = NULL;
    ob_run_opts o;
    ob_err err = {0};
    int rc = ob_run_opts_parse(&o, argc, argv, &err);
    if (rc < 0 && (err.msg[0] == '\0' || strchr(err.msg, '\n') || err.kind != OB_ERR_USAGE))
        abort();
    if (rc == 0 && (o.users < 1 || o.users > 1000000 || o.threads < 1 || o.threads > 64 || o.max_inflight < 1 ||
                    (o.max_inflight & (o.max_inflight - 1)) != 0 || o.pool < 1 || o.rate < 0 ||
                    o.stop_timeout_ns < 0 || !ob_run_id_valid(o.run_id)))
        abort();
    free(buf);
    return 0;
}
