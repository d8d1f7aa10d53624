# rabbitmq_blocked.sh — RabbitMQ blocks its publishers (a memory alarm, set off here by a
# memory high watermark lower than what the broker uses, then lifted 3 s later) in the
# middle of a paced run. The connection says it wants to be told (the connection.blocked
# capability), so the publisher reports both on one line each ("blocks publishing: low
# on memory", "unblocked publishing"); it waits meanwhile, as RabbitMQ intends, and
# nothing fails: every record is acked once the alarm is over, the ones held back
# counted from their intended send times (the publish latency's maximum shows the
# block). The watermark is put back as it was, whatever happens.
source "$(dirname "$0")/lib.sh"
require_rabbitmq
watermark=$("$RABBITMQCTL" eval 'vm_memory_monitor:get_vm_memory_high_watermark().' 2>/dev/null | tail -1)
case $watermark in
    0.* | 1 | 1.0) ;;
    *) fail "cannot read RabbitMQ's memory high watermark (got: $watermark)"; finish; exit 1 ;;
esac
restore() { "$RABBITMQCTL" set_vm_memory_high_watermark "$watermark" >/dev/null 2>&1; }
trap 'restore; cleanup' EXIT
queue=$(rabbit_queue "obit.blocked.$$")
url="${RABBIT_URL}?queue=$queue"
id="rabbitmq-blocked-$$-$(date +%s)"
"$OUTBREAK" run --headless --only-summary --broker "$url" --rate 200 -t 8s --stop-timeout 30s \
    --run-id "$id" --json "$WORK/run.json" >"$WORK/run.log" 2>&1 &
RUN_PID=$!
PIDS+=("$RUN_PID")
sleep 2
"$RABBITMQCTL" set_vm_memory_high_watermark 0.000001 >"$WORK/alarm.log" 2>&1
t0=$(date +%s.%N)
sleep 3
restore
blocked_s=$(python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))")
echo "the memory alarm lasted about $blocked_s s"
rc=0
wait "$RUN_PID" || rc=$?
tail -12 "$WORK/run.log"

check "the run exits 0 (got $rc)" test "$rc" -eq 0
check "the publisher said the broker blocked it" \
    grep -q "outbreak: rabbitmq: 127.0.0.1:5672 blocks publishing: low on memory" "$WORK/run.log"
check "... and that it unblocked it" grep -q "outbreak: rabbitmq: 127.0.0.1:5672 unblocked publishing" "$WORK/run.log"
check "every record acked, none failed: sent = acked = 1600" \
    test "$(json "$WORK/run.json" '"%d %d %d" % (d["sent"], d["acked"], d["failed"])')" = "1600 1600 0"
check "the publish latency's maximum shows the block (>= 2 s)" \
    test "$(json "$WORK/run.json" 'd["publish_latency_ms"]["max"] >= 2000')" = True
check "the watermark is back at $watermark" \
    test "$("$RABBITMQCTL" eval 'vm_memory_monitor:get_vm_memory_high_watermark().' 2>/dev/null | tail -1)" = "$watermark"
finish
