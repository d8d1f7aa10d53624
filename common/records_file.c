/* records_file.c — loading and writing records files (records_file.h).
 *
 * The whole file is read into memory and walked once with the json.h reader, each
 * record decoded in place by ob_record_read, so every error carries the file's own line
 * and column. A file whose first non-space character is '[' is a JSON array of records;
 * anything else is NDJSON: one record object per line, blank lines skipped. */
#include "records_file.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"

#include "json.h"

/* Makes room for one more record; -1 on OOM. */
static int grow(ob_records *out, size_t *cap)
{
    if (out->count < *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    if (ncap > SIZE_MAX / sizeof(ob_record))
        return -1;
    ob_record *items = realloc(out->items, ncap * sizeof *items);
    if (!items)
        return -1;
    out->items = items;
    *cap = ncap;
    return 0;
}

/* Reads the record object at the reader into a new slot: 0, or -1 with the error in j
 * (or *oom set). */
static int read_one(ob_json *j, ob_records *out, size_t *cap, bool *oom)
{
    if (ob_json_peek(j) != OB_JSON_OBJECT)
        return ob_json_fail(j, ob_json_where(j), "expected a record object");
    if (grow(out, cap) < 0) {
        *oom = true;
        return -1;
    }
    if (ob_record_read(j, &out->items[out->count], NULL, NULL) < 0)
        return -1;
    out->count++;
    return 0;
}

int ob_records_parse(const char *buf, size_t len, const char *name, ob_records *out, ob_err *err)
{
    out->items = NULL;
    out->count = 0;
    if (!name)
        name = "<records>";
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3;
        len -= 3;
    }
    ob_json j;
    ob_json_init(&j, buf, len);
    size_t cap = 0;
    bool oom = false;
    if (ob_json_peek(&j) == OB_JSON_ARRAY) {
        int rc;
        if (ob_json_array_begin(&j) < 0)
            goto fail;
        while ((rc = ob_json_array_next(&j)) > 0)
            if (read_one(&j, out, &cap, &oom) < 0)
                goto fail;
        if (rc < 0)
            goto fail;
        if (!ob_json_at_end(&j)) {
            ob_json_fail(&j, ob_json_where(&j), "unexpected data after the array");
            goto fail;
        }
    } else {
        while (!ob_json_at_end(&j)) {
            if (read_one(&j, out, &cap, &oom) < 0)
                goto fail;
            if (!ob_json_at_eol(&j)) {
                ob_json_fail(&j, ob_json_where(&j),
                             "expected a newline after the record (NDJSON: one record per line)");
                goto fail;
            }
        }
    }
    if (out->count == 0) {
        ob_records_free(out);
        return ob_err_set(err, "%s: no records", name);
    }
    return 0;
fail:
    ob_records_free(out);
    if (oom)
        return ob_err_set(err, "%s: out of memory", name);
    return ob_json_err(&j, name, err);
}

int ob_records_load(const char *path, ob_records *out, ob_err *err)
{
    out->items = NULL;
    out->count = 0;
    size_t len = 0;
    char *buf = ob_file_read(path, &len, err);
    if (!buf)
        return -1;
    int rc = ob_records_parse(buf, len, path, out, err);
    free(buf);
    return rc;
}

void ob_records_free(ob_records *recs)
{
    if (!recs)
        return;
    free(recs->items);
    recs->items = NULL;
    recs->count = 0;
}

int ob_records_write_json(FILE *f, const ob_records *recs)
{
    /* Room for every byte escaped as \u00XX, plus the quotes. */
    char name[OB_NAME_CAP * 6 + 3], loc[OB_FIELD_CAP * 6 + 3], type[OB_FIELD_CAP * 6 + 3],
        state[OB_FIELD_CAP * 6 + 3];
    if (fputs("[\n", f) == EOF)
        return -1;
    for (size_t i = 0; i < recs->count; i++) {
        const ob_record *r = &recs->items[i];
        if (ob_json_write_string(name, sizeof name, r->name) < 0 ||
            ob_json_write_string(loc, sizeof loc, r->location) < 0 ||
            ob_json_write_string(type, sizeof type, r->infectedtype) < 0 ||
            ob_json_write_string(state, sizeof state, r->state) < 0)
            return -1; /* cannot happen: the buffers fit any NUL-terminated field */
        if (fprintf(f,
                    "  {\"name\": %s, \"location\": %s, \"age\": %d, \"infectedtype\": %s, "
                    "\"state\": %s}%s\n",
                    name, loc, r->age, type, state, i + 1 < recs->count ? "," : "") < 0)
            return -1;
    }
    if (fputs("]\n", f) == EOF || fflush(f) == EOF || ferror(f))
        return -1;
    return 0;
}
