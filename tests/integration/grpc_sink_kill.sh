# grpc_sink_kill.sh — the gRPC sink (the server the load generator calls) killed (SIGKILL)
# in the middle of a paced unary run and started again 6 s later, long enough for the
# new sink to find the dead one's heartbeat stale and recount its records before it
# consumes. What must hold:
#   * every record is accounted for: sent = acked + failed, each failure named, all of
#     them UNAVAILABLE (the connection reset at the kill, then refused while nothing
#     listens): none timed out, none "handshaker shutdown";
#   * the calls fail only while nothing listens: the client tries again every 250 ms at
#     most and watches its channel while it is down, so it is READY again as soon as the
#     new sink listens (without the watch, gRPC's backup poller would finish the
#     handshake up to 5 s later), and the new sink takes connections while it recounts
#     (its calls wait inside gRPC instead of failing);
#   * lost = 0, MongoDB's count = persisted >= acked (the sink answers after the insert;
#     calls cut by the kill may have been stored: failed but persisted);
#   * the end-to-end latencies the killed sink had not saved yet are missing, and the
#     summary says for how many records (e2e_unmeasured).
source "$(dirname "$0")/lib.sh"
require_servers

port=50171
url="grpc://127.0.0.1:$port"
RATE=500
wait_port() {
    local _
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}
now() { date +%s.%N; }
commas() { python3 -c "print(f'{int(\"$1\"):,}')"; }  # 3486 -> 3,486, as the report writes it
start_sink "$url" "$WORK/sink1.log"
check "the first sink listens on 127.0.0.1:$port" wait_port
sink1=$SINK_PID

id="grpc-kill-$$-$(date +%s)"
run_in_background "$id" "$url" --rate "$RATE" -t 14s --stop-timeout 30s --html "$WORK/run.html"
sleep 3
kill_hard "$sink1"
t_kill=$T_KILL
sleep 6
"$OUTBREAK" sink --broker "$url" --mongo "$MONGO_URL" >"$WORK/sink2.log" 2>&1 &
SINK_PID=$!
PIDS+=("$SINK_PID")
check "the second sink listens on 127.0.0.1:$port" wait_port
t_listen=$(now)
rc=0
wait "$RUN_PID" || rc=$?
tail -16 "$WORK/run.log"
echo "--- the new sink's log:"
cat "$WORK/sink2.log"

check "the run exits 1: records failed (got $rc)" test "$rc" -eq 1
[ -s "$WORK/run.json" ] || { fail "no JSON summary"; finish; exit 1; }
read -r sent acked failed persisted lost < <(json "$WORK/run.json" \
    '" ".join(str(d[k]) for k in ("sent", "acked", "failed", "persisted", "lost"))')
echo "sent $sent acked $acked failed $failed persisted $persisted lost $lost"
check "sent $sent = acked $acked + failed $failed" test "$sent" -eq $((acked + failed))
check "the rate was kept: sent $sent >= 6900" test "$sent" -ge 6900
check "records failed while the sink was down: $failed > 0" test "$failed" -gt 0
check "every failure is UNAVAILABLE, none timed out nor 'handshaker shutdown'" python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["failures"]
for x in f: print("  %6d x %s" % (x["count"], x["error"]))
bad = [x for x in f if not x["error"].startswith("grpc: UNAVAILABLE") or "handshaker" in x["error"]]
sys.exit(1 if bad or sum(x["count"] for x in f) != int(sys.argv[2]) else 0)' "$WORK/run.json" "$failed"
# nothing listened from t_kill to t_listen (within 50 ms); 0.6 s more for the calls cut
# at the kill and the client's next attempt (every 250 ms at most while it is down)
down=$(python3 -c "print('%.2f' % ($t_listen - $t_kill))")
bound=$(python3 -c "print(int($RATE * ($t_listen - $t_kill + 0.6)))")
check "failures only while nothing listened ($down s): $failed <= $bound" test "$failed" -le "$bound"
check "no failure in the seconds after the new sink listened (it took connections while recounting)" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
up = float(sys.argv[2]) - d["started_at_ns"] / 1e9     # run time at which the port listened
late = [(p["t"], p["failed"]) for p in d["series"] if p["t"] - 1 >= up + 0.5 and p["failed"]]
print("  the port listened %.2f s into the run; failures in the seconds after: %s" % (up, late or "none"))
sys.exit(1 if late else 0)' "$WORK/run.json" "$t_listen"
check "the new sink recounted the dead one's records before consuming" \
    grep -q 'recounted sink' "$WORK/sink2.log"
check "lost = 0" test "$lost" = 0
check "persisted $persisted >= acked $acked" test "$persisted" -ge "$acked"
reset=$(python3 -c '
import json, sys
print(sum(x["count"] for x in json.load(open(sys.argv[1]))["failures"] if "refused" not in x["error"]))' "$WORK/run.json")
check "failed but persisted ($((persisted - acked))) <= the calls cut at the kill ($reset)" \
    test $((persisted - acked)) -le "$reset"
count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
check "MongoDB holds $count documents of the run = persisted $persisted" test "$count" = "$persisted"
# the killed sink's last latencies died with it: said, not hidden
read -r unmeasured e2e_n < <(json "$WORK/run.json" '"%s %s" % (d["e2e_unmeasured"], d["e2e_latency_ms"]["count"])')
echo "end-to-end latencies: $e2e_n, unmeasured $unmeasured"
check "e2e_unmeasured $unmeasured = persisted $persisted - the end-to-end count $e2e_n" \
    test "$unmeasured" -eq $((persisted - e2e_n))
if [ "$unmeasured" -gt 0 ]; then
    check "the summary says the end-to-end latency covers $e2e_n of the $persisted persisted records" \
        grep -q "end-to-end measured for $e2e_n of the $persisted persisted records" "$WORK/run.log"
    crc=0
    timeout 120 node "$OB_SOURCE_DIR/tests/browser/check_report.mjs" "$WORK/run.html" --expect grpc \
        --text "end-to-end latency measured for $(commas "$e2e_n") of the $(commas "$persisted") persisted records" \
        >"$WORK/report-check.log" 2>&1 || crc=$?
    cat "$WORK/report-check.log"
    check "the run's HTML report, in Chromium, says it too (exit $crc)" test "$crc" -eq 0
fi
check "the new sink is still running" kill -0 "$SINK_PID"
finish
