# kafka_topic_deleted.sh — the topic deleted (kafka-topics --delete) under a sink in the
# middle of a run. The stack's Kafka creates a topic when a producer asks for it
# (auto.create.topics.enable), so the publisher's next records make it again (with the
# broker's one partition), and the sink's group is given it. What must hold:
#   * every record is accounted for: sent = acked + failed, the failures named
#     (`Unknown topic` / `Unknown partition`, a few seconds' worth at most); what the
#     topic held and the sink had not read is gone with it (lost, said so); the last
#     seconds of the run are all acked and persisted;
#   * the sink stops on SIGTERM within 15 s, exit 0: librdkafka 2.0 waits for ever in
#     rd_kafka_destroy after such a deletion (librdkafka issue 4362), so the sink gives
#     the close 10 s and says it does not wait longer. (Before, it hung at its stop.)
source "$(dirname "$0")/lib.sh"
require_kafka
topic=$(kafka_topic "obit.deleted.$$")
url="kafka://127.0.0.1:9092?topic=$topic&group=obit-deleted-$$"
start_sink "$url" "$WORK/sink.log"
sleep 2  # the group's first assignment
id="kafka-deleted-$$-$(date +%s)"
run_in_background "$id" "$url" --rate 300 -t 14s --stop-timeout 30s
sleep 4
"$KAFKA_TOPICS" --bootstrap-server 127.0.0.1:9092 --delete --topic "$topic" >"$WORK/delete.log" 2>&1
check "kafka-topics deleted the topic in the middle of the run (exit $?)" test "$?" -eq 0
rc=0
wait "$RUN_PID" || rc=$?
grep -E '^delivery|^failure' "$WORK/run.log"
t0=$(date +%s.%N)
kill -TERM "$SINK_PID"
src=0
wait "$SINK_PID" || src=$?
stop_s=$(python3 -c "print('%.1f' % ($(date +%s.%N) - $t0))")
grep -v '^outbreak sink: [0-9]' "$WORK/sink.log"
echo "the sink stopped $stop_s s after SIGTERM"

[ -s "$WORK/run.json" ] || { fail "no JSON summary"; finish; exit 1; }
read -r sent acked failed persisted lost < <(json "$WORK/run.json" \
    '" ".join(str(d[k]) for k in ("sent", "acked", "failed", "persisted", "lost"))')
check "sent $sent = acked $acked + failed $failed" test "$sent" -eq $((acked + failed))
check "the failures are the deleted topic's, at most 3 s of them: $failed <= 900" test "$failed" -le 900
check "every failure names the unknown topic or partition" python3 -c '
import json, sys
f = json.load(open(sys.argv[1]))["failures"]
for x in f: print("  %6d x %s" % (x["count"], x["error"]))
sys.exit(0 if all("Unknown topic" in x["error"] or "Unknown partition" in x["error"] for x in f) else 1)' \
    "$WORK/run.json"
check "persisted $persisted + lost $lost = acked $acked" test $((persisted + lost)) -eq "$acked"
check "lost $lost: at most what the topic held unread when it was deleted (<= 300)" test "$lost" -le 300
count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
check "MongoDB holds $count documents of the run = persisted $persisted" test "$count" = "$persisted"
check_seconds_acked "the last 5 s were all acked and persisted (the topic made again, the sink given it)" \
    "$WORK/run.json" 10 14
check "the sink stopped within 15 s of SIGTERM ($stop_s s), exit 0 (got $src)" \
    python3 -c "import sys; sys.exit(0 if $stop_s <= 15 and $src == 0 else 1)"
finish
