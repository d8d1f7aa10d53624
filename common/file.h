/* file.h — reading a whole file into memory (records files, results documents,
 * summaries). */
#ifndef OB_FILE_H
#define OB_FILE_H

#include <stddef.h>

#include "err.h"

/* The contents of `path` (malloc'd, NUL-terminated; *len excludes the NUL). NULL with
 * err set to "PATH: reason" when it cannot be opened or read, or memory runs out. */
char *ob_file_read(const char *path, size_t *len, ob_err *err);

#endif
