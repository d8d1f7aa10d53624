# pubsub_restart.sh — the Pub/Sub emulator killed (SIGKILL) and started again in the
# middle of a paced run, against a private emulator on a free port (the stack's is left
# alone). The emulator keeps everything in memory, so the new one has neither the topic
# nor the sink's subscription, and answers 404 to both sides. What must hold:
#   * the publisher retries the requests the dead emulator never answered; at its first
#     404 it creates the topic again (and the subscription it saw at open) and sends them
#     again: every record is acked, none failed;
#   * the sink's pull gets 404, it creates the topic and its subscription again (or finds
#     them made by the publisher) and goes on by itself;
#   * everything is accounted for: persisted + lost = acked, MongoDB's count = persisted;
#     what the dead emulator had taken but not yet delivered is gone with it and counted
#     lost (a real loss, at most about a second of records at this rate), never hidden.
source "$(dirname "$0")/lib.sh"
require_servers
EM_HOME=$(bash -c '. "$1/scripts/lib.sh" && pubsub_emulator_home' _ "$OB_SOURCE_DIR") ||
    { fail "no Pub/Sub emulator (scripts/deps pubsub)"; finish; exit 1; }
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$WORK/em-tmp"
export CLOUD_PUBSUB_EMULATOR_OPTS="-Xms64m -Xmx512m -Djava.io.tmpdir=$WORK/em-tmp"

# em_start LOG — starts the private emulator and waits (60 s at most) until it answers;
# sets EM_PID, and up=1 if it did.
em_start() {
    "$EM_HOME/bin/cloud-pubsub-emulator" --host=127.0.0.1 --port="$PORT" >"$1" 2>&1 &
    EM_PID=$!
    PIDS+=("$EM_PID")
    up=0
    for _ in $(seq 300); do
        curl -sf -m 1 "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && { up=1; return; }
        kill -0 "$EM_PID" 2>/dev/null || return
        sleep 0.2
    done
}
em_start "$WORK/em1.log"
check "the private emulator answers on 127.0.0.1:$PORT" test "$up" = 1
[ "$up" = 1 ] || { tail -20 "$WORK/em1.log" >&2; finish; exit 1; }

project="obit-$$"
url="pubsub://$project/obit-restart?emulator=127.0.0.1:$PORT"
start_sink "$url" "$WORK/sink.log"
id="pubsub-restart-$$-$(date +%s)"
run_in_background "$id" "$url" --rate 300 -t 16s --stop-timeout 30s
sleep 4
kill_hard "$EM_PID"
sleep 2
em_start "$WORK/em2.log"
check "the private emulator started again" test "$up" = 1
echo "the emulator was away for $(python3 -c "print('%.1f' % ($(date +%s.%N) - $T_KILL))") s"
rc=0
wait "$RUN_PID" || rc=$?
tail -14 "$WORK/run.log"

[ -s "$WORK/run.json" ] || { fail "no JSON summary"; finish; exit 1; }
read -r sent acked failed persisted lost unconfirmed < <(json "$WORK/run.json" \
    '" ".join(str(d[k]) for k in ("sent", "acked", "failed", "persisted", "lost", "unconfirmed"))')
echo "sent $sent acked $acked failed $failed persisted $persisted lost $lost unconfirmed $unconfirmed"
check "the rate was kept: sent $sent >= 4700" test "$sent" -ge 4700
check "every record acked: acked $acked = sent $sent, failed $failed = 0" \
    test "$acked" = "$sent" -a "$failed" = 0
# whichever side gets its 404 first creates them, the other finds them there
check "the topic was created again (by the publisher or by the sink)" \
    grep -q "pubsub: topic projects/$project/topics/obit-restart .*at http://127.0.0.1:$PORT .*gone (the emulator restarted?): created again" \
    "$WORK/run.log" "$WORK/sink.log"
check "the subscription was created again (by the sink, or by the publisher that saw it at open)" \
    grep -q "subscription projects/$project/subscriptions/outbreak-sink (ack deadline [0-9]* s) at .*created again" \
    "$WORK/run.log" "$WORK/sink.log"
check "unconfirmed = 0: the wait ended with every record found or lost" test "$unconfirmed" = 0
check "persisted $persisted + lost $lost = acked $acked" test $((persisted + lost)) -eq "$acked"
check "lost $lost: at most what the dead emulator held (300, a second at this rate)" test "$lost" -le 300
if [ "$lost" -gt 0 ]; then
    check "with records lost, the run exits 1 (got $rc)" test "$rc" -eq 1
else
    check "with nothing lost or failed, the run exits 0 (got $rc)" test "$rc" -eq 0
fi
count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
check "MongoDB holds $count documents of the run = persisted $persisted" test "$count" = "$persisted"
check "the sink is still running" kill -0 "$SINK_PID"
kill "$SINK_PID" 2>/dev/null
wait "$SINK_PID" 2>/dev/null
echo "--- the sink's log, without its pulls that failed while the emulator was away:"
grep -v 'pull from .* failed' "$WORK/sink.log"
finish
