/* run_metrics.h — what `outbreak run` (and a test in the web UI) shows Prometheus: the
 * run's figures in the text format (prom.h), labelled role="loadgen", middleware, run and
 * instance (this process). Names (docs/metrics.md):
 *
 *   outbreak_records_sent_total, _acked_total, _failed_total     counters
 *   outbreak_bytes_sent_total                                    counter
 *   outbreak_record_failures_total{reason}                       counter, at the end (the
 *                                                                workers' reasons)
 *   outbreak_users, outbreak_records_in_flight                   gauges
 *   outbreak_rate_target_per_second (open model), outbreak_rate_achieved_per_second
 *                                                                (the last second's sends)
 *   outbreak_publish_latency_seconds                             histogram, from the
 *                                                                intended send time
 *   outbreak_run_finished                                        0 while sending, 1 after
 *   outbreak_warming_up                                          with --warmup: 1 during it
 *   outbreak_warmup_records_sent_total, _acked_total,            with --warmup: its
 *     _failed_total                                              counts (counters)
 *   outbreak_records_lost, outbreak_records_unconfirmed          gauges, once the run
 *                                                                established them (absent
 *                                                                before: lost is not "not yet")
 *   process_cpu_seconds_total, process_resident_memory_bytes   (with_process)
 *
 * The persisted counts are the sinks' (sink.h), so that sum() over the sinks is the
 * database's, whatever number of load generators shares a run. */
#ifndef OB_RUN_METRICS_H
#define OB_RUN_METRICS_H

#include <stdbool.h>
#include <stdio.h>

#include "run.h"

/* Writes the families above from r (the run's result as the tick or the end sees it)
 * and last (the latest second; NULL: none yet). final: the run is over and r complete.
 * with_process: the process's CPU and memory too (not when the process serves them
 * under other labels: the web UI). */
void ob_run_metrics_write(FILE *f, const ob_run_result *r, const ob_series_point *last, const char *instance,
                          bool final, bool with_process);

#endif
