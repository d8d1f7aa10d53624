/* summary.c — reading back a JSON summary (see summary.h). */
#include "summary.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* A number or null (NAN). */
static int read_number(ob_json *j, double *out)
{
    if (ob_json_peek(j) == OB_JSON_NULL) {
        *out = NAN;
        return ob_json_null(j);
    }
    return ob_json_double(j, out);
}

static int read_count(ob_json *j, int64_t *out)
{
    if (ob_json_peek(j) == OB_JSON_NULL) {
        *out = -1;
        return ob_json_null(j);
    }
    return ob_json_int64(j, 0, INT64_MAX, out);
}

/* Reads p50 and p99 of a latency object (or null). */
static int read_latency(ob_json *j, double *p50, double *p99)
{
    *p50 = *p99 = NAN;
    if (ob_json_peek(j) == OB_JSON_NULL)
        return ob_json_null(j);
    if (ob_json_object_begin(j) < 0)
        return -1;
    char key[32];
    int rc;
    while ((rc = ob_json_object_next(j, key, sizeof key, NULL)) > 0) {
        if (strcmp(key, "p50") == 0)
            rc = read_number(j, p50);
        else if (strcmp(key, "p99") == 0)
            rc = read_number(j, p99);
        else
            rc = ob_json_skip(j);
        if (rc < 0)
            return -1;
    }
    return rc;
}

static int read_throughput(ob_json *j, ob_summary_figures *fig)
{
    if (ob_json_peek(j) == OB_JSON_NULL)
        return ob_json_null(j);
    if (ob_json_object_begin(j) < 0)
        return -1;
    char key[32];
    int rc;
    while ((rc = ob_json_object_next(j, key, sizeof key, NULL)) > 0) {
        if (strcmp(key, "acked_per_s") == 0)
            rc = read_number(j, &fig->acked_per_s);
        else if (strcmp(key, "persisted_per_s") == 0)
            rc = read_number(j, &fig->persisted_per_s);
        else
            rc = ob_json_skip(j);
        if (rc < 0)
            return -1;
    }
    return rc;
}

/* Reads one number of an object (or null) into *out; the rest is skipped. */
static int read_member(ob_json *j, const char *name, double *out)
{
    if (ob_json_peek(j) == OB_JSON_NULL)
        return ob_json_null(j);
    if (ob_json_object_begin(j) < 0)
        return -1;
    char key[48];
    int rc;
    while ((rc = ob_json_object_next(j, key, sizeof key, NULL)) > 0) {
        rc = strcmp(key, name) == 0 ? read_number(j, out) : ob_json_skip(j);
        if (rc < 0)
            return -1;
    }
    return rc;
}

int ob_summary_read(const char *json, size_t len, ob_summary_figures *fig, ob_err *err)
{
    memset(fig, 0, sizeof *fig);
    fig->sent = fig->acked = fig->failed = fig->persisted = fig->duplicates = fig->lost = fig->unconfirmed = -1;
    fig->acked_per_s = fig->persisted_per_s = NAN;
    fig->publish_p50_ms = fig->publish_p99_ms = fig->e2e_p50_ms = fig->e2e_p99_ms = NAN;
    fig->started_at_ns = -1;
    fig->warmup_s = 0;
    fig->loadgen_cpu_s = NAN;
    ob_json j;
    ob_json_init(&j, json, len);
    if (ob_json_object_begin(&j) < 0)
        return ob_json_err(&j, "summary", err);
    char key[64];
    int rc;
    while ((rc = ob_json_object_next(&j, key, sizeof key, NULL)) > 0) {
        struct {
            const char *name;
            int64_t *dst;
        } counts[] = {{"sent", &fig->sent},           {"acked", &fig->acked},
                      {"failed", &fig->failed},       {"persisted", &fig->persisted},
                      {"duplicates", &fig->duplicates}, {"lost", &fig->lost},
                      {"unconfirmed", &fig->unconfirmed}, {"started_at_ns", &fig->started_at_ns}};
        bool done = false;
        for (size_t i = 0; i < sizeof counts / sizeof counts[0] && !done; i++)
            if (strcmp(key, counts[i].name) == 0) {
                rc = read_count(&j, counts[i].dst);
                done = true;
            }
        if (done)
            ;
        else if (strcmp(key, "middleware") == 0)
            rc = ob_json_string(&j, fig->middleware, sizeof fig->middleware, NULL);
        else if (strcmp(key, "mode") == 0)
            rc = ob_json_string(&j, fig->mode, sizeof fig->mode, NULL);
        else if (strcmp(key, "throughput") == 0)
            rc = read_throughput(&j, fig);
        else if (strcmp(key, "publish_latency_ms") == 0)
            rc = read_latency(&j, &fig->publish_p50_ms, &fig->publish_p99_ms);
        else if (strcmp(key, "e2e_latency_ms") == 0)
            rc = read_latency(&j, &fig->e2e_p50_ms, &fig->e2e_p99_ms);
        else if (strcmp(key, "warmup") == 0)
            rc = read_member(&j, "duration_s", &fig->warmup_s);
        else if (strcmp(key, "cost") == 0)
            rc = read_member(&j, "loadgen_cpu_s", &fig->loadgen_cpu_s);
        else
            rc = ob_json_skip(&j);
        if (rc < 0)
            break;
    }
    if (rc < 0 || !ob_json_at_end(&j)) {
        if (!j.failed)
            ob_json_fail(&j, ob_json_where(&j), "text after the summary object");
        return ob_json_err(&j, "summary", err);
    }
    return 0;
}

char *ob_summary_with_cost(const char *json, size_t len, const char *cost_object, ob_err *err)
{
    /* the value of the top-level key "cost", found by reading the object (a "cost" key in
     * a nested object, or a '}' in a string, must not be taken for it) */
    const char *start = NULL, *end = NULL;
    ob_json j;
    ob_json_init(&j, json, len);
    char name[16];
    size_t nlen;
    int rc = ob_json_object_begin(&j);
    while (rc >= 0 && (rc = ob_json_object_next(&j, name, sizeof name, &nlen)) > 0) {
        bool is_cost = nlen == 4 && strcmp(name, "cost") == 0 && ob_json_peek(&j) == OB_JSON_OBJECT;
        const char *at = j.p;
        rc = ob_json_skip(&j);
        if (is_cost && rc == 0 && !start) {
            start = at;
            end = j.p;
        }
    }
    if (rc == 0 && !ob_json_at_end(&j))
        rc = ob_json_fail(&j, ob_json_where(&j), "text after the summary object");
    if (rc < 0) {
        ob_json_err(&j, "summary", err);
        return NULL;
    }
    if (!start) {
        ob_err_set(err, "the summary has no \"cost\" object");
        return NULL;
    }
    while (len > 0 && (json[len - 1] == '\n' || json[len - 1] == ' '))
        len--;
    size_t head = (size_t)(start - json);
    size_t tail = len - (size_t)(end - json);
    size_t clen = strlen(cost_object);
    char *out = malloc(head + clen + tail + 1);
    if (!out) {
        ob_err_set(err, "out of memory");
        return NULL;
    }
    memcpy(out, json, head);
    memcpy(out + head, cost_object, clen);
    memcpy(out + head + clen, end, tail);
    out[head + clen + tail] = '\0';
    return out;
}
