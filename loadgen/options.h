/* options.h — the flags of `outbreak run`, their defaults and their parsing.
 *
 * Locust's flags keep Locust's names and meanings (-u, -r, -t, --headless,
 * --only-summary, --csv, --stop-timeout); the rest are outbreak's (--rate, --broker,
 * --records, --once, --seed, --mongo, --json, ...). */
#ifndef OB_OPTIONS_H
#define OB_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "broker.h"
#include "err.h"
#include "record.h"
#include "stages.h"
#include "threshold.h"

#define OB_MAX_WORKERS 1024

typedef struct ob_run_opts {
    const char *broker;       /* adapter URL */
    const char *mongo;        /* NULL: no persistence figures (persisted/lost are null) */
    const char *records;      /* records file; NULL: the seeded generator */
    bool once;                /* send each record once, then stop */
    long long iterations;     /* -i: records to send in all (over threads and workers),
                                 then stop (k6's --iterations); 0: no bound */
    uint64_t seed;            /* generator and wait-time seed */
    long pool;                /* generated records to cycle through */
    long record_size;         /* --record-size: each record padded to about this many bytes
                                 on the wire, metadata included (0: as they are) */
    long users;               /* closed model: simulated users */
    double spawn_rate;        /* users started per second */
    double wait_min, wait_max; /* seconds a user waits after its ack before sending again */
    double rate;              /* open model: records per second (0 = closed model) */
    bool rate_max;            /* --rate max: open model without pacing (rate is huge) */
    int64_t tick_ns;          /* --tick T: the open model sends on this grid (0: not given,
                                 or --tick 0: see tick_off) */
    bool tick_off;            /* --tick 0: each record at its own time, no auto step */
    ob_auto_tick auto_tick;   /* --tick auto (neither of the above): the adapter's step
                                 (broker.h), resolved by ob_run_open; {0}: none */
    int64_t run_time_ns;      /* 0: until interrupted or --once is done */
    ob_stages stages;         /* --stages (n 0: none): the load over time; with them rate
                                 (rate stages) or users (user stages) is the peak and
                                 run_time_ns their duration */
    int64_t warmup_ns;        /* --warmup: the load runs this long before the measured
                                 time, its records under ob_warmup_run_id (0: none) */
    bool reset_stats;         /* --reset-stats (Locust's): the closed model's spawning is
                                 the warm-up, within run_time_ns; applied by
                                 ob_run_opts_apply_reset_stats when the run opens */
    int64_t stop_timeout_ns;  /* bound on waiting for acks and for the sink to drain */
    long threads;             /* worker threads */
    long connections;         /* HTTP load mode: keep-alive connections in all, split over
                                 the threads (0: the URL's, 8 per thread by default) */
    long max_inflight;        /* per worker; power of two */
    bool headless, only_summary;
    bool autostart;           /* with the web UI: start the test at once */
    bool autoquit_given;      /* --autoquit: with autostart, quit autoquit_ns after */
    int64_t autoquit_ns;      /* the test ended */
    const char *web_host;     /* the web UI's address (default 127.0.0.1) */
    long web_port;            /* and port (default 8089) */
    const char *web_login;    /* "USER:PASS" or NULL */
    const char *csv_prefix;
    const char *json_path;
    const char *html_path;    /* --html: the self-contained report */
    const char *metrics;      /* --metrics HOST:PORT: serve Prometheus' /metrics there */
    const char *metrics_login; /* "USER:PASS" /metrics asks for, or NULL */
    const char *tls_cert, *tls_key; /* PEM files: the UI or /metrics over HTTPS */
    char run_id[OB_RUN_CAP];
    long workers;             /* --workers: load generators sharing the run id (1: alone) */
    long worker;              /* this one's index 0..workers-1; -1: claimed in MongoDB */
    long worker_slot;         /* --worker-slot (1-based; folded into worker) */
    int64_t start_at_ns;      /* --start-at, CLOCK_REALTIME; 0: agreed in MongoDB */
    int64_t start_timeout_ns; /* waiting for the other workers */
    ob_threshold_set thresholds; /* --threshold, repeatable (threshold.h) */
    bool threshold_abort;        /* stop when a threshold on a running figure failed 10 s */
} ob_run_opts;

/* Fills *o from argv (argv[0] = "run"). Returns 0; 1 when --help was printed (exit 0);
 * -1 on a usage error, with err holding one line ("--rate: invalid count \"x\""). */
int ob_run_opts_parse(ob_run_opts *o, int argc, char **argv, ob_err *err);

/* --stages given (o->stages.n > 0): checks them (ob_stages_check) and sets what they
 * stand for: the run time (their sum), the model and its peak (rate stages: rate, else
 * users; rate_max off). Returns 0, or -1 with a usage error. */
int ob_run_opts_apply_stages(ob_run_opts *o, ob_err *err);

/* --reset-stats given: checks it against the other flags and turns it into what it
 * stands for: a warm-up as long as the spawning of every user ((users - 1) / spawn
 * rate; the last user starts at its end), taken from run_time_ns when there is one
 * (Locust's -t counts the spawning), and reset_stats cleared. Returns 0 (also without
 * the flag), or -1 with a usage error: not in the closed model (--rate, --stages), with
 * --once or --warmup, or a run time no longer than the spawning. */
int ob_run_opts_apply_reset_stats(ob_run_opts *o, ob_err *err);

/* The open model's records meant to go in the first duration_s of the run, over every
 * worker: rate × duration, or with --stages their integral (ob_stages_expected). */
double ob_run_opts_scheduled(const ob_run_opts *o, double duration_s);

/* A new run id: the UTC time and a random suffix ("20261201T224831-51af"). */
void ob_run_id_new(char *buf, size_t cap);

/* The run id of a run's warm-up records (--warmup): "RUN.warmup" into buf (cap at least
 * OB_RUN_CAP). Returns 0, or -1 when it would not be a run id (RUN too long). */
int ob_warmup_run_id(const char *run, char *buf, size_t cap);

/* The flag table of `outbreak run` (flags.h) into flags[0..cap), their values going into
 * *o: for a command that hands run's flags on (compare's rest_flags). Returns the number
 * of flags (at most cap). */
typedef struct ob_flag ob_flag;
size_t ob_run_opts_flags(ob_flag *flags, size_t cap, ob_run_opts *o);

/* Prints `outbreak run --help`: every flag with its default. */
void ob_run_opts_help(FILE *f);

#endif
