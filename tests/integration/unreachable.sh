# unreachable.sh — an unreachable broker or database fails within 5 s, exit 1, with a
# message that names its address.
source "$(dirname "$0")/lib.sh"

unreachable() { # unreachable ADDRESS ARGS...
    local addr=$1; shift
    local err="$WORK/err" rc=0 t0 t1
    t0=$(date +%s%N)
    timeout 20 "$OUTBREAK" "$@" >/dev/null 2>"$err" || rc=$?
    t1=$(date +%s%N)
    local ms=$(((t1 - t0) / 1000000))
    if [ "$rc" -eq 1 ] && [ "$ms" -lt 5000 ] && grep -qF "$addr" "$err"; then
        pass "outbreak $1 ... -> exit 1 in ${ms} ms: $(head -1 "$err")"
    else
        fail "outbreak $*: exit $rc after ${ms} ms: $(cat "$err") (wanted exit 1 within 5 s naming $addr)"
    fi
}

unreachable 127.0.0.1:4299 run --broker nats://127.0.0.1:4299 -t 2s --headless
unreachable 127.0.0.1:4299 run --broker 'nats://127.0.0.1:4299?jetstream=1' -t 2s --headless
unreachable 127.0.0.1:4299 sink --broker nats://127.0.0.1:4299 --mongo "$MONGO_URL"
# a port that accepts connections but never speaks: the connect must time out, not hang
python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 4298)); s.listen(16); conns = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try: conns.append(s.accept()[0])
    except OSError: pass
' &
PIDS+=($!)
sleep 0.5
unreachable 127.0.0.1:4298 run --broker nats://127.0.0.1:4298 -t 2s --headless
unreachable 127.0.0.1:4298 sink --broker 'nats://127.0.0.1:4298?jetstream=1' --mongo "$MONGO_URL"
require_servers
unreachable 127.0.0.1:27999 run --broker "$NATS_URL" --mongo mongodb://127.0.0.1:27999/x -t 2s --headless
unreachable 127.0.0.1:27999 sink --broker "$NATS_URL" --mongo mongodb://127.0.0.1:27999/x
finish
