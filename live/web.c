/* web.c — `outbreak web`'s HTTP server (web.h) on libmicrohttpd: routing, the login,
 * CORS for the course project's routes, and the JSON of the dashboard and the monitor. */
#include "web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "assets.h"
#include "broker.h"
#include "control.h"
#include "dash.h"
#include "clock.h"
#include "html_report.h"
#include "json.h"
#include "merge.h"
#include "monitor.h"
#include "prom.h"
#include "report.h"
#include "results.h"
#include "store.h"

#define COURSE_LATEST 50 /* getAllMsg's length, as the course project's */
#define MAX_FORM_FIELDS 64
#define MAX_FORM_BYTES (64 * 1024)

/* The UI's pages and scripts come from this origin only (assets.h). */
static const char ui_csp[] = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                             "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/* One request while its body arrives: a POST's form fields (MHD's post processor parses
 * application/x-www-form-urlencoded and multipart/form-data). */
typedef struct request {
    bool post;
    struct MHD_PostProcessor *pp;
    ob_form_field fields[MAX_FORM_FIELDS];
    size_t nfields, body_bytes;
    bool too_big, too_many, bad_type;
} request;

struct ob_web {
    ob_web_config cfg;
    ob_store *store;
    struct MHD_Daemon *daemon;
    int port;
    atomic_llong counts[3];
    ob_dash *dash; /* scratch, reused by every dashboard request (one serving thread) */
    ob_control *control; /* NULL: no test runner (the /api/run/ routes answer 404) */
    const char *allow;   /* the next 405's Allow header when not "GET, HEAD" (one serving thread) */
    char instance[300];  /* /metrics' instance label: HOST-PID */
};

/* ---- answers ---- */

static enum MHD_Result answer(ob_web *w, struct MHD_Connection *conn, unsigned status, const char *type,
                              char *body, size_t len, bool cors)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    if (cors)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, "*");
    else
        MHD_add_response_header(r, "Content-Security-Policy", ui_csp);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, w->allow ? w->allow : "GET, HEAD");
    w->allow = NULL;
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    atomic_fetch_add(&w->counts[status < 300 ? 0 : status < 500 ? 1 : 2], 1);
    return rc;
}

/* A JSON error body {"error": msg}. */
static enum MHD_Result answer_error(ob_web *w, struct MHD_Connection *conn, unsigned status,
                                    const char *msg, bool cors)
{
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    if (!f)
        return MHD_NO;
    ob_jw j;
    ob_jw_init(&j, f);
    ob_jw_object(&j);
    ob_jw_key(&j, "error");
    ob_jw_str(&j, msg);
    ob_jw_end(&j);
    fclose(f);
    return answer(w, conn, status, "application/json", body, len, cors);
}

/* Writes with fn into memory and answers 200 with it as JSON (500 if writing failed). */
typedef int (*json_fn)(ob_web *w, ob_jw *j, void *arg, ob_err *err);

static enum MHD_Result answer_json(ob_web *w, struct MHD_Connection *conn, json_fn fn, void *arg,
                                   bool cors)
{
    char *body = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&body, &len);
    if (!f)
        return answer_error(w, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", cors);
    ob_jw j;
    ob_jw_init(&j, f);
    ob_err err = {0};
    int rc = fn(w, &j, arg, &err);
    if (rc == 0 && ob_jw_status(&j) != 0)
        rc = ob_err_set(&err, "out of memory writing the answer");
    fclose(f);
    if (rc != 0) {
        free(body);
        unsigned status = err.kind == OB_ERR_USAGE         ? MHD_HTTP_BAD_REQUEST
                          : err.kind == OB_ERR_UNAVAILABLE ? MHD_HTTP_SERVICE_UNAVAILABLE
                                                           : MHD_HTTP_INTERNAL_SERVER_ERROR;
        return answer_error(w, conn, status, err.msg, cors);
    }
    return answer(w, conn, MHD_HTTP_OK, "application/json", body, len, cors);
}

/* ---- the dashboard ---- */

typedef struct dash_query {
    const char *way; /* NULL: all */
    const char *run; /* NULL: all */
} dash_query;

/* Reads the dashboard for q into w->dash. */
static int load_dash(ob_web *w, const dash_query *q, int *sinks, ob_err *err)
{
    if (!w->store)
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "no MongoDB: the dashboard needs --mongo URL");
    return ob_store_dashboard(w->store, q->way, q->run, w->dash, sinks, err);
}

/* A tally as [{"_id": key, "count": n}] by count descending; at most `limit` (0: all). */
static void tally_json(ob_jw *j, const ob_tally *t, size_t limit)
{
    size_t order[OB_DASH_KEYS];
    size_t n = ob_tally_sorted(t, order);
    if (limit && n > limit)
        n = limit;
    ob_jw_array(j);
    for (size_t i = 0; i < n; i++) {
        ob_jw_object(j);
        ob_jw_key(j, "_id");
        ob_jw_str(j, t->e[order[i]].key);
        ob_jw_key(j, "count");
        ob_jw_int(j, t->e[order[i]].n);
        ob_jw_end(j);
    }
    ob_jw_end(j);
}

static void regions_json(ob_jw *j, const ob_dash *d)
{
    ob_tally regions = {0};
    int64_t per[OB_REGION_COUNT];
    ob_dash_regions(&d->location, per);
    for (int i = 0; i < OB_REGION_COUNT; i++)
        if (per[i] > 0)
            ob_tally_add(&regions, ob_regions[i], per[i]);
    tally_json(j, &regions, 0);
}

static void ages_json(ob_jw *j, const ob_dash *d)
{
    ob_tally ages = {0};
    for (int i = 0; i < OB_DASH_AGE_BUCKETS; i++)
        if (d->age[i] > 0)
            ob_tally_add(&ages, ob_dash_age_label(i), d->age[i]);
    tally_json(j, &ages, 0);
}

static const char *channel_of(const char *way)
{
    const ob_broker_ops *ops = ob_broker_by_way(way);
    return ops && ops->course_channel ? ops->course_channel : way;
}

/* The latest cases, newest first, at most `limit`; course: the course project's fields
 * (canal, fecha as ISO 8601), else outbreak's (way, run, persisted_at in epoch ms). */
static void latest_json(ob_jw *j, const ob_dash *d, size_t limit, bool course)
{
    ob_jw_array(j);
    for (size_t i = 0; i < d->nlatest && i < limit; i++) {
        const ob_dash_case *c = &d->latest[i];
        ob_jw_object(j);
        ob_jw_key(j, "name");
        ob_jw_str(j, c->r.name);
        ob_jw_key(j, "location");
        ob_jw_str(j, c->r.location);
        ob_jw_key(j, "age");
        ob_jw_int(j, c->r.age);
        ob_jw_key(j, "infectedtype");
        ob_jw_str(j, c->r.infectedtype);
        ob_jw_key(j, "state");
        ob_jw_str(j, c->r.state);
        if (course) {
            char fecha[40];
            time_t secs = (time_t)(c->persisted_ms / 1000);
            struct tm tm;
            gmtime_r(&secs, &tm);
            size_t k = strftime(fecha, sizeof fecha, "%Y-%m-%dT%H:%M:%S", &tm);
            snprintf(fecha + k, sizeof fecha - k, ".%03dZ", (int)(c->persisted_ms % 1000));
            ob_jw_key(j, "canal");
            ob_jw_str(j, channel_of(c->way));
            ob_jw_key(j, "fecha");
            ob_jw_str(j, fecha);
        } else {
            ob_jw_key(j, "way");
            ob_jw_str(j, c->way);
            ob_jw_key(j, "run");
            ob_jw_str(j, c->run);
            ob_jw_key(j, "persisted_at_ms");
            ob_jw_int(j, c->persisted_ms);
        }
        ob_jw_end(j);
    }
    ob_jw_end(j);
}

static int dashboard_json(ob_web *w, ob_jw *j, void *arg, ob_err *err)
{
    const dash_query *q = arg;
    int sinks;
    if (load_dash(w, q, &sinks, err) != 0)
        return -1;
    const ob_dash *d = w->dash;
    ob_jw_object(j);
    ob_jw_key(j, "way");
    ob_jw_str(j, q->way ? q->way : "all");
    ob_jw_key(j, "run");
    if (q->run)
        ob_jw_str(j, q->run);
    else
        ob_jw_null(j);
    ob_jw_key(j, "sink_documents");
    ob_jw_int(j, sinks);
    ob_jw_key(j, "records");
    ob_jw_int(j, d->records);
    ob_jw_key(j, "top5_departments");
    tally_json(j, &d->location, 5);
    ob_jw_key(j, "departments");
    tally_json(j, &d->location, 0);
    ob_jw_key(j, "regions");
    regions_json(j, d);
    ob_jw_key(j, "by_state");
    tally_json(j, &d->state, 0);
    ob_jw_key(j, "by_infectedtype");
    tally_json(j, &d->infectedtype, 0);
    ob_jw_key(j, "age_ranges");
    ages_json(j, d);
    ob_jw_key(j, "latest");
    latest_json(j, d, OB_DASH_LATEST, false);
    ob_jw_end(j);
    return 0;
}

/* ---- the course project's routes ---- */

typedef enum course_view {
    COURSE_ALL_MSG,
    COURSE_LAST5,
    COURSE_TOP5,
    COURSE_REGION,
    COURSE_STATE,
    COURSE_TYPE,
    COURSE_AGES,
} course_view;

typedef struct course_query {
    course_view view;
    const char *way; /* getAllMsg/:canal: the way of that canal; NULL: all */
} course_query;

static int course_json(ob_web *w, ob_jw *j, void *arg, ob_err *err)
{
    const course_query *q = arg;
    dash_query dq = {.way = q->way, .run = NULL};
    if (load_dash(w, &dq, NULL, err) != 0)
        return -1;
    const ob_dash *d = w->dash;
    switch (q->view) {
    case COURSE_ALL_MSG:
        latest_json(j, d, COURSE_LATEST, true);
        break;
    case COURSE_LAST5:
        latest_json(j, d, 5, true);
        break;
    case COURSE_TOP5:
        tally_json(j, &d->location, 5);
        break;
    case COURSE_REGION:
        regions_json(j, d);
        break;
    case COURSE_STATE:
        tally_json(j, &d->state, 0);
        break;
    case COURSE_TYPE:
        tally_json(j, &d->infectedtype, 0);
        break;
    case COURSE_AGES:
        ages_json(j, d);
        break;
    }
    return 0;
}

/* The way whose course channel is `canal` (URL-decoded by libmicrohttpd), compared
 * without case; NULL if none. */
static const char *way_of_channel(const char *canal)
{
    for (int i = 0; i < ob_broker_count(); i++) {
        const ob_broker_ops *ops = ob_broker_at(i);
        if (ops->course_channel && strcasecmp(ops->course_channel, canal) == 0)
            return ops->way;
    }
    return NULL;
}

/* ---- the monitor ---- */

typedef struct monitor_query {
    bool processes;
    bool course;
    const char *filter;
} monitor_query;

static int monitor_json(ob_web *w, ob_jw *j, void *arg, ob_err *err)
{
    const monitor_query *q = arg;
    if (!q->processes) {
        ob_monitor_ram_info ram;
        if (ob_monitor_ram(&ram, w->cfg.proc_root, err) != 0)
            return -1;
        if (q->course)
            ob_monitor_course_ram_json(j, &ram);
        else
            ob_monitor_ram_json(j, &ram);
        return 0;
    }
    ob_monitor_proc *procs;
    size_t n;
    if (ob_monitor_processes(&procs, &n, w->cfg.proc_root, err) != 0)
        return -1;
    if (q->course)
        ob_monitor_course_processes_json(j, procs, n);
    else
        ob_monitor_processes_json(j, procs, n, q->filter);
    ob_monitor_processes_free(procs, n);
    return 0;
}

/* ---- routing ---- */

static bool logged_in(ob_web *w, struct MHD_Connection *conn)
{
    return ob_listener_login_ok(conn, w->cfg.login);
}

static enum MHD_Result ask_login(ob_web *w, struct MHD_Connection *conn)
{
    atomic_fetch_add(&w->counts[1], 1);
    return ob_listener_ask_login(conn, "application/json", "{\"error\":\"login required\"}");
}

static const char *arg_of(struct MHD_Connection *conn, const char *name)
{
    const char *v = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
    return v && *v ? v : NULL;
}

/* A course route (path under /consulta/ or /prueba1|2): answers it and returns true, or
 * returns false for a path that is not one. */
static bool course_route(ob_web *w, struct MHD_Connection *conn, const char *url, enum MHD_Result *rc)
{
    static const struct {
        const char *path;
        course_view view;
    } views[] = {
        {"/consulta/getAllMsg", COURSE_ALL_MSG},
        {"/consulta/ultimos5casos", COURSE_LAST5},
        {"/consulta/getTop5DerpartamentosInfectados", COURSE_TOP5},
        {"/consulta/regionMasInfectada", COURSE_REGION},
        {"/consulta/getForState", COURSE_STATE},
        {"/consulta/getForInfectedType", COURSE_TYPE},
        {"/consulta/rangoEdades", COURSE_AGES},
    };
    for (size_t i = 0; i < sizeof views / sizeof views[0]; i++) {
        if (strcmp(url, views[i].path) == 0) {
            course_query q = {.view = views[i].view};
            *rc = answer_json(w, conn, course_json, &q, true);
            return true;
        }
    }
    static const char all_prefix[] = "/consulta/getAllMsg/";
    if (strncmp(url, all_prefix, sizeof all_prefix - 1) == 0) {
        const char *canal = url + sizeof all_prefix - 1;
        course_query q = {.view = COURSE_ALL_MSG, .way = way_of_channel(canal)};
        if (!q.way) {
            char known[200] = "", msg[300];
            size_t k = 0;
            for (int i = 0; i < ob_broker_count() && k < sizeof known; i++) {
                const char *ch = ob_broker_at(i)->course_channel;
                if (ch && !strstr(known, ch))
                    k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", k ? ", " : "", ch);
            }
            snprintf(msg, sizeof msg, "unknown canal \"%.60s\" (%s)", canal, known);
            *rc = answer_error(w, conn, MHD_HTTP_NOT_FOUND, msg, true);
        } else {
            *rc = answer_json(w, conn, course_json, &q, true);
        }
        return true;
    }
    if (strcmp(url, "/prueba1") == 0 || strcmp(url, "/prueba2") == 0) {
        monitor_query q = {.processes = url[7] == '2', .course = true};
        *rc = answer_json(w, conn, monitor_json, &q, true);
        return true;
    }
    return false;
}

/* ---- the test runner's routes ---- */

typedef struct run_query {
    int what; /* 0 state, 1 series, 2 logs */
    size_t from;
} run_query;

static int run_json(ob_web *w, ob_jw *j, void *arg, ob_err *err)
{
    (void)err;
    const run_query *q = arg;
    if (q->what == 0)
        ob_control_state_json(w->control, j);
    else if (q->what == 1)
        ob_control_series_json(w->control, j, q->from);
    else
        ob_control_logs_json(w->control, j, q->from);
    return 0;
}

static int parse_from(const char *v, size_t *out)
{
    *out = 0;
    if (!v)
        return 0;
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (*v < '0' || *v > '9' || *end || errno || n > (1ULL << 40))
        return -1;
    *out = (size_t)n;
    return 0;
}

/* A page of another origin must not start, stop or edit a test: every POST carries the
 * header X-Outbreak (which a cross-origin page can only send after a CORS preflight,
 * never granted here), and an Origin, when the browser sends one, is this server's. */
static const char *post_refused(struct MHD_Connection *conn)
{
    const char *mark = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Outbreak");
    if (!mark || strcmp(mark, "1") != 0)
        return "a POST needs the header X-Outbreak: 1 (the UI sends it; a page of another origin cannot)";
    const char *origin = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Origin");
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    if (origin && strcmp(origin, "null") != 0) {
        const char *rest = strncmp(origin, "http://", 7) == 0 ? origin + 7
                           : strncmp(origin, "https://", 8) == 0 ? origin + 8
                                                                  : NULL;
        if (!rest || !host || strcmp(rest, host) != 0)
            return "a POST from another origin is refused";
    } else if (origin) {
        return "a POST from an opaque origin is refused";
    }
    return NULL;
}

static enum MHD_Result answer_action(ob_web *w, struct MHD_Connection *conn, const char *url, request *rq)
{
    if (rq->too_big)
        return answer_error(w, conn, MHD_HTTP_CONTENT_TOO_LARGE, "the form is over 64 KiB", false);
    if (rq->too_many)
        return answer_error(w, conn, MHD_HTTP_BAD_REQUEST, "the form has over 64 fields", false);
    if (rq->bad_type)
        return answer_error(w, conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
                            "the body must be application/x-www-form-urlencoded or multipart/form-data", false);
    const char *refused = post_refused(conn);
    if (refused)
        return answer_error(w, conn, MHD_HTTP_FORBIDDEN, refused, false);
    ob_err err = {0};
    int rc;
    const char *action = url + strlen("/api/run/");
    if (strcmp(action, "start") == 0)
        rc = ob_control_start(w->control, rq->fields, rq->nfields, &err);
    else if (strcmp(action, "edit") == 0)
        rc = ob_control_edit(w->control, rq->fields, rq->nfields, &err);
    else if (strcmp(action, "stop") == 0)
        rc = ob_control_stop(w->control, &err);
    else if (strcmp(action, "reset") == 0)
        rc = ob_control_reset(w->control, &err);
    else if (strcmp(action, "new") == 0)
        rc = ob_control_new_test(w->control, &err);
    else
        return answer_error(w, conn, MHD_HTTP_NOT_FOUND, "no such action (start, edit, stop, reset, new)", false);
    if (rc != 0) {
        unsigned status = err.kind == OB_ERR_USAGE      ? MHD_HTTP_BAD_REQUEST
                          : err.kind == OB_ERR_REJECTED ? MHD_HTTP_CONFLICT
                                                        : MHD_HTTP_INTERNAL_SERVER_ERROR;
        return answer_error(w, conn, status, err.msg, false);
    }
    run_query q = {.what = 0};
    return answer_json(w, conn, run_json, &q, false);
}

/* GET /metrics: the test's figures (control.h: ob_control_metrics), and this process's
 * CPU and memory labelled role="web". */
static enum MHD_Result answer_metrics(ob_web *w, struct MHD_Connection *conn)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return MHD_NO;
    if (w->control)
        ob_control_metrics(w->control, f);
    char labels[512];
    ob_prom_labels(labels, sizeof labels, (const char *[]){"role", "web", "instance", w->instance, NULL});
    ob_prom_process(f, labels);
    if (fclose(f) != 0) {
        free(text);
        return MHD_NO;
    }
    return answer(w, conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, len, false);
}

static enum MHD_Result answer_file(ob_web *w, struct MHD_Connection *conn, const char *name, char *body, size_t len);

static enum MHD_Result answer_download(ob_web *w, struct MHD_Connection *conn, const char *name)
{
    char path[512];
    if (ob_control_download(w->control, name, path, sizeof path) != 0)
        return answer_error(w, conn, MHD_HTTP_NOT_FOUND, "no such download (see the state's downloads)", false);
    FILE *f = fopen(path, "r");
    if (!f)
        return answer_error(w, conn, MHD_HTTP_NOT_FOUND, "no such download", false);
    char *body = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&body, &len);
    char buf[65536];
    size_t n;
    while (m && (n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, m);
    fclose(f);
    if (!m || fclose(m) != 0)
        return answer_error(w, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", false);
    return answer_file(w, conn, name, body, len);
}

/* A file to download (body malloc'd, taken): its type by its name's extension, shown
 * with no script or style of another origin. */
static enum MHD_Result answer_file(ob_web *w, struct MHD_Connection *conn, const char *name, char *body, size_t len)
{
    const char *dot = strrchr(name, '.');
    const char *type = !dot                        ? "application/octet-stream"
                       : strcmp(dot, ".csv") == 0  ? "text/csv; charset=utf-8"
                       : strcmp(dot, ".json") == 0 ? "application/json"
                       : strcmp(dot, ".html") == 0 ? "text/html; charset=utf-8"
                                                   : "application/octet-stream";
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(body);
        return MHD_NO;
    }
    char disposition[200];
    snprintf(disposition, sizeof disposition, "attachment; filename=\"%s\"", name);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    atomic_fetch_add(&w->counts[0], 1);
    return rc;
}

/* ---- scale-out: the merged result of a run's load generators (merge/) ---- */

/* The merged summary of run (JSON) into *json; -1 with err. */
static int merged_summary(ob_web *w, const char *run, ob_merge **m, char **json, size_t *len, ob_err *err)
{
    volatile sig_atomic_t never = 0;
    if (!w->store)
        return ob_err_setk(err, OB_ERR_UNAVAILABLE, "no MongoDB: the merge needs --mongo URL");
    if (ob_merge_run(w->store, run, 0, &never, m, err) != 0)
        return -1;
    FILE *f = open_memstream(json, len);
    if (!f || ob_report_json(f, &(*m)->r) != 0 || fclose(f) != 0)
        return ob_err_set(err, "out of memory");
    return 0;
}

/* GET /merge/summary.json?run=ID and /merge/report.html?run=ID: the merged result as
 * `outbreak merge --json` and `--html` write it, to download. */
static enum MHD_Result answer_merge(ob_web *w, struct MHD_Connection *conn, const char *what)
{
    bool html = strcmp(what, "report.html") == 0;
    if (!html && strcmp(what, "summary.json") != 0)
        return answer_error(w, conn, MHD_HTTP_NOT_FOUND, "no such route (/merge/summary.json, /merge/report.html)", false);
    const char *run = arg_of(conn, "run");
    if (!run || !ob_run_id_valid(run))
        return answer_error(w, conn, MHD_HTTP_BAD_REQUEST, "run: the run id of the workers is required ([A-Za-z0-9._-]+)",
                            false);
    ob_merge *m = NULL;
    char *json = NULL, *params = NULL, *doc = NULL, *page = NULL;
    size_t len = 0, dlen = 0, plen = 0;
    ob_err err = {0};
    enum MHD_Result rc;
    if (merged_summary(w, run, &m, &json, &len, &err) != 0) {
        unsigned status = err.kind == OB_ERR_USAGE         ? MHD_HTTP_NOT_FOUND
                          : err.kind == OB_ERR_UNAVAILABLE ? MHD_HTTP_SERVICE_UNAVAILABLE
                                                           : MHD_HTTP_INTERNAL_SERVER_ERROR;
        rc = answer_error(w, conn, status, err.msg, false);
        goto out;
    }
    char name[OB_RUN_CAP + 32];
    snprintf(name, sizeof name, "%s-merged.%s", run, html ? "html" : "json");
    if (!html) {
        rc = answer_file(w, conn, name, json, len);
        json = NULL;
        goto out;
    }
    const char *middlewares[1] = {m->r.way};
    params = ob_params_json(middlewares, 1, 0, NULL, &m->opts, w->cfg.mongo_url, true);
    char *summaries[1] = {json};
    ob_results res = {.kind = "run", .id = run, .started_real_ns = m->r.t0_real_ns, .finished_real_ns = ob_real_ns(),
                      .params_json = params, .summaries = summaries, .nsummaries = 1};
    FILE *f = params ? open_memstream(&doc, &dlen) : NULL;
    if (f)
        ob_results_write(f, &res);
    FILE *p = f && fclose(f) == 0 ? open_memstream(&page, &plen) : NULL;
    int bad = !p || ob_html_report_write(p, doc, dlen, &err) != 0;
    if (p)
        bad |= fclose(p) != 0;
    if (bad) {
        rc = answer_error(w, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, err.msg[0] ? err.msg : "out of memory", false);
        goto out;
    }
    rc = answer_file(w, conn, name, page, plen);
    page = NULL;
out:
    free(json);
    free(params);
    free(doc);
    free(page);
    ob_merge_free(m);
    return rc;
}

static enum MHD_Result answer_asset(ob_web *w, struct MHD_Connection *conn, const ob_asset *a)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, a->content_type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Content-Security-Policy", ui_csp);
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    atomic_fetch_add(&w->counts[0], 1);
    return rc;
}

/* ---- the request ---- */

static enum MHD_Result on_form_field(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
                                     const char *content_type, const char *transfer_encoding,
                                     const char *data, uint64_t off, size_t size)
{
    (void)kind;
    (void)filename;
    (void)content_type;
    (void)transfer_encoding;
    request *rq = cls;
    ob_form_field *f = NULL;
    if (off > 0 && rq->nfields > 0 && strcmp(rq->fields[rq->nfields - 1].name, key) == 0) {
        f = &rq->fields[rq->nfields - 1]; /* the next piece of the value in hand */
    } else {
        if (rq->nfields == MAX_FORM_FIELDS) {
            rq->too_many = true;
            return MHD_YES;
        }
        f = &rq->fields[rq->nfields];
        f->name = strdup(key);
        f->value = strdup("");
        if (!f->name || !f->value) {
            free((char *)f->name);
            free((char *)f->value);
            return MHD_NO;
        }
        rq->nfields++;
    }
    size_t have = strlen(f->value);
    char *v = realloc((char *)f->value, have + size + 1);
    if (!v)
        return MHD_NO;
    memcpy(v + have, data, size);
    v[have + size] = 0;
    f->value = v;
    return MHD_YES;
}

static void request_free(request *rq)
{
    if (!rq)
        return;
    if (rq->pp)
        MHD_destroy_post_processor(rq->pp);
    for (size_t i = 0; i < rq->nfields; i++) {
        free((char *)rq->fields[i].name);
        free((char *)rq->fields[i].value);
    }
    free(rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    request_free(*req_cls);
    *req_cls = NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    (void)version;
    ob_web *w = cls;
    request *rq = *req_cls;
    if (!rq) { /* the first call is for the headers only */
        rq = calloc(1, sizeof *rq);
        if (!rq)
            return MHD_NO;
        *req_cls = rq;
        rq->post = strcmp(method, "POST") == 0;
        if (rq->post) {
            rq->pp = MHD_create_post_processor(conn, 16 * 1024, on_form_field, rq);
            const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
            rq->bad_type = !rq->pp && ct && *ct; /* no body at all is an empty form */
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        rq->body_bytes += *upload_data_size;
        if (rq->body_bytes > MAX_FORM_BYTES)
            rq->too_big = true;
        else if (rq->pp && !rq->too_many && MHD_post_process(rq->pp, upload_data, *upload_data_size) != MHD_YES)
            rq->bad_type = true;
        *upload_data_size = 0;
        return MHD_YES;
    }
    bool course = w->cfg.course_api &&
                  (strncmp(url, "/consulta/", 10) == 0 || strcmp(url, "/prueba1") == 0 ||
                   strcmp(url, "/prueba2") == 0);
    bool run_action = w->control && strncmp(url, "/api/run/", 9) == 0 && rq->post;
    if (!run_action && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return answer_error(w, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                            w->control ? "only GET is served here (POST: /api/run/start|edit|stop|reset|new)"
                                       : "only GET is served",
                            course);
    enum MHD_Result rc;
    if (course && course_route(w, conn, url, &rc))
        return rc;
    if (strcmp(url, "/healthz") == 0)
        return answer(w, conn, MHD_HTTP_OK, "text/plain", strdup("ok\n"), 3, false);
    if (!logged_in(w, conn))
        return ask_login(w, conn);
    if (run_action)
        return answer_action(w, conn, url, rq);
    const ob_asset *asset = ob_asset_find(url);
    if (asset)
        return answer_asset(w, conn, asset);
    if (w->control && strncmp(url, "/api/run/", 9) == 0) {
        static const char *const actions[] = {"start", "edit", "stop", "reset", "new"};
        for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
            if (strcmp(url + 9, actions[i]) == 0) {
                w->allow = "POST";
                return answer_error(w, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "an action is a POST", false);
            }
        run_query q = {.what = -1};
        const char *what = url + 9;
        q.what = strcmp(what, "state") == 0 ? 0 : strcmp(what, "series") == 0 ? 1 : strcmp(what, "logs") == 0 ? 2 : -1;
        if (q.what < 0)
            return answer_error(w, conn, MHD_HTTP_NOT_FOUND, "no such route (state, series, logs)", false);
        if (parse_from(arg_of(conn, "from"), &q.from) != 0)
            return answer_error(w, conn, MHD_HTTP_BAD_REQUEST, "from: expected a whole number", false);
        return answer_json(w, conn, run_json, &q, false);
    }
    if (w->control && strncmp(url, "/download/", 10) == 0)
        return answer_download(w, conn, url + 10);
    if (strcmp(url, "/metrics") == 0)
        return answer_metrics(w, conn);
    if (strncmp(url, "/merge/", 7) == 0)
        return answer_merge(w, conn, url + 7);
    if (strcmp(url, "/api/dashboard") == 0) {
        dash_query q = {.way = arg_of(conn, "way"), .run = arg_of(conn, "run")};
        if (q.way && strcmp(q.way, "all") == 0)
            q.way = NULL;
        if (q.way && !ob_broker_by_way(q.way)) {
            char msg[200];
            snprintf(msg, sizeof msg, "unknown way \"%.40s\" (all, %s)", q.way, ob_broker_ways());
            return answer_error(w, conn, MHD_HTTP_BAD_REQUEST, msg, false);
        }
        if (q.run && !ob_run_id_valid(q.run))
            return answer_error(w, conn, MHD_HTTP_BAD_REQUEST, "run: not a run id ([A-Za-z0-9._-]+)", false);
        return answer_json(w, conn, dashboard_json, &q, false);
    }
    if (strcmp(url, "/api/monitor/ram") == 0 || strcmp(url, "/api/monitor/processes") == 0) {
        monitor_query q = {.processes = url[13] == 'p', .filter = arg_of(conn, "filter")};
        return answer_json(w, conn, monitor_json, &q, false);
    }
    return answer_error(w, conn, MHD_HTTP_NOT_FOUND, "no such route (see outbreak web --help)", false);
}

static void mhd_log(void *cls, const char *fm, va_list ap)
{
    (void)cls;
    fputs("outbreak web: ", stderr);
    vfprintf(stderr, fm, ap);
}

int ob_web_start(ob_web **out, const ob_web_config *cfg, ob_err *err)
{
    *out = NULL;
    ob_web *w = calloc(1, sizeof *w);
    if (!w || !(w->dash = calloc(1, sizeof *w->dash))) {
        free(w);
        return ob_err_set(err, "out of memory");
    }
    w->cfg = *cfg;
    if (!w->cfg.proc_root)
        w->cfg.proc_root = "/proc";
    w->control = cfg->control;
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    snprintf(w->instance, sizeof w->instance, "%s-%ld", host, (long)getpid());
    if (cfg->mongo_url && ob_store_open(&w->store, cfg->mongo_url, err) != 0)
        goto fail;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
                     ob_listener_tls_flags(cfg->tls);
    struct MHD_OptionItem tls_options[OB_LISTENER_TLS_OPTIONS];
    ob_listener_tls_options(cfg->tls, tls_options);
    if (inet_pton(AF_INET, cfg->host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        ob_err_setk(err, OB_ERR_USAGE, "--web-host: not an IP address: \"%s\"", cfg->host);
        goto fail;
    }
    w->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, w, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
                                 w, MHD_OPTION_NOTIFY_COMPLETED, on_completed, w, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                 MHD_OPTION_CONNECTION_LIMIT, (unsigned)256, MHD_OPTION_ARRAY, tls_options,
                                 MHD_OPTION_END);
    if (!w->daemon) {
        ob_err_set(err, "cannot listen on %s:%d (in use, not an address of this host%s)", cfg->host, cfg->port,
                   ob_listener_tls_flags(cfg->tls) ? ", or a key that does not fit the certificate" : "");
        goto fail;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->daemon, MHD_DAEMON_INFO_BIND_PORT);
    w->port = info ? info->port : cfg->port;
    *out = w;
    return 0;
fail:
    ob_web_stop(w);
    return -1;
}

int ob_web_port(const ob_web *w)
{
    return w->port;
}

void ob_web_counts(const ob_web *w, long long counts[3])
{
    for (int i = 0; i < 3; i++)
        counts[i] = atomic_load(&((ob_web *)w)->counts[i]);
}

void ob_web_stop(ob_web *w)
{
    if (!w)
        return;
    if (w->daemon)
        MHD_stop_daemon(w->daemon);
    ob_store_close(w->store);
    free(w->dash);
    free(w);
}
