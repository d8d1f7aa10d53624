# rabbitmq_restart.sh — RabbitMQ stopped (rabbitmqctl stop_app) and started again in the
# middle of a run with confirms and a durable queue: the run does not hang, every record
# is accounted for (sent = acked + failed, the failures reported with their reason),
# no acked record is missing from MongoDB (lost = 0), and the publisher and the sink
# reconnect by themselves (the run goes on after the restart).
source "$(dirname "$0")/lib.sh"
require_rabbitmq

restore() { "$RABBITMQCTL" start_app >/dev/null 2>&1; }
trap 'restore; cleanup' EXIT

q=$(rabbit_queue "obit.restart.$$")
id="rmq-restart-$$-$(date +%s)"
url="${RABBIT_URL}?queue=$q&durable=1&persistent=1"
start_sink "$url" "$WORK/sink.log"
t0=$(date +%s)
# 22 s: RabbitMQ's start_app has taken up to 7 s on a loaded machine, and the run must go
# on long enough after it to show that the publisher is back
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 2000 -t 22s --stop-timeout 30s --headless \
    --only-summary --run-id "$id" --json "$WORK/r.json" >"$WORK/run.log" 2>&1 &
run=$!
PIDS+=("$run")
sleep 4
"$RABBITMQCTL" stop_app >"$WORK/ctl.log" 2>&1
echo "stop_app at t=$(( $(date +%s) - t0 ))s"
sleep 3
"$RABBITMQCTL" start_app >>"$WORK/ctl.log" 2>&1
echo "start_app at t=$(( $(date +%s) - t0 ))s"
wait "$run"
rc=$?
t1=$(date +%s)
tail -15 "$WORK/run.log"
grep -h 'rabbitmq' "$WORK/sink.log" | head -5
check "the run ended by itself within 60 s (took $((t1 - t0)) s)" test $((t1 - t0)) -le 60
sent=$(json "$WORK/r.json" 'd["sent"]')
acked=$(json "$WORK/r.json" 'd["acked"]')
failed=$(json "$WORK/r.json" 'd["failed"]')
check "every record accounted for: sent $sent = acked $acked + failed $failed" test "$sent" -eq $((acked + failed))
check "the broker's outage shows as failures ($failed)" test "$failed" -gt 0
check "exit 1 because records failed (got $rc)" test "$rc" -eq 1
check "the failures are reported with their reason" \
    sh -c "python3 -c 'import json,sys; f=json.load(open(sys.argv[1]))[\"failures\"]; print(f); sys.exit(0 if f and all(\"rabbitmq\" in x[\"error\"] for x in f) else 1)' '$WORK/r.json'"
# the series: seconds with failures (the outage), then seconds with acks again
after=$(json "$WORK/r.json" 'sum(p["acked"] for p in d["series"] if p["t"] > max(q["t"] for q in d["series"] if q["failed"] > 0))')
check "the publisher reconnected: $after acked after the last second with failures" test "$after" -gt 1000
check "the publisher said it reconnected" grep -q 'reconnected to 127.0.0.1:5672' "$WORK/run.log"
check "lost = 0: every acked record is in MongoDB" test "$(json "$WORK/r.json" 'd["lost"]')" = 0
count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
check "MongoDB's own count $count >= acked $acked" test "$count" -ge "$acked"
check "the sink reconnected" grep -q 'reconnected to 127.0.0.1:5672' "$WORK/sink.log"
check "the sink is still running" kill -0 "$SINK_PID"
finish
