# compare.sh — `outbreak compare` over all five middlewares of the local stack (gRPC,
# NATS JetStream, RabbitMQ, Pub/Sub on its emulator, Kafka), the sinks started and
# stopped by compare itself:
#   * exit 0; results.json holds one complete summary per middleware (docs/measurement.md keys,
#     series, both latencies, durability, cost of broker/sink/loadgen/database from
#     /proc with the broker found by its port), lost = 0, persisted = acked = MongoDB's
#     own count of the run in that middleware's database, the same records for all;
#   * index.html opens in headless Chromium (tests/browser/check_report.mjs) with no
#     console error and no network request, one series per middleware in the charts and
#     one summary row each; the screenshot is kept in build/test-artifacts/;
#   * `outbreak report results.json --html` rebuilds the same page byte for byte;
#   * a middleware asked for by name with nothing listening is listed as missing with
#     its address, the others still run, exit 1;
#   * `outbreak run --html` writes the single-middleware report, which passes the check;
#   * with --external-sinks compare starts none and counts where the running sink writes;
#   * bad flags exit 2 with one line.
source "$(dirname "$0")/lib.sh"
require_rabbitmq
require_kafka
require_pubsub
require_servers

CHECK=$OB_SOURCE_DIR/tests/browser/check_report.mjs
ARTIFACTS=$OB_BUILD_DIR/test-artifacts
command -v node >/dev/null 2>&1 || { echo "FAIL: no node (Node.js 20 or later)" >&2; exit 1; }
[ -f "$OB_SOURCE_DIR/tests/browser/node_modules/playwright-core/package.json" ] ||
    { echo "FAIL: playwright-core is not installed (bash scripts/deps browser)" >&2; exit 1; }

OUT=$WORK/compare
# compare writes each middleware's records to MONGO_DB_<id>_<middleware>: drop those
# too, and the JetStream stream of its default NATS URL (OUTBREAK_<id>)
drop_compare_dbs() {
    local id name
    for f in "$WORK"/*/results.json; do
        [ -f "$f" ] || continue
        id=$(json "$f" 'd["id"]')
        python3 "$OB_SOURCE_DIR/tests/integration/nats_tool.py" rmstreams 127.0.0.1 4222 \
            "_$(tr 'A-Z' 'a-z' <<<"$id")" >/dev/null 2>&1
        for name in grpc nats rabbitmq pubsub kafka ghost; do
            $MONGO_TOOL dropdb 127.0.0.1 27017 "${MONGO_DB}_${id}_$name" >/dev/null 2>&1
        done
    done
}
trap 'drop_compare_dbs; cleanup' EXIT

rq=$(rabbit_queue "obit.compare.$$")
kt=$(kafka_topic "obit.compare.$$")
rc=0
"$OUTBREAK" compare --brokers grpc,nats,rabbitmq,pubsub,kafka --rate 1000 -t 3s --seed 7 \
    --url "rabbitmq=amqp://guest:guest@127.0.0.1:5672/?queue=$rq" \
    --url "kafka=kafka://127.0.0.1:9092?topic=$kt&group=obit-compare-$$" \
    --url "grpc=grpc://127.0.0.1:50171" \
    --mongo "$MONGO_URL" --out "$OUT" >"$WORK/compare.log" 2>&1 || rc=$?
cat "$WORK/compare.log"
check "compare exits 0 (got $rc)" test "$rc" -eq 0
R=$OUT/results.json
[ -s "$R" ] || { fail "no results.json"; finish; exit 1; }

check "results.json: one result per middleware, in order" \
    test "$(json "$R" '",".join(r["middleware"] for r in d["results"])')" = "grpc,nats,rabbitmq,pubsub,kafka"
check "results.json: nothing missing" test "$(json "$R" 'len(d["missing"])')" = 0
check "results.json: the workload's parameters" \
    test "$(json "$R" '(d["params"]["workload"]["rate"], d["params"]["workload"]["run_time_s"], d["params"]["workload"]["seed"])')" = "(1000, 3, 7)"
id=$(json "$R" 'd["id"]')

# the keys every summary must have (docs/measurement.md), non-null for a run into MongoDB
KEYS='["run","middleware","url","durability","duration_s","sent","acked","failed","persisted","duplicates","lost","throughput","publish_latency_ms","e2e_latency_ms","cost","series","latency_curves"]'
COST='["broker_cpu_s","broker_peak_rss_mb","sink_cpu_s","sink_peak_rss_mb","loadgen_cpu_s","loadgen_peak_rss_mb","db_cpu_s","db_peak_rss_mb","total_cpu_s","records_per_cpu_s","cpu_ms_per_1000_records","rss_mb_per_1000_records_per_s"]'
for i in 0 1 2 3 4; do
    m=$(json "$R" "d['results'][$i]['middleware']")
    r="d['results'][$i]"
    check "$m: every summary key present and not null" \
        test "$(json "$R" "[k for k in $KEYS if $r.get(k) is None]")" = "[]"
    check "$m: every cost figure measured" \
        test "$(json "$R" "[k for k in $COST if $r['cost'].get(k) is None]")" = "[]"
    check "$m: sent > 2000, failed 0, lost 0, duplicates 0" \
        test "$(json "$R" "($r['sent'] > 2000, $r['failed'], $r['lost'], $r['duplicates'])")" = "(True, 0, 0, 0)"
    check "$m: persisted = acked = sent" \
        test "$(json "$R" "$r['persisted'] == $r['acked'] == $r['sent']")" = True
    acked=$(json "$R" "$r['acked']")
    run=$(json "$R" "$r['run']")
    count=$($MONGO_TOOL count 127.0.0.1 27017 "${MONGO_DB}_${id}_$m" records "$run")
    check "$m: MongoDB holds $count documents of run $run = acked $acked" test "$count" = "$acked"
    check "$m: publish and end-to-end latency of every record" \
        test "$(json "$R" "($r['publish_latency_ms']['count'], $r['e2e_latency_ms']['count'])")" = "($acked, $acked)"
    check "$m: a throughput series of at least 3 points" test "$(json "$R" "len($r['series']) >= 3")" = True
    check "$m: the series' persisted counts add up to persisted (exact per second, not sampled)" \
        test "$(json "$R" "sum(p['persisted'] for p in $r['series']) == $r['persisted']")" = True
    check "$m: the series' sent counts add up to sent" \
        test "$(json "$R" "sum(p['sent'] for p in $r['series']) == $r['sent']")" = True
    check "$m: durability settings reported" test "$(json "$R" "len($r['durability']) >= 3")" = True
    check "$m: the same records as the others" \
        test "$(json "$R" "$r['load']['records']")" = "generator(seed=7,pool=1000)"
    check "$m: sink and load generator used CPU" \
        test "$(json "$R" "$r['cost']['sink_cpu_s'] > 0 and $r['cost']['loadgen_cpu_s'] > 0")" = True
    check "$m: the database process found and sampled" \
        test "$(json "$R" "$r['cost']['db_process'] is not None and $r['cost']['db_peak_rss_mb'] > 0")" = True
done
broker() { json "$R" "[r['cost']['broker_process'] for r in d['results'] if r['middleware'] == '$1'][0]"; }
broker_cpu() { json "$R" "[r['cost']['broker_cpu_s'] for r in d['results'] if r['middleware'] == '$1'][0] > 0"; }
check "nats: broker found by its port: $(broker nats)" grep -q '^nats-server (pid [0-9]*)$' <<<"$(broker nats)"
check "rabbitmq: broker found by its port: $(broker rabbitmq)" grep -q '^beam.smp (pid [0-9]*)$' <<<"$(broker rabbitmq)"
check "kafka: broker found by its port: $(broker kafka)" grep -q '^java (pid [0-9]*)$' <<<"$(broker kafka)"
check "pubsub: emulator found by its port: $(broker pubsub)" grep -q '^java (pid [0-9]*)$' <<<"$(broker pubsub)"
check "grpc: no broker process (the sink serves gRPC)" test "$(broker grpc)" = "none (the sink serves gRPC)"
check "  and the console says so, not 'broker 0.00'" grep -q '^  CPU s: broker none (the sink serves gRPC), sink ' "$WORK/compare.log"
for m in nats rabbitmq kafka pubsub; do
    check "$m: the broker used CPU during the run" test "$(broker_cpu "$m")" = True
done
check "per-middleware summaries with cost written beside results.json" \
    test "$(json "$OUT/kafka.json" 'd["cost"]["broker_process"] is not None')" = True

# the report, in a real browser
mkdir -p "$ARTIFACTS"
shot=$ARTIFACTS/compare-report.png
rm -f "$shot"
crc=0
timeout 120 node "$CHECK" "$OUT/index.html" --expect grpc,nats,rabbitmq,pubsub,kafka \
    --screenshot "$shot" >"$WORK/check.log" 2>&1 || crc=$?
sed 's/^/    /' "$WORK/check.log"
check "report: the browser check passes (exit $crc)" test "$crc" -eq 0
check "report: no console error, no network request" \
    grep -qF "check_report: OK (5 middlewares, 0 console errors, 0 network requests)" "$WORK/check.log"
check "report: one throughput series per middleware" grep -qx "throughput: grpc nats rabbitmq pubsub kafka" "$WORK/check.log"
check "report: one latency curve group per middleware" grep -qx "latency: grpc nats rabbitmq pubsub kafka" "$WORK/check.log"
check "report: screenshot kept in $shot" test "$(head -c 8 "$shot" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a
check "report: one file, no external reference" bash -c "! grep -Eo '(src|href)=\"[a-z]+:' '$OUT/index.html'"

# outbreak report rebuilds it
"$OUTBREAK" report "$R" --html "$WORK/rebuilt.html" >/dev/null
check "outbreak report rebuilds the same page" cmp -s "$OUT/index.html" "$WORK/rebuilt.html"

# a middleware asked for by name with nothing listening: missing, the others still run
rc=0
"$OUTBREAK" compare --brokers nats,ghost --url "ghost=amqp://guest:guest@127.0.0.1:5699/" --rate 500 -t 2s \
    --mongo "$MONGO_URL" --out "$WORK/partial" >"$WORK/partial.log" 2>&1 || rc=$?
cat "$WORK/partial.log"
check "missing middleware: exit 1 (got $rc)" test "$rc" -eq 1
check "missing middleware: listed with its address" \
    test "$(json "$WORK/partial/results.json" '[(m["middleware"], "127.0.0.1:5699" in m["reason"]) for m in d["missing"]]')" = "[('ghost', True)]"
check "missing middleware: nats still ran, lost 0" \
    test "$(json "$WORK/partial/results.json" '[(r["middleware"], r["lost"]) for r in d["results"]]')" = "[('nats', 0)]"

# outbreak run --html: the single-middleware report
start_sink "$NATS_URL?jetstream=1&stream=OBIT_CMP_$$&subject=obit.cmp.$$" "$WORK/sink.log"
rc=0
"$OUTBREAK" run --headless --broker "$NATS_URL?jetstream=1&stream=OBIT_CMP_$$&subject=obit.cmp.$$" --mongo "$MONGO_URL" \
    --rate 1000 -t 2s --headless --only-summary --html "$WORK/run.html" >"$WORK/run.log" 2>&1 || rc=$?
check "run --html: exit 0 (got $rc)" test "$rc" -eq 0
crc=0
timeout 120 node "$CHECK" "$WORK/run.html" --expect nats --screenshot "$ARTIFACTS/run-report.png" \
    >"$WORK/check-run.log" 2>&1 || crc=$?
sed 's/^/    /' "$WORK/check-run.log"
check "run --html: the browser check passes with one middleware (exit $crc)" test "$crc" -eq 0

# --external-sinks: a sink of our own, compare starts none and counts where it writes
ext="$NATS_URL?jetstream=1&stream=OBIT_EXT_$$&subject=obit.ext.$$"
start_sink "$ext" "$WORK/ext-sink.log"
rc=0
"$OUTBREAK" compare --brokers nats --url "nats=$ext" --external-sinks --rate 500 -t 2s \
    --mongo "$MONGO_URL" --out "$WORK/external" >"$WORK/external.log" 2>&1 || rc=$?
cat "$WORK/external.log"
check "external sinks: exit 0 (got $rc)" test "$rc" -eq 0
check "external sinks: nats persisted = acked = 1000, lost 0" \
    test "$(json "$WORK/external/results.json" '[(r["persisted"], r["acked"], r["lost"]) for r in d["results"]]')" = "[(1000, 1000, 0)]"
check "external sinks: the sink's cost is null (not ours to measure), the broker's is not" \
    test "$(json "$WORK/external/results.json" '[(r["cost"]["sink_cpu_s"], r["cost"]["broker_cpu_s"] is not None) for r in d["results"]]')" = "[(None, True)]"
check "external sinks: no sink log (none started)" test ! -e "$WORK/external/nats-sink.log"

# bad input: exit 2, one line
fails_fast 2 "--json is set by compare" compare --json x
fails_fast 2 'unknown middleware "mqtt"' compare --brokers mqtt
fails_fast 2 "--rate" compare --rate lots
fails_fast 2 "expected NAME=URL" compare --url nats
fails_fast 2 "--html FILE is required" report "$R"
fails_fast 1 "No such file" report "$WORK/none.json" --html "$WORK/x.html"
finish
