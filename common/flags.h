/* flags.h — the one way every outbreak command reads its command line, and prints its
 * --help: a table of flags, each with its type, where its value goes, its bounds and
 * its line of help.
 *
 * Accepted forms: --name VALUE, --name=VALUE, -x VALUE, -xVALUE, -h/--help; "--" ends
 * the flags. Values are checked as they are read (units from units.h: 10k, 30s, 0.1-0.9),
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
} ob_flag;

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
} ob_flag_set;

/* Parses argv[1..argc). Returns 0; 1 when -h/--help was given (the help is then printed
 * on stdout); -1 on a usage error (err filled, kind OB_ERR_USAGE, one line). Flags not
 * given leave their dest untouched: set the defaults before. */
int ob_flags_parse(const ob_flag_set *set, int argc, char **argv, ob_err *err);

/* ob_flags_parse for a command's main(): a usage error is printed on stderr as
 * "outbreak COMMAND: message". Returns -1 when the command goes on, otherwise the exit
 * status to return at once: 0 after --help, 2 after a usage error. */
int ob_flags_parse_main(const ob_flag_set *set, int argc, char **argv);

/* Prints the synopsis, every flag with its help aligned, and the epilogue. */
void ob_flags_help(const ob_flag_set *set, FILE *f);

#endif
