/* split_args.h — the unit tests' command lines: "test " + line split at spaces into a
 * static argv (argv[0] = "test", at most 31 words, NULL after the last). The words live
 * until the next call. */
#ifndef OB_SPLIT_ARGS_H
#define OB_SPLIT_ARGS_H

#include <stdio.h>
#include <string.h>

static int split_args(const char *line, char ***argv_out)
{
    static char buf[512];
    static char *argv[32];
    snprintf(buf, sizeof buf, "test %s", line);
    int argc = 0;
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w && argc < 31; w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    argv[argc] = NULL;
    *argv_out = argv;
    return argc;
}

#endif
