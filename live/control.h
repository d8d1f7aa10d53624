/* control.h — the web UI's test runner: starts, edits, stops and follows runs of the load
 * generator (loadgen/run.h) in this process, one middleware after another when several
 * are asked for (what `outbreak compare` does), and keeps what the UI shows: the status,
 * the statistics table, the per-second series of every middleware, the failures, a log
 * and the files to download (Locust's CSVs, the JSON summaries, the HTML report).
 *
 * Every function is thread-safe: the HTTP server's thread calls them while the run's
 * own thread (one, started by ob_control_start) runs the load.
 *
 * The JSON it writes (the routes of live/web.h):
 *
 * GET /api/run/state
 *   {"status": "ready"|"running"|"stopping"|"stopped",   (stopping: sending over, the
 *                                     acks and the sinks being waited for)
 *    "run_id": "ID"|null, "middleware": "nats"|null (the one running or last run),
 *    "host": "nats://127.0.0.1:4222"|null (its URL, password masked),
 *    "users": N, "records_per_s": X (acked in the last second), "fail_ratio": X (0..1,
 *    failed / sent so far over the whole test), "elapsed_s": X,
 *    "model": "closed"|"open", "target_users": N, "spawn_rate": X, "rate": X (0: closed),
 *    "rate_max": bool,
 *    "run_time_s": X (0: until stopped),
 *    "form": {"brokers": ["URL", ...], "users": N, "spawn_rate": X, "rate": X|null,
 *             "rate_max": bool (--rate max: no pacing; rate is null),
 *             "run_time": "30s"|"", "wait": "0.1-0.9"|"", "mongo": true|false},
 *                                    (what the start form is pre-filled with)
 *    "queue": [{"middleware": "nats", "host": "URL", "run_id": "ID",
 *               "status": "waiting"|"running"|"done"|"failed"|"skipped", "error": "..."|null}],
 *    "stats": [{"middleware", "host", "run_id", "status", "requests" (sent), "acked",
 *               "failures", "persisted", "duplicates", "lost", "unconfirmed" (null: unknown),
 *               "median_ms", "p90_ms", "p95_ms", "p99_ms", "average_ms", "min_ms", "max_ms"
 *               (publish latency since the last reset, null before any ack),
 *               "e2e_p50_ms", "e2e_p95_ms", "e2e_p99_ms" (null: unknown),
 *               "average_size", "current_rps", "current_failures_per_s",
 *               "acked_means"}],   (one row per middleware of the test)
 *    "failures": [{"middleware", "message", "occurrences"}],
 *    "downloads": [{"name": "nats_stats.csv", "href": "/download/nats_stats.csv"}, ...],
 *    "reset_at_s": X|null, "error": "..."|null, "course_api": bool, "login": bool}
 *
 * GET /api/run/series?from=K   the per-second points from the K-th on (0 at the start):
 *   {"next": N, "test": T (changes with every new test: a client holding points of
 *    another test drops them), "points": [{"middleware", "t" (seconds since that
 *    middleware's start), "users", "sent", "acked", "failed", "persisted" (null: unknown),
 *    "publish_p50_ms", "publish_p95_ms", "publish_p99_ms" (that second's; null: no ack),
 *    "e2e_p50_ms", "e2e_p95_ms", "e2e_p99_ms" (null: unknown)}, ...]}
 *
 * GET /api/run/logs?from=K     {"next": N, "lines": [{"time": epoch_s, "text": "..."}]}
 *
 * POST /api/run/start   form fields: broker (repeatable or one URL per line: several =
 *                       a comparison), users, spawn_rate, rate (empty or 0: closed model),
 *                       run_time ("30s", empty: until stopped), wait ("0.1-0.9")
 * POST /api/run/edit    users, spawn_rate (closed model) or rate (open model)
 * POST /api/run/stop, /api/run/reset (statistics table from now on), /api/run/new
 *   200 with the state; 400 {"error"} for a bad field; 409 {"error"} when the test is
 *   not in a state that allows it (start while running, edit when stopped, ...).
 *
 * GET /download/NAME    a file the state lists under "downloads". */
#ifndef OB_CONTROL_H
#define OB_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "json.h"
#include "options.h"

typedef struct ob_control ob_control;

/* A form's fields: name/value pairs (a name may repeat). */
typedef struct ob_form_field {
    const char *name, *value;
} ob_form_field;

/* What the start form is pre-filled with and what every run inherits (threads,
 * --mongo, --records, --stop-timeout, ...): the flags of `outbreak run`, and further
 * broker URLs for a comparison. `defaults` is copied. With autostart, the test starts
 * at once with the defaults. */
typedef struct ob_control_config {
    const ob_run_opts *defaults;
    const char *const *brokers; /* NULL/0: defaults->broker */
    size_t nbrokers;
    bool course_api, login;     /* shown by the UI */
    bool autostart;
    bool autoquit;              /* quit autoquit_ns after the test ended (ob_web_serve); */
    int64_t autoquit_ns;        /* false: serve until interrupted */
} ob_control_config;

int ob_control_new(ob_control **out, const ob_control_config *cfg, ob_err *err);

/* The start form read against the defaults, without any state (a fuzz target's): the
 * brokers (fields named broker, repeatable, one URL per line, each checked; none: the
 * default brokers) and the run's options (users, spawn_rate, rate, run_time, wait over
 * the defaults). Returns 0, or -1 with err (OB_ERR_USAGE) naming the field. */
#define OB_CONTROL_MAX_BROKERS 16
typedef struct ob_start_form {
    ob_run_opts opts;          /* its broker and run_id are not set */
    char urls[OB_CONTROL_MAX_BROKERS][1024];
    int nurls;
} ob_start_form;
int ob_control_parse_start(const ob_run_opts *defaults, char *const *default_brokers, size_t ndefault,
                           const ob_form_field *f, size_t n, ob_start_form *out, ob_err *err);

/* The POST actions. Return 0, or -1 with err: OB_ERR_USAGE for a bad field (400),
 * OB_ERR_REJECTED for an action the test's state does not allow (409). */
int ob_control_start(ob_control *c, const ob_form_field *f, size_t n, ob_err *err);
int ob_control_edit(ob_control *c, const ob_form_field *f, size_t n, ob_err *err);
int ob_control_stop(ob_control *c, ob_err *err);
int ob_control_reset(ob_control *c, ob_err *err);
int ob_control_new_test(ob_control *c, ob_err *err);

/* The GET answers above. */
void ob_control_state_json(ob_control *c, ob_jw *j);
void ob_control_series_json(ob_control *c, ob_jw *j, size_t from);
void ob_control_logs_json(ob_control *c, ob_jw *j, size_t from);

/* The Prometheus figures of the middleware under test (run_metrics.h, role "loadgen"),
 * as its last second (or its end) left them; nothing before the first test. The web
 * UI's /metrics. */
void ob_control_metrics(ob_control *c, FILE *f);

/* The path of a download named `name` (into buf), or -1 when there is none. */
int ob_control_download(ob_control *c, const char *name, char *buf, size_t cap);

/* Whether the latest test has ended (every middleware done, failed or skipped), and
 * then how long ago, and the exit status `outbreak run` would have for it: 99 when a
 * threshold failed, else 1 (or 2) when a record failed or was lost or a middleware
 * could not run, else 3 when some were unconfirmed, else 0 (--autoquit). */
bool ob_control_ended(ob_control *c, double *ago_s, int *status);

/* True while a test runs (for `outbreak run`'s exit). */
bool ob_control_running(ob_control *c);

/* Stops a running test, waits for its thread, removes the downloads' directory. NULL-safe. */
void ob_control_free(ob_control *c);

#endif
