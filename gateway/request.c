/* request.c — decoding the gateway's request bodies (see request.h). */
#include "request.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"

/* The checks beyond the decoder's: the domain, and metadata all or nothing. */
static int check_item(const ob_gw_item *it, ob_err *err)
{
    if (ob_record_check_domain(&it->rec, err) != 0)
        return ob_err_kind_set(err, OB_ERR_USAGE);
    const ob_meta *m = &it->meta;
    if (it->has_meta) {
        if (!ob_run_id_valid(m->run))
            return ob_err_setk(err, OB_ERR_USAGE, "\"run\" must be 1-63 of A-Z a-z 0-9 . _ -");
        if (m->seq == 0)
            return ob_err_setk(err, OB_ERR_USAGE, "\"seq\" counts from 1");
    } else if (m->run[0] || m->producer || m->seq || m->sent_ns) {
        return ob_err_setk(err, OB_ERR_USAGE,
                           "incomplete metadata: \"run\", \"producer\", \"seq\" and \"sent_ns\" "
                           "go together (or none of them)");
    }
    return 0;
}

/* Reads one record at the reader's position into it. */
static int read_item(ob_json *j, ob_gw_item *it, ob_err *err)
{
    memset(it, 0, sizeof *it);
    if (ob_record_read(j, &it->rec, &it->meta, &it->has_meta) < 0) {
        ob_json_err(j, NULL, err);
        return ob_err_kind_set(err, OB_ERR_USAGE);
    }
    return check_item(it, err);
}

int ob_gw_decode(const char *body, size_t len, bool batch, size_t max, ob_gw_item **items, size_t *n,
                 ob_err *err)
{
    *items = NULL;
    *n = 0;
    if (len >= 3 && memcmp(body, "\xEF\xBB\xBF", 3) == 0) {
        body += 3;
        len -= 3;
    }
    ob_json j;
    ob_json_init(&j, body, len);
    if (ob_json_at_end(&j))
        return ob_err_setk(err, OB_ERR_USAGE, "empty body: expected %s",
                           batch ? "a JSON array of records or NDJSON" : "one JSON record");
    if (!batch) {
        ob_gw_item *it = malloc(sizeof *it);
        if (!it)
            return ob_err_set(err, "out of memory");
        if (read_item(&j, it, err) != 0 ||
            (!ob_json_at_end(&j) &&
             (ob_json_fail(&j, ob_json_where(&j), "unexpected data after the record (POST /records "
                                                  "takes several)"),
              ob_json_err(&j, NULL, err)))) {
            free(it);
            return ob_err_kind_set(err, OB_ERR_USAGE);
        }
        *items = it;
        *n = 1;
        return 0;
    }
    size_t cap = 16, count = 0;
    ob_gw_item *v = malloc(cap * sizeof *v);
    if (!v)
        return ob_err_set(err, "out of memory");
    bool array = ob_json_peek(&j) == OB_JSON_ARRAY;
    int rc = 1;
    if (array && ob_json_array_begin(&j) < 0)
        goto bad_json;
    for (;;) {
        if (array) {
            if ((rc = ob_json_array_next(&j)) <= 0)
                break;
        } else if (ob_json_at_end(&j)) {
            break;
        }
        if (count == max) {
            ob_err_setk(err, OB_ERR_USAGE, "more than %zu records in one request", max);
            goto fail;
        }
        if (count == cap) {
            ob_gw_item *bigger = realloc(v, 2 * cap * sizeof *v);
            if (!bigger) {
                ob_err_set(err, "out of memory");
                goto fail;
            }
            v = bigger;
            cap *= 2;
        }
        if (read_item(&j, &v[count], err) != 0) {
            ob_err_prefix(err, "record %zu", count + 1);
            goto fail;
        }
        count++;
        if (!array && !ob_json_at_eol(&j)) {
            ob_json_fail(&j, ob_json_where(&j), "expected a newline after the record (NDJSON: one "
                                                "record per line)");
            goto bad_json;
        }
    }
    if (rc < 0)
        goto bad_json;
    if (array && !ob_json_at_end(&j)) {
        ob_json_fail(&j, ob_json_where(&j), "unexpected data after the array");
        ob_json_err(&j, NULL, err);
        ob_err_kind_set(err, OB_ERR_USAGE);
        goto fail;
    }
    if (count == 0) {
        ob_err_setk(err, OB_ERR_USAGE, "no records in the batch");
        goto fail;
    }
    *items = v;
    *n = count;
    return 0;
bad_json:
    ob_json_err(&j, NULL, err);
    if (count > 0 || array)
        ob_err_prefix(err, "record %zu", count + 1);
    ob_err_kind_set(err, OB_ERR_USAGE);
fail:
    free(v);
    return -1;
}
