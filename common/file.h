/* file.h — reading a whole file into memory (records files, results documents,
 * summaries). */
#ifndef OB_FILE_H
#define OB_FILE_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* The contents of `path` (malloc'd, NUL-terminated; *len excludes the NUL). NULL with
 * err set to "PATH: reason" when it cannot be opened or read, or memory runs out. */
char *ob_file_read(const char *path, size_t *len, ob_err *err);

/* Whether a file can be written at `path` when a run ends, asked before it starts: its
 * directory exists and may be written, and `path`, if it exists, is a file that may be
 * written. With `prefix`, `path` is the start of file names (Locust's --csv PREFIX): only
 * the directory is asked. Returns 0, or -1 with err "cannot write PATH: reason". Creates
 * nothing. */
int ob_file_check_writable(const char *path, bool prefix, ob_err *err);

#endif
