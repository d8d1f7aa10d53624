/* flags.h — the one way every outbreak command reads its command line, and prints its
 * --help: a table of flags, each with its type, where its value goes, its bounds and
 * its line of help.
 *
 * Accepted forms: --name VALUE, --name=VALUE, -x VALUE, -xVALUE, -h/--help; "--" ends
 * the flags. Every flag can also come from a configuration file or the environment
 * (docs/config.md, Locust's habits), merged here so that every command has them:
 *   ~/.outbreak.conf < ./outbreak.conf < --config FILE < OUTBREAK_<FLAG> < command line
 * per key (a key given by a stronger source drops every value of the weaker ones);
 * --config FILE, --no-config and --print-config are understood by every command. Values are checked as they are read (units from units.h: 10k, 30s, 0.1-0.9),
 * and the first mistake is one line in err, kind OB_ERR_USAGE, naming the flag:
 *   unknown flag --bogus (see outbreak run --help)
 *   --users: expected a whole number from 1 to 1000000, not "many"
 *
 *   static ob_flag flags[] = {
 *       {.name = "users", .short_name = 'u', .type = OB_FLAG_LONG, .dest = &o->users,
 *        .min = 1, .max = 1000000, .value_name = "N", .help = "simulated users (default 1)"},
 *       ...
 *   };
 *   ob_flag_set set = {.command = "run", .flags = flags, .nflags = n, ...};
 *   int rc = ob_flags_parse(&set, argc, argv, &err);  // 0, 1 (help printed), -1        */
#ifndef OB_FLAGS_H
#define OB_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

typedef enum ob_flag_type {
    OB_FLAG_BOOL,     /* no value; bool *dest = true */
    OB_FLAG_STRING,   /* const char **dest = the value (argv's own string) */
    OB_FLAG_LONG,     /* long *dest, a whole number in [min, max]; 10k and 1M allowed */
    OB_FLAG_INT,      /* int *dest, the same */
    OB_FLAG_UINT64,   /* uint64_t *dest, a non-negative decimal integer */
    OB_FLAG_NUMBER,   /* double *dest, > min (exclusive) and <= max; 10k allowed */
    OB_FLAG_DURATION, /* int64_t *dest in ns: 30s, 5m, 1h30m; >= min seconds */
    OB_FLAG_CUSTOM,   /* parse(value, dest, err) decides */
} ob_flag_type;

typedef struct ob_flag {
    const char *name;    /* long form without the dashes: "users"; NULL: a heading only */
    char short_name;     /* 'u' or 0 */
    ob_flag_type type;
    void *dest;
    double min, max;     /* bounds, per type above (0, 0: no bounds for NUMBER/DURATION) */
    /* OB_FLAG_CUSTOM: stores the value; on a mistake fills err (the flag name is prefixed
     * by the parser) and returns -1. */
    int (*parse)(const char *value, void *dest, ob_err *err);
    bool *given;            /* set to true when the flag appears; may be NULL */
    const char *value_name; /* in the help: "N", "URL", "T"; NULL for BOOL */
    const char *help;       /* one or more lines ('\n' between them); defaults in it */
    const char *heading;    /* printed on a line of its own before this flag; may be NULL */
    bool repeatable;        /* each use adds a value (CUSTOM): an OUTBREAK_<FLAG> variable
                               may then hold several, separated by blanks */
} ob_flag;

/* Where ob_flags_parse finds flags besides the command line. A set without sources
 * (NULL) reads the process's own: $HOME/.outbreak.conf, ./outbreak.conf (both optional),
 * --config FILE (or OUTBREAK_CONFIG; must exist) and the environment; the memory the
 * values then point into is kept to the end of the process, as argv is. Tests and fuzz
 * targets give their own, and free it with ob_flag_sources_free. */
typedef struct ob_flag_sources {
    const char *home_file;   /* the weakest file (a path), or NULL */
    const char *local_file;  /* the next one, or NULL */
    const char *text_name;   /* a file in memory, read after local_file: its name in */
    const char *text;        /* messages and its text; NULL: none */
    size_t text_len;
    const char *const *env;  /* "NAME=VALUE" strings, NULL-terminated; NULL: none */
    void **kept;             /* what the values point into (ob_flag_sources_free) */
    size_t nkept, capkept;
} ob_flag_sources;

/* Frees what parses with these sources allocated (the values stored from them die with
 * it). NULL-safe. */
void ob_flag_sources_free(ob_flag_sources *s);

typedef struct ob_flag_set {
    const char *command;    /* "run": messages say "(see outbreak run --help)" */
    const char *synopsis;   /* printed before the flags: usage line and description */
    const char *epilogue;   /* printed after them (exit status, ...); may be NULL */
    const ob_flag *flags;
    size_t nflags;
    /* Arguments that are not flags: at most max_args of them go to args[] (which must
     * have room), *nargs counts them; more is a usage error. */
    const char **args;
    int max_args;
    int *nargs;
    /* When set, unknown flags (and their would-be values: anything up to the next
     * flag) and extra arguments are not errors but collected here in order, for a
     * command that hands them on to another (compare → run); room for max_rest. */
    char **rest;
    int max_rest;
    int *nrest;
    /* With rest: the flags of the command rest is handed to (compare: run's workload
     * flags). A key of the file or the environment that is one of them goes to rest as
     * --name=value, its value checked first by storing it into their dest (scratch),
     * so that a mistake names its FILE:LINE or variable. */
    const ob_flag *rest_flags;
    size_t nrest_flags;
    ob_flag_sources *sources; /* NULL: the process's own (above) */
} ob_flag_set;

/* An OB_FLAG_CUSTOM parse for a login, USER:PASS with both parts not empty (stores the
 * value: const char **dest). */
int ob_flag_login(const char *value, void *dest, ob_err *err);

/* OB_FLAG_CUSTOM parses for a file the command writes when it ends (--json, --html) and
 * for a prefix of such files (--csv): the value is stored (const char **dest) when the
 * file could be written (ob_file_check_writable), so that a wrong path is a usage error
 * at the start, not a lost result at the end. */
int ob_flag_output_file(const char *value, void *dest, ob_err *err);
int ob_flag_output_prefix(const char *value, void *dest, ob_err *err);

/* Parses argv[1..argc) and the sources (files, environment). Returns 0; 1 when
 * -h/--help was given (the help is then printed on stdout) or --print-config (every
 * flag's value and its source printed on stdout, passwords masked); -1 on a usage error
 * (err filled, kind OB_ERR_USAGE, one line: "FILE:LINE: ..." or "OUTBREAK_X: ..." for a
 * value that did not come from the command line). Flags given nowhere leave their dest
 * untouched: set the defaults before. In a file, a key before any section that this
 * command does not have is ignored (ob_flags_check_config says whether another has
 * it); a key of this command's [section] must be one of its flags. */
int ob_flags_parse(const ob_flag_set *set, int argc, char **argv, ob_err *err);

/* ob_flags_parse for a command's main(): a usage error is printed on stderr as
 * "outbreak COMMAND: message". Returns -1 when the command goes on, otherwise the exit
 * status to return at once: 0 after --help, 2 after a usage error. */
int ob_flags_parse_main(const ob_flag_set *set, int argc, char **argv);

/* Prints the synopsis, every flag with its help aligned, and the epilogue. */
void ob_flags_help(const ob_flag_set *set, FILE *f);

/* ---- every command's flags, for the files' keys ------------------------------------
 * A key before any section must be a flag of some command, and a [section] must be a
 * command: that needs every command's flags, which each command builds in its own main()
 * (their dest are its locals). cmd/main.c learns them the way `outbreak help` learns
 * every command's help, by calling each command's main(), here with
 *   argv = {NAME, (char *)ob_flags_probe_arg, (char *)&probe, the command line...}
 * ob_flags_parse recognises the marker by its address (no command line can hold that
 * pointer), copies the set's flag names into the probe, reads the command line that
 * follows only to find --config, --no-config and --help, stores nothing, prints
 * nothing and returns 1, so the command returns at once as after --help. */
#define OB_FLAGS_PROBE_MAX 64

typedef struct ob_flag_probe {
    const char *command;
    struct {
        const char *name; /* string literals of the tables: they outlive the call */
        char short_name;
        bool takes_value;
    } flags[OB_FLAGS_PROBE_MAX];
    size_t nflags;     /* the command's flags, then its rest_flags */
    const char *config; /* --config FILE of the command line, or NULL */
    bool no_config, help;
} ob_flag_probe;

extern const char ob_flags_probe_arg[];

/* Checks the files that `running` will read (with `sources`, NULL: the process's own)
 * against every command's flags, probes[0..n): each key before any section must be a
 * flag of some command, each [section] a command, each key in it one of that command's
 * flags; and the environment (`sources`' env, or the process's): a variable OUTBREAK_X
 * whose X is no command's flag but one letter away from a flag's name is a typo
 * ("OUTBREAK_RATEE: no outbreak command has --ratee (did you mean OUTBREAK_RATE?)");
 * other OUTBREAK_ variables that are no flag are the scripts' and are left alone.
 * Returns 0, or -1 with err (kind OB_ERR_USAGE) "FILE:LINE: ..." or
 * "OUTBREAK_X: ...". Nothing to do after --help or --no-config (which reads neither). */
int ob_flags_check_config(const ob_flag_probe *probes, size_t n, const ob_flag_probe *running,
                          ob_flag_sources *sources, ob_err *err);

#endif
