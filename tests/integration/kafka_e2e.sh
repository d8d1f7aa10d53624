# kafka_e2e.sh — outbreak run -> Kafka -> outbreak sink -> MongoDB with acks=all and
# idempotence: a run of 50 000 records ends with lost = 0 and MongoDB's count of the run
# = acked; publish latency is produce -> delivery report; the summary names the
# durability settings; the topic is created with the partitions asked for; keys by
# location and acks=1 with compression work too.
source "$(dirname "$0")/lib.sh"
require_kafka

topic=$(kafka_topic "obit.e2e.$$")
id="kafka-e2e-$$-$(date +%s)"
url="kafka://127.0.0.1:9092?topic=$topic&partitions=3&acks=all&group=obit-$$"
start_sink "$url" "$WORK/sink.log"
# exactly 50 000 records: each of a pool of 50 000 once, at up to 10 000/s
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 10000 --pool 50000 --once --headless \
    --run-id "$id" --json "$WORK/s.json" --csv "$WORK/s" >"$WORK/run.log" 2>&1
rc=$?
tail -14 "$WORK/run.log"
check_delivered "$rc" "$WORK/s.json" "$id" 50000
acked=$ACKED
check "publish latency counted for every acked record" \
    test "$(json "$WORK/s.json" 'd["publish_latency_ms"]["count"]')" = "$acked"
check "durability: acks=all, idempotence, delivery reports" test \
    "$(json "$WORK/s.json" '[d["durability"][k] for k in ("acks","idempotence","publish_ack")]')" = "['all', True, 'delivery report']"
check "summary prints the durability settings" grep -q '"acks":"all"' "$WORK/run.log"
check "the topic has 3 partitions" sh -c "'$KAFKA_TOPICS' --bootstrap-server 127.0.0.1:9092 --describe --topic '$topic' | grep -c 'Partition: ' | grep -qx 3"
# the durability says the topic as the cluster has it: a URL that asks for other
# partitions than the existing topic has fails at start in one line; one that does not
# name them gets the topic as it is, and says so
fails_fast 1 "kafka: topic \"$topic\" on 127.0.0.1:9092 exists with partitions 3, the URL asks for partitions=5" \
    run --headless --broker "kafka://127.0.0.1:9092?topic=$topic&partitions=5" --rate 100 -t 1s
"$OUTBREAK" run --headless --broker "kafka://127.0.0.1:9092?topic=$topic&partitions=3" --rate 100 -t 1s --only-summary \
    --json "$WORK/same.json" >"$WORK/same.log" 2>&1
got=$(json "$WORK/same.json" '"%s|%s|%s" % (d["durability"]["partitions"], d["durability"]["replication"], d["durability"]["topic_origin"])')
check "the same partitions as the topic's: taken, the durability says it existed ($got)" test "$got" = "3|1|existed"
kill "$SINK_PID"; wait "$SINK_PID" 2>/dev/null

# keys by location, acks=1, compression: the same guarantees on a smaller run
topic=$(kafka_topic "obit.keyed.$$")
id="kafka-keyed-$$-$(date +%s)"
url="kafka://127.0.0.1:9092?topic=$topic&partitions=4&acks=1&compression=lz4&key=location&group=obit-k-$$"
start_sink "$url" "$WORK/sink2.log"
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 2000 --pool 5000 --once --headless \
    --only-summary --run-id "$id" --json "$WORK/k.json" >"$WORK/run2.log" 2>&1
rc=$?
tail -6 "$WORK/run2.log"
check "keyed run exits 0 (got $rc)" test "$rc" -eq 0
check "keyed: 5000 acked, 5000 persisted, lost 0" test \
    "$(json "$WORK/k.json" '(d["acked"], d["persisted"], d["lost"])')" = "(5000, 5000, 0)"
check "durability: acks=1 is said, key by location, lz4" test \
    "$(json "$WORK/k.json" '[d["durability"][k] for k in ("acks","idempotence","key","compression")]')" = "['1', False, 'location', 'lz4']"
"$OUTBREAK" run --headless --broker "kafka://127.0.0.1:9092?topic=$topic" --rate 100 -t 1s --only-summary \
    --json "$WORK/found.json" >"$WORK/found.log" 2>&1
got=$(json "$WORK/found.json" '"%s|%s" % (d["durability"]["partitions"], d["durability"]["topic_origin"])')
check "a URL without partitions: the topic's 4, not the default 3 ($got)" test "$got" = "4|existed"
# what the sinks' group has still to read when a run starts, said in a line and as
# backlog_at_start: the default group (outbreak-sink) never read this topic, so the keyed
# run's 5000 records wait for it; the keyed sink's group, stopped (it commits as it goes),
# read them all
got=$(json "$WORK/found.json" 'd["durability"]["backlog_at_start"]')
check "the 5000 records a group that never read the topic has before it (backlog_at_start $got)" test "$got" = 5000
check "... in a line at the run's start" \
    grep -q "kafka: 5000 records from before this run wait in topic \"$topic\" on 127.0.0.1:9092 for the sinks' group outbreak-sink" \
    "$WORK/found.log"
kill -TERM "$SINK_PID"
wait "$SINK_PID" 2>/dev/null
"$OUTBREAK" run --headless --broker "$url" --rate 100 --pool 5 --once --only-summary --json "$WORK/read.json" \
    >"$WORK/read.log" 2>&1
got=$(json "$WORK/read.json" 'd["durability"]["backlog_at_start"]')
check "the group that read them all: backlog_at_start 0 (got $got), no line" \
    sh -c "test '$got' = 0 && ! grep -q 'from before this run' '$WORK/read.log'"
got=$(json "$WORK/k.json" 'd["durability"]["min_insync_replicas"]')
check "durability: the topic's min.insync.replicas, the cluster's default ($got)" test "$got" = 1
# a topic made outside with its own min.insync.replicas: the run says it (acks=1 does not
# wait for it, so the records are acked)
topic=$(kafka_topic "obit.isr.$$")
"$KAFKA_TOPICS" --bootstrap-server 127.0.0.1:9092 --create --topic "$topic" --partitions 2 --replication-factor 1 \
    --config min.insync.replicas=2 >/dev/null 2>&1
"$OUTBREAK" run --headless --broker "kafka://127.0.0.1:9092?topic=$topic&acks=1" --rate 100 -t 1s --only-summary \
    --json "$WORK/isr.json" >"$WORK/isr.log" 2>&1
got=$(json "$WORK/isr.json" '"%s|%s|%s|%s" % (d["durability"]["partitions"], d["durability"]["min_insync_replicas"], d["durability"]["topic_origin"], d["acked"])')
check "a topic made with min.insync.replicas=2 and 2 partitions: said so, 100 acked ($got)" test "$got" = "2|2|existed|100"
finish
