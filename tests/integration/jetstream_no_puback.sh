# jetstream_no_puback.sh — JetStream publishes whose PubAck never comes: the stream does
# not take the subject, but a plain subscriber listens on it, so the server answers
# neither a PubAck nor "no responders". Before, the publishes stayed in flight for ever:
# the window full, the run sent a record every 10 s and, with -i, never ended. What must
# hold: each such publish fails after puback_timeout with a failure that says so, the
# window is given back, the run ends on its own and every record is accounted for
# (sent = failed, acked 0).
source "$(dirname "$0")/lib.sh"
require_servers
NATS_TOOL="python3 $OB_SOURCE_DIR/tests/integration/nats_tool.py"
stream="OBITNP_$$"
cleanup_stream() { $NATS_TOOL rmstreams 127.0.0.1 4222 "$stream" >/dev/null 2>&1 || true; }
trap 'cleanup_stream' EXIT
# the stream, made by a run on its own subject
"$OUTBREAK" run --headless --broker "$NATS_URL?jetstream=1&stream=$stream&subject=obit.np.a.$$" -i 1 \
    --only-summary >"$WORK/make.log" 2>&1
check "the stream is made (exit $?)" grep -qx "$stream" <($NATS_TOOL streams 127.0.0.1 4222)
$NATS_TOOL silent 127.0.0.1 4222 "obit.np.b.$$" 12 >"$WORK/silent.out" 2>&1 &
silent=$!
PIDS+=("$silent")
for _ in $(seq 50); do grep -q ready "$WORK/silent.out" && break; sleep 0.1; done
t0=$(date +%s.%N)
timeout 60 "$OUTBREAK" run --headless \
    --broker "$NATS_URL?jetstream=1&stream=$stream&subject=obit.np.b.$$&puback_timeout=1000&max_pending=100" \
    --rate 200 -i 600 --only-summary --json "$WORK/o.json" >"$WORK/run.log" 2>&1
rc=$?
took=$(python3 -c "import time; print('%.1f' % (time.time() - $t0))")
tail -8 "$WORK/run.log"
check "the run ends on its own, exit 1 (got $rc after $took s)" test "$rc" -eq 1
check "within 15 s (600 records at 200/s, the last failed 1 s after it went: $took s)" \
    python3 -c "import sys; sys.exit(not float(sys.argv[1]) < 15)" "$took"
[ -s "$WORK/o.json" ] || { fail "no JSON summary"; finish; exit 1; }
got=$(json "$WORK/o.json" '"%d %d %d" % (d["sent"], d["acked"], d["failed"])')
check "sent 600, acked 0, failed 600 (got: $got)" test "$got" = "600 0 600"
check "every failure says the PubAck did not come within puback_timeout" python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["failures"]
for x in f: print("  %6d x %s" % (x["count"], x["error"]))
sys.exit(0 if f and sum(x["count"] for x in f) == 600 and all("no PubAck within 1000 ms (puback_timeout)" in x["error"] for x in f) else 1)' "$WORK/o.json"
wait "$silent"
seen=$(tail -1 "$WORK/silent.out")
check "the silent subscriber was handed all 600 publishes, and answered none (got $seen)" test "$seen" = 600
finish
