/* stages.h — a load that changes over the run (`run --stages`), as k6's stages: a list
 * of DURATION:TARGET, each stage going linearly from the previous stage's target (0
 * before the first) to its own over its duration. A target ending in "/s" is a rate in
 * records per second (the open model, k6's ramping-arrival-rate); a bare number is a
 * number of users (the closed model, k6's ramping-vus). A stage of 0 s jumps.
 *
 * "30s:1000/s,2m:1000/s,30s:0/s": up from 0 to 1 000 records/s in 30 s, 2 minutes at
 * 1 000/s, down to 0 in 30 s; 3 minutes in all.
 *
 * The open model's schedule is a pure function of the stages: arrival j (0, 1, 2, ...,
 * over every thread and worker of the run) is meant to go when the expected count
 * (the integral of the rate from the start) reaches j, so the schedule is the same
 * whoever computes it and whenever. */
#ifndef OB_STAGES_H
#define OB_STAGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "json.h"

#define OB_MAX_STAGES 64
/* room for the longest ob_stages_format */
#define OB_STAGES_SPEC_CAP (OB_MAX_STAGES * 48)

typedef struct ob_stage {
    int64_t duration_ns;
    double target; /* records/s (rates) or users, at the stage's end */
} ob_stage;

typedef struct ob_stages {
    int n;      /* 0: no stages */
    bool rates; /* the targets are rates (open model); else users (closed model) */
    ob_stage s[OB_MAX_STAGES];
} ob_stages;

/* Parses "DUR:TARGET[,DUR:TARGET...]" and appends its stages to *out (so that the flag
 * may be repeated, as k6's --stage). Durations as ob_parse_duration; targets as
 * ob_parse_count, with "/s" for rates (at most 1e9/s) or a whole number of users (at
 * most 1 000 000). Every stage of a run must have the same kind of target. On error *out
 * is unchanged and err quotes the stage. */
int ob_stages_parse(const char *spec, ob_stages *out, ob_err *err);

/* The stages together: their duration is more than 0 and some target is more than 0.
 * Returns 0, or -1 with err. */
int ob_stages_check(const ob_stages *st, ob_err *err);

/* The sum of the durations (ns). */
int64_t ob_stages_duration_ns(const ob_stages *st);

/* The largest target. */
double ob_stages_peak(const ob_stages *st);

/* The target at t ns after the start (linear within a stage; the last target after the
 * end). */
double ob_stages_target_at(const ob_stages *st, int64_t t_ns);

/* Which stage t ns after the start is in (0-based; a stage of 0 s is never current;
 * st->n after the end). */
int ob_stages_index_at(const ob_stages *st, int64_t t_ns);

/* When stage i begins (ns after the start); the total duration for i = n. */
int64_t ob_stages_start_ns(const ob_stages *st, int i);

/* The target when stage i begins (the previous stage's; 0 for the first). */
double ob_stages_start_target(const ob_stages *st, int i);

/* The integral of the target over [0, t] in target-seconds: for rates, the records
 * expected by t. */
double ob_stages_expected(const ob_stages *st, int64_t t_ns);

/* A walk through the open model's arrivals in increasing order (the search resumes
 * where the last one ended). */
typedef struct ob_stages_cursor {
    int i;            /* the stage the last arrival was in */
    double base;      /* the expected count at that stage's start */
    double start_s;   /* that stage's start, s */
} ob_stages_cursor;

void ob_stages_cursor_init(ob_stages_cursor *c);

/* When arrival j (>= 0, not less than the last one asked) is meant to go, in ns after
 * the start: the instant the expected count reaches j (when the rate is 0 for a while,
 * the end of that while). INFINITY when the stages end before (the run sends no more). */
double ob_stages_arrival_ns(const ob_stages *st, ob_stages_cursor *c, double j);

/* The stages as they would be given ("30s:1000/s,2m:1000/s,30s:0/s"), truncated to
 * cap. Returns the length it needed. */
size_t ob_stages_format(const ob_stages *st, char *buf, size_t cap);

/* The summary's "stages" key and object: {"spec": "30s:1000/s,...", "target": "records/s"
 * or "users", "list": [{"duration_s": 30, "target": 1000}, ...]}. */
void ob_stages_json(ob_jw *w, const ob_stages *st);

#endif
