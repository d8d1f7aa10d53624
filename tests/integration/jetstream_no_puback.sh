# jetstream_no_puback.sh — JetStream publishes whose PubAck never comes: the stream is
# deleted in the middle of a run while a plain subscriber listens on the subject, so the
# server answers neither a PubAck nor "no responders". Before, the publishes stayed in
# flight for ever: the window full, the run sent a record every 10 s and, with -i, never
# ended. What must hold: each such publish fails after puback_timeout with a failure that
# says so, the window is given back, the run ends on its own and every record is
# accounted for (sent = acked + failed, the acked ones before the deletion).
# Also: a stream that exists but does not take the URL's subject is said at the start, on
# one line (before, nothing said it: every publish failed "no responders", or waited as
# above), and the run goes on (another stream may take the subject).
source "$(dirname "$0")/lib.sh"
require_servers
NATS_TOOL="python3 $OB_SOURCE_DIR/tests/integration/nats_tool.py"
stream="OBITNP_$$"
subject="obit.np.$$"
cleanup_stream() { $NATS_TOOL rmstreams 127.0.0.1 4222 "$stream" >/dev/null 2>&1 || true; }
trap 'cleanup_stream' EXIT

"$OUTBREAK" run --headless --broker "$NATS_URL?jetstream=1&stream=$stream&subject=$subject" -i 1 \
    --only-summary >"$WORK/make.log" 2>&1
check "the stream is made (exit $?)" grep -qx "$stream" <($NATS_TOOL streams 127.0.0.1 4222)
"$OUTBREAK" run --headless --broker "$NATS_URL?jetstream=1&stream=$stream&subject=obit.np.other.$$" -i 10 \
    --only-summary >"$WORK/other.log" 2>&1
rc=$?
cat "$WORK/other.log"
check "a subject the stream does not take: said at the start, once, naming both" \
    test "$(grep -c "^outbreak: nats: stream $stream at 127.0.0.1:4222 takes $subject, not the subject obit.np.other.$$: the records go to whichever stream takes it" "$WORK/other.log")" -eq 1
check "... and the run goes on: its 10 records failed, no responders (exit $rc)" \
    test "$rc" -eq 1 -a "$(grep -c "10 x no responders" "$WORK/other.log")" -eq 1

$NATS_TOOL silent 127.0.0.1 4222 "$subject" 14 >"$WORK/silent.out" 2>&1 &
silent=$!
PIDS+=("$silent")
for _ in $(seq 50); do grep -q ready "$WORK/silent.out" && break; sleep 0.1; done
t0=$(date +%s.%N)
timeout 60 "$OUTBREAK" run --headless \
    --broker "$NATS_URL?jetstream=1&stream=$stream&subject=$subject&puback_timeout=1000&max_pending=100" \
    --rate 200 -i 600 --only-summary --json "$WORK/o.json" >"$WORK/run.log" 2>&1 &
run=$!
sleep 1
cleanup_stream
echo "deleted the stream 1 s into the run"
wait "$run"
rc=$?
took=$(python3 -c "import time; print('%.1f' % (time.time() - $t0))")
tail -8 "$WORK/run.log"
check "the run ends on its own, exit 1 (got $rc after $took s)" test "$rc" -eq 1
check "within 15 s (600 records at 200/s, the last failed 1 s after it went: $took s)" \
    python3 -c "import sys; sys.exit(not float(sys.argv[1]) < 15)" "$took"
[ -s "$WORK/o.json" ] || { fail "no JSON summary"; finish; exit 1; }
read -r sent acked failed < <(json "$WORK/o.json" '"%d %d %d" % (d["sent"], d["acked"], d["failed"])')
check "sent $sent = 600 = acked $acked + failed $failed, some of each" \
    test "$sent" -eq 600 -a $((acked + failed)) -eq 600 -a "$acked" -gt 0 -a "$failed" -gt 0
check "every failure says the PubAck did not come within puback_timeout" python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["failures"]
for x in f: print("  %6d x %s" % (x["count"], x["error"]))
sys.exit(0 if f and all("no PubAck within 1000 ms (puback_timeout)" in x["error"] for x in f) else 1)' "$WORK/o.json"
wait "$silent"
seen=$(tail -1 "$WORK/silent.out")
check "the silent subscriber was handed every publish (600 or more: got $seen), and answered none" test "$seen" -ge 600
finish
