/* fuzz_config.c — libFuzzer target for the configuration file (common/config.h) and its
 * merge into a command's flags (common/flags.h, the sources of docs/config.md): the
 * input is a file's text. It must parse or be refused with one line of kind usage that
 * starts with the file's name and a line number within the file; what parses must hold
 * flag-like keys, values without a line break, lines in order. The same text is then
 * read by ob_flags_parse as a command's file (top-level keys, [fuzz] and other
 * sections, repeated keys): it must parse or fail with one line naming FILE:LINE, and
 * the values stored must respect the flags' bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "flags.h"

static bool good_key(const char *k)
{
    if (!*k)
        return false;
    for (; *k; k++)
        if (!((*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') || *k == '-' || *k == '_'))
            return false;
    return true;
}

static int count_lines(const uint8_t *data, size_t size)
{
    int n = 1;
    for (size_t i = 0; i < size; i++)
        n += data[i] == '\n';
    return n;
}

/* "fuzz.conf:N: ..." with 1 <= N <= lines. */
static bool names_line(const char *msg, int lines)
{
    if (strncmp(msg, "fuzz.conf:", 10) != 0)
        return false;
    char *end;
    long n = strtol(msg + 10, &end, 10);
    return end != msg + 10 && *end == ':' && n >= 1 && n <= lines;
}

static int add_tag(const char *v, void *dest, ob_err *err)
{
    int *n = dest;
    if (strchr(v, '!'))
        return ob_err_set(err, "no '!'");
    (*n)++;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    int lines = count_lines(data, size);
    ob_config_file cf;
    ob_err err = {0};
    int rc = ob_config_parse("fuzz.conf", (const char *)data, size, &cf, &err);
    if (rc != 0) {
        if (err.kind != OB_ERR_USAGE || strchr(err.msg, '\n') || !names_line(err.msg, lines) || cf.n != 0)
            abort();
        return 0;
    }
    int last = 0;
    for (size_t i = 0; i < cf.n; i++) {
        const ob_config_entry *e = &cf.entries[i];
        if (!good_key(e->key) || (e->section && !good_key(e->section)) || strchr(e->value, '\n') ||
            e->line <= last || e->line > lines)
            abort();
        last = e->line;
    }
    ob_config_file_free(&cf);

    long users = 1;
    double rate = 0;
    bool once = false;
    const char *url = NULL;
    int tags = 0;
    int64_t timeout = 0;
    const ob_flag flags[] = {
        {.name = "users", .short_name = 'u', .type = OB_FLAG_LONG, .dest = &users, .min = 1, .max = 1000},
        {.name = "rate", .type = OB_FLAG_NUMBER, .dest = &rate, .max = 1e6},
        {.name = "once", .type = OB_FLAG_BOOL, .dest = &once},
        {.name = "url", .type = OB_FLAG_STRING, .dest = &url},
        {.name = "tag", .type = OB_FLAG_CUSTOM, .dest = &tags, .parse = add_tag, .repeatable = true},
        {.name = "run-time", .short_name = 't', .type = OB_FLAG_DURATION, .dest = &timeout, .min = 1e-9},
    };
    long workers = 1;
    const ob_flag others[] = {{.name = "workers", .type = OB_FLAG_LONG, .dest = &workers, .min = 1, .max = 8}};
    char *rest[16];
    int nrest = 0;
    ob_flag_sources src = {.text = (const char *)data, .text_len = size, .text_name = "fuzz.conf"};
    ob_flag_set set = {.command = "fuzz", .flags = flags, .nflags = sizeof flags / sizeof flags[0],
                       .rest = rest, .max_rest = 16, .nrest = &nrest, .rest_flags = others, .nrest_flags = 1,
                       .sources = &src};
    char *argv[] = {"fuzz", NULL};
    rc = ob_flags_parse(&set, 1, argv, &err);
    if (rc < 0 && (err.kind != OB_ERR_USAGE || strchr(err.msg, '\n') || !names_line(err.msg, lines)))
        abort();
    if (rc == 0 && (users < 1 || users > 1000 || rate < 0 || rate > 1e6 || timeout < 0 || workers < 1 ||
                    workers > 8 || nrest > 16))
        abort();
    for (int i = 0; rc == 0 && i < nrest; i++)
        if (strncmp(rest[i], "--workers=", 10) != 0)
            abort();
    ob_flag_sources_free(&src);
    return 0;
}
