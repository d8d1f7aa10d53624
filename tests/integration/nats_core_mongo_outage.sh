# nats_core_mongo_outage.sh — MongoDB killed and restarted in the middle of a core NATS
# run. Core NATS keeps nothing: a record the sink could not insert is gone, and the sink
# says so ("dropped (core NATS does not deliver again: lost)", not "rejected for
# redelivery", which would promise a record that never comes). What must hold: the sink
# keeps running and writes again once MongoDB is back; every acked record is persisted or
# counted lost (persisted + lost = acked, nothing unconfirmed); the run's lost count is the
# sink's own count of what it dropped (no other loss on loopback at this rate); MongoDB
# holds exactly the persisted records. Uses a private FerretDB.
source "$(dirname "$0")/lib.sh"
require_servers
source "$(dirname "$0")/scenarios/private_ferretdb.sh"
mongo="mongodb://127.0.0.1:$PORT/obit_outage"
url="$NATS_URL?subject=obit.core_outage.$$"

"$OUTBREAK" sink --broker "$url" --mongo "$mongo" >"$WORK/sink.log" 2>&1 &
sink=$!
PIDS+=("$sink")
sleep 1
id="core-outage-$$-$(date +%s)"
"$OUTBREAK" run --headless --broker "$url" --mongo "$mongo" --rate 1000 -t 10s --stop-timeout 30s \
    --only-summary --run-id "$id" --json "$WORK/o.json" >"$WORK/run.log" 2>&1 &
run=$!
sleep 3
kill -9 "$FDB_PID"; wait "$FDB_PID" 2>/dev/null
echo "killed FerretDB at t=3s"
sleep 3
check "the sink keeps running while MongoDB is down" kill -0 "$sink"
start_ferretdb
echo "restarted FerretDB at t=6s"
wait "$run"
rc=$?
tail -14 "$WORK/run.log"
kill -TERM "$sink"
wait "$sink"
src=$?
cat "$WORK/sink.log"

[ -s "$WORK/o.json" ] || { fail "no JSON summary"; finish; exit 1; }
read -r sent acked failed persisted lost unconfirmed < <(json "$WORK/o.json" \
    '" ".join(str(d[k]) for k in ("sent", "acked", "failed", "persisted", "lost", "unconfirmed"))')
echo "sent $sent acked $acked failed $failed persisted $persisted lost $lost unconfirmed $unconfirmed"
check "the run exits 1: records were lost (got $rc)" test "$rc" -eq 1
check "sent $sent = acked $acked, failed 0" test "$sent" -eq "$acked" -a "$failed" -eq 0
check "records lost while MongoDB was down: $lost > 0" test "$lost" -gt 0
check "persisted $persisted + lost $lost = acked $acked, unconfirmed $unconfirmed = 0" \
    test $((persisted + lost)) -eq "$acked" -a "$unconfirmed" -eq 0
count=$($MONGO_TOOL count 127.0.0.1 $PORT obit_outage records "$id")
check "MongoDB holds $count documents of the run = persisted $persisted" test "$count" = "$persisted"
check "the sink said an insert failed" grep -q "insert into MongoDB at 127.0.0.1:$PORT failed" "$WORK/sink.log"
check "the sink said the batches were dropped, not rejected for redelivery" \
    grep -q "deliveries dropped (core NATS does not deliver again: lost), retrying in" "$WORK/sink.log"
check "no line promises a redelivery" bash -c '! grep -q "for redelivery" "$1"' _ "$WORK/sink.log"
dropped=$(sed -n 's/.*stopped: .* \([0-9][0-9]*\) dropped (core NATS.*/\1/p' "$WORK/sink.log")
check "the sink's totals count what it dropped (${dropped:-none}) = the run's lost $lost" \
    test "${dropped:-x}" = "$lost"
check "the sink exits 0 after SIGTERM (got $src)" test "$src" -eq 0
finish
