#!/usr/bin/env bash
# bench/kafka.sh — outbreak run at full speed against Kafka's own producer benchmark,
# kafka-producer-perf-test (org.apache.kafka.tools.ProducerPerformance, the Java
# client), same broker, same record size, one run each. Both produce the same way: one
# producer, acks=all, idempotence on, linger.ms=5, no compression, no key, unthrottled,
# each to a fresh topic of its own with the same partition count (created with
# kafka-topics before its run, deleted after it). Prints both rates, the ratio
# outbreak / perf-test (goal: >= 0.9) and the latency percentiles side by side, then
# each tool's CPU (user + system of its process tree, under /usr/bin/time: perf-test's JVM
# with its start-up) per record and the ratio outbreak / perf-test (issue 19: <= 1.0).
#
# perf-test sends a fixed number of records (BENCH_KAFKA_RECORDS) and outbreak runs for
# a fixed time (BENCH_TIME); both rates are taken the same way: records acknowledged
# divided by the time from the first send to the last acknowledgement (perf-test's
# final line; for outbreak, acked over the last `series` entry's time, which is when the
# last delivery report arrived — its acked_per_s divides by the sending time only and is
# printed beside it). Both latencies run from send() to the delivery callback (perf-test
# per record over the whole run; outbreak's uncorrected publish latency, which under
# --rate max equals the corrected one), so both include the time a record waits in the
# client's local queue: unthrottled, that is mostly what they measure.
#
# Batch size is the one producer setting the two clients do not share by default: the
# Java producer's batch.size is 16384 bytes, outbreak's adapter sets librdkafka's to
# 1000000 (docs/brokers/kafka.md). With BENCH_KAFKA_SAME_BATCH=1 (the default) a second
# pair of runs gives perf-test outbreak's batch size (batch.size=1000000), so the ratio
# is also shown with every producer setting equal.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/stack" up kafka >/dev/null
KBIN=$(dirname "$("$ROOT/scripts/tools" kafka)")
BOOTSTRAP=127.0.0.1:9092
RECORDS=${BENCH_KAFKA_RECORDS:-1000000}
TIME=${BENCH_TIME:-10s}
PARTITIONS=${BENCH_KAFKA_PARTITIONS:-1}
LINGER=5
OB_BATCH=1000000   # outbreak's default batch (librdkafka batch.size), docs/brokers/kafka.md
SIZE=$(record_size)
echo "record size: $SIZE bytes (one encoded record, or BENCH_RECORD_SIZE)"

# Topics are named per script run, so each run starts on fresh, empty topics (Kafka
# deletes topics asynchronously: a name just deleted cannot always be created again at
# once). Every topic created here is deleted on exit, whatever happened.
PREFIX=outbreak.bench.kafka.$$
CREATED=()
create_topic() {
    "$KBIN/kafka-topics" --bootstrap-server "$BOOTSTRAP" --create --topic "$1" \
        --partitions "$PARTITIONS" --replication-factor 1 >>"$OUT/kafka-topics.txt" 2>&1
    CREATED+=("$1")
}
delete_topic() {
    local t left=()
    "$KBIN/kafka-topics" --bootstrap-server "$BOOTSTRAP" --delete --topic "$1" \
        >>"$OUT/kafka-topics.txt" 2>&1 || echo "bench: could not delete topic $1" >&2
    for t in "${CREATED[@]}"; do [ "$t" = "$1" ] || left+=("$t"); done
    CREATED=(${left[@]+"${left[@]}"})
}
cleanup() {
    local t
    for t in ${CREATED[@]+"${CREATED[@]}"}; do delete_topic "$t"; done
}
trap cleanup EXIT
: >"$OUT/kafka-topics.txt"

# perf-test's final line:
#   1000000 records sent, 43871.194174 records/sec (7.91 MB/sec), 3120.28 ms avg latency,
#   4485.00 ms max latency, 3260 ms 50th, 4188 ms 95th, 4330 ms 99th, 4471 ms 99.9th.
# perftest_summary FILE: "sent rate avg max p50 p95 p99 p99.9" (latencies in ms)
perftest_summary() {
    python3 - "$1" <<'EOF'
import re, sys
pat = (r"^(\d+) records sent, ([0-9.]+) records/sec \(.*\), ([0-9.]+) ms avg latency, "
       r"([0-9.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th")
m = [re.match(pat, l) for l in open(sys.argv[1], encoding="utf-8", errors="replace")]
m = [x for x in m if x]
if not m:
    sys.exit("bench: no summary line in " + sys.argv[1])
print(" ".join(m[-1].groups()))
EOF
}

# compare LABEL PERFTEST_BATCH: one perf-test run, then one outbreak run --rate max on
# the same broker, each on its own fresh topic; then both rates, the ratio and the
# latencies. PERFTEST_BATCH is perf-test's batch.size ("" leaves the Java default).
compare() {
    local label=$1 pbatch=$2 pt=$PREFIX.$1.perftest ot=$PREFIX.$1.outbreak
    local props=("bootstrap.servers=$BOOTSTRAP" acks=all "linger.ms=$LINGER" enable.idempotence=true)
    if [ -n "$pbatch" ]; then props+=("batch.size=$pbatch"); fi
    create_topic "$pt"
    echo "kafka-producer-perf-test --topic $pt --num-records $RECORDS --record-size $SIZE" \
        "--throughput -1 --producer-props ${props[*]}" >"$OUT/perftest-kafka-$label.txt"
    timed "$OUT/perftest-kafka-$label.cpu" \
        "$KBIN/kafka-producer-perf-test" --topic "$pt" --num-records "$RECORDS" \
        --record-size "$SIZE" --throughput -1 --producer-props "${props[@]}" \
        >>"$OUT/perftest-kafka-$label.txt" 2>&1 || true
    delete_topic "$pt"
    create_topic "$ot"
    local url="kafka://$BOOTSTRAP?topic=$ot&partitions=$PARTITIONS&acks=all&idempotence=1&linger=$LINGER"
    timed "$OUT/outbreak-kafka-$label.cpu" "$OUTBREAK" run --headless "${OB_SIZE_ARGS[@]}" --broker "$url" --rate max -t "$TIME" \
        --only-summary --json "$OUT/outbreak-kafka-$label.json" >"$OUT/outbreak-kafka-$label.txt" 2>&1 || true
    delete_topic "$ot"
    local s
    s=$(perftest_summary "$OUT/perftest-kafka-$label.txt")
    # shellcheck disable=SC2086  # eight numbers, one argument each
    python3 - "$OUT/outbreak-kafka-$label.json" "$RECORDS" "$pbatch" \
        $s <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
records, pbatch = int(sys.argv[2]), sys.argv[3] or "16384 (Java default)"
sent, rate, avg, mx, p50, p95, p99, p999 = sys.argv[4:12]
end = d["series"][-1]["t"]          # the last delivery report, seconds from the start
ours = d["acked"] / end
print("%-34s%.0f records/s (%s records, batch.size %s)" % ("kafka-producer-perf-test:", float(rate), sent, pbatch))
print("%-34s%.0f records/s (%d acked in %.2f s; acked_per_s %.0f over %.1f s sending; batch %s)"
      % ("outbreak run (kafka):", ours, d["acked"], end, d["throughput"]["acked_per_s"],
         d["duration_s"], d["durability"].get("batch_bytes")))
print("%-34s%.2f" % ("ratio kafka:", ours / float(rate)))
warn = []
if int(sent) != records:
    warn.append("perf-test sent %s of %d" % (sent, records))
if d["failed"]:
    warn.append("outbreak failed %d" % d["failed"])
if warn:
    print("WARNING: %s: figures not comparable, run again" % "; ".join(warn), file=sys.stderr)
lat = d["publish_latency_uncorrected_ms"]
print("latency send -> ack (ms)   perf-test   outbreak")
for k, pt in zip(["mean", "p50", "p95", "p99", "p99.9", "max"], [avg, p50, p95, p99, p999, mx]):
    ob = lat.get(k)
    print("  %-22s%11s %10s" % ("avg" if k == "mean" else k, pt, "-" if ob is None else "%.1f" % ob))
EOF
    # CPU per record, both under /usr/bin/time (perf-test: its JVM, start-up included)
    cpu_report "kafka-$label" perf-test "$(cpu_secs "$OUT/outbreak-kafka-$label.cpu")" \
        "$(json "$OUT/outbreak-kafka-$label.json" 'd["acked"]')" "$(cpu_secs "$OUT/perftest-kafka-$label.cpu")" \
        "$(cut -d' ' -f1 <<<"$s")" \
        "$(ratio "$(json "$OUT/outbreak-kafka-$label.json" 'd["acked"] / d["series"][-1]["t"]')" "$(cut -d' ' -f2 <<<"$s")")"
    if grep -qE 'ERROR|Exception' "$OUT/perftest-kafka-$label.txt"; then
        echo "WARNING: errors in $OUT/perftest-kafka-$label.txt" >&2
    fi
}

echo "== Kafka produce, acks=all, idempotence, linger.ms=$LINGER, $PARTITIONS partition(s):" \
    "perf-test $RECORDS records, outbreak $TIME =="
compare default ""
if [ "${BENCH_KAFKA_SAME_BATCH:-1}" = 1 ]; then
    echo "== the same, perf-test with outbreak's batch.size ($OB_BATCH) =="
    compare samebatch "$OB_BATCH"
fi
