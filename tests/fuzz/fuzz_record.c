/* fuzz_record.c — libFuzzer target for the record decoder: any bytes must decode or
 * fail cleanly, and whatever decodes must survive encode -> decode unchanged (its filler
 * "pad" by its length). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

static int same(const ob_record *a, const ob_record *b)
{
    return strcmp(a->name, b->name) == 0 && strcmp(a->location, b->location) == 0 &&
           a->age == b->age && strcmp(a->infectedtype, b->infectedtype) == 0 &&
           strcmp(a->state, b->state) == 0 && a->pad == b->pad;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ob_record r, r2;
    ob_meta m, m2;
    bool has, has2;
    ob_err err;
    if (ob_record_decode((const char *)data, size, &r, &m, &has, &err) < 0) {
        if (err.msg[0] == '\0')
            abort(); /* a failure always says why */
        return 0;
    }
    /* worst case: every byte of every field escaped as \u00XX, and the filler */
    size_t cap = 4096 + r.pad;
    char *buf = malloc(cap);
    if (!buf)
        return 0;
    int n = ob_record_encode(&r, has ? &m : NULL, buf, cap);
    if (n < 0 || (size_t)n != strlen(buf))
        abort();
    if (ob_record_decode(buf, (size_t)n, &r2, &m2, &has2, &err) < 0)
        abort();
    free(buf);
    if (!same(&r, &r2) || has != has2)
        abort();
    if (has && (strcmp(m.run, m2.run) != 0 || m.producer != m2.producer || m.seq != m2.seq ||
                m.sent_ns != m2.sent_ns))
        abort();
    return 0;
}
