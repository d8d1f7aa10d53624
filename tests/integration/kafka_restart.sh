# kafka_restart.sh — the Kafka broker killed (SIGKILL) and started again in the middle of
# a paced run, against a private one-node Kafka (KRaft) on free ports, so that the
# stack's is left alone. Its data directory is kept: the topic and the group's offsets
# survive, as on a server whose process died. What must hold:
#   * the run does not hang and nothing is lost: librdkafka keeps the records produced
#     while the broker is away and retries them (idempotence: without duplicates) once
#     it is back, so every record is acked (failed 0, exit 0), and the publish latency
#     of those records shows the outage (its maximum at least the time it was down);
#   * the sink reconnects by itself and ends with everything acked in MongoDB: lost 0,
#     MongoDB's count = acked; records it had inserted but not committed are read again
#     and counted as duplicates, never stored twice.
source "$(dirname "$0")/lib.sh"
require_kafka  # MongoDB (the sink's) and the Kafka distribution of the stack
KAFKA_BIN=$(dirname "$("$OB_SOURCE_DIR/scripts/tools" kafka)") || exit 1

read -r PORT CTL < <(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
K=$WORK/kafka
mkdir -p "$K/data"
{ kafka_kraft_conf "$K" "$CTL" PLAINTEXT; cat <<CONF
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CTL
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
CONF
} >"$K/server.properties"
export KAFKA_HEAP_OPTS="-Xms128m -Xmx384m"
"$KAFKA_BIN/kafka-storage" format -t "$("$KAFKA_BIN/kafka-storage" random-uuid)" \
    -c "$K/server.properties" >"$WORK/format.log" 2>&1
check "kafka-storage formatted the private Kafka's data" test -f "$K/data/meta.properties"

# kafka_start LOG — starts the private Kafka in the background and waits (120 s at most)
# for LOG to say it started; sets KAFKA_PID, and up=1 if it did.
kafka_start() {
    "$KAFKA_BIN/kafka-server" "$K/server.properties" >"$1" 2>&1 &
    KAFKA_PID=$!
    PIDS+=("$KAFKA_PID")
    up=0
    for _ in $(seq 1 240); do
        grep -q 'Kafka Server started' "$1" 2>/dev/null && { up=1; return; }
        kill -0 "$KAFKA_PID" 2>/dev/null || return
        sleep 0.5
    done
}
kafka_start "$WORK/kafka1.log"
check "the private Kafka is up on 127.0.0.1:$PORT" test "$up" = 1
[ "$up" = 1 ] || { tail -20 "$WORK/format.log" "$WORK/kafka1.log" >&2; finish; exit 1; }

url="kafka://127.0.0.1:$PORT?topic=obit.restart&group=obit-restart"
start_sink "$url" "$WORK/sink.log"
id="kafka-restart-$$-$(date +%s)"
run_in_background "$id" "$url" --rate 300 -t 20s --stop-timeout 60s
sleep 5
kill_hard "$KAFKA_PID"
echo "killed the private Kafka 5 s into the run"
sleep 4
kafka_start "$WORK/kafka2.log"
t_up=$(date +%s.%N)
check "the private Kafka started again on its data" test "$up" = 1
down=$(python3 -c "print('%.1f' % ($t_up - $T_KILL))")
echo "the broker was away for $down s"
rc=0
wait "$RUN_PID" || rc=$?
tail -16 "$WORK/run.log"

check "the run exits 0 (got $rc)" test "$rc" -eq 0
[ -s "$WORK/run.json" ] || { fail "no JSON summary"; finish; exit 1; }
read -r sent acked failed persisted dups lost < <(json "$WORK/run.json" \
    '" ".join(str(d[k]) for k in ("sent", "acked", "failed", "persisted", "duplicates", "lost"))')
echo "sent $sent acked $acked failed $failed persisted $persisted duplicates $dups lost $lost"
check "the rate was kept while the broker was away: sent $sent >= 5900" test "$sent" -ge 5900
check "every record acked: acked $acked = sent $sent, failed $failed = 0" \
    test "$acked" = "$sent" -a "$failed" = 0
check "the outage shows in the publish latency: max >= $down s, less than 60 s" python3 -c '
import json, sys
m = json.load(open(sys.argv[1]))["publish_latency_ms"]["max"]
print("  publish latency max %.0f ms" % m)
sys.exit(0 if float(sys.argv[2]) * 1000 * 0.9 <= m < 60000 else 1)' "$WORK/run.json" "$down"
check "lost = 0" test "$lost" = 0
check "persisted $persisted = acked $acked" test "$persisted" = "$acked"
count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
check "MongoDB holds $count documents of the run = acked $acked" test "$count" = "$acked"
check "the sink is still running" kill -0 "$SINK_PID"
kill "$SINK_PID" 2>/dev/null
wait "$SINK_PID" 2>/dev/null
echo "--- the sink's log:"
cat "$WORK/sink.log"
finish
