/* flags.c — reading a command line against a table of flags, merged with the
 * configuration files and the environment, and its --help (see flags.h). */
#include "flags.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "file.h"
#include "units.h"
#include "url.h"

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

/* Stores one flag's value; a BOOL's value is NULL on the command line (true), else a
 * word of a file or a variable (true/false/yes/no/1/0). */
static int store(const ob_flag *f, const char *value, ob_err *err)
{
    char label[80];
    flag_label(f, label, sizeof label);
    switch (f->type) {
    case OB_FLAG_BOOL: {
        bool b = true;
        if (value && ob_config_bool(value, &b) != 0)
            return bad_value(f, err, "true or false (yes/no, 1/0)", value);
        *(bool *)f->dest = b;
        break;
    }
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

static const ob_flag *find_short(const ob_flag_set *set, char c)
{
    for (size_t i = 0; i < set->nflags; i++)
        if (set->flags[i].short_name == c)
            return &set->flags[i];
    return NULL;
}

static const ob_flag *find_in(const ob_flag *flags, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (flags[i].name && strlen(flags[i].name) == len && strncmp(flags[i].name, name, len) == 0)
            return &flags[i];
    return NULL;
}

/* ---- the command line ---------------------------------------------------------------- */

/* What the command line says besides its flags' values. */
typedef struct cli {
    const ob_flag **flag; /* per argv position: the flag read there, its value in value[] */
    const char **value;
    int n;                /* positions used */
    const char *config;   /* --config FILE */
    bool no_config, print_config, help;
} cli;

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

/* Reads argv: the flags of the table into c (not stored yet: the sources come first),
 * arguments into set->args and set->rest, the built-in flags. `probe`: only look
 * (nothing filled, no error, no help printed). Returns 0, 1 after --help, -1. */
static int read_cli(const ob_flag_set *set, int argc, char **argv, cli *c, bool probe, ob_err *err)
{
    bool flags_done = false;
    for (int i = 1; i < argc; i++) {
        char *arg = argv[i];
        if (flags_done || arg[0] != '-' || arg[1] == '\0') {
            if (probe)
                continue;
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
            c->help = true;
            if (!probe)
                ob_flags_help(set, stdout);
            return 1;
        }
        if (strcmp(arg, "--print-config") == 0 || strcmp(arg, "--no-config") == 0) {
            *(arg[2] == 'p' ? &c->print_config : &c->no_config) = true;
            continue;
        }
        if (strncmp(arg, "--config", 8) == 0 && (arg[8] == '\0' || arg[8] == '=')) {
            if (arg[8] == '=') {
                c->config = arg + 9;
            } else if (i + 1 < argc) {
                c->config = argv[++i];
            } else if (!probe) {
                return usage_err(set, err, "--config needs a value%s%s", "", "");
            }
            continue;
        }
        const ob_flag *f;
        const char *value = NULL;
        if (arg[1] == '-') {
            const char *name = arg + 2, *eq = strchr(name, '=');
            f = find_in(set->flags, set->nflags, name, eq ? (size_t)(eq - name) : strlen(name));
            if (eq)
                value = eq + 1;
        } else {
            f = find_short(set, arg[1]);
            if (arg[2])
                value = arg + 2;
        }
        if (!f) {
            if (!probe && to_rest(set, arg, true, err) != 0)
                return -1;
            continue;
        }
        char label[80];
        flag_label(f, label, sizeof label);
        if (f->type == OB_FLAG_BOOL) {
            if (value) {
                if (probe)
                    continue;
                return usage_err(set, err, "%s takes no value%s", label, "");
            }
        } else if (!value) {
            if (i + 1 >= argc) {
                if (probe)
                    continue;
                return usage_err(set, err, "%s needs a value%s", arg, "");
            }
            value = argv[++i];
        }
        c->flag[c->n] = f;
        c->value[c->n++] = value;
    }
    return 0;
}

/* ---- the files and the environment --------------------------------------------------- */

#define LEVEL_ENV 100
#define LEVEL_CLI 200

/* A value from a file or a variable. */
typedef struct source_value {
    const ob_flag *f;  /* in set->flags or set->rest_flags */
    bool rest;
    const char *value;
    int level;         /* file i: 2i, 2i+1 in its section; env; command line */
    char where[300];   /* "outbreak.conf:4", "OUTBREAK_RATE" */
} source_value;

typedef struct sources_read {
    ob_config_file files[4];
    const char *env_kept[OB_FLAGS_PROBE_MAX]; /* split copies of repeatable variables */
    source_value *v;
    size_t n, cap;
} sources_read;

static const char *env_get(const ob_flag_sources *src, const char *name)
{
    if (!src)
        return getenv(name);
    size_t n = strlen(name);
    for (const char *const *e = src->env; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

/* "OUTBREAK_RUN_TIME" for "run-time". */
static void env_name(const char *flag, char *buf, size_t cap)
{
    size_t n = (size_t)snprintf(buf, cap, "OUTBREAK_");
    for (; *flag && n + 1 < cap; flag++)
        buf[n++] = *flag == '-' ? '_' : (*flag >= 'a' && *flag <= 'z') ? (char)(*flag - 32) : *flag;
    buf[n] = '\0';
}

static int add_value(sources_read *r, const ob_flag *f, bool rest, const char *value, int level, const char *where)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        source_value *v = realloc(r->v, cap * sizeof *v);
        if (!v)
            return -1;
        r->v = v;
        r->cap = cap;
    }
    source_value *s = &r->v[r->n++];
    s->f = f;
    s->rest = rest;
    s->value = value;
    s->level = level;
    snprintf(s->where, sizeof s->where, "%s", where);
    return 0;
}

static void sources_read_free(sources_read *r, bool keep_values)
{
    for (size_t i = 0; i < sizeof r->files / sizeof r->files[0]; i++) {
        if (!keep_values)
            free(r->files[i].text);
        r->files[i].text = NULL;
        ob_config_file_free(&r->files[i]);
    }
    if (!keep_values)
        for (size_t i = 0; i < OB_FLAGS_PROBE_MAX; i++)
            free((char *)r->env_kept[i]);
    free(r->v);
}

/* Keeps p for the life of the values: in the sources, or (the process's own) to the end. */
static int keep(ob_flag_set const *set, void *p)
{
    ob_flag_sources *s = set->sources;
    if (!s || !p)
        return 0;
    if (s->nkept == s->capkept) {
        size_t cap = s->capkept ? 2 * s->capkept : 8;
        void **k = realloc(s->kept, cap * sizeof *k);
        if (!k)
            return -1;
        s->kept = k;
        s->capkept = cap;
    }
    s->kept[s->nkept++] = p;
    return 0;
}

void ob_flag_sources_free(ob_flag_sources *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nkept; i++)
        free(s->kept[i]);
    free(s->kept);
    s->kept = NULL;
    s->nkept = s->capkept = 0;
}

/* Reads the files of `src` (NULL: the process's own) into files[0..4): home, local, in
 * memory, --config (or OUTBREAK_CONFIG). */
static int read_files(const ob_flag_sources *src, const char *config, ob_config_file files[4], ob_err *err)
{
    char home[4096];
    const char *home_file = NULL, *local_file = NULL;
    if (src) {
        home_file = src->home_file;
        local_file = src->local_file;
    } else {
        const char *h = getenv("HOME");
        if (h && *h && (size_t)snprintf(home, sizeof home, "%s/.outbreak.conf", h) < sizeof home)
            home_file = home;
        local_file = "outbreak.conf";
    }
    if (home_file && ob_config_read(home_file, home_file, true, &files[0], err) < 0)
        return -1;
    if (local_file && ob_config_read(local_file, local_file, true, &files[1], err) < 0)
        return -1;
    if (src && src->text && ob_config_parse(src->text_name ? src->text_name : "(text)", src->text, src->text_len,
                                            &files[2], err) != 0)
        return -1;
    bool from_env = false;
    if (!config) {
        config = env_get(src, "OUTBREAK_CONFIG");
        from_env = config != NULL;
        if (config && !*config)
            config = NULL;
    }
    int rc = config ? ob_config_read(config, config, false, &files[3], err) : 0;
    if (rc == -1) /* cannot be read: say where the name came from */
        return from_env ? ob_err_prefix(err, "OUTBREAK_CONFIG") : ob_err_prefix(err, "--config");
    return rc == 0 ? 0 : -1;
}

/* Collects the values of the files and the environment that are for this command. */
static int read_sources(const ob_flag_set *set, const char *config, sources_read *r, ob_err *err)
{
    if (read_files(set->sources, config, r->files, err) != 0)
        return -1;
    for (int fi = 0; fi < 4; fi++) {
        const ob_config_file *cf = &r->files[fi];
        for (size_t i = 0; i < cf->n; i++) {
            const ob_config_entry *e = &cf->entries[i];
            if (e->section && strcmp(e->section, set->command) != 0)
                continue; /* another command's */
            size_t len = strlen(e->key);
            const ob_flag *f = find_in(set->flags, set->nflags, e->key, len);
            bool rest = false;
            if (!f && set->rest && (f = find_in(set->rest_flags, set->nrest_flags, e->key, len)))
                rest = true;
            if (!f) {
                if (!e->section)
                    continue; /* another command's (ob_flags_check_config) */
                return ob_err_setk(err, OB_ERR_USAGE, "%s:%d: unknown key \"%s\" in [%s] (see outbreak %s --help)",
                                   cf->name, e->line, e->key, set->command, set->command);
            }
            char where[300];
            snprintf(where, sizeof where, "%s:%d", cf->name, e->line);
            if (add_value(r, f, rest, e->value, 2 * fi + (e->section ? 1 : 0), where) != 0)
                return ob_err_set(err, "out of memory");
        }
    }
    for (size_t k = 0; k < set->nflags + (set->rest ? set->nrest_flags : 0); k++) {
        bool rest = k >= set->nflags;
        const ob_flag *f = rest ? &set->rest_flags[k - set->nflags] : &set->flags[k];
        if (!f->name || (rest && find_in(set->flags, set->nflags, f->name, strlen(f->name))))
            continue; /* a rest flag that the command has too is the command's */
        char name[100];
        env_name(f->name, name, sizeof name);
        const char *v = env_get(set->sources, name);
        if (!v || !*v)
            continue; /* an empty variable is no value */
        if (!f->repeatable || k >= OB_FLAGS_PROBE_MAX) {
            if (add_value(r, f, rest, v, LEVEL_ENV, name) != 0)
                return ob_err_set(err, "out of memory");
            continue;
        }
        /* several values, separated by blanks */
        char *copy = strdup(v);
        if (!copy)
            return ob_err_set(err, "out of memory");
        r->env_kept[k] = copy;
        for (char *save = NULL, *w = strtok_r(copy, " \t\n", &save); w; w = strtok_r(NULL, " \t\n", &save))
            if (add_value(r, f, rest, w, LEVEL_ENV, name) != 0)
                return ob_err_set(err, "out of memory");
    }
    return 0;
}

/* ---- --print-config ------------------------------------------------------------------- */

/* A value as it may be shown: URLs without their password, USER:PASS without PASS. */
static const char *shown(const ob_flag *f, const char *v, char *buf, size_t cap)
{
    if (!v)
        return "";
    if (f->value_name && strstr(f->value_name, "PASS")) {
        const char *colon = strchr(v, ':');
        snprintf(buf, cap, "%.*s:***", colon ? (int)(colon - v) : 0, v);
        return colon ? buf : "***";
    }
    if (!strstr(v, "://"))
        return v;
    return ob_url_redacted(v, buf, cap);
}

/* A flag's value as its dest holds it (its default, before any store), or NULL. */
static char *dest_text(const ob_flag *f)
{
    char buf[64];
    switch (f->type) {
    case OB_FLAG_BOOL:
        return strdup(*(bool *)f->dest ? "true" : "false");
    case OB_FLAG_STRING: {
        const char *s = *(const char **)f->dest;
        return s ? strdup(s) : NULL;
    }
    case OB_FLAG_LONG:
        snprintf(buf, sizeof buf, "%ld", *(long *)f->dest);
        break;
    case OB_FLAG_INT:
        snprintf(buf, sizeof buf, "%d", *(int *)f->dest);
        break;
    case OB_FLAG_UINT64:
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)*(uint64_t *)f->dest);
        break;
    case OB_FLAG_NUMBER:
        snprintf(buf, sizeof buf, "%g", *(double *)f->dest);
        break;
    case OB_FLAG_DURATION: {
        int64_t ns = *(int64_t *)f->dest;
        if (ns == 0)
            return strdup("0");
        if (ns % 1000000000 == 0)
            snprintf(buf, sizeof buf, "%llds", (long long)(ns / 1000000000));
        else
            snprintf(buf, sizeof buf, "%gs", (double)ns / 1e9);
        break;
    }
    case OB_FLAG_CUSTOM:
        return NULL;
    }
    return strdup(buf);
}

static void print_line(const ob_flag *f, const char *value, const char *where)
{
    char buf[600], line[800];
    snprintf(line, sizeof line, "%s = %s", f->name, shown(f, value, buf, sizeof buf));
    printf("%-44s # %s\n", line, where);
}

/* The flag that decides the value of flags[k]'s dest: of the flags that share it (an
 * alias, as -H/--host for --broker), the one given by the strongest source, the first
 * in the set when none is given; k itself when no other flag shares its dest, or when
 * another gives it from a source of the same level. */
static size_t dest_owner(const ob_flag_set *set, const int *best, size_t k)
{
    size_t owner = k;
    const ob_flag *f = &set->flags[k];
    if (!f->dest || f->type == OB_FLAG_CUSTOM) /* a custom flag's dest may be a whole struct */
        return k;
    for (size_t j = 0; j < set->nflags; j++) {
        if (j == k || set->flags[j].dest != f->dest || set->flags[j].type != f->type)
            continue;
        if (best[j] > best[owner] || (best[j] == best[owner] && best[j] < 0 && j < owner))
            owner = j;
    }
    return owner; /* both given by sources of one level: k (the later one given wins) */
}

static void print_config(const ob_flag_set *set, char **defaults, const int *best, const sources_read *r,
                         const cli *c, int nrest_cli)
{
    printf("# outbreak %s: every flag's value and where it comes from (docs/config.md)\n"
           "# ~/.outbreak.conf < ./outbreak.conf < --config FILE < OUTBREAK_<FLAG> < command line\n",
           set->command);
    size_t total = set->nflags + (set->rest ? set->nrest_flags : 0);
    for (size_t k = 0; k < total; k++) {
        bool rest = k >= set->nflags;
        const ob_flag *f = rest ? &set->rest_flags[k - set->nflags] : &set->flags[k];
        if (!f->name)
            continue;
        size_t owner = rest ? k : dest_owner(set, best, k);
        if (owner != k && best[k] < 0)
            continue; /* an alias not given: its value is the other flag's line */
        char unused[80] = "";
        if (owner != k)
            snprintf(unused, sizeof unused, "; not used: --%s's is stronger", set->flags[owner].name);
        if (best[k] == LEVEL_CLI) {
            for (int i = 0; i < c->n; i++)
                if (c->flag[i] == f) {
                    char where[120];
                    snprintf(where, sizeof where, "command line%s", unused);
                    print_line(f, f->type == OB_FLAG_BOOL ? "true" : c->value[i], where);
                }
        } else if (best[k] >= 0) {
            for (size_t i = 0; i < r->n; i++)
                if (r->v[i].f == f && r->v[i].level == best[k]) {
                    char where[400];
                    snprintf(where, sizeof where, "%s%s%s%s", best[k] == LEVEL_ENV ? "env " : "", r->v[i].where,
                             rest ? " (handed on)" : "", unused);
                    print_line(f, r->v[i].value, where);
                }
        } else if (!rest) {
            print_line(f, defaults[k], "default");
        }
    }
    if (nrest_cli > 0)
        printf("# handed on from the command line:");
    for (int i = 0; i < nrest_cli; i++) {
        char buf[600];
        printf(" %s", strstr(set->rest[i], "://") ? ob_url_redacted(set->rest[i], buf, sizeof buf) : set->rest[i]);
    }
    if (nrest_cli > 0)
        printf("\n");
    fflush(stdout);
}

/* ---- the parse ------------------------------------------------------------------------ */

/* Fills the probe (see flags.h) from the set and the command line that follows. */
static int probe_fill(const ob_flag_set *set, int argc, char **argv)
{
    ob_flag_probe *p = (ob_flag_probe *)argv[2];
    memset(p, 0, sizeof *p);
    p->command = set->command;
    size_t total = set->nflags + (set->rest ? set->nrest_flags : 0);
    for (size_t k = 0; k < total && p->nflags < OB_FLAGS_PROBE_MAX; k++) {
        const ob_flag *f = k < set->nflags ? &set->flags[k] : &set->rest_flags[k - set->nflags];
        if (!f->name && !f->short_name)
            continue;
        p->flags[p->nflags].name = f->name;
        p->flags[p->nflags].short_name = f->short_name;
        p->flags[p->nflags++].takes_value = f->type != OB_FLAG_BOOL;
    }
    const ob_flag *flag[argc];
    const char *value[argc];
    cli c = {.flag = flag, .value = value};
    ob_err ignored;
    read_cli(set, argc - 2, argv + 2, &c, true, &ignored);
    p->config = c.config;
    p->no_config = c.no_config;
    p->help = c.help;
    return 1;
}

/* Where rest[i] (a flag handed on, from the command line) is one of set->rest_flags. */
static const ob_flag *rest_flag_of(const ob_flag_set *set, const char *arg)
{
    if (arg[0] != '-' || !arg[1])
        return NULL;
    if (arg[1] == '-') {
        const char *name = arg + 2, *eq = strchr(name, '=');
        return find_in(set->rest_flags, set->nrest_flags, name, eq ? (size_t)(eq - name) : strlen(name));
    }
    for (size_t i = 0; i < set->nrest_flags; i++)
        if (set->rest_flags[i].short_name == arg[1])
            return &set->rest_flags[i];
    return NULL;
}

int ob_flags_parse(const ob_flag_set *set, int argc, char **argv, ob_err *err)
{
    if (argc >= 3 && argv[1] == ob_flags_probe_arg)
        return probe_fill(set, argc, argv);
    if (set->nargs)
        *set->nargs = 0;
    if (set->nrest)
        *set->nrest = 0;
    const ob_flag *flag[argc > 0 ? argc : 1];
    const char *value[argc > 0 ? argc : 1];
    cli c = {.flag = flag, .value = value};
    int rc = read_cli(set, argc, argv, &c, false, err);
    if (rc != 0)
        return rc;
    int nrest_cli = set->nrest ? *set->nrest : 0;
    size_t total = set->nflags + (set->rest ? set->nrest_flags : 0);
    sources_read r;
    memset(&r, 0, sizeof r);
    int best[total > 0 ? total : 1];
    char *defaults[total > 0 ? total : 1];
    for (size_t k = 0; k < total; k++) {
        best[k] = -1;
        defaults[k] = c.print_config && k < set->nflags && set->flags[k].dest ? dest_text(&set->flags[k]) : NULL;
    }
    rc = -1;
    if (!c.no_config && read_sources(set, c.config, &r, err) != 0)
        goto out;
    /* per key, the strongest source that gives it */
    for (int i = 0; i < c.n; i++)
        best[c.flag[i] - set->flags] = LEVEL_CLI;
    for (int i = 0; i < nrest_cli; i++) {
        const ob_flag *f = set->rest_flags ? rest_flag_of(set, set->rest[i]) : NULL;
        if (f)
            best[set->nflags + (size_t)(f - set->rest_flags)] = LEVEL_CLI;
    }
    for (size_t i = 0; i < r.n; i++) {
        size_t k = r.v[i].rest ? set->nflags + (size_t)(r.v[i].f - set->rest_flags) : (size_t)(r.v[i].f - set->flags);
        if (r.v[i].level > best[k])
            best[k] = r.v[i].level;
    }
    for (size_t i = 0; i < r.n; i++) {
        const source_value *v = &r.v[i];
        size_t k = v->rest ? set->nflags + (size_t)(v->f - set->rest_flags) : (size_t)(v->f - set->flags);
        if (v->level != best[k])
            continue;
        if (store(v->f, v->value, err) != 0) {
            ob_err_prefix(err, "%s", v->where);
            goto out;
        }
        if (!v->rest)
            continue;
        bool on = v->f->type == OB_FLAG_BOOL && *(bool *)v->f->dest;
        if (v->f->type == OB_FLAG_BOOL && !on)
            continue; /* false: not handed on */
        if (*set->nrest >= set->max_rest) {
            ob_err_setk(err, OB_ERR_USAGE, "%s: too many flags to hand on", v->where);
            goto out;
        }
        size_t len = strlen(v->f->name) + strlen(v->value) + 4;
        char *arg = malloc(len);
        if (!arg || keep(set, arg) != 0) {
            free(arg);
            ob_err_set(err, "out of memory");
            goto out;
        }
        if (on)
            snprintf(arg, len, "--%s", v->f->name);
        else
            snprintf(arg, len, "--%s=%s", v->f->name, v->value);
        set->rest[(*set->nrest)++] = arg;
    }
    for (int i = 0; i < c.n; i++)
        if (store(c.flag[i], c.flag[i]->type == OB_FLAG_BOOL ? NULL : c.value[i], err) != 0)
            goto out;
    rc = 0;
    if (c.print_config) {
        print_config(set, defaults, best, &r, &c, nrest_cli);
        rc = 1;
    }
out:
    for (size_t k = 0; k < total; k++)
        free(defaults[k]);
    /* on success the values stored point into the files' text and the split variables */
    bool kept = rc == 0;
    if (kept && set->sources) {
        for (int fi = 0; fi < 4; fi++)
            keep(set, r.files[fi].text); /* out of memory: left to the end of the process */
        for (size_t i = 0; i < OB_FLAGS_PROBE_MAX; i++)
            keep(set, (void *)r.env_kept[i]);
    }
    sources_read_free(&r, kept);
    return rc;
}

const char ob_flags_probe_arg[] = "(the flags probe of cmd/main.c)";

/* Whether probe p has a flag `key`. */
static bool probe_has(const ob_flag_probe *p, const char *key)
{
    for (size_t i = 0; i < p->nflags; i++)
        if (p->flags[i].name && strcmp(p->flags[i].name, key) == 0)
            return true;
    return false;
}

extern char **environ;

/* The edit distance of a and b (insertions, deletions, substitutions), or 99 for names
 * longer than a flag's. */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int row[64];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* An OUTBREAK_X variable (not empty) whose X is no command's flag but one letter away
 * from a flag's name: a typo that would be ignored, as variables that are not flags are
 * (the scripts' OUTBREAK_TOOLS_DIR), leaving the flag at its default. */
static int check_env_var(const ob_flag_probe *probes, size_t n, const char *entry, ob_err *err)
{
    static const char prefix[] = "OUTBREAK_";
    const char *eq = strchr(entry, '=');
    if (strncmp(entry, prefix, sizeof prefix - 1) != 0 || !eq || !eq[1])
        return 0;
    char key[64];
    size_t len = (size_t)(eq - entry) - (sizeof prefix - 1);
    if (len == 0 || len >= sizeof key)
        return 0;
    for (size_t i = 0; i < len; i++) {
        char c = entry[sizeof prefix - 1 + i];
        key[i] = c == '_' ? '-' : (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
    }
    key[len] = '\0';
    if (strcmp(key, "config") == 0)
        return 0;
    const char *nearest = NULL;
    int best = 99;
    for (size_t k = 0; k < n; k++) {
        if (probe_has(&probes[k], key))
            return 0;
        for (size_t i = 0; i < probes[k].nflags; i++) {
            const char *name = probes[k].flags[i].name;
            int d = name ? edit_distance(key, name) : 99;
            if (d < best) {
                best = d;
                nearest = name;
            }
        }
    }
    if (!nearest || best > 1)
        return 0;
    char want[100];
    env_name(nearest, want, sizeof want);
    return ob_err_setk(err, OB_ERR_USAGE, "%.*s: no outbreak command has --%s (did you mean %s?)",
                       (int)(eq - entry), entry, key, want);
}

int ob_flags_check_config(const ob_flag_probe *probes, size_t n, const ob_flag_probe *running,
                          ob_flag_sources *sources, ob_err *err)
{
    if (running->help || running->no_config)
        return 0;
    ob_config_file files[4];
    memset(files, 0, sizeof files);
    int rc = read_files(sources, running->config, files, err);
    for (int fi = 0; fi < 4 && rc == 0; fi++) {
        const ob_config_file *cf = &files[fi];
        for (size_t i = 0; i < cf->n && rc == 0; i++) {
            const ob_config_entry *e = &cf->entries[i];
            const ob_flag_probe *p = NULL;
            for (size_t k = 0; k < n && !p; k++)
                if (e->section && strcmp(probes[k].command, e->section) == 0)
                    p = &probes[k];
            if (e->section && !p) {
                char names[300] = "";
                size_t used = 0;
                for (size_t k = 0; k < n && used < sizeof names; k++)
                    used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", k ? ", " : "",
                                             probes[k].command);
                rc = ob_err_setk(err, OB_ERR_USAGE, "%s:%d: unknown section [%s] (the commands: %s)", cf->name,
                                 e->line, e->section, names);
            } else if (p && !probe_has(p, e->key)) {
                rc = ob_err_setk(err, OB_ERR_USAGE, "%s:%d: unknown key \"%s\" in [%s] (see outbreak %s --help)",
                                 cf->name, e->line, e->key, e->section, e->section);
            } else if (!p) {
                bool known = false;
                for (size_t k = 0; k < n && !known; k++)
                    known = probe_has(&probes[k], e->key);
                if (!known)
                    rc = ob_err_setk(err, OB_ERR_USAGE, "%s:%d: unknown key \"%s\": no outbreak command has --%s",
                                     cf->name, e->line, e->key, e->key);
            }
        }
    }
    for (int fi = 0; fi < 4; fi++)
        ob_config_file_free(&files[fi]);
    const char *const *env = sources ? sources->env : (const char *const *)environ;
    for (; rc == 0 && env && *env; env++)
        rc = check_env_var(probes, n, *env, err);
    return rc;
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
    fprintf(f, "      --config FILE      read flags from FILE too, after ./outbreak.conf and\n"
               "%*s~/.outbreak.conf; OUTBREAK_<FLAG> variables win over\n"
               "%*sthem, the command line over all (docs/config.md)\n"
               "      --no-config        only the command line: no file, no variable\n"
               "      --print-config     print every flag's value and where it came from, then\n"
               "%*sexit\n"
               "  -h, --help             this text\n", HELP_COLUMN, "", HELP_COLUMN, "", HELP_COLUMN, "");
    if (set->epilogue)
        fputs(set->epilogue, f);
}

int ob_flag_login(const char *v, void *dest, ob_err *err)
{
    const char *colon = strchr(v, ':');
    if (!colon || colon == v || !colon[1])
        return ob_err_set(err, "expected USER:PASS, both not empty");
    *(const char **)dest = v;
    return 0;
}

int ob_flag_output_file(const char *v, void *dest, ob_err *err)
{
    if (ob_file_check_writable(v, false, err) != 0)
        return -1;
    *(const char **)dest = v;
    return 0;
}

int ob_flag_output_prefix(const char *v, void *dest, ob_err *err)
{
    if (ob_file_check_writable(v, true, err) != 0)
        return -1;
    *(const char **)dest = v;
    return 0;
}
