#!/usr/bin/env bash
# bench/sink_insert.sh — outbreak sink against a plain bulk insert of the same documents
# into the same MongoDB. A JetStream stream is filled with N records first (no sink
# running); then the sink drains it into MongoDB, timed from its start until MongoDB
# acknowledged the insert of the last of the N (the sink's own record of it);
# then ob_mongo_bulk inserts N documents of the same shape with the same batch size.
# Prints both rates and the ratio sink / plain (goal: >= 0.9).
source "$(dirname "$0")/lib.sh"
N=${BENCH_SINK_RECORDS:-100000}
BATCH=${BENCH_BATCH:-500}
tag="sb$$"
url="nats://127.0.0.1:4222?jetstream=1&stream=OBSINKBENCH_$tag&subject=outbreak.sinkbench.$tag&durable=sinkbench-$tag&max_ack_pending=100000&batch=500"
db_sink=mongodb://127.0.0.1:27017/outbreak_bench_sink
db_plain=mongodb://127.0.0.1:27017/outbreak_bench_plain
run="sinkbench-$tag"

tool="python3 $ROOT/tests/integration/mongo_tool.py"
trap 'python3 "$ROOT/tests/integration/nats_tool.py" rmstreams 127.0.0.1 4222 "OBSINKBENCH_$tag" >/dev/null 2>&1 ||
    echo "bench: could not delete the stream OBSINKBENCH_$tag" >&2' EXIT
echo "== filling the stream with $N records =="
$tool dropdb 127.0.0.1 27017 outbreak_bench_sink 2>/dev/null || true
$tool dropdb 127.0.0.1 27017 outbreak_bench_plain 2>/dev/null || true
"$OUTBREAK" run --headless --broker "$url" -u 1024 -r 1000000 --once --pool "$N" --run-id "$run" \
    --only-summary --json "$OUT/sink-fill.json" >"$OUT/sink-fill.txt" 2>&1
echo "acked: $(json "$OUT/sink-fill.json" 'd["acked"]')"

echo "== outbreak sink draining it =="
# The sink runs with its defaults. It is timed from its start to the moment MongoDB
# acknowledged its last insert, which the sink itself records (last_persisted_ns in its
# sink_stats, written again when it stops): waiting for the count is done by one
# process looking at the sink's statistics (a few small documents, not the records
# collection, which FerretDB's SQLite backend would scan) every 100 ms, so neither the
# wait nor the sink's statistics interval is in the figure.
t0=$(date +%s%N)
"$OUTBREAK" sink --broker "$url" --mongo "$db_sink" --batch "$BATCH" >"$OUT/sink.txt" 2>&1 &
sink=$!
$tool waitsink 127.0.0.1 27017 outbreak_bench_sink "$run" "$N" 600 ||
    { echo "bench: the sink did not persist $N records in 600 s (see $OUT/sink.txt)" >&2; exit 1; }
kill "$sink"; wait "$sink" || true
t1=$($tool lastpersisted 127.0.0.1 27017 outbreak_bench_sink "$run")
echo "documents of the run in MongoDB: $($tool count 127.0.0.1 27017 outbreak_bench_sink records "$run")"
sink_rate=$(python3 -c "print('%.1f' % ($N / (($t1 - $t0) / 1e9)))")
echo "outbreak sink:        $sink_rate docs/s ($N records, batch $BATCH)"

echo "== plain bulk insert of the same documents =="
"$ROOT/build/bench/ob_mongo_bulk" "$db_plain" "$N" "$BATCH" | tee "$OUT/plain.txt"
plain_rate=$(sed -E 's/.*: ([0-9.]+) docs\/s/\1/' "$OUT/plain.txt")
echo "plain bulk insert:    $plain_rate docs/s"
echo "ratio sink / plain:   $(ratio "$sink_rate" "$plain_rate")"
