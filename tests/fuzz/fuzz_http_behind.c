/* fuzz_http_behind.c — libFuzzer target for what the HTTP load mode reads from a 2xx
 * answer's body (brokers/http.h, ob_http_behind_note): the way a gateway names and, the
 * first time, its ack and what the ack means. Any bytes, cut anywhere (the clients keep
 * the first HTTP_BODY_KEPT), noted twice: the table stays within its bounds, every
 * answer is counted exactly once (in a way, unnamed or others), each way named is a
 * non-empty NUL-terminated string, and the durability written from it is whole JSON. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    http_behind t;
    memset(&t, 0, sizeof t);
    size_t len = size < HTTP_BODY_KEPT - 1 ? size : HTTP_BODY_KEPT - 1;
    char body[HTTP_BODY_KEPT];
    memcpy(body, data, len);
    body[len] = '\0';
    ob_http_behind_note(&t, body, len);
    ob_http_behind_note(&t, body, len / 2);
    if (t.n < 0 || t.n > HTTP_BEHIND_MAX || (t.n > 0 && (t.last < 0 || t.last >= t.n)))
        abort();
    int64_t counted = t.unnamed + t.others;
    for (int i = 0; i < t.n; i++) {
        const http_behind_way *e = &t.w[i];
        if (!e->way[0] || strnlen(e->way, sizeof e->way) == sizeof e->way ||
            strnlen(e->ack, sizeof e->ack) == sizeof e->ack || strnlen(e->means, sizeof e->means) == sizeof e->means ||
            e->answers < 1)
            abort();
        counted += e->answers;
    }
    if (counted != 2)
        abort();
    ob_durability d;
    memset(&d, 0, sizeof d);
    ob_http_behind_durability(&t, &d);
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    if (!f)
        return 0;
    ob_jw w;
    ob_jw_init(&w, f);
    ob_durability_write(&w, &d);
    fclose(f);
    ob_json j;
    ob_json_init(&j, text, tlen);
    if (ob_json_skip(&j) != 0 || !ob_json_at_end(&j))
        abort();
    free(text);
    ob_durability_free(&d);
    return 0;
}
