/* run_metrics.c — the run's figures for Prometheus (run_metrics.h). */
#include "run_metrics.h"

#include <math.h>

#include "prom.h"

static void counter(FILE *f, const char *name, const char *help, const char *labels, int64_t v)
{
    ob_prom_family(f, name, "counter", help);
    ob_prom_int(f, name, labels, v);
}

static void gauge(FILE *f, const char *name, const char *help, const char *labels, double v)
{
    ob_prom_family(f, name, "gauge", help);
    ob_prom_double(f, name, labels, v);
}

void ob_run_metrics_write(FILE *f, const ob_run_result *r, const ob_series_point *last, const char *instance,
                          bool final, bool with_process)
{
    char labels[512];
    ob_prom_labels(labels, sizeof labels,
                   (const char *[]){"role", "loadgen", "middleware", r->way ? r->way : "", "run",
                                    r->opts ? r->opts->run_id : "", "instance", instance, NULL});
    counter(f, "outbreak_records_sent_total", "Records handed to the middleware (publish attempts).", labels,
            r->sent);
    counter(f, "outbreak_records_acked_total", "Records the middleware acknowledged (see the summary's acked_means).",
            labels, r->acked);
    counter(f, "outbreak_records_failed_total", "Records whose publish failed.", labels, r->failed);
    counter(f, "outbreak_bytes_sent_total", "Bytes of the records sent.", labels, r->bytes_sent);
    if (final && r->nfailure_kinds > 0) {
        ob_prom_family(f, "outbreak_record_failures_total", "counter",
                       "Failed records by reason (known once the workers have finished).");
        for (int i = 0; i < r->nfailure_kinds; i++) {
            char with[1024];
            if (ob_prom_labels_add(with, sizeof with, labels, "reason", r->failures[i].msg) > 0)
                ob_prom_int(f, "outbreak_record_failures_total", with, r->failures[i].count);
        }
    }
    gauge(f, "outbreak_users", "Simulated users active (closed model; 0 in the open model).", labels,
          final ? 0 : (double)r->users);
    int64_t in_flight = r->sent - r->acked - r->failed;
    gauge(f, "outbreak_records_in_flight", "Records sent and not yet acknowledged or failed.", labels,
          (double)(in_flight > 0 ? in_flight : 0));
    if (r->target_rate > 0)
        gauge(f, "outbreak_rate_target_per_second", "The open model's target rate (records/s).", labels,
              final ? 0 : r->target_rate);
    gauge(f, "outbreak_rate_achieved_per_second", "Records sent in the latest second.", labels,
          final || !last ? 0 : (double)last->sent);
    gauge(f, "outbreak_run_finished", "1 once the run is over and its figures final.", labels, final ? 1 : 0);
    if (r->warmup_s > 0) {
        gauge(f, "outbreak_warming_up", "1 while the run sends its warm-up (--warmup), before the measured time.",
              labels, !final && !last ? 1 : 0);
        counter(f, "outbreak_warmup_records_sent_total", "Records of the warm-up handed to the middleware.", labels,
                r->warmup_sent > 0 ? r->warmup_sent : 0);
        counter(f, "outbreak_warmup_records_acked_total", "Records of the warm-up the middleware acknowledged.",
                labels, r->warmup_acked > 0 ? r->warmup_acked : 0);
        counter(f, "outbreak_warmup_records_failed_total", "Records of the warm-up whose publish failed.", labels,
                r->warmup_failed > 0 ? r->warmup_failed : 0);
    }
    if (final && r->lost >= 0)
        gauge(f, "outbreak_records_lost", "Acknowledged records the database does not have (final).", labels,
              (double)r->lost);
    if (final && r->unconfirmed >= 0)
        gauge(f, "outbreak_records_unconfirmed",
              "Acknowledged records not persisted when the drain ended, the sinks still working.", labels,
              (double)r->unconfirmed);
    if (r->publish) {
        ob_prom_family(f, "outbreak_publish_latency_seconds", "histogram",
                       "Publish latency, from the intended send time to the acknowledgement.");
        ob_prom_histogram(f, "outbreak_publish_latency_seconds", labels, r->publish);
    }
    if (with_process)
        ob_prom_process(f, labels);
}
