# rabbitmq_e2e.sh — outbreak run -> RabbitMQ -> outbreak sink -> MongoDB with publisher
# confirms, persistent messages and a durable queue: a run of 50 000 records ends with
# lost = 0 and MongoDB's count of the run = acked; publish latency is confirm latency
# and the summary names the durability settings. Then a quorum queue behind an
# exchange and routing key, unroutable messages that come back as failures, and an idle
# publisher that keeps its connection.
source "$(dirname "$0")/lib.sh"
require_rabbitmq

# --- 1. classic durable queue, persistent messages, confirms: 50 000 records --------
q=$(rabbit_queue "obit.e2e.$$")
id="rmq-e2e-$$-$(date +%s)"
url="${RABBIT_URL}?queue=$q&durable=1&persistent=1&confirm_window=1000"
start_sink "$url&prefetch=1000" "$WORK/sink.log"
# exactly 50 000 records: each of a pool of 50 000 once, at up to 10 000/s (the broker on
# this 2-core machine may take fewer; late records count from their intended time)
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 10000 --pool 50000 --once --headless \
    --run-id "$id" --json "$WORK/s.json" --csv "$WORK/s" >"$WORK/run.log" 2>&1
rc=$?
tail -20 "$WORK/run.log"
check_delivered "$rc" "$WORK/s.json" "$id" 50000
acked=$ACKED
check "publish latency counted for every acked record" \
    test "$(json "$WORK/s.json" 'd["publish_latency_ms"]["count"]')" = "$acked"
check "durability: publisher confirms" test "$(json "$WORK/s.json" 'd["durability"]["publish_ack"]')" = "publisher confirm"
check "durability: durable classic queue, persistent messages" test \
    "$(json "$WORK/s.json" '[d["durability"][k] for k in ("queue_type","durable_queue","persistent_messages")]')" = "['classic', True, True]"
check "summary prints the durability settings" grep -q 'publisher confirm' "$WORK/run.log"
check "the queue is empty afterwards" test "$("$RABBITMQCTL" list_queues name messages | awk -v q="$q" '$1==q {print $2}')" = 0

# --- 2. quorum queue behind an exchange, with a routing key -------------------------
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null
q=$(rabbit_queue "obit.quorum.$$")
id="rmq-quorum-$$-$(date +%s)"
url="${RABBIT_URL}?queue=$q&queue_type=quorum&exchange=obit.x.$$&routing_key=infections"
start_sink "$url" "$WORK/sink2.log"
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 2000 -t 3s --headless --only-summary \
    --run-id "$id" --json "$WORK/q.json" >"$WORK/run2.log" 2>&1
rc=$?
tail -8 "$WORK/run2.log"
check "quorum run exits 0 (got $rc)" test "$rc" -eq 0
acked=$(json "$WORK/q.json" 'd["acked"]')
check "quorum: acked $acked >= 5000, lost 0" test "$acked" -ge 5000 -a "$(json "$WORK/q.json" 'd["lost"]')" = 0
check "quorum: persisted = acked" test "$(json "$WORK/q.json" 'd["persisted"]')" = "$acked"
check "the broker has a quorum queue $q" sh -c "'$RABBITMQCTL' list_queues name type | grep -q '^$q[[:space:]]*quorum'"

# --- 3. unroutable: returned by the broker, counted as failed with the reason --------
"$OUTBREAK" run --headless --broker "${RABBIT_URL}?queue=$q&declare=0&exchange=amq.direct&routing_key=nowhere.$$" \
    --pool 500 --once --headless --only-summary --json "$WORK/u.json" >"$WORK/run3.log" 2>&1
rc=$?
tail -6 "$WORK/run3.log"
check "unroutable run exits 1 (got $rc)" test "$rc" -eq 1
check "unroutable: all 500 failed, none acked" test \
    "$(json "$WORK/u.json" '(d["sent"], d["acked"], d["failed"])')" = "(500, 0, 500)"
check "unroutable: the reason is NO_ROUTE" sh -c "grep -q NO_ROUTE '$WORK/u.json'"
# --- 4. an idle publisher keeps its connection (heartbeats while it waits) -----------
q=$(rabbit_queue "obit.idle.$$")
"$OUTBREAK" run --headless --broker "${RABBIT_URL}?queue=$q&heartbeat=1" -u 1 --wait 3-4 -t 9s --headless \
    --only-summary --json "$WORK/h.json" >"$WORK/run4.log" 2>&1
rc=$?
check "idle publisher (heartbeat 1 s, 3-4 s between records) exits 0 (got $rc)" test "$rc" -eq 0
check "idle publisher: nothing failed, $(json "$WORK/h.json" 'd["acked"]') acked" test "$(json "$WORK/h.json" 'd["failed"]')" = 0
check "idle publisher: the connection was never lost" sh -c "! grep -q 'connection to .* lost' '$WORK/run4.log'"

# --- 5. records left in the queue from before a run: said at its start -----------------
# no sink read the idle publisher's records: they wait in its queue, and the next run
# there says how many (the sinks would deliver them before any of its own), in a line
# and in its durability's backlog_at_start; a queue with nothing waiting says 0
left=$(json "$WORK/h.json" 'd["acked"]')
"$OUTBREAK" run --headless --broker "${RABBIT_URL}?queue=$q" --rate 50 --pool 5 --once --only-summary \
    --json "$WORK/bl.json" >"$WORK/run5.log" 2>&1
got=$(json "$WORK/bl.json" 'd["durability"]["backlog_at_start"]')
check "a run says the $left records left in the queue before it (backlog_at_start $got)" test "$got" = "$left"
check "... in a line at its start" grep -q "rabbitmq: $left records from before this run wait in queue \"$q\"" \
    "$WORK/run5.log"
q=$(rabbit_queue "obit.empty.$$")
"$OUTBREAK" run --headless --broker "${RABBIT_URL}?queue=$q" --rate 50 --pool 5 --once --only-summary \
    --json "$WORK/bl0.json" >"$WORK/run6.log" 2>&1
got=$(json "$WORK/bl0.json" 'd["durability"]["backlog_at_start"]')
check "a new queue: backlog_at_start 0 (got $got), no line" sh -c "test '$got' = 0 && ! grep -q 'from before this run' '$WORK/run6.log'"
finish
