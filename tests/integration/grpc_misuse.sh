# grpc_misuse.sh — gRPC misuse and failure: no server on the port makes `outbreak run`
# fail within 5 s with one line naming the address; `outbreak sink` on a port that is
# taken (by another program, or by a sink already serving it) fails with one line; a bad
# option value is a usage error (exit 2, one line naming the option); and deadlines
# exceeded are counted as failures: against the real sink with ?deadline=1 (1 ms, less
# than a MongoDB insert takes) the run ends with exit 1, failed > 0, failures that say
# "deadline", and sent = acked + failed.
source "$(dirname "$0")/lib.sh"
require_servers

# wait_port PORT — until something listens on 127.0.0.1:PORT (10 s at most)
wait_port() {
    local _
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# --- no server -------------------------------------------------------------------------
fails_fast 1 '127.0.0.1:50099' run --broker grpc://127.0.0.1:50099 -t 2s --headless
fails_fast 1 '127.0.0.1:50099' run --broker 'grpc://127.0.0.1:50099?mode=stream' -t 2s --headless

# --- a port that is taken ----------------------------------------------------------------
silent_server 50198
fails_fast 1 '127.0.0.1:50198' sink --broker grpc://127.0.0.1:50198 --mongo "$MONGO_URL"
start_sink grpc://127.0.0.1:50197 "$WORK/sink1.log"
check "the first sink listens on 127.0.0.1:50197" wait_port 50197
fails_fast 1 '127.0.0.1:50197' sink --broker grpc://127.0.0.1:50197 --mongo "$MONGO_URL"
check "the first sink is still running" kill -0 "$SINK_PID"

# --- usage errors: exit 2 before connecting ---------------------------------------------------
fails_fast 2 'mode' run --broker 'grpc://127.0.0.1:50099?mode=bidi' -t 1s --headless
fails_fast 2 'inflight' run --broker 'grpc://127.0.0.1:50099?inflight=0' -t 1s --headless
fails_fast 2 'deadline' run --broker 'grpc://127.0.0.1:50099?deadline=0' -t 1s --headless
fails_fast 2 'channels' run --broker 'grpc://127.0.0.1:50099?channels=0' -t 1s --headless
fails_fast 2 'stream_batch' run --broker 'grpc://127.0.0.1:50099?mode=stream&stream_batch=x' -t 1s --headless
fails_fast 2 'unknown option "inflght"' run --broker 'grpc://127.0.0.1:50099?inflght=8' -t 1s --headless
fails_fast 2 'mode' sink --broker 'grpc://127.0.0.1:50099?mode=bidi' --mongo "$MONGO_URL"

# --- deadlines exceeded are failures -------------------------------------------------------
# deadline_run LABEL URL — 2000 records at up to 2000/s against the sink on 50197 with a
# 1 ms deadline
deadline_run() {
    local label=$1 url=$2 rc=0 sent acked failed
    "$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 2000 --pool 2000 --once --headless \
        --only-summary --run-id "grpc-$label-$$" --json "$WORK/$label.json" >"$WORK/$label.log" 2>&1 || rc=$?
    tail -8 "$WORK/$label.log"
    check "$label: run exits 1 (got $rc)" test "$rc" -eq 1
    [ -s "$WORK/$label.json" ] || { fail "$label: no JSON summary"; return; }
    sent=$(json "$WORK/$label.json" 'd["sent"]')
    acked=$(json "$WORK/$label.json" 'd["acked"]')
    failed=$(json "$WORK/$label.json" 'd["failed"]')
    check "$label: failed $failed > 0" test "$failed" -gt 0
    check "$label: sent $sent = 2000" test "$sent" = 2000
    check "$label: sent $sent = acked $acked + failed $failed" test "$sent" -eq $((acked + failed))
    check "$label: the failures say deadline" test "$(json "$WORK/$label.json" \
        'sum(f["count"] for f in d["failures"] if "deadline" in f["error"].lower())')" -gt 0
    check "$label: failures listed add up to failed" test "$(json "$WORK/$label.json" \
        'sum(f["count"] for f in d["failures"])')" = "$failed"
}
deadline_run deadline-unary 'grpc://127.0.0.1:50197?deadline=1'
deadline_run deadline-stream 'grpc://127.0.0.1:50197?mode=stream&deadline=1&stream_batch=100'
check "the sink is still running after the deadlines" kill -0 "$SINK_PID"
finish
