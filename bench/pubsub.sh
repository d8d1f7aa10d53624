#!/usr/bin/env bash
# bench/pubsub.sh — outbreak run at full speed against the official Node.js client
# (@google-cloud/pubsub, bench/pubsub/publish.js), publishing the same records to the same
# Pub/Sub emulator (scripts/stack up pubsub, 127.0.0.1:8085, project outbreak-local), one
# run each. Both publish the same way: one publisher, the client's batching at 1000
# messages or 10 ms (publish.js: batching maxMessages 1000, maxMilliseconds 10; outbreak's
# adapter: batch=1000, linger=10, its defaults), at most 65536 records in flight (outbreak's
# default --max-inflight), no subscription (the emulator drops what nobody subscribed to),
# each to a topic of its own, created before its run and deleted after it. The records
# are outbreak's own (`outbreak records -n 1000 --seed 1`, cycled by publish.js with the
# same metadata suffix: run, producer, seq, sent_ns), so the messages are the same size.
# Prints both rates, the ratio outbreak / Node.js client (goal: >= 1.0) and the latency
# percentiles side by side, then each tool's CPU (user + system of its process tree, under
# /usr/bin/time, start-up included) per record and the ratio outbreak / Node.js client
# (issue 19: <= 1.0).
#
# Rates are taken the same way for both: records acknowledged (publish promise resolved,
# message id back) divided by the time from the first publish to the last
# acknowledgement (for outbreak: acked over the last `series` entry's time; its
# acked_per_s, over the sending time only, is printed beside it). Latencies: publish call
# -> promise resolved (publish.js, per record) and outbreak's uncorrected publish latency
# (send -> message id back), the same as the corrected one under --rate max.
#
# publish.js sends a fixed count (BENCH_PUBSUB_RECORDS) and outbreak runs a fixed time
# (BENCH_TIME).
#
# The in-flight window is the one setting the two do not share in effect: outbreak's
# adapter keeps at most 8 publish requests (8 x 1000 records) on the wire and makes the
# sender wait for one to finish, while the Node.js client takes every publish() it is
# given and queues it, so with 65536 records allowed in flight its queue, and its
# latency, grow to seconds. With BENCH_PUBSUB_SAME_WINDOW=1 (the default) a second pair
# of runs allows both 8000 records in flight (publish.js --inflight 8000, outbreak
# --max-inflight 8000). The Node.js client is installed by `npm ci` into bench/pubsub/node_modules
# (git-ignored) from bench/pubsub/package-lock.json the first time.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/stack" up pubsub >/dev/null
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "bench: bench/pubsub.sh needs Node.js (node and npm, 18 or later)" >&2
    exit 1
fi
NODEDIR=$ROOT/bench/pubsub
EMULATOR=127.0.0.1:8085
PROJECT=outbreak-local
RECORDS=${BENCH_PUBSUB_RECORDS:-400000}
TIME=${BENCH_TIME:-10s}
BATCH=1000      # messages per publish request (both)
LINGER=10       # ms a batch waits to fill (both)
INFLIGHT=65536  # records not yet acknowledged (outbreak's default --max-inflight)
SAME_WINDOW=8000  # the second pair's window: outbreak's adapter's 8 requests x 1000
export PUBSUB_EMULATOR_HOST=$EMULATOR

# The client, from the lock file, when node_modules is missing or older than the lock.
if [ ! -f "$NODEDIR/node_modules/.package-lock.json" ] ||
        [ "$NODEDIR/package-lock.json" -nt "$NODEDIR/node_modules/.package-lock.json" ]; then
    echo "bench: npm ci in bench/pubsub (the Node.js client)" >&2
    (cd "$NODEDIR" && npm ci --no-audit --no-fund --loglevel=error) >"$OUT/pubsub-npm.txt" 2>&1 ||
        { tail -n 20 "$OUT/pubsub-npm.txt" >&2; echo "bench: npm ci failed" >&2; exit 1; }
fi

"$OUTBREAK" records -n 1000 --seed 1 >"$OUT/pubsub-records.json"

# Topics are named per script run; every topic created here is deleted on exit.
PREFIX=outbreak-bench-pubsub-$$
API=http://$EMULATOR/v1/projects/$PROJECT/topics
CREATED=()
create_topic() {
    curl -s -m 10 -X PUT "$API/$1" >>"$OUT/pubsub-topics.txt" 2>&1 || true
    CREATED+=("$1")
}
delete_topic() {
    local t left=()
    curl -sf -m 10 -X DELETE "$API/$1" >>"$OUT/pubsub-topics.txt" 2>&1 ||
        echo "bench: could not delete topic $1" >&2
    for t in "${CREATED[@]}"; do [ "$t" = "$1" ] || left+=("$t"); done
    CREATED=(${left[@]+"${left[@]}"})
}
cleanup() {
    local t
    for t in ${CREATED[@]+"${CREATED[@]}"}; do delete_topic "$t"; done
}
trap cleanup EXIT
: >"$OUT/pubsub-topics.txt"

# compare LABEL WINDOW: one publish.js run, then one outbreak run --rate max on the same
# emulator, each on its own fresh topic with at most WINDOW records in flight; then both
# rates, the ratio and the latencies.
compare() {
    local label=$1 window=$2 nt=$PREFIX-$1-node ot=$PREFIX-$1-outbreak
    local nj=$OUT/pubsub-node-$label.json oj=$OUT/outbreak-pubsub-$label.json
    rm -f "$nj" "$oj"
    create_topic "$nt"
    timed "$OUT/pubsub-node-$label.cpu" \
        node "$NODEDIR/publish.js" --records "$OUT/pubsub-records.json" --topic "$nt" \
        --count "$RECORDS" --inflight "$window" --max-messages "$BATCH" --max-ms "$LINGER" \
        --keep-topic --json "$nj" >"$OUT/pubsub-node-$label.txt" 2>&1 || true
    delete_topic "$nt"
    create_topic "$ot"
    timed "$OUT/outbreak-pubsub-$label.cpu" \
        "$OUTBREAK" run --headless --broker "pubsub://$PROJECT/$ot?batch=$BATCH&linger=$LINGER" \
        --rate max -t "$TIME" --max-inflight "$window" --only-summary \
        --json "$oj" >"$OUT/outbreak-pubsub-$label.txt" 2>&1 || true
    delete_topic "$ot"
    local f
    for f in "$nj" "$oj"; do
        [ -s "$f" ] && continue
        echo "bench: no $f; the run's output:" >&2
        tail -n 20 "${f%.json}.txt" >&2
        return 1
    done
    python3 - "$nj" "$oj" <<'EOF'
import json, sys
n = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[2]))
end = d["series"][-1]["t"]          # the last acknowledgement, seconds from the start
ours = d["acked"] / end
print("%-34s%.0f records/s (%d records in %.2f s, %.0f bytes avg)"
      % ("Node.js client (%s):" % n["client"].split()[-1], n["records_per_s"], n["acked"],
         n["seconds"], n["avg_record_bytes"]))
print("%-34s%.0f records/s (%d acked in %.2f s; acked_per_s %.0f over %.1f s sending; %.0f bytes avg)"
      % ("outbreak run (pubsub):", ours, d["acked"], end, d["throughput"]["acked_per_s"],
         d["duration_s"], d.get("avg_record_bytes", 0)))
print("%-34s%.2f" % ("ratio pubsub:", ours / n["records_per_s"] if n["records_per_s"] else float("nan")))
warn = []
if n["failed"] or n["acked"] != n["records"]:
    warn.append("the Node.js client failed %d of %d (%s)" % (n["failed"], n["records"], n.get("first_error", "")))
if d["failed"]:
    warn.append("outbreak failed %d" % d["failed"])
if warn:
    print("WARNING: %s: figures not comparable, run again" % "; ".join(warn), file=sys.stderr)
nl, ol = n["latency_ms"] or {}, d.get("publish_latency_uncorrected_ms") or {}  # none: nothing acked
print("latency publish -> ack (ms)  Node.js    outbreak")
for k in ["min", "mean", "p50", "p75", "p95", "p99", "p99.9", "max"]:
    a, b = nl.get(k), ol.get(k)
    print("  %-24s%9s %10s" % ("avg" if k == "mean" else k, "-" if a is None else "%.1f" % a,
                               "-" if b is None else "%.1f" % b))
EOF
    # CPU per record, both under /usr/bin/time (Node.js: its process, start-up included)
    cpu_report "pubsub-$label" Node.js "$(cpu_secs "$OUT/outbreak-pubsub-$label.cpu")" "$(json "$oj" 'd["acked"]')" \
        "$(cpu_secs "$OUT/pubsub-node-$label.cpu")" "$(json "$nj" 'd["acked"]')" \
        "$(ratio "$(json "$oj" 'd["acked"] / d["series"][-1]["t"]')" "$(json "$nj" 'd["records_per_s"]')")"
}

echo "== Pub/Sub emulator publish, batches of $BATCH or ${LINGER} ms, $INFLIGHT in flight:" \
    "Node.js client $RECORDS records, outbreak $TIME =="
compare default "$INFLIGHT"
if [ "${BENCH_PUBSUB_SAME_WINDOW:-1}" = 1 ]; then
    echo "== the same, both with at most $SAME_WINDOW records in flight =="
    compare window "$SAME_WINDOW"
fi
