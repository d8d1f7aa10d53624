/* flags.c — reading a command line against a table of flags, and its --help (see
 * flags.h). */
#include "flags.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

#define HELP_COLUMN 25

static int usage_err(const ob_flag_set *set, ob_err *err, const char *fmt, const char *a, const char *b)
{
    char what[400];
    snprintf(what, sizeof what, fmt, a, b);
    return ob_err_setk(err, OB_ERR_USAGE, "%s (see outbreak %s --help)", what, set->command);
}

/* "--users" or "-u" as the user wrote it, for messages. */
static void flag_label(const ob_flag *f, char *buf, size_t cap)
{
    if (f->name)
        snprintf(buf, cap, "--%s", f->name);
    else
        snprintf(buf, cap, "-%c", f->short_name);
}

static int bad_value(const ob_flag *f, ob_err *err, const char *expected, const char *value)
{
    char label[80];
    flag_label(f, label, sizeof label);
    return ob_err_setk(err, OB_ERR_USAGE, "%s: expected %s, not \"%s\"", label, expected, value);
}

static int whole_number(const ob_flag *f, const char *value, long *out, ob_err *err)
{
    double v;
    ob_err ignored;
    if (ob_parse_count(value, &v, &ignored) != 0 || v != floor(v) || v < f->min || v > f->max) {
        char expected[120];
        snprintf(expected, sizeof expected, "a whole number from %.0f to %.0f", f->min, f->max);
        return bad_value(f, err, expected, value);
    }
    *out = (long)v;
    return 0;
}

/* Stores one flag's value. */
static int store(const ob_flag *f, const char *value, ob_err *err)
{
    char label[80];
    flag_label(f, label, sizeof label);
    switch (f->type) {
    case OB_FLAG_BOOL:
        *(bool *)f->dest = true;
        break;
    case OB_FLAG_STRING:
        *(const char **)f->dest = value;
        break;
    case OB_FLAG_LONG:
        if (whole_number(f, value, (long *)f->dest, err) != 0)
            return -1;
        break;
    case OB_FLAG_INT: {
        long v;
        if (whole_number(f, value, &v, err) != 0)
            return -1;
        *(int *)f->dest = (int)v;
        break;
    }
    case OB_FLAG_UINT64: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(value, &end, 10);
        if (!*value || *end || errno || value[0] == '-' || value[0] == '+' || value[0] == ' ')
            return bad_value(f, err, "a non-negative integer", value);
        *(uint64_t *)f->dest = v;
        break;
    }
    case OB_FLAG_NUMBER: {
        double v;
        ob_err ignored;
        if (ob_parse_count(value, &v, &ignored) != 0 || v <= f->min || (f->max > 0 && v > f->max))
            return bad_value(f, err, "a positive number", value);
        *(double *)f->dest = v;
        break;
    }
    case OB_FLAG_DURATION: {
        int64_t ns;
        ob_err ignored;
        if (ob_parse_duration(value, &ns, &ignored) != 0 || (double)ns < f->min * 1e9 ||
            (f->min > 0 && ns <= 0))
            return bad_value(f, err, "a duration like 30s or 5m", value);
        *(int64_t *)f->dest = ns;
        break;
    }
    case OB_FLAG_CUSTOM:
        if (f->parse(value, f->dest, err) != 0) {
            ob_err_prefix(err, "%s", label);
            return ob_err_kind_set(err, OB_ERR_USAGE);
        }
        break;
    }
    if (f->given)
        *f->given = true;
    return 0;
}

static const ob_flag *find_long(const ob_flag_set *set, const char *name, size_t len)
{
    for (size_t i = 0; i < set->nflags; i++)
        if (set->flags[i].name && strlen(set->flags[i].name) == len &&
            strncmp(set->flags[i].name, name, len) == 0)
            return &set->flags[i];
    return NULL;
}

static const ob_flag *find_short(const ob_flag_set *set, char c)
{
    for (size_t i = 0; i < set->nflags; i++)
        if (set->flags[i].short_name == c)
            return &set->flags[i];
    return NULL;
}

/* Hands argv[*i] (an unknown flag or an extra argument) to set->rest, or fails. */
static int to_rest(const ob_flag_set *set, char *arg, bool is_flag, ob_err *err)
{
    if (!set->rest)
        return is_flag ? usage_err(set, err, "unknown flag %s%s", arg, "")
                       : usage_err(set, err, "unexpected argument \"%s\"%s", arg, "");
    if (*set->nrest >= set->max_rest)
        return usage_err(set, err, "too many arguments%s%s", "", "");
    set->rest[(*set->nrest)++] = arg;
    return 0;
}

int ob_flags_parse(const ob_flag_set *set, int argc, char **argv, ob_err *err)
{
    if (set->nargs)
        *set->nargs = 0;
    if (set->nrest)
        *set->nrest = 0;
    bool flags_done = false;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (flags_done || arg[0] != '-' || arg[1] == '\0') {
            if (set->args && *set->nargs < set->max_args) {
                set->args[(*set->nargs)++] = arg;
                continue;
            }
            if (to_rest(set, arg, false, err) != 0)
                return -1;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            flags_done = true;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            ob_flags_help(set, stdout);
            return 1;
        }
        const ob_flag *f;
        const char *value = NULL;
        if (arg[1] == '-') {
            const char *name = arg + 2, *eq = strchr(name, '=');
            f = find_long(set, name, eq ? (size_t)(eq - name) : strlen(name));
            if (eq)
                value = eq + 1;
        } else {
            f = find_short(set, arg[1]);
            if (arg[2])
                value = arg + 2;
        }
        if (!f) {
            if (to_rest(set, arg, true, err) != 0)
                return -1;
            continue;
        }
        char label[80];
        flag_label(f, label, sizeof label);
        if (f->type == OB_FLAG_BOOL) {
            if (value)
                return usage_err(set, err, "%s takes no value%s", label, "");
        } else if (!value) {
            if (i + 1 >= argc)
                return usage_err(set, err, "%s needs a value%s", arg, "");
            value = argv[++i];
        }
        if (store(f, value, err) != 0)
            return -1;
    }
    return 0;
}

int ob_flags_parse_main(const ob_flag_set *set, int argc, char **argv)
{
    ob_err err;
    int rc = ob_flags_parse(set, argc, argv, &err);
    if (rc < 0)
        fprintf(stderr, "outbreak %s: %s\n", set->command, err.msg);
    return rc == 0 ? -1 : rc > 0 ? 0 : 2;
}

/* Writes the text, its lines after the first indented to the help column. */
static void put_help_text(FILE *f, const char *text)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        fprintf(f, "%.*s\n", (int)n, p);
        if (!nl)
            return;
        p = nl + 1;
        if (*p)
            fprintf(f, "%*s", HELP_COLUMN, "");
    }
}

void ob_flags_help(const ob_flag_set *set, FILE *f)
{
    if (set->synopsis)
        fputs(set->synopsis, f);
    for (size_t i = 0; i < set->nflags; i++) {
        const ob_flag *fl = &set->flags[i];
        if (fl->heading)
            fprintf(f, "%s\n", fl->heading);
        if (!fl->name && !fl->short_name)
            continue;
        char left[128], shortform[8] = "    ";
        if (fl->short_name)
            snprintf(shortform, sizeof shortform, "-%c%s", fl->short_name, fl->name ? ", " : "");
        int n = snprintf(left, sizeof left, "  %s%s%s%s%s", shortform, fl->name ? "--" : "",
                         fl->name ? fl->name : "", fl->value_name ? " " : "",
                         fl->value_name ? fl->value_name : "");
        if (n < HELP_COLUMN - 1)
            fprintf(f, "%-*s", HELP_COLUMN, left);
        else
            fprintf(f, "%s  ", left);
        put_help_text(f, fl->help ? fl->help : "");
    }
    fprintf(f, "  -h, --help             this text\n");
    if (set->epilogue)
        fputs(set->epilogue, f);
}
