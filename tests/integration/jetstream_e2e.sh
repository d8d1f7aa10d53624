# jetstream_e2e.sh — outbreak run -> NATS JetStream -> outbreak sink -> MongoDB: a run of
# 50 000 records ends with lost = 0, persisted (MongoDB's own count of the run's
# documents) = acked, end-to-end latency measured, and the Locust CSV and JSON written.
source "$(dirname "$0")/lib.sh"
require_servers

id="js-e2e-$$-$(date +%s)"
url="$NATS_URL?jetstream=1&stream=OBIT_$$&subject=obit.$$&durable=obit-$$"
start_sink "$url" "$WORK/sink.log"
"$OUTBREAK" run --broker "$url" --mongo "$MONGO_URL" --rate 10000 -t 5s --headless \
    --run-id "$id" --json "$WORK/s.json" --csv "$WORK/s" >"$WORK/run.log" 2>&1
rc=$?
cat "$WORK/run.log" | tail -20
check "run exits 0 (got $rc)" test "$rc" -eq 0
acked=$(json "$WORK/s.json" 'd["acked"]')
check "acked $acked >= 50000" test "$acked" -ge 50000
check "failed = 0" test "$(json "$WORK/s.json" 'd["failed"]')" = 0
check "lost = 0" test "$(json "$WORK/s.json" 'd["lost"]')" = 0
check "persisted = acked" test "$(json "$WORK/s.json" 'd["persisted"]')" = "$acked"
count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
check "MongoDB holds $count documents of the run = acked $acked" test "$count" = "$acked"
check "e2e latency measured for every record" test "$(json "$WORK/s.json" 'd["e2e_latency_ms"]["count"]')" = "$acked"
check "durability names JetStream and PubAck" test "$(json "$WORK/s.json" 'd["durability"]["publish_ack"]')" = PubAck
check "series has persisted figures" test "$(json "$WORK/s.json" 'sum(p["persisted"] or 0 for p in d["series"])')" -gt 0
check "Locust stats CSV header" grep -q '^Type,Name,Request Count,Failure Count,Median Response Time' "$WORK/s_stats.csv"
check "Locust history CSV has rows" test "$(wc -l <"$WORK/s_stats_history.csv")" -ge 5
check "failures CSV exists" test -f "$WORK/s_failures.csv"
finish
