/* fuzz_units.c — libFuzzer target for the three unit parsers: any bytes must parse or
 * fail with a one-line message, and what parses must be in range (non-negative, finite,
 * MIN <= MAX) and leave the outputs untouched on failure. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstring.h"
#include "units.h"

static void check_msg(const ob_err *err)
{
    if (err->msg[0] == '\0' || strchr(err->msg, '\n'))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;

    ob_err err = {0};
    int64_t ns = -1;
    if (ob_parse_duration(s, &ns, &err) == 0) {
        if (ns < 0)
            abort();
    } else {
        check_msg(&err);
        if (ns != -1)
            abort();
    }

    err.msg[0] = '\0';
    double v = -1;
    if (ob_parse_count(s, &v, &err) == 0) {
        if (!(v >= 0) || !isfinite(v) || v > 9.3e18)
            abort();
    } else {
        check_msg(&err);
        if (v != -1)
            abort();
    }

    err.msg[0] = '\0';
    double lo = -1, hi = -1;
    if (ob_parse_range(s, &lo, &hi, &err) == 0) {
        if (!(lo >= 0) || !(hi >= lo) || !isfinite(hi))
            abort();
    } else {
        check_msg(&err);
        if (lo != -1 || hi != -1)
            abort();
    }
    free(s);
    return 0;
}
