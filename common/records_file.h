/* records_file.h — loading a records file: a JSON array of records (the course
 * project's traffic.json) or NDJSON (one record object per line). The format is
 * detected from the first non-space character ('[' = array).
 *
 * Errors name the file, line and column: "traffic.json:12:7: expected ',' or '}'",
 * "x.ndjson:3:1: missing field \"age\"". An empty file or an empty array is an error
 * ("no records"). */
#ifndef OB_RECORDS_FILE_H
#define OB_RECORDS_FILE_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"
#include "record.h"

typedef struct ob_records {
    ob_record *items;
    size_t count;
} ob_records;

/* Loads `path` into *out (free with ob_records_free). */
int ob_records_load(const char *path, ob_records *out, ob_err *err);
/* Same for an in-memory buffer; `name` is used in messages. */
int ob_records_parse(const char *buf, size_t len, const char *name, ob_records *out, ob_err *err);
/* NULL-safe; leaves *recs zeroed. */
void ob_records_free(ob_records *recs);

/* Writes the records as a pretty JSON array, one record per line, in the course
 * project's format (five fields, no metadata). Returns 0 or -1 on a write error. */
int ob_records_write_json(FILE *f, const ob_records *recs);

#endif
