# rabbitmq_queue_deleted.sh — the queue deleted (rabbitmqctl delete_queue) under a sink in
# the middle of a run. The sink's connection says it wants consumer cancel notifications
# (consumer_cancel_notify), so the broker tells it that its consumer is gone; it says so
# on one line, connects again (which declares the queue again) and consumes. Without the
# capability the broker dropped the consumer silently, and the sink, still running,
# consumed nothing for the rest of the run. What must hold: the publisher's records
# that found no queue in between are failures it saw (returned unroutable: NO_ROUTE),
# at most a second's worth; every other record is acked, and persisted unless the
# queue held it when it was deleted (lost with it, and the run says so: a few); the last
# seconds of the run are all acked and persisted.
source "$(dirname "$0")/lib.sh"
require_rabbitmq
queue=$(rabbit_queue "obit.deleted.$$")
url="${RABBIT_URL}?queue=$queue"
start_sink "$url" "$WORK/sink.log"
id="rabbitmq-deleted-$$-$(date +%s)"
run_in_background "$id" "$url" --rate 300 -t 10s --stop-timeout 30s
sleep 3
"$RABBITMQCTL" delete_queue "$queue" >"$WORK/delete.log" 2>&1
check "rabbitmqctl deleted the queue in the middle of the run" grep -q 'successfully deleted' "$WORK/delete.log"
rc=0
wait "$RUN_PID" || rc=$?
tail -8 "$WORK/run.log"
kill "$SINK_PID" 2>/dev/null
wait "$SINK_PID" 2>/dev/null
cat "$WORK/sink.log"

[ -s "$WORK/run.json" ] || { fail "no JSON summary"; finish; exit 1; }
read -r sent acked failed persisted lost < <(json "$WORK/run.json" \
    '" ".join(str(d[k]) for k in ("sent", "acked", "failed", "persisted", "lost"))')
echo "sent $sent acked $acked failed $failed persisted $persisted lost $lost"
check "the sink was told its consumer was cancelled, and said so" \
    grep -q "the broker cancelled the consumer (was the queue deleted?)" "$WORK/sink.log"
check "the sink connected again (declaring the queue again)" grep -q "rabbitmq: reconnected to" "$WORK/sink.log"
check "sent $sent = acked $acked + failed $failed" test "$sent" -eq $((acked + failed))
check "at most a second of records found no queue: failed $failed <= 300" test "$failed" -le 300
check "every failure is a record returned unroutable" python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["failures"]
for x in f: print("  %6d x %s" % (x["count"], x["error"]))
sys.exit(0 if all("NO_ROUTE" in x["error"] for x in f) else 1)' "$WORK/run.json"
check_seconds_acked "the last 5 s were all acked and persisted (the sink consumed again)" "$WORK/run.json" 6 10
# what the queue held went with it: records the broker had confirmed and not yet
# delivered when it was deleted (1-2 in runs here, though rabbitmqctl counted 0 ready
# messages: confirmed while the deletion went on); lost, and said so
check "lost $lost: at most the few records the queue held when it was deleted (<= 10)" test "$lost" -le 10
check "persisted $persisted + lost $lost = acked $acked" test $((persisted + lost)) -eq "$acked"
count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
check "MongoDB holds $count documents of the run = persisted $persisted" test "$count" = "$persisted"
finish
