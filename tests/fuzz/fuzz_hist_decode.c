/* fuzz_hist_decode.c — libFuzzer target for ob_hist_decode_add: any bytes must decode or
 * fail with a one-line message leaving the histogram untouched; what decodes must
 * survive encode -> decode unchanged and answer every query. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    ob_hist *h = ob_hist_new(), *h2 = ob_hist_new();
    if (!text || !h || !h2)
        goto done;
    memcpy(text, data, size);
    text[size] = '\0';

    ob_hist_record(h, 5000); /* a prior count, so that adding is exercised */
    int64_t before = ob_hist_percentile(h, 50);
    ob_err err = {0};
    if (ob_hist_decode_add(h, text, &err) != 0) {
        if (err.msg[0] == '\0' || strchr(err.msg, '\n') || ob_hist_count(h) != 1 ||
            ob_hist_percentile(h, 50) != before)
            abort();
        goto done;
    }
    int64_t n = ob_hist_count(h);
    if (n < 1)
        abort();
    int64_t prev = 0;
    for (int i = 0; i < OB_PERCENTILE_COUNT; i++) {
        int64_t v = ob_hist_percentile(h, ob_percentiles[i]);
        if (v < OB_HIST_LOWEST_NS || v > OB_HIST_HIGHEST_NS || v < prev)
            abort();
        prev = v;
    }
    if (ob_hist_min(h) > ob_hist_max(h) || ob_hist_max(h) != prev || ob_hist_mean(h) <= 0)
        abort();

    char *enc = ob_hist_encode(h);
    if (!enc)
        goto done;
    if (ob_hist_decode_add(h2, enc, &err) != 0 || ob_hist_count(h2) != n)
        abort();
    char *enc2 = ob_hist_encode(h2);
    if (enc2 && strcmp(enc, enc2) != 0)
        abort();
    free(enc);
    free(enc2);
done:
    ob_hist_free(h);
    ob_hist_free(h2);
    free(text);
    return 0;
}
