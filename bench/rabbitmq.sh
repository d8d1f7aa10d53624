#!/usr/bin/env bash
# bench/rabbitmq.sh — outbreak run at full speed against RabbitMQ PerfTest, same broker,
# same message size, one run each. Both publish the same way: one producer, no consumer,
# publisher confirms with at most 1000 unconfirmed, persistent and mandatory messages
# through the default exchange to a durable classic queue. Prints both publish rates,
# the ratio outbreak / PerfTest (goal: >= 0.9) and the confirm latency percentiles side
# by side (outbreak's publish latency is the confirm latency: send -> publisher confirm).
#
# PerfTest flags: --predeclared keeps it from declaring the default exchange (refused by
# the broker) and --skip-binding-queues from binding to it; the default exchange routes
# by queue name, as outbreak's adapter does by default. --flag persistent also makes
# PerfTest declare its queue durable. Each tool gets a queue of its own that nobody
# consumes, deleted (with its messages) before and after its run, so the broker's disk
# does not grow from run to run.
#
# Each tool runs under /usr/bin/time (lib.sh's timed): CPU seconds (user + system of its
# process tree: PerfTest's JVM with its start-up) and CPU µs per record, with the ratio
# outbreak / PerfTest (issue 19's goal: <= 1.0). PerfTest's records are its confirmed
# messages, summed from its per-second lines; outbreak's its acked records.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/stack" up rabbitmq >/dev/null
PERFTEST=$("$ROOT/scripts/tools" perftest)
SECS=${BENCH_RABBITMQ_SECS:-10}
WINDOW=${BENCH_CONFIRM_WINDOW:-1000}
AMQP=amqp://guest:guest@127.0.0.1:5672
SIZE=$(record_size)
echo "message size: $SIZE bytes (one encoded record, or BENCH_RECORD_SIZE)"

# delete_queue NAME: drop a benchmark queue and its messages (an absent queue is fine),
# then give the broker a moment: it reclaims the message store's files after the delete.
delete_queue() {
    "$ROOT/scripts/rabbitmqctl" delete_queue "$1" >/dev/null 2>&1 || true
    sleep "${BENCH_SETTLE:-2}"
}

# PerfTest's summary (latencies in µs by default):
#   sending rate avg: 9693 msg/s
#   confirm latency min/median/75th/95th/99th 338/75884/101865/139906/243793 µs
perftest_rate() { grep -E '^sending rate avg' "$1" | tail -1 | sed -E 's/.*: *([0-9.]+) msg\/s.*/\1/'; }
# perftest_latency FILE: "min p50 p75 p95 p99" in ms
perftest_latency() {
    python3 - "$1" <<'EOF'
import re, sys
lines = [l for l in open(sys.argv[1], encoding="utf-8", errors="replace")
         if l.startswith("confirm latency min/median/75th/95th/99th")]
m = re.match(r"confirm latency min/median/75th/95th/99th\s+([0-9/.]+)\s*(\S+)", lines[-1])
scale = {"ms": 1.0, "µs": 1e-3, "us": 1e-3, "ns": 1e-6}[m.group(2)]
print(" ".join("%.3f" % (float(v) * scale) for v in m.group(1).split("/")))
EOF
}

# compare: one PerfTest run, then one outbreak run --rate max on the same broker, each
# for $SECS seconds on its own queue; then both rates, the ratio and the latencies.
compare() {
    local pq=outbreak.bench.perftest oq=outbreak.bench.outbreak tool ours
    delete_queue "$pq"
    timed "$OUT/perftest.cpu" "$PERFTEST" --uri "$AMQP" --producers 1 --consumers 0 --confirm "$WINDOW" \
        --flag persistent --flag mandatory --queue "$pq" --auto-delete false \
        --exchange '' --routing-key "$pq" --predeclared --skip-binding-queues \
        --size "$SIZE" --time "$SECS" --metrics-format compact >"$OUT/perftest.txt" 2>&1
    delete_queue "$pq"
    delete_queue "$oq"
    timed "$OUT/outbreak-rabbitmq.cpu" "$OUTBREAK" run --headless "${OB_SIZE_ARGS[@]}" --broker "$AMQP/?queue=$oq&confirm_window=$WINDOW&persistent=1&durable=1" \
        --rate max -t "${SECS}s" --only-summary \
        --json "$OUT/outbreak-rabbitmq.json" >"$OUT/outbreak-rabbitmq.txt" 2>&1 || true
    delete_queue "$oq"
    tool=$(perftest_rate "$OUT/perftest.txt")
    ours=$(json "$OUT/outbreak-rabbitmq.json" 'd["throughput"]["acked_per_s"]')
    printf '%-32s%s msgs/s\n' "PerfTest -x 1 -y 0 -c $WINDOW:" "$tool"
    printf '%-32s%s records/s (acked)\n' "outbreak run (rabbitmq):" "$ours"
    printf '%-32s%s\n' "ratio rabbitmq:" "$(ratio "$ours" "$tool")"
    # PerfTest's confirmed messages: the sum of its per-second "confirmed" column (lines
    # "1.001s  7830 msg/s  0 msg/s  6955 msg/s ...": each about one second)
    local pn
    pn=$(awk '$1 ~ /^[0-9.]+s$/ && $7 == "msg/s" { n += $6 } END { printf "%d\n", n }' "$OUT/perftest.txt")
    cpu_report rabbitmq PerfTest "$(cpu_secs "$OUT/outbreak-rabbitmq.cpu")" \
        "$(json "$OUT/outbreak-rabbitmq.json" 'd["acked"]')" "$(cpu_secs "$OUT/perftest.cpu")" "$pn" \
        "$(ratio "$ours" "$tool")"
    # a broker restarted, or connections closed, by someone else mid-run spoils the figures
    local failed
    failed=$(json "$OUT/outbreak-rabbitmq.json" 'd["failed"]')
    if [ "$failed" != 0 ] || grep -qE 'Exception|connection.*(lost|closed)' "$OUT/perftest.txt"; then
        echo "WARNING: connection errors during the runs (outbreak failed $failed; see" \
            "$OUT/perftest.txt): figures not comparable, run again" >&2
    fi
    # shellcheck disable=SC2046  # five numbers, one argument each
    python3 - "$OUT/outbreak-rabbitmq.json" $(perftest_latency "$OUT/perftest.txt") <<'EOF'
import json, sys
lat = json.load(open(sys.argv[1]))["publish_latency_ms"]
keys = ["min", "p50", "p75", "p95", "p99"]
print("confirm latency (ms)   PerfTest   outbreak")
for k, pt in zip(keys, sys.argv[2:]):
    ob = lat.get(k)
    print("  %-18s%10s %10s" % (k, pt, "-" if ob is None else "%.3f" % ob))
EOF
}

echo "== RabbitMQ publish, confirms (window $WINDOW), persistent, durable queue, ${SECS}s =="
compare
