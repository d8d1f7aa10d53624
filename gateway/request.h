/* request.h — what the gateway reads from a request body: one record (POST /) or a
 * batch (POST /records: a JSON array of records, or NDJSON, one record per line),
 * each checked as the load generator's records are (record.h: the five fields with
 * their types and domain) plus the outbreak metadata, which must be all there or not
 * at all. Kept apart from the HTTP server so that a fuzz target can drive it. */
#ifndef OB_GATEWAY_REQUEST_H
#define OB_GATEWAY_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "record.h"

/* One decoded record: its fields and, when it came with them, its metadata. */
typedef struct ob_gw_item {
    ob_record rec;
    ob_meta meta;
    bool has_meta;
} ob_gw_item;

/* Decodes body[0..len): one record (batch false) or a batch (batch true) of at most
 * `max` records into *items (malloc'd, free() it; *n records, at least 1). On a mistake
 * returns -1 with one line in err, kind OB_ERR_USAGE, naming the record of a batch and
 * the line and column ("record 3: line 4, column 17: missing field \"age\""); *items is
 * NULL then. */
int ob_gw_decode(const char *body, size_t len, bool batch, size_t max, ob_gw_item **items, size_t *n,
                 ob_err *err);

#endif
