# rabbitmq_misuse.sh — wrong credentials, a wrong vhost, a closed port and a port that
# never answers fail within 5 s with exit 1 and one line naming the address; a bad
# option value is a usage error (exit 2, one line naming the option).
source "$(dirname "$0")/lib.sh"
require_rabbitmq

fails_fast() { # fails_fast WANT_RC TEXT ARGS... — exit WANT_RC within 5 s, one line containing TEXT
    local want=$1 text=$2; shift 2
    local err="$WORK/err" rc=0 t0 t1
    t0=$(date +%s%N)
    timeout 20 "$OUTBREAK" "$@" >/dev/null 2>"$err" || rc=$?
    t1=$(date +%s%N)
    local ms=$(((t1 - t0) / 1000000)) lines
    lines=$(wc -l <"$err")
    if [ "$rc" -eq "$want" ] && [ "$ms" -lt 5000 ] && [ "$lines" -eq 1 ] && grep -qF -- "$text" "$err"; then
        pass "outbreak $1 ... -> exit $rc in ${ms} ms: $(cat "$err")"
    else
        fail "outbreak $*: exit $rc after ${ms} ms, $lines lines: $(cat "$err") (wanted exit $want within 5 s, one line with '$text')"
    fi
}

q="obit.misuse.$$"
fails_fast 1 'ACCESS_REFUSED' run --broker "amqp://guest:wrong@127.0.0.1:5672/?queue=$q" -t 2s --headless
fails_fast 1 '127.0.0.1:5672' run --broker "amqp://nobody:x@127.0.0.1:5672/?queue=$q" -t 2s --headless
fails_fast 1 'ACCESS_REFUSED' sink --broker "amqp://guest:wrong@127.0.0.1:5672/?queue=$q" --mongo "$MONGO_URL"
fails_fast 1 'no-such-vhost' run --broker "amqp://guest:guest@127.0.0.1:5672/no-such-vhost?queue=$q" -t 2s --headless
fails_fast 1 'no-such-vhost' sink --broker "amqp://guest:guest@127.0.0.1:5672/no-such-vhost?queue=$q" --mongo "$MONGO_URL"
fails_fast 1 '127.0.0.1:5699' run --broker "amqp://guest:guest@127.0.0.1:5699/" -t 2s --headless
# a port that accepts connections but never speaks AMQP: the handshake times out
python3 -c '
import socket, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 5698)); s.listen(16); conns = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try: conns.append(s.accept()[0])
    except OSError: pass
' &
PIDS+=($!)
sleep 0.5
fails_fast 1 '127.0.0.1:5698' run --broker "amqp://guest:guest@127.0.0.1:5698/" -t 2s --headless
fails_fast 1 '127.0.0.1:5698' sink --broker "amqp://guest:guest@127.0.0.1:5698/" --mongo "$MONGO_URL"
# usage errors: exit 2 before connecting
fails_fast 2 'queue_type' run --broker "amqp://127.0.0.1/?queue_type=stream" -t 1s --headless
fails_fast 2 'prefetch' sink --broker "amqp://127.0.0.1/?prefetch=0" --mongo "$MONGO_URL"
fails_fast 2 'unknown option "queu"' run --broker "amqp://127.0.0.1/?queu=x" -t 1s --headless
# a queue that exists with other settings: the broker's reason, in one line
"$RABBITMQCTL" delete_queue "$q" >/dev/null 2>&1
rabbit_queue "$q" >/dev/null
"$OUTBREAK" run --broker "${RABBIT_URL}?queue=$q&durable=0" --pool 1 --once --headless --only-summary >/dev/null 2>&1
fails_fast 1 'PRECONDITION_FAILED' run --broker "${RABBIT_URL}?queue=$q&durable=1" -t 1s --headless
finish
