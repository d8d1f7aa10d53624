/* fuzz_run_doc.c — libFuzzer target for a worker's figures as stored in MongoDB
 * (loadgen/run_doc.h), read by `outbreak merge`: any bytes are read or refused with a
 * one-line message, never a crash; a text that is read encodes again to one that reads
 * back to the same counts. The same bytes are also read as a series chunk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cstring.h"
#include "run_doc.h"

static int on_point(void *arg, const ob_doc_point *p)
{
    (void)p;
    ++*(int *)arg;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstring(data, size);
    if (!text)
        return 0;
    ob_run_doc d;
    ob_err err = {0};
    if (ob_run_doc_decode(text, &d, &err) != 0) {
        if (!err.msg[0] || strchr(err.msg, '\n'))
            abort();
    } else {
        char *again = ob_run_doc_encode(&d.r, d.final);
        ob_run_doc e;
        if (!again || ob_run_doc_decode(again, &e, &err) != 0)
            abort();
        if (e.r.sent != d.r.sent || e.r.acked != d.r.acked || e.r.lost != d.r.lost ||
            ob_hist_count(e.r.publish) != ob_hist_count(d.r.publish))
            abort();
        ob_run_doc_free(&e);
        free(again);
    }
    ob_run_doc_free(&d);
    int n = 0;
    err.msg[0] = 0;
    if (ob_doc_points_each(text, on_point, &n, &err) != 0 && (!err.msg[0] || strchr(err.msg, '\n')))
        abort();
    free(text);
    return 0;
}
