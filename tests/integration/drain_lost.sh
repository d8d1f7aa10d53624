# drain_lost.sh — a real loss: records the broker acknowledged, purged from the JetStream
# stream before a sink could read them. The sink is running and idle, so the run stops
# waiting after 10 s without progress (well before its --stop-timeout of 60 s) and
# reports them lost (not unconfirmed), from MongoDB's own count, with exit status 1.
# And with no sink running at all, a --stop-timeout shorter than those 10 s ends with
# the records lost too (nothing was working on them), not unconfirmed.
source "$(dirname "$0")/lib.sh"
require_servers

url="$NATS_URL?jetstream=1&stream=OBITL_$$&subject=obit.l.$$&durable=obit-l-$$"
start_sink "$url" "$WORK/sink1.log" # makes the stream and the consumer
kill -TERM "$SINK_PID"
wait "$SINK_PID" 2>/dev/null

id="lost-$$"
t0=$(date +%s)
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 5000 --pool 5000 --once --stop-timeout 60s \
    --headless --run-id "$id" --json "$WORK/l.json" --csv "$WORK/l" >"$WORK/l.log" 2>&1 &
run=$!
sleep 4 # the run starts on a whole second and sends for 1 s
purged=$(python3 "$OB_SOURCE_DIR/tests/integration/nats_tool.py" purge 127.0.0.1 4222 "OBITL_$$")
echo "purged $purged messages from the stream"
start_sink "$url" "$WORK/sink2.log"
wait "$run"
rc=$?
secs=$(($(date +%s) - t0))
grep -E 'no progress|^delivery|^persisted ' "$WORK/l.log"
check "purged the run's 5000 records (got $purged)" test "$purged" = 5000
check "run exits 1 (got $rc)" test "$rc" -eq 1
check "acked 5000, persisted 0, lost 5000, unconfirmed 0, from MongoDB's count" \
    test "$(json "$WORK/l.json" '[d[k] for k in ("acked","persisted","lost","unconfirmed","persisted_source")]')" \
    = "[5000, 0, 5000, 0, 'mongodb_count']"
check "the idle sinks ended the wait, not --stop-timeout (${secs} s)" test "$secs" -lt 40
check "the console says lost 5000 unconfirmed 0" grep -q "lost 5000  unconfirmed 0\$" "$WORK/l.log"
check "the console's persisted rate is not called a drain" grep -q "until the wait ended, not drained)" "$WORK/l.log"
check "the failures CSV has the lost records" grep -q '^e2e,nats -> mongodb,"lost: .*",5000$' "$WORK/l_failures.csv"

# no sink running (the one above stopped cleanly), a short --stop-timeout
kill -TERM "$SINK_PID"
wait "$SINK_PID" 2>/dev/null
"$OUTBREAK" run --headless --broker "$NATS_URL?jetstream=1&stream=OBITL2_$$&subject=obit.l2.$$" --mongo "$MONGO_URL" \
    --rate 1000 --pool 1000 --once --stop-timeout 3s --headless --only-summary --run-id "nosink-$$" \
    --json "$WORK/n.json" >"$WORK/n.log" 2>&1
rc=$?
grep -E '^delivery' "$WORK/n.log"
check "no sink running: exit 1 (got $rc), lost 1000, unconfirmed 0" \
    test "$rc" -eq 1 -a "$(json "$WORK/n.json" '[d[k] for k in ("acked","lost","unconfirmed")]')" = "[1000, 1000, 0]"
finish
