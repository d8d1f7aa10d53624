/* fuzz_gateway_request.c — libFuzzer target for the gateway's request bodies
 * (gateway/request.h): any bytes, read as one record (POST /) and as a batch (POST
 * /records: JSON array or NDJSON), must decode or fail cleanly with one line of kind
 * usage (or internal: out of memory); whatever decodes must be within the limits, in
 * the record domain, and survive encode -> decode unchanged. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "request.h"

static void check(const uint8_t *data, size_t size, bool batch)
{
    ob_gw_item *items;
    size_t n;
    ob_err err;
    if (ob_gw_decode((const char *)data, size, batch, 64, &items, &n, &err) != 0) {
        if (err.msg[0] == '\0' || strchr(err.msg, '\n') || items != NULL)
            abort(); /* a failure says why, in one line, and leaves nothing */
        if (err.kind != OB_ERR_USAGE && err.kind != OB_ERR_INTERNAL)
            abort();
        return;
    }
    if (n == 0 || n > 64 || (!batch && n != 1))
        abort();
    for (size_t i = 0; i < n; i++) {
        const ob_gw_item *it = &items[i];
        if (ob_record_check_domain(&it->rec, &err) != 0)
            abort();
        size_t cap = 4096 + it->rec.pad; /* the fields escaped, and the filler */
        char *buf = malloc(cap);
        if (!buf)
            break;
        int len = ob_record_encode(&it->rec, it->has_meta ? &it->meta : NULL, buf, cap);
        if (len < 0)
            abort();
        ob_record r;
        ob_meta m;
        bool has;
        if (ob_record_decode(buf, (size_t)len, &r, &m, &has, &err) != 0 || has != it->has_meta ||
            strcmp(r.name, it->rec.name) != 0 || strcmp(r.location, it->rec.location) != 0 ||
            r.age != it->rec.age || strcmp(r.state, it->rec.state) != 0 ||
            strcmp(r.infectedtype, it->rec.infectedtype) != 0 || r.pad != it->rec.pad)
            abort();
        free(buf);
        if (has && (strcmp(m.run, it->meta.run) != 0 || m.seq != it->meta.seq || m.producer != it->meta.producer ||
                    m.sent_ns != it->meta.sent_ns))
            abort();
    }
    free(items);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check(data, size, false);
    check(data, size, true);
    return 0;
}
