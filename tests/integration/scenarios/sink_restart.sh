# scenarios/sink_restart.sh — sourced by a test after lib.sh, with `url` set to the
# broker URL (a durable queue, stream or topic of its own, shared by two sinks): in the
# middle of the run one sink is stopped with SIGTERM (it finishes the batch in hand, hands
# its queue back for redelivery, writes its statistics and exits 0) and started again
# with the same --id. The run ends with lost = 0 and MongoDB holding one document per
# acked record, and the sinks' own accounting is exact: the restarted instance goes on
# from its sink_stats document instead of overwriting it, so the end-to-end histograms
# together count every persisted record exactly once.
: "${url:?set url to the broker URL before sourcing scenarios/sink_restart.sh}"
id="restart-$$-$(date +%s)"
sink_a() { # sink_a LOG — sink "a" in the background; sets A_PID
    "$OUTBREAK" sink --broker "$url" --mongo "$MONGO_URL" --id "it-a-$$" >"$1" 2>&1 &
    A_PID=$!
    PIDS+=("$A_PID")
}
sink_a "$WORK/a1.log"
"$OUTBREAK" sink --broker "$url" --mongo "$MONGO_URL" --id "it-b-$$" >"$WORK/b.log" 2>&1 &
B_PID=$!
PIDS+=("$B_PID")
sleep 1
# 60 000 records, each once, at 5000/s (a count that does not depend on the machine's speed)
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 5000 --pool 60000 --once --stop-timeout 60s \
    --headless --only-summary --run-id "$id" --json "$WORK/r.json" >"$WORK/run.log" 2>&1 &
run=$!
sleep 4
t0=$(date +%s%N)
kill -TERM "$A_PID"
wait "$A_PID"
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
echo "stopped sink a with SIGTERM at t=4s (took $ms ms): $(tail -1 "$WORK/a1.log")"
check "sink a exits 0 after SIGTERM (got $rc)" test "$rc" -eq 0
check "sink a stopped within 10 s ($ms ms)" test "$ms" -lt 10000
check "sink a printed its totals" grep -q "stopped: [0-9]* persisted" "$WORK/a1.log"
a1=$(sed -n 's/.*stopped: \([0-9]*\) persisted.*/\1/p' "$WORK/a1.log")
check "sink a had persisted records before it stopped ($a1)" test "${a1:-0}" -gt 0
sleep 2
sink_a "$WORK/a2.log"
echo "restarted sink a at t=6s"
wait "$run"
rc=$?
tail -12 "$WORK/run.log"
kill -TERM "$A_PID" "$B_PID"
wait "$A_PID" "$B_PID"

acked=$(json "$WORK/r.json" 'd["acked"]')
check "run exits 0 (got $rc)" test "$rc" -eq 0
check "acked $acked = 60000" test "$acked" -eq 60000
check "lost = 0" test "$(json "$WORK/r.json" 'd["lost"]')" = 0
check "persisted = acked" test "$(json "$WORK/r.json" 'd["persisted"]')" = "$acked"
count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
check "MongoDB holds $count documents of the run: one per acked record" test "$count" = "$acked"
check "two sink ids reported (the restart went on with its own document)" \
    test "$(json "$WORK/r.json" 'd["sinks"]')" = 2
e2e=$(json "$WORK/r.json" 'd["e2e_latency_ms"]["count"]')
check "sinks' end-to-end histograms count every record once ($e2e)" test "$e2e" = "$acked"
echo "duplicates absorbed by _id: $(json "$WORK/r.json" 'd["duplicates"]')"
for log in a1 a2 b; do echo "sink $log: $(tail -1 "$WORK/$log.log")"; done
finish
