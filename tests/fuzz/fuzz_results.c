/* fuzz_results.c — libFuzzer target for what reads results and summaries back: the
 * summary reader and the cost splice of `outbreak compare` (summary.h), and the check
 * the HTML report makes of a results document before embedding it (html_report.h).
 * Any bytes must be read or refused with a one-line message; a splice must produce a
 * document that is still JSON when the input was; the report of an accepted document
 * must embed it so that no "</" is left inside. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html_report.h"
#include "json.h"
#include "summary.h"

static void check_msg(const ob_err *err)
{
    if (err->msg[0] == '\0' || strchr(err->msg, '\n'))
        abort();
}

static int valid_json(const char *text, size_t len)
{
    ob_json j;
    ob_json_init(&j, text, len);
    return ob_json_skip(&j) == 0 && ob_json_at_end(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    ob_err err = {0};
    ob_summary_figures fig;
    if (ob_summary_read(text, size, &fig, &err) != 0)
        check_msg(&err);
    else if (fig.sent < -1 || fig.acked < -1 || fig.lost < -1)
        abort();

    err.msg[0] = '\0';
    char *spliced = ob_summary_with_cost(text, size, "{\"total_cpu_s\":1}", &err);
    if (!spliced) {
        check_msg(&err);
    } else {
        /* the splice reads the summary as JSON first: what comes out is JSON again */
        if (!valid_json(spliced, strlen(spliced)))
            abort();
        free(spliced);
    }

    char *html = NULL;
    size_t hlen = 0;
    FILE *f = open_memstream(&html, &hlen);
    if (!f)
        return 0;
    err.msg[0] = '\0';
    int rc = ob_html_report_write(f, text, size, &err);
    fclose(f);
    if (rc != 0) {
        check_msg(&err);
    } else {
        if (!valid_json(text, size))
            abort(); /* only JSON is embedded */
        const char *start = strstr(html, "id=\"results\">");
        const char *end = start ? strstr(start, "</script>") : NULL;
        if (!start || !end)
            abort();
        /* the data ends at the first "</script>": it must be the whole document */
        if ((size_t)(end - start) < strlen("id=\"results\">") + size)
            abort();
    }
    free(html);
    return 0;
}
