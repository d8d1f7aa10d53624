/* config.h — reading a configuration file of outbreak (Locust's format): the source
 * that common/flags.c merges with the environment and the command line (docs/config.md).
 *
 *   # comment            ; comment too
 *   rate = 2000          (before any section: for every command that has --rate)
 *   [run]                (a section: for `outbreak run` only)
 *   run-time = 30s
 *   threshold = lost==0  (a key given twice: two values, as the flag given twice)
 *
 * A key is a long flag name without its dashes; the value is the rest of the line after
 * '=', blanks around it removed (no quoting, no comment after a value: a password may
 * hold '#' or ';'). This file knows nothing of flags: which keys are good is flags.c's
 * business. */
#ifndef OB_CONFIG_H
#define OB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define OB_CONFIG_MAX_BYTES (1 << 20) /* a larger file is refused */

typedef struct ob_config_entry {
    const char *section; /* "run" for a key under [run]; NULL before any section */
    const char *key;     /* "run-time" */
    const char *value;   /* "30s"; may be "" */
    int line;            /* 1-based, for "FILE:LINE: ..." */
} ob_config_entry;

typedef struct ob_config_file {
    char *name;  /* as messages show it: "outbreak.conf", "/home/u/.outbreak.conf" */
    char *text;  /* the file's text, cut into the strings that entries point to */
    ob_config_entry *entries;
    size_t n;
} ob_config_file;

/* Parses text[0..len) (need not be NUL-terminated) as the file `name` into *cf (all
 * memory owned by cf: free with ob_config_file_free). Returns 0, or -1 with err (kind
 * OB_ERR_USAGE) as one line "NAME:LINE: what" — a line without '=', an empty key, a
 * key or section name with characters a flag name cannot have, a NUL byte. The line's
 * text is not quoted in the message (it may hold a password). */
int ob_config_parse(const char *name, const char *text, size_t len, ob_config_file *cf, ob_err *err);

/* Reads and parses the file at `path`, shown in messages as `name`. Returns 0; 1 when
 * the file does not exist and `optional` (cf is then empty); -1 with err (kind
 * OB_ERR_USAGE) when it cannot be read: "NAME: cannot read: reason", larger than
 * OB_CONFIG_MAX_BYTES, not a regular file; -2 with err as above for a mistake in it. */
int ob_config_read(const char *path, const char *name, bool optional, ob_config_file *cf, ob_err *err);

/* NULL-safe; leaves *cf zeroed. */
void ob_config_file_free(ob_config_file *cf);

/* A boolean value: true/yes/1 or false/no/0, any case. Returns 0, or -1 when it is none. */
int ob_config_bool(const char *value, bool *out);

#endif
