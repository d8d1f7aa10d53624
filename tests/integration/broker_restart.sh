# broker_restart.sh — a NATS server killed and restarted in the middle of a JetStream
# run: the publisher and the sink reconnect by themselves, every record is accounted
# for (sent = acked + failed, with the failures' reason reported), and everything the
# broker acknowledged reaches MongoDB (lost = 0). Uses a private nats-server on its own
# port and store, so the shared one is left alone.
source "$(dirname "$0")/lib.sh"
require_servers
PORT=4333
store="$WORK/nats-store"
start_nats() {
    "$NATS_SERVER" -a 127.0.0.1 -p $PORT -js -sd "$store" >>"$WORK/nats.log" 2>&1 &
    NATS_PID=$!
    PIDS+=("$NATS_PID")
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0; sleep 0.1; done
    echo "FAIL: private nats-server did not start" >&2; exit 1
}
start_nats
url="nats://127.0.0.1:$PORT?jetstream=1&stream=OBITR&subject=obit.r&durable=obit-r&ack_wait=3000"
# The sink runs under a supervisor that restarts it if it dies, as a deployment's restart
# policy would: with Debian's cnats 3.4.1 the sink has been seen to abort (heap
# corruption inside the client library) about once in ten server restarts. The
# guarantees checked below must hold either way; a crash is reported, not hidden.
(
    while [ ! -e "$WORK/stop-sink" ]; do
        "$OUTBREAK" sink --broker "$url" --mongo "$MONGO_URL" >>"$WORK/sink.log" 2>&1 &
        echo $! >"$WORK/sink.pid"
        wait $!
        rc=$?
        [ -e "$WORK/stop-sink" ] && break
        echo "sink exited with status $rc; restarting it" | tee -a "$WORK/sink-crashes" >&2
        sleep 0.5
    done
) &
PIDS+=($!)
sleep 1
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 1000 -t 8s --stop-timeout 20s --headless \
    --only-summary --run-id "restart-$$" --json "$WORK/r.json" --csv "$WORK/r" >"$WORK/run.log" 2>&1 &
run=$!
sleep 3
kill -9 "$NATS_PID"; wait "$NATS_PID" 2>/dev/null
echo "killed nats-server at t=3s"
sleep 1
start_nats
echo "restarted nats-server at t=4s"
wait "$run"
rc=$?
touch "$WORK/stop-sink"
kill "$(cat "$WORK/sink.pid")" 2>/dev/null
tail -15 "$WORK/run.log"
if [ -e "$WORK/sink-crashes" ]; then
    echo "WARNING: the sink crashed during this test and was restarted:" >&2
    cat "$WORK/sink-crashes" >&2
    grep -v '^outbreak sink' "$WORK/sink.log" | tail -5 >&2
fi
sent=$(json "$WORK/r.json" 'd["sent"]')
acked=$(json "$WORK/r.json" 'd["acked"]')
failed=$(json "$WORK/r.json" 'd["failed"]')
check "every record accounted for: sent $sent = acked $acked + failed $failed" test "$sent" -eq $((acked + failed))
check "the run went on after the restart (acked $acked > 5000)" test "$acked" -gt 5000
check "lost = 0: all acked records persisted" test "$(json "$WORK/r.json" 'd["lost"]')" = 0
if [ "$failed" -gt 0 ]; then
    check "exit 1 because records failed (got $rc)" test "$rc" -eq 1
    check "the failures are reported with their reason" test "$(json "$WORK/r.json" 'len(d["failures"])')" -gt 0
else
    check "exit 0, nothing failed (got $rc)" test "$rc" -eq 0
fi
finish
