# sink_basic.sh — the other shapes of a run, each through a real sink into MongoDB:
# core NATS (at most once, acked = flushed), Locust's closed model with users, spawn
# rate and wait time, and --once over the course project's traffic.json.
source "$(dirname "$0")/lib.sh"
require_servers

# core NATS: the subscriber is there, so nothing is lost; acked means "server read it"
core="$NATS_URL?subject=obit.core.$$&queue=obit-core-$$"
start_sink "$core" "$WORK/sink-core.log"
"$OUTBREAK" run --headless --broker "$core" --mongo "$MONGO_URL" --rate 2000 -t 3s --headless --only-summary \
    --run-id "core-$$" --json "$WORK/core.json" >"$WORK/core.log" 2>&1
rc=$?
check "core run exits 0 (got $rc)" test $rc -eq 0
check "core: sent 6000" test "$(json "$WORK/core.json" 'd["sent"]')" = 6000
check "core: persisted = acked = 6000" test "$(json "$WORK/core.json" 'd["persisted"]')" = 6000
check "core: lost = 0" test "$(json "$WORK/core.json" 'd["lost"]')" = 0
check "core: broker_acks false" test "$(json "$WORK/core.json" 'd["broker_acks"]')" = False
check "core: the summary says there is no broker ack" grep -q "nats (core) has no broker acknowledgement: acked means the server read it" "$WORK/core.log"
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null

# closed model: 20 users spawned at 100/s, each waiting 10-50 ms after its ack
js="$NATS_URL?jetstream=1&stream=OBITB_$$&subject=obit.b.$$&durable=obit-b-$$"
start_sink "$js" "$WORK/sink-js.log"
"$OUTBREAK" run --headless --broker "$js" --mongo "$MONGO_URL" -u 20 -r 100 --wait 0.01-0.05 -t 4s --headless \
    --only-summary --run-id "users-$$" --json "$WORK/users.json" >"$WORK/users.log" 2>&1
rc=$?
check "users run exits 0 (got $rc)" test $rc -eq 0
check "users: 20 users" test "$(json "$WORK/users.json" 'd["series"][-1]["users"]')" = 20
sent=$(json "$WORK/users.json" 'd["sent"]')
# 20 users, each 1 record per (10-50 ms wait + the ack) over ~4 s: about 2500 on a quiet
# machine, fewer when acks are slow; never more than 20 x 4 s / 30 ms mean wait (~2700)
# plus spread, which a generator that ignored the wait would exceed by far
check "users: sent $sent is in the closed model's range (500..3200)" test "$sent" -ge 500 -a "$sent" -le 3200
check "users: lost = 0" test "$(json "$WORK/users.json" 'd["lost"]')" = 0
check "users: load model recorded" test "$(json "$WORK/users.json" 'd["load"]["model"]')" = closed

# --once over traffic.json: exactly its 1000 records, all persisted
"$OUTBREAK" run --headless --broker "$js" --mongo "$MONGO_URL" --records "$OB_SOURCE_DIR/examples/traffic.json" \
    --once -u 10 -r 1000 --headless --only-summary --run-id "once-$$" --json "$WORK/once.json" \
    >"$WORK/once.log" 2>&1
rc=$?
check "once run exits 0 (got $rc)" test $rc -eq 0
check "once: sent exactly 1000" test "$(json "$WORK/once.json" 'd["sent"]')" = 1000
check "once: persisted 1000" test "$(json "$WORK/once.json" 'd["persisted"]')" = 1000
check "once: MongoDB counts 1000" test "$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "once-$$")" = 1000
finish
