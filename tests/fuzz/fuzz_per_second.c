/* fuzz_per_second.c — libFuzzer target for the text form of records per second
 * (common/per_second.h, read from sink_stats documents): any bytes are added or refused
 * with a one-line message; what is accepted encodes to a text that decodes to the same
 * counts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstring.h"
#include "per_second.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    if (!text)
        return 0;
    ob_per_second p = {0};
    ob_err err = {0};
    if (ob_per_second_decode_add(&p, text, &err) != 0) {
        if (!err.msg[0] || strchr(err.msg, '\n'))
            abort();
    } else {
        char *again = ob_per_second_encode(&p);
        ob_per_second q = {0};
        if (!again || ob_per_second_decode_add(&q, again, &err) != 0)
            abort();
        for (size_t i = 0; i < p.n; i++)
            if (ob_per_second_get(&q, p.first + (int64_t)i) != p.count[i])
                abort();
        free(again);
        ob_per_second_free(&q);
    }
    ob_per_second_free(&p);
    free(text);
    return 0;
}
