/* prom.h — Prometheus' text exposition format (version 0.0.4), written to a FILE:
 * families with their # HELP and # TYPE lines, samples with escaped labels, and latency
 * histograms in seconds with classic cumulative `le` buckets read off an ob_hist.
 *
 * Every process writes the same bucket bounds (OB_PROM_LATENCY_BOUNDS), so that
 * `histogram_quantile(0.99, sum by (le) (rate(X_bucket[1m])))` adds the processes'
 * buckets correctly; percentiles are never exported as gauges (they cannot be added).
 *
 *   char labels[512];
 *   ob_prom_labels(labels, sizeof labels, (const char *[]){"role", "sink", "run", id, NULL});
 *   ob_prom_family(f, "outbreak_records_persisted_total", "counter", "Records inserted");
 *   ob_prom_int(f, "outbreak_records_persisted_total", labels, n);
 *   ob_prom_family(f, "outbreak_e2e_latency_seconds", "histogram", "...");
 *   ob_prom_histogram(f, "outbreak_e2e_latency_seconds", labels, hist);
 *
 * Names and label names are the caller's constants (checked by promtool in the tests);
 * label values and help texts are escaped here. */
#ifndef OB_PROM_H
#define OB_PROM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "histogram.h"

/* The latency buckets' upper bounds: 10 µs to 60 s, 1-2-5 per decade, then +Inf. */
#define OB_PROM_LATENCY_BOUNDS 22
extern const int64_t ob_prom_latency_bounds_ns[OB_PROM_LATENCY_BOUNDS];

/* Writes `{name1="value1",name2="value2"}` into buf from a NULL-terminated list of
 * names and values (a NULL value skips its pair; no pairs gives ""). Values are
 * escaped (\\, \", \n). Returns the length, or -1 when buf is too small (buf is then ""). */
int ob_prom_labels(char *buf, size_t cap, const char *const *pairs);

/* labels (as ob_prom_labels wrote them, or "") with one more pair at the end. */
int ob_prom_labels_add(char *buf, size_t cap, const char *labels, const char *name, const char *value);

/* # HELP and # TYPE lines; type is "counter", "gauge" or "histogram". Write each family
 * once, before its samples. */
void ob_prom_family(FILE *f, const char *name, const char *type, const char *help);

/* One sample line: NAME LABELS VALUE (NaN and ±Inf as Prometheus spells them). */
void ob_prom_double(FILE *f, const char *name, const char *labels, double value);
void ob_prom_int(FILE *f, const char *name, const char *labels, int64_t value);

/* NAME_bucket{...,le="B"} for every bound and +Inf, NAME_sum (seconds) and NAME_count,
 * from the histogram's values in nanoseconds. */
void ob_prom_histogram(FILE *f, const char *name, const char *labels, const ob_hist *h);

/* This process's CPU (process_cpu_seconds_total, user + system) and resident memory
 * (process_resident_memory_bytes), with the given labels: the names Prometheus' own
 * client libraries use, so that the usual dashboards work. */
void ob_prom_process(FILE *f, const char *labels);

#endif
