/* fuzz_threshold.c — libFuzzer target for k6-style thresholds (common/threshold.h): the
 * input's first line is an expression, the rest a summary. Any expression must parse or
 * be refused with a usage error that quotes it; a parsed one must have a known operator,
 * a finite limit and a figure. Any summary must be evaluated or refused as not JSON;
 * each result must be consistent (unknown never passes; at most one result per
 * threshold), and the table, the JSON and the summary with its thresholds must be
 * produced. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threshold.h"

static const char *const fixed[] = {"publish_p99<50ms", "lost==0", "failed_rate<1%", "persisted_per_s>=10",
                                    "nats:e2e_p95<=1s"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t line = nl ? (size_t)(nl - data) : size;
    char expr[256];
    size_t elen = line < sizeof expr ? line : sizeof expr - 1;
    memcpy(expr, data, elen);
    expr[elen] = 0;
    ob_threshold_set set = {.n = 0};
    ob_err err = {0};
    if (ob_threshold_flag(expr, &set, &err) == 0) {
        const ob_threshold *t = &set.items[0];
        if (t->op > OB_TH_NE || !isfinite(t->limit) || !t->metric[0])
            abort();
    } else if (err.kind != OB_ERR_USAGE || err.msg[0] != '"') {
        abort();
    }
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (ob_threshold_flag(fixed[i], &set, &err) != 0)
            abort();
    const char *summary = nl ? (const char *)nl + 1 : "";
    size_t slen = nl ? size - line - 1 : 0;
    ob_threshold_result res[OB_MAX_THRESHOLDS];
    int n = 0;
    int failed = ob_thresholds_eval(&set, summary, slen, NULL, res, &n, &err);
    if (failed < 0)
        return 0;
    if (n > set.n || failed > n)
        abort();
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (res[i].pass && !res[i].known)
            abort();
        count += !res[i].pass;
    }
    if (count != failed)
        abort();
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (!m)
        abort();
    ob_thresholds_print(m, res, n);
    ob_jw j;
    ob_jw_init(&j, m);
    ob_thresholds_json(&j, res, n);
    if (ob_jw_status(&j) != 0)
        abort();
    fclose(m);
    free(text);
    free(ob_thresholds_into_summary(summary, slen, res, n));
    return 0;
}
