# scenarios/sink_kill.sh — sourced by a test after lib.sh, with `url` set to the broker
# URL (a durable queue or stream of its own): a sink killed (SIGKILL) and restarted in
# the middle of a run. The broker redelivers what the dead sink had not acknowledged,
# MongoDB's _id absorbs what it had inserted but not acknowledged (counted as
# duplicates), and the run ends with lost = 0 and MongoDB holding exactly one document
# per acked record.
: "${url:?set url to the broker URL before sourcing scenarios/sink_kill.sh}"
id="kill-$$-$(date +%s)"
start_sink "$url" "$WORK/sink1.log"
# 30 000 records, each once, at 3000/s: a count that does not depend on the machine
# keeping up (the assertion is about delivery, not speed)
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 3000 --pool 30000 --once --stop-timeout 60s \
    --headless --only-summary --run-id "$id" --json "$WORK/k.json" >"$WORK/run.log" 2>&1 &
run=$!
sleep 4
kill -9 "$SINK_PID"
wait "$SINK_PID" 2>/dev/null
echo "killed the sink at t=4s"
sleep 2
start_sink "$url" "$WORK/sink2.log"
echo "restarted the sink at t=6s"
wait "$run"
rc=$?
tail -12 "$WORK/run.log"
acked=$(json "$WORK/k.json" 'd["acked"]')
check "run exits 0 (got $rc)" test "$rc" -eq 0
check "acked $acked = 30000" test "$acked" -eq 30000
check "lost = 0" test "$(json "$WORK/k.json" 'd["lost"]')" = 0
check "persisted = acked" test "$(json "$WORK/k.json" 'd["persisted"]')" = "$acked"
count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
check "MongoDB holds $count documents of the run: one per acked record" test "$count" = "$acked"
dups=$(json "$WORK/k.json" 'd["duplicates"]')
echo "duplicates absorbed by _id: $dups"
check "two sink instances reported for the run" test "$(json "$WORK/k.json" 'd["sinks"]')" -ge 2
# the killed sink's last inserts are counted in no statistics: the figure is MongoDB's
check "a sink died: persisted from MongoDB's count (got $(json "$WORK/k.json" 'd["persisted_source"]'))" \
    test "$(json "$WORK/k.json" 'd["persisted_source"]')" = mongodb_count
finish
