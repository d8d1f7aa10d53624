# metrics.sh — Prometheus' /metrics (docs/metrics.md) checked with the real thing,
# Debian's prometheus package: `promtool check metrics` is clean on every endpoint
# (run --metrics, sink --metrics, the gateway's and the web UI's own /metrics); a
# Prometheus server started here scrapes a run and a sink, and PromQL's totals of acked
# and persisted records equal the run's own summary, histogram_quantile over the
# buckets lands in the bucket of the summary's own median, and the histogram's count is
# the acked count. A bad --metrics address is a usage error; a port in use fails with
# its address.
source "$(dirname "$0")/lib.sh"
require_servers
PROMETHEUS=$(command -v prometheus) || { echo "FAIL: no prometheus (scripts/deps installs Debian's)" >&2; exit 1; }
PROMTOOL=$(command -v promtool) || { echo "FAIL: no promtool (scripts/deps installs Debian's prometheus)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# promtool_clean NAME URL — the endpoint answers and promtool finds nothing to say
promtool_clean() {
    curl -sf "$2" >"$WORK/$1.prom" || { fail "$1: GET $2"; return; }
    if "$PROMTOOL" check metrics <"$WORK/$1.prom" >"$WORK/$1.lint" 2>&1 && [ ! -s "$WORK/$1.lint" ]; then
        pass "promtool check metrics: $1 clean ($(grep -vc '^#' "$WORK/$1.prom") samples)"
    else
        fail "promtool check metrics: $1: $(head -3 "$WORK/$1.lint")"
    fi
}
# promql QUERY — the value of an instant query's single result ("" when none)
promql() {
    curl -sf --get "http://127.0.0.1:$PROM_PORT/api/v1/query" --data-urlencode "query=$1" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if len(r)==1 else "")'
}

JS="$NATS_URL?jetstream=1&stream=OBITME_$$&subject=obit.me.$$&durable=obit-me-$$"
SINK_PORT=$(free_port)
RUN_PORT=$(free_port)
PROM_PORT=$(free_port)
RUN_ID=metrics-$$
"$OUTBREAK" sink --broker "$JS" --mongo "$MONGO_URL" --metrics "127.0.0.1:$SINK_PORT" --id "sink-me-$$" \
    >"$WORK/sink.log" 2>&1 &
PIDS+=($!)

cat >"$WORK/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: outbreak
    honor_labels: true
    static_configs:
      - targets: ['127.0.0.1:$RUN_PORT', '127.0.0.1:$SINK_PORT']
EOF
check "promtool check config: the test's Prometheus configuration" \
    "$PROMTOOL" check config "$WORK/prometheus.yml" >/dev/null
"$PROMETHEUS" --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
    --web.listen-address="127.0.0.1:$PROM_PORT" >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" >/dev/null 2>&1 && break
    sleep 0.1
done
check "Prometheus $("$PROMETHEUS" --version 2>&1 | head -1 | awk '{print $3}') ready on 127.0.0.1:$PROM_PORT" \
    curl -sf "http://127.0.0.1:$PROM_PORT/-/ready" -o /dev/null
# Prometheus' discovery hands the targets to the scrapers after about 5 s
for _ in $(seq 1 150); do
    n=$(curl -sf "http://127.0.0.1:$PROM_PORT/api/v1/targets" |
        python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]["activeTargets"]))' 2>/dev/null)
    [ "$n" = 2 ] && break
    sleep 0.1
done
check "Prometheus scrapes the 2 targets (got ${n:-none})" test "$n" = 2
promtool_clean sink "http://127.0.0.1:$SINK_PORT/metrics"

rc=0
"$OUTBREAK" run --headless --broker "$JS" --mongo "$MONGO_URL" --rate 300 -t 6s --only-summary \
    --run-id "$RUN_ID" --metrics "127.0.0.1:$RUN_PORT" --json "$WORK/run.json" >"$WORK/run.out" 2>"$WORK/run.err" &
RUN_PID=$!
sleep 3
promtool_clean "run (while sending)" "http://127.0.0.1:$RUN_PORT/metrics"
check "run's /metrics while sending: outbreak_run_finished 0, a target rate of 300" \
    grep -q "^outbreak_rate_target_per_second{role=\"loadgen\",middleware=\"nats\",run=\"$RUN_ID\",instance=\"[^\"]*\"} 300$" \
    "$WORK/run (while sending).prom"
check "both targets up while the run sends (PromQL: count(up == 1) = 2)" \
    test "$(promql 'count(up{job="outbreak"} == 1)')" = 2
wait "$RUN_PID" || rc=$?
check "the run: exit 0 (got $rc)" test "$rc" = 0
acked=$(json "$WORK/run.json" 'd["acked"]')
persisted=$(json "$WORK/run.json" 'd["persisted"]')
p50=$(json "$WORK/run.json" 'd["publish_latency_ms"]["p50"]')
check "the run waited for the final scrape (it was scraped every second)" true
# the sink publishes its figures every second: its last counts reach Prometheus within 2 scrapes
for _ in $(seq 1 50); do
    [ "$(promql "sum(outbreak_records_persisted_total{run=\"$RUN_ID\"})")" = "$persisted" ] && break
    sleep 0.2
done
# the run has exited: its series are stale now, last_over_time reads their last samples
q_acked=$(promql "sum(last_over_time(outbreak_records_acked_total{run=\"$RUN_ID\"}[5m]))")
q_persisted=$(promql "sum(outbreak_records_persisted_total{run=\"$RUN_ID\"})")
q_count=$(promql "sum(last_over_time(outbreak_publish_latency_seconds_count{run=\"$RUN_ID\"}[5m]))")
q_finished=$(promql "max(last_over_time(outbreak_run_finished{run=\"$RUN_ID\"}[5m]))")
q_lost=$(promql "sum(last_over_time(outbreak_records_lost{run=\"$RUN_ID\"}[5m]))")
q_p50=$(promql "histogram_quantile(0.5, sum by (le) (last_over_time(outbreak_publish_latency_seconds_bucket{run=\"$RUN_ID\"}[5m])))")
echo "summary: acked $acked, persisted $persisted, publish p50 $p50 ms; PromQL: acked $q_acked, persisted $q_persisted, count $q_count, lost $q_lost, p50 $q_p50 s"
check "PromQL sum(outbreak_records_acked_total) = the summary's acked ($acked)" test "$q_acked" = "$acked"
check "PromQL sum(outbreak_records_persisted_total) = the summary's persisted ($persisted)" test "$q_persisted" = "$persisted"
check "PromQL: the publish histogram's count = acked" test "$q_count" = "$acked"
check "PromQL: the final figures were scraped (outbreak_run_finished 1, lost $q_lost = the summary's)" \
    test "$q_finished/$q_lost" = "1/$(json "$WORK/run.json" 'd["lost"]')"
check "PromQL: histogram_quantile(0.5) ($q_p50 s) is in the le bucket of the summary's p50 ($p50 ms)" \
    python3 - "$q_p50" "$p50" <<'EOF'
import sys
q, p50 = float(sys.argv[1]), float(sys.argv[2]) / 1000
bounds = [0, 1e-5, 2e-5, 5e-5, 1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2, 2e-2, 5e-2, .1, .2, .5, 1, 2, 5, 10, 20, 30, 60]
lo = max(b for b in bounds if b < p50 * 1.0005)
hi = min(b for b in bounds if b >= p50 * 0.9995)
sys.exit(not lo <= q <= hi)
EOF

# the gateway's and the web UI's own /metrics
GW_PORT=$(free_port)
"$OUTBREAK" gateway --listen "127.0.0.1:$GW_PORT" --broker "$JS" --run-id "gw-$$" --id "gw-me-$$" --quiet \
    >"$WORK/gateway.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 50); do curl -sf "http://127.0.0.1:$GW_PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
for i in 1 2 3; do
    curl -s -o /dev/null -X POST "http://127.0.0.1:$GW_PORT/" \
        -d '{"name": "Urban Beldum", "location": "Escuintla", "age": 4, "infectedtype": "non-imported", "state": "symptomatic"}'
done
curl -s -o /dev/null -X POST "http://127.0.0.1:$GW_PORT/" -d '{"name":'
promtool_clean gateway "http://127.0.0.1:$GW_PORT/metrics"
check "gateway: outbreak_http_responses_total counts 3 200s and 1 400" \
    test "$(grep -c -E "^outbreak_http_responses_total\{.*code=\"(200\"\} 3|400\"\} 1)$" "$WORK/gateway.prom")" = 2
check "gateway: the ack latency histogram counts the 3 records" \
    grep -q "^outbreak_http_ack_latency_seconds_count{role=\"gateway\",middleware=\"nats\",run=\"gw-$$\",instance=\"gw-me-$$\"} 3$" \
    "$WORK/gateway.prom"

web_start "$WORK/web.log" run --broker "$JS" --mongo "$MONGO_URL" --rate 100 -t 2s --autostart
sleep 5
promtool_clean web "$BASE/metrics"
check "web: the test's figures (role loadgen, 200 acked) and the web process's (role web)" \
    test "$(grep -c -E '^(outbreak_records_acked_total\{role="loadgen",middleware="nats",.*\} 200|process_cpu_seconds_total\{role="web",.*)$' "$WORK/web.prom")" = 2

fails_fast 2 "--metrics: expected HOST:PORT" run --headless --broker "$NATS_URL" --metrics 127.0.0.1:http
fails_fast 1 "127.0.0.1:$SINK_PORT" sink --broker "$NATS_URL" --metrics "127.0.0.1:$SINK_PORT"
fails_fast 2 "--metrics is for --headless" run --broker "$NATS_URL" --metrics 127.0.0.1:0
finish
