# record_size.sh — `outbreak run --record-size BYTES` (nats bench's --size, the Kafka
# perf test's --record-size, OpenMessaging Benchmark's messageSize): each record padded
# by a "pad" field to about BYTES on the wire, metadata included, through every
# middleware into MongoDB. For each: acked = persisted = MongoDB's count of the run, the
# records as sent within 8 bytes under BYTES (the sequence numbers' digits; the summary's
# avg_record_bytes), the summary's load says the size, and MongoDB's documents have no
# filler. gRPC carries it in the message's `pad` field, the gateway keeps it (the HTTP
# load mode), JetStream stores the padded messages (its stream's bytes), a 100 kB record
# goes through too, compare takes it as a workload flag (its report says it), and the
# misuses are exit 2 with one line.
source "$(dirname "$0")/lib.sh"
require_servers
require_rabbitmq
require_kafka
require_pubsub
source "$(dirname "$0")/lib_gateway.sh"

# sized LABEL URL BYTES [RUN_URL] — a sink on URL, then 400 records of BYTES at 400/s
# through RUN_URL (URL when not given: a gateway's address otherwise)
sized() {
    local label=$1 url=$2 size=$3 to=${4:-$2} run="rsz-$1-$$" f="$WORK/run-$1.json" rc=0 got
    echo "---- $label"
    start_sink "$url" "$WORK/sink-$label.log"
    [ -n "${4:-}" ] && { start_gateway "$label" "$url" -q || return; to="http://127.0.0.1:$GW_PORT/"; }
    "$OUTBREAK" run --headless --broker "$to" --rate 400 -i 400 --record-size "$size" --mongo "$MONGO_URL" \
        --run-id "$run" --only-summary --json "$f" >"$WORK/run-$label.out" 2>&1 || rc=$?
    grep -E '^(records|delivery)' "$WORK/run-$label.out"
    check_delivered "$rc" "$f" "$run" 400
    got=$(json "$f" '"%d|%.1f" % (d["load"]["record_size"], d["avg_record_bytes"])')
    check "$label: padded to $size bytes, the mean as sent within 8 bytes under it ($got)" python3 -c "
import sys; size, avg = sys.argv[1].split('|'); sys.exit(not (int(size) == $size and $size - 8 <= float(avg) <= $size))" "$got"
    got=$($MONGO_TOOL withfield 127.0.0.1 27017 "$MONGO_DB" "$run" pad)
    check "$label: MongoDB's documents of the run have no filler ($got with a pad field)" test "$got" = 0
    [ -n "${4:-}" ] && stop_gateway
    kill -TERM "$SINK_PID"
    wait "$SINK_PID"
}

js="OBRSZ_$$"
sized jetstream "$NATS_URL?jetstream=1&stream=$js&subject=obrsz.js.$$&durable=obrsz-$$" 1024
got=$(python3 "$OB_SOURCE_DIR/tests/integration/nats_tool.py" bytes 127.0.0.1 4222 "$js")
check "jetstream: the stream holds 400 messages of over 1 000 bytes each ($got)" python3 -c "
import sys; n, b = map(int, sys.argv[1].split()); sys.exit(not (n == 400 and b >= 400 * 1000))" "$got"
sized nats-core "$NATS_URL?subject=obrsz.core.$$" 1024
sized rabbitmq "${RABBIT_URL}?queue=$(rabbit_queue "obrsz.$$")" 1024
sized kafka "kafka://127.0.0.1:9092?topic=$(kafka_topic "obrsz.$$")&group=obrsz-$$" 1024
sized pubsub "pubsub://outbreak-local/obrsz-$$?subscription=obrsz-$$-sink" 1024
sized grpc "grpc://127.0.0.1:50191" 1024
sized gateway "$NATS_URL?jetstream=1&stream=OBRSZGW_$$&subject=obrsz.gw.$$&durable=obrszgw-$$" 2048 gateway
got=$(python3 "$OB_SOURCE_DIR/tests/integration/nats_tool.py" bytes 127.0.0.1 4222 "OBRSZGW_$$")
check "gateway: it published the filler, 400 messages of over 2 000 bytes each ($got)" python3 -c "
import sys; n, b = map(int, sys.argv[1].split()); sys.exit(not (n == 400 and b >= 400 * 2000))" "$got"
sized jetstream-100k "$NATS_URL?jetstream=1&stream=OBRSZB_$$&subject=obrsz.big.$$&durable=obrszb-$$" 100000
for s in "$js" "OBRSZGW_$$" "OBRSZB_$$"; do
    python3 "$OB_SOURCE_DIR/tests/integration/nats_tool.py" rmstreams 127.0.0.1 4222 "$s" >/dev/null 2>&1
done

# compare: the size is the workload's, each run padded, and the report says it (in a real
# browser)
"$OUTBREAK" compare --brokers nats --rate 200 -i 200 --record-size 512 --mongo "$MONGO_URL" --out "$WORK/cmp" \
    >"$WORK/cmp.log" 2>&1
rc=$?
check "compare --record-size exits 0 (got $rc)" test "$rc" -eq 0
got=$(json "$WORK/cmp/nats.json" '"%d|%d|%d" % (d["load"]["record_size"], d["persisted"], 504 <= d["avg_record_bytes"] <= 512)')
check "compare --record-size: the run padded to 512 bytes, all 200 persisted ($got)" test "$got" = "512|200|1"
crc=0
timeout 120 node "$OB_SOURCE_DIR/tests/browser/check_report.mjs" "$WORK/cmp/index.html" --expect nats \
    --text "records padded to 512 bytes" >"$WORK/report-check.log" 2>&1 || crc=$?
cat "$WORK/report-check.log"
check "compare --record-size: the report's load says the size (exit $crc)" test "$crc" -eq 0
cid=$(json "$WORK/cmp/results.json" 'd["id"]')
python3 "$OB_SOURCE_DIR/tests/integration/nats_tool.py" rmstreams 127.0.0.1 4222 "_$(tr 'A-Z' 'a-z' <<<"$cid")" >/dev/null 2>&1
$MONGO_TOOL dropdb 127.0.0.1 27017 "${MONGO_DB}_${cid}_nats" >/dev/null 2>&1

# misuse: exit 2, one line
fails_fast 2 "--record-size 100 is smaller than record 1 (" run --headless --record-size 100
fails_fast 2 "--record-size: expected a whole number from 1 to 1000000, not \"2000000\"" \
    run --headless --record-size 2000000
fails_fast 2 "--record-size: expected a whole number from 1 to 1000000, not \"1kb\"" run --headless --record-size 1kb

finish
