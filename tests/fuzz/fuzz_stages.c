/* fuzz_stages.c — libFuzzer target for --stages: any bytes parse or fail with a one-line
 * message leaving the stages unchanged; stages that parse and pass the check give
 * arrival times that never go back and end within the stages, targets within range,
 * and a format that reads back to the same stages. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstring.h"
#include "stages.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    ob_stages st = {0};
    ob_err err = {0};
    if (ob_stages_parse(s, &st, &err) != 0) {
        if (err.msg[0] == '\0' || strchr(err.msg, '\n') || st.n != 0)
            abort();
        free(s);
        return 0;
    }
    if (st.n < 1 || st.n > OB_MAX_STAGES)
        abort();
    for (int i = 0; i < st.n; i++)
        if (st.s[i].duration_ns < 0 || !(st.s[i].target >= 0) || st.s[i].target > 1e9)
            abort();
    char buf[OB_STAGES_SPEC_CAP];
    if (ob_stages_format(&st, buf, sizeof buf) >= sizeof buf)
        abort();
    ob_stages back = {0};
    if (ob_stages_parse(buf, &back, &err) != 0 || back.n != st.n || back.rates != st.rates)
        abort();
    for (int i = 0; i < st.n; i++)
        if (back.s[i].duration_ns != st.s[i].duration_ns ||
            fabs(back.s[i].target - st.s[i].target) > 1e-9 * st.s[i].target)
            abort();
    if (ob_stages_check(&st, &err) == 0 && st.rates) {
        ob_stages_cursor c;
        ob_stages_cursor_init(&c);
        double prev = 0, end = (double)ob_stages_duration_ns(&st);
        for (int j = 0; j < 2000; j++) {
            double t = ob_stages_arrival_ns(&st, &c, (double)j);
            if (isinf(t))
                break;
            if (!(t >= prev) || t > end * (1 + 1e-12) + 1)
                abort();
            prev = t;
        }
    }
    free(s);
    return 0;
}
