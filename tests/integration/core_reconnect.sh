# core_reconnect.sh — a core NATS publisher that confirms with PING round trips (not
# paced: closed users without a wait; brokers/nats.c, confirm=auto) while its
# nats-server is killed (SIGKILL) and started again: the run neither hangs nor stops,
# every record is accounted for (sent = acked + failed), the records whose confirmation
# the reconnect cut off are failed with that reason (never acked: what was on the dead
# connection may not have been read), and records are acked again after the restart.
# The same with confirm=marker is checked for accounting only, and with io=loop (a paced
# publisher reading and writing the socket on its own thread, cnats' event-loop mode:
# cnats' reconnect thread attaches the new socket) for accounting and acks after the
# restart. Uses a private nats-server on its own port, without JetStream: each summary
# says no stream stores the subject (its "no responders" is an answer).
source "$(dirname "$0")/lib.sh"
require_servers
PORT=4334
start_nats() {
    "$NATS_SERVER" -a 127.0.0.1 -p $PORT >>"$WORK/nats.log" 2>&1 &
    NATS_PID=$!
    PIDS+=("$NATS_PID")
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && return 0; sleep 0.1; done
    echo "FAIL: private nats-server did not start" >&2
    exit 1
}

# one CONFIRM [IO LOAD...]: an 8 s run (4 users without a wait, or LOAD), the server
# killed at 3 s and back at 4 s
one() {
    local confirm=$1 io=${2:-auto} j="$WORK/$1-${2:-auto}.json"
    shift 2 2>/dev/null || shift
    local load=(-u 4 -r 100)
    [ $# -eq 0 ] || load=("$@")
    start_nats
    "$OUTBREAK" run --headless --only-summary "${load[@]}" -t 8s --stop-timeout 10s \
        --broker "nats://127.0.0.1:$PORT?subject=obit.core.reconnect&confirm=$confirm&io=$io" \
        --json "$j" >"$WORK/$confirm-$io.log" 2>&1 &
    local run=$!
    sleep 3
    kill -9 "$NATS_PID"
    wait "$NATS_PID" 2>/dev/null
    sleep 1
    start_nats
    local t0=$SECONDS
    wait "$run"
    RC=$?
    tail -4 "$WORK/$confirm-$io.log"
    check "confirm=$confirm: the run ended on time ($((SECONDS - t0)) s after the restart)" \
        test $((SECONDS - t0)) -le 12
    check "  the summary states confirm=$confirm" \
        test "$(json "$j" 'd["durability"].get("confirm")')" = "$confirm"
    [ "$io" = auto ] || check "  the summary states io=$io" test "$(json "$j" 'd["durability"].get("io")')" = "$io"
    # a server without JetStream answers the stream question "no responders" at once
    check "  the summary says no stream stores the subject (a server without JetStream)" \
        test "$(json "$j" 'd["durability"].get("stored_by_streams")')" = none
    R_SENT=$(json "$j" 'd["sent"]')
    R_ACKED=$(json "$j" 'd["acked"]')
    R_FAILED=$(json "$j" 'd["failed"]')
    check "  every record accounted for: sent $R_SENT = acked $R_ACKED + failed $R_FAILED" \
        test "$R_SENT" -eq $((R_ACKED + R_FAILED))
    local late
    late=$(json "$j" 'sum(s["acked"] for s in d["series"] if s["t"] >= 6)')
    check "  records acked again after the restart ($late in seconds 6-8)" test "$late" -gt 100
    kill "$NATS_PID" 2>/dev/null
    wait "$NATS_PID" 2>/dev/null
}

one ping
check "  the cut-off confirmations are failures (failed $R_FAILED, exit $RC)" \
    test "$R_FAILED" -gt 0 -a "$RC" -eq 1
check "  with the reconnect as their reason" \
    test "$(json "$WORK/ping-auto.json" 'sum(f["count"] for f in d["failures"] if "reconnected" in f["error"])')" = "$R_FAILED"
one marker
one marker loop --rate 2000 --tick 10ms
check "  io=loop: the cut-off confirmations are failures with the reconnect as their reason (failed $R_FAILED)" \
    test "$R_FAILED" -gt 0 -a "$(json "$WORK/marker-loop.json" 'sum(f["count"] for f in d["failures"] if "reconnected" in f["error"])')" = "$R_FAILED"
finish
