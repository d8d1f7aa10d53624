/* fuzz_records_file.c — libFuzzer target for the records file parser: any bytes must
 * parse into records or fail with a message, without leaks or out-of-bounds reads. */
#include <stdint.h>
#include <stdlib.h>

#include "records_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ob_records recs;
    ob_err err;
    err.msg[0] = '\0';
    int rc = ob_records_parse((const char *)data, size, "fuzz.json", &recs, &err);
    if (rc < 0 && (err.msg[0] == '\0' || recs.items != NULL || recs.count != 0))
        abort();
    if (rc == 0 && (recs.count == 0 || recs.items == NULL))
        abort();
    ob_records_free(&recs);
    return 0;
}
