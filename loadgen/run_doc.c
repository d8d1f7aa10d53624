/* run_doc.c — a worker's figures as text and back (see run_doc.h). */
#include "run_doc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

#define DOC_VERSION 1

static void put_hist(ob_jw *w, const char *key, const ob_hist *h)
{
    ob_jw_key(w, key);
    if (!h) {
        ob_jw_null(w);
        return;
    }
    char *text = ob_hist_encode(h);
    ob_jw_str(w, text); /* NULL (out of memory) writes null: read back as unknown */
    free(text);
}

static void put_int(ob_jw *w, const char *key, int64_t v)
{
    ob_jw_key(w, key);
    ob_jw_int(w, v);
}

static void put_num(ob_jw *w, const char *key, double v)
{
    ob_jw_key(w, key);
    ob_jw_double(w, v); /* NAN: null, read back as NAN */
}

static void put_plan(ob_jw *w, const ob_run_opts *o)
{
    ob_jw_key(w, "plan");
    ob_jw_object(w);
    put_num(w, "rate", o->rate);
    ob_jw_key(w, "rate_max");
    ob_jw_bool(w, o->rate_max);
    put_int(w, "users", o->users);
    put_num(w, "spawn_rate", o->spawn_rate);
    put_num(w, "wait_min", o->wait_min);
    put_num(w, "wait_max", o->wait_max);
    put_int(w, "threads", o->threads);
    put_int(w, "workers", o->workers);
    put_int(w, "worker", o->worker);
    ob_jw_key(w, "records");
    ob_jw_str(w, o->records);
    char seed[24];
    snprintf(seed, sizeof seed, "%" PRIu64, o->seed);
    ob_jw_key(w, "seed");
    ob_jw_str(w, seed);
    put_int(w, "pool", o->pool);
    ob_jw_key(w, "once");
    ob_jw_bool(w, o->once);
    if (o->iterations > 0)
        put_int(w, "iterations", o->iterations);
    if (o->record_size > 0)
        put_int(w, "record_size", o->record_size);
    if (o->stages.n > 0) {
        char spec[OB_STAGES_SPEC_CAP];
        ob_stages_format(&o->stages, spec, sizeof spec);
        ob_jw_key(w, "stages");
        ob_jw_str(w, spec);
    }
    put_int(w, "run_time_ns", o->run_time_ns);
    put_int(w, "warmup_ns", o->warmup_ns);
    put_int(w, "stop_timeout_ns", o->stop_timeout_ns);
    put_int(w, "max_inflight", o->max_inflight);
    ob_jw_end(w);
}

char *ob_run_doc_encode(const ob_run_result *r, bool final)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return NULL;
    ob_jw w;
    ob_jw_init(&w, f);
    ob_jw_object(&w);
    put_int(&w, "v", DOC_VERSION);
    ob_jw_key(&w, "final");
    ob_jw_bool(&w, final);
    ob_jw_key(&w, "way");
    ob_jw_str(&w, r->way);
    ob_jw_key(&w, "url");
    ob_jw_str(&w, r->url);
    ob_jw_key(&w, "durability");
    ob_durability_write(&w, &r->durability);
    put_plan(&w, r->opts);
    put_int(&w, "t0_real_ns", r->t0_real_ns);
    put_num(&w, "duration_s", r->duration_s);
    put_num(&w, "persist_s", r->persist_s);
    put_int(&w, "users", r->users);
    put_int(&w, "target_users", r->target_users);
    put_num(&w, "target_rate", r->target_rate);
    put_num(&w, "target_spawn_rate", r->target_spawn_rate);
    put_int(&w, "sent", r->sent);
    put_int(&w, "acked", r->acked);
    put_int(&w, "failed", r->failed);
    put_int(&w, "bytes_sent", r->bytes_sent);
    put_int(&w, "persisted", r->persisted);
    put_int(&w, "duplicates", r->duplicates);
    put_int(&w, "invalid", r->invalid);
    put_int(&w, "lost", r->lost);
    put_int(&w, "unconfirmed", r->unconfirmed);
    put_num(&w, "warmup_s", r->warmup_s);
    put_int(&w, "warmup_sent", r->warmup_sent);
    put_int(&w, "warmup_acked", r->warmup_acked);
    put_int(&w, "warmup_failed", r->warmup_failed);
    put_int(&w, "warmup_persisted", r->warmup_persisted);
    ob_jw_key(&w, "persisted_source");
    ob_jw_str(&w, r->persisted_source);
    put_int(&w, "process", r->process);
    put_int(&w, "sinks", r->sinks);
    put_num(&w, "behind_s", r->behind_s);
    put_num(&w, "window_full_share", r->window_full_share);
    put_num(&w, "worker_busy_share", r->worker_busy_share);
    put_num(&w, "publish_blocked_share", r->publish_blocked_share);
    ob_jw_key(&w, "rate_cause");
    ob_jw_str(&w, r->rate_cause);
    put_num(&w, "cpu_s", r->loadgen_cpu_s);
    put_num(&w, "peak_rss_mb", r->loadgen_peak_rss_mb);
    ob_jw_key(&w, "failures");
    ob_jw_array(&w);
    for (int i = 0; i < r->nfailure_kinds; i++) {
        ob_jw_object(&w);
        ob_jw_key(&w, "msg");
        ob_jw_str(&w, r->failures[i].msg);
        put_int(&w, "count", r->failures[i].count);
        ob_jw_end(&w);
    }
    ob_jw_end(&w);
    put_hist(&w, "publish", r->publish);
    put_hist(&w, "publish_raw", r->publish_raw);
    put_hist(&w, "send_delay", r->send_delay);
    put_hist(&w, "e2e", r->e2e);
    ob_jw_end(&w);
    int bad = ob_jw_status(&w);
    bad |= fclose(f);
    if (bad) {
        free(text);
        return NULL;
    }
    return text;
}

/* ---- reading ----------------------------------------------------------------------- */

typedef struct reader {
    ob_json j;
    char *buf; /* room for any string of the text */
    size_t cap;
} reader;

static int read_str(reader *rd, char *out, size_t cap)
{
    if (ob_json_peek(&rd->j) == OB_JSON_NULL) {
        out[0] = 0;
        return ob_json_null(&rd->j);
    }
    /* a longer string (not one outbreak wrote) keeps its first whole characters */
    return ob_json_string(&rd->j, out, cap, NULL) < 0 ? -1 : 0;
}

static int read_num(reader *rd, double *out)
{
    if (ob_json_peek(&rd->j) == OB_JSON_NULL) {
        *out = NAN;
        return ob_json_null(&rd->j);
    }
    return ob_json_double(&rd->j, out);
}

static int read_int(reader *rd, int64_t *out)
{
    return ob_json_int64(&rd->j, INT64_MIN, INT64_MAX, out);
}

/* A histogram's text into a new histogram (*out NULL for null; a key given twice is
 * refused). */
static int read_hist(reader *rd, ob_hist **out, ob_err *err)
{
    if (*out)
        return ob_err_set(err, "worker document: a histogram given twice");
    if (ob_json_peek(&rd->j) == OB_JSON_NULL)
        return ob_json_null(&rd->j);
    size_t len;
    if (ob_json_string(&rd->j, rd->buf, rd->cap, &len) < 0)
        return -1;
    *out = ob_hist_new();
    if (!*out)
        return ob_err_set(err, "out of memory");
    return ob_hist_decode_add(*out, rd->buf, err);
}

static int read_durability(reader *rd, ob_durability *d, ob_err *err)
{
    char key[64], mode[64] = "", publish_ack[96] = "", delivery[32] = "", acked_means[256] = "";
    bool broker_ack = false;
    if (ob_json_object_begin(&rd->j) < 0)
        return -1;
    int more;
    while ((more = ob_json_object_next(&rd->j, key, sizeof key, NULL)) > 0) {
        int rc = 0;
        if (strcmp(key, "mode") == 0)
            rc = read_str(rd, mode, sizeof mode);
        else if (strcmp(key, "broker_ack") == 0)
            rc = ob_json_bool(&rd->j, &broker_ack);
        else if (strcmp(key, "publish_ack") == 0)
            rc = read_str(rd, publish_ack, sizeof publish_ack);
        else if (strcmp(key, "delivery") == 0)
            rc = read_str(rd, delivery, sizeof delivery);
        else if (strcmp(key, "acked_means") == 0)
            rc = read_str(rd, acked_means, sizeof acked_means);
        else {
            /* an extra, in its order: string, integer, bool or null */
            ob_json_type t = ob_json_peek(&rd->j);
            if (t == OB_JSON_STRING) {
                size_t len;
                rc = ob_json_string(&rd->j, rd->buf, rd->cap, &len);
                if (rc == 0)
                    ob_durability_str(d, key, rd->buf);
            } else if (t == OB_JSON_NUMBER) {
                int64_t v;
                rc = read_int(rd, &v);
                if (rc == 0)
                    ob_durability_int(d, key, v);
            } else if (t == OB_JSON_TRUE || t == OB_JSON_FALSE) {
                bool v;
                rc = ob_json_bool(&rd->j, &v);
                if (rc == 0)
                    ob_durability_bool(d, key, v);
            } else {
                rc = ob_json_null(&rd->j);
                if (rc == 0)
                    ob_durability_str(d, key, NULL);
            }
        }
        if (rc < 0)
            return -1;
    }
    if (more < 0)
        return -1;
    ob_durability_set(d, mode, broker_ack, publish_ack, delivery, acked_means[0] ? acked_means : NULL);
    (void)err;
    return 0;
}

static int read_plan(reader *rd, ob_run_doc *d)
{
    ob_run_opts *o = &d->opts;
    char key[64];
    if (ob_json_object_begin(&rd->j) < 0)
        return -1;
    int more;
    while ((more = ob_json_object_next(&rd->j, key, sizeof key, NULL)) > 0) {
        int rc;
        int64_t v = 0;
        if (strcmp(key, "rate") == 0)
            rc = read_num(rd, &o->rate);
        else if (strcmp(key, "rate_max") == 0)
            rc = ob_json_bool(&rd->j, &o->rate_max);
        else if (strcmp(key, "spawn_rate") == 0)
            rc = read_num(rd, &o->spawn_rate);
        else if (strcmp(key, "wait_min") == 0)
            rc = read_num(rd, &o->wait_min);
        else if (strcmp(key, "wait_max") == 0)
            rc = read_num(rd, &o->wait_max);
        else if (strcmp(key, "records") == 0) {
            rc = read_str(rd, d->records, sizeof d->records);
            o->records = d->records[0] ? d->records : NULL;
        } else if (strcmp(key, "seed") == 0) {
            char seed[32];
            rc = read_str(rd, seed, sizeof seed);
            o->seed = strtoull(seed, NULL, 10);
        } else if (strcmp(key, "once") == 0)
            rc = ob_json_bool(&rd->j, &o->once);
        else if (strcmp(key, "stages") == 0) {
            char spec[OB_STAGES_SPEC_CAP];
            ob_err sub = {0};
            o->stages.n = 0;
            rc = read_str(rd, spec, sizeof spec);
            if (rc >= 0 && spec[0] && ob_stages_parse(spec, &o->stages, &sub) != 0)
                rc = -1;
        }
        else {
            rc = read_int(rd, &v);
            if (strcmp(key, "users") == 0)
                o->users = (long)v;
            else if (strcmp(key, "threads") == 0)
                o->threads = (long)v;
            else if (strcmp(key, "workers") == 0)
                o->workers = (long)v;
            else if (strcmp(key, "worker") == 0)
                o->worker = (long)v;
            else if (strcmp(key, "pool") == 0)
                o->pool = (long)v;
            else if (strcmp(key, "iterations") == 0)
                o->iterations = v;
            else if (strcmp(key, "record_size") == 0)
                o->record_size = (long)v;
            else if (strcmp(key, "run_time_ns") == 0)
                o->run_time_ns = v;
            else if (strcmp(key, "warmup_ns") == 0)
                o->warmup_ns = v;
            else if (strcmp(key, "stop_timeout_ns") == 0)
                o->stop_timeout_ns = v;
            else if (strcmp(key, "max_inflight") == 0)
                o->max_inflight = (long)v;
        }
        if (rc < 0)
            return -1;
    }
    return more;
}

static int read_failures(reader *rd, ob_run_result *r)
{
    if (ob_json_array_begin(&rd->j) < 0)
        return -1;
    int more;
    while ((more = ob_json_array_next(&rd->j)) > 0) {
        ob_failure_kind fk = {0};
        char key[16];
        if (ob_json_object_begin(&rd->j) < 0)
            return -1;
        int m = 0;
        while ((m = ob_json_object_next(&rd->j, key, sizeof key, NULL)) > 0) {
            int rc = strcmp(key, "msg") == 0 ? read_str(rd, fk.msg, sizeof fk.msg)
                     : strcmp(key, "count") == 0 ? read_int(rd, &fk.count)
                                                 : ob_json_skip(&rd->j);
            if (rc < 0)
                return -1;
        }
        if (m < 0)
            return -1;
        if (r->nfailure_kinds < OB_MAX_FAILURE_KINDS)
            r->failures[r->nfailure_kinds++] = fk;
    }
    return more;
}

/* The counts: key -> field of the result. */
static int64_t *count_field(ob_run_result *r, const char *key)
{
    static const struct {
        const char *key;
        size_t off;
    } fields[] = {
        {"t0_real_ns", offsetof(ob_run_result, t0_real_ns)}, {"users", offsetof(ob_run_result, users)},
        {"target_users", offsetof(ob_run_result, target_users)}, {"sent", offsetof(ob_run_result, sent)},
        {"acked", offsetof(ob_run_result, acked)}, {"failed", offsetof(ob_run_result, failed)},
        {"bytes_sent", offsetof(ob_run_result, bytes_sent)}, {"persisted", offsetof(ob_run_result, persisted)},
        {"duplicates", offsetof(ob_run_result, duplicates)}, {"invalid", offsetof(ob_run_result, invalid)},
        {"lost", offsetof(ob_run_result, lost)}, {"unconfirmed", offsetof(ob_run_result, unconfirmed)},
        {"warmup_sent", offsetof(ob_run_result, warmup_sent)}, {"warmup_acked", offsetof(ob_run_result, warmup_acked)},
        {"warmup_failed", offsetof(ob_run_result, warmup_failed)},
        {"warmup_persisted", offsetof(ob_run_result, warmup_persisted)},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(fields[i].key, key) == 0)
            return (int64_t *)((char *)r + fields[i].off);
    return NULL;
}

static double *num_field(ob_run_result *r, const char *key)
{
    static const struct {
        const char *key;
        size_t off;
    } fields[] = {
        {"duration_s", offsetof(ob_run_result, duration_s)},
        {"persist_s", offsetof(ob_run_result, persist_s)},
        {"target_rate", offsetof(ob_run_result, target_rate)},
        {"target_spawn_rate", offsetof(ob_run_result, target_spawn_rate)},
        {"behind_s", offsetof(ob_run_result, behind_s)},
        {"window_full_share", offsetof(ob_run_result, window_full_share)},
        {"worker_busy_share", offsetof(ob_run_result, worker_busy_share)},
        {"publish_blocked_share", offsetof(ob_run_result, publish_blocked_share)},
        {"cpu_s", offsetof(ob_run_result, loadgen_cpu_s)},
        {"peak_rss_mb", offsetof(ob_run_result, loadgen_peak_rss_mb)},
        {"warmup_s", offsetof(ob_run_result, warmup_s)},
    };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (strcmp(fields[i].key, key) == 0)
            return (double *)((char *)r + fields[i].off);
    return NULL;
}

static const char *persisted_source(const char *s)
{
    if (strcmp(s, "sink_stats") == 0)
        return "sink_stats";
    if (strcmp(s, "mongodb_count") == 0)
        return "mongodb_count";
    return NULL;
}

int ob_run_doc_decode(const char *text, ob_run_doc *d, ob_err *err)
{
    memset(d, 0, sizeof *d);
    ob_run_result *r = &d->r;
    r->opts = &d->opts;
    r->way = d->way;
    r->persisted = r->duplicates = r->invalid = r->lost = r->unconfirmed = -1;
    r->warmup_sent = r->warmup_acked = r->warmup_failed = r->warmup_persisted = -1;
    r->run_persisted = -1;
    d->opts.workers = 1;
    d->opts.worker = -1;
    size_t len = strlen(text);
    reader rd = {.cap = len + 1};
    rd.buf = malloc(rd.cap);
    if (!rd.buf)
        return ob_err_set(err, "out of memory");
    ob_json_init(&rd.j, text, len);
    int rc = ob_json_object_begin(&rd.j);
    char key[64];
    int more = rc;
    int64_t version = 0;
    while (rc == 0 && (more = ob_json_object_next(&rd.j, key, sizeof key, NULL)) > 0) {
        int64_t *ip;
        double *dp;
        if (strcmp(key, "v") == 0)
            rc = read_int(&rd, &version);
        else if (strcmp(key, "final") == 0)
            rc = ob_json_bool(&rd.j, &d->final);
        else if (strcmp(key, "way") == 0)
            rc = read_str(&rd, d->way, sizeof d->way);
        else if (strcmp(key, "url") == 0)
            rc = read_str(&rd, r->url, sizeof r->url);
        else if (strcmp(key, "durability") == 0)
            rc = read_durability(&rd, &r->durability, err);
        else if (strcmp(key, "plan") == 0)
            rc = read_plan(&rd, d) < 0 ? -1 : 0;
        else if (strcmp(key, "persisted_source") == 0) {
            char src[32];
            rc = read_str(&rd, src, sizeof src);
            r->persisted_source = persisted_source(src);
        } else if (strcmp(key, "rate_cause") == 0)
            rc = read_str(&rd, d->cause, sizeof d->cause);
        else if (strcmp(key, "process") == 0) {
            int64_t v;
            rc = read_int(&rd, &v);
            r->process = (uint32_t)v;
        } else if (strcmp(key, "sinks") == 0) {
            int64_t v;
            rc = read_int(&rd, &v);
            r->sinks = (int)v;
        } else if (strcmp(key, "failures") == 0)
            rc = read_failures(&rd, r) < 0 ? -1 : 0;
        else if (strcmp(key, "publish") == 0)
            rc = read_hist(&rd, &r->publish, err);
        else if (strcmp(key, "publish_raw") == 0)
            rc = read_hist(&rd, &r->publish_raw, err);
        else if (strcmp(key, "send_delay") == 0)
            rc = read_hist(&rd, &r->send_delay, err);
        else if (strcmp(key, "e2e") == 0)
            rc = read_hist(&rd, &r->e2e, err);
        else if ((ip = count_field(r, key)))
            rc = read_int(&rd, ip);
        else if ((dp = num_field(r, key)))
            rc = read_num(&rd, dp);
        else
            rc = ob_json_skip(&rd.j);
    }
    if (rc == 0 && more < 0)
        rc = -1;
    if (rc != 0 && rd.j.failed)
        ob_json_err(&rd.j, "worker document", err);
    else if (rc == 0 && !ob_json_at_end(&rd.j))
        rc = ob_err_set(err, "worker document: text after its object");
    free(rd.buf);
    if (rc != 0)
        return -1;
    if (version != DOC_VERSION)
        return ob_err_set(err, "worker document: version %lld, not %d", (long long)version, DOC_VERSION);
    r->mode = r->durability.mode[0] ? r->durability.mode : "default";
    r->broker_acks = r->durability.broker_ack;
    r->ack_meaning = r->durability.acked_means;
    snprintf(r->rate_cause, sizeof r->rate_cause, "%s", d->cause);
    if (!r->publish || !r->publish_raw || !r->send_delay) {
        ob_hist **hs[] = {&r->publish, &r->publish_raw, &r->send_delay};
        for (size_t i = 0; i < 3; i++)
            if (!*hs[i] && !(*hs[i] = ob_hist_new()))
                return ob_err_set(err, "out of memory");
    }
    return 0;
}

void ob_run_doc_free(ob_run_doc *d)
{
    if (!d)
        return;
    ob_hist_free(d->r.publish);
    ob_hist_free(d->r.publish_raw);
    ob_hist_free(d->r.send_delay);
    ob_hist_free(d->r.e2e);
    ob_durability_free(&d->r.durability);
    memset(d, 0, sizeof *d);
}

/* ---- series points ------------------------------------------------------------------ */

int ob_doc_points_append(char **text, const ob_series_point *p, const ob_hist *interval)
{
    char *obj = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&obj, &len);
    if (!f)
        return -1;
    ob_jw w;
    ob_jw_init(&w, f);
    ob_jw_object(&w);
    put_num(&w, "t", p->t);
    put_int(&w, "users", p->users);
    put_int(&w, "sent", p->sent);
    put_int(&w, "acked", p->acked);
    put_int(&w, "failed", p->failed);
    put_num(&w, "e2e_p99_ms", p->e2e_p99_ms);
    put_hist(&w, "publish", interval);
    ob_jw_end(&w);
    int bad = ob_jw_status(&w);
    bad |= fclose(f);
    if (bad) {
        free(obj);
        return -1;
    }
    size_t old = *text ? strlen(*text) : 0;
    char *grown = realloc(*text, old + len + 3);
    if (!grown) {
        free(obj);
        return -1;
    }
    if (old == 0) {
        grown[0] = '[';
        old = 1;
    } else {
        grown[old - 1] = ','; /* the closing bracket */
    }
    memcpy(grown + old, obj, len);
    memcpy(grown + old + len, "]", 2);
    *text = grown;
    free(obj);
    return 0;
}

int ob_doc_points_each(const char *text, int (*fn)(void *arg, const ob_doc_point *p), void *arg, ob_err *err)
{
    size_t len = strlen(text);
    reader rd = {.cap = len + 1};
    rd.buf = malloc(rd.cap);
    ob_hist *h = ob_hist_new();
    if (!rd.buf || !h) {
        free(rd.buf);
        ob_hist_free(h);
        return ob_err_set(err, "out of memory");
    }
    ob_json_init(&rd.j, text, len);
    int rc = ob_json_array_begin(&rd.j);
    int more = rc;
    while (rc == 0 && (more = ob_json_array_next(&rd.j)) > 0) {
        ob_doc_point p = {.e2e_p99_ms = -1, .publish = h};
        ob_hist_reset(h);
        char key[32];
        int m = 0;
        rc = ob_json_object_begin(&rd.j);
        while (rc == 0 && (m = ob_json_object_next(&rd.j, key, sizeof key, NULL)) > 0) {
            if (strcmp(key, "t") == 0)
                rc = read_num(&rd, &p.t);
            else if (strcmp(key, "e2e_p99_ms") == 0) {
                rc = read_num(&rd, &p.e2e_p99_ms);
                if (isnan(p.e2e_p99_ms))
                    p.e2e_p99_ms = -1;
            } else if (strcmp(key, "publish") == 0) {
                if (ob_json_peek(&rd.j) == OB_JSON_NULL)
                    rc = ob_json_null(&rd.j);
                else if ((rc = ob_json_string(&rd.j, rd.buf, rd.cap, NULL)) == 0)
                    rc = ob_hist_decode_add(h, rd.buf, err);
            } else if (strcmp(key, "users") == 0)
                rc = read_int(&rd, &p.users);
            else if (strcmp(key, "sent") == 0)
                rc = read_int(&rd, &p.sent);
            else if (strcmp(key, "acked") == 0)
                rc = read_int(&rd, &p.acked);
            else if (strcmp(key, "failed") == 0)
                rc = read_int(&rd, &p.failed);
            else
                rc = ob_json_skip(&rd.j);
        }
        if (rc == 0 && m < 0)
            rc = -1;
        if (rc == 0 && fn(arg, &p) != 0) {
            free(rd.buf);
            ob_hist_free(h);
            return -1;
        }
    }
    if (rc == 0 && more < 0)
        rc = -1;
    if (rc != 0 && rd.j.failed)
        ob_json_err(&rd.j, "worker series", err);
    else if (rc == 0 && !ob_json_at_end(&rd.j))
        rc = ob_err_set(err, "worker series: text after its array");
    free(rd.buf);
    ob_hist_free(h);
    return rc;
}
