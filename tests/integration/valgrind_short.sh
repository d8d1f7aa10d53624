# valgrind_short.sh — short runs of outbreak run and outbreak sink under valgrind, for
# each middleware: no invalid reads or writes and no definitely or indirectly lost memory.
source "$(dirname "$0")/lib.sh"
require_servers
require_rabbitmq
require_kafka
require_pubsub
command -v valgrind >/dev/null || { echo "FAIL: valgrind is not installed (scripts/deps)" >&2; exit 1; }
VG=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --error-exitcode=99)

# through LABEL URL — a sink and a 2 s run at 500/s, both under valgrind.
through() {
    local label=$1 url=$2 sink rc
    "${VG[@]}" "$OUTBREAK" sink --broker "$url" --mongo "$MONGO_URL" >"$WORK/sink-$label.log" 2>&1 &
    sink=$!
    PIDS+=("$sink")
    sleep 3
    "${VG[@]}" "$OUTBREAK" run --broker "$url" --mongo "$MONGO_URL" --rate 500 -t 2s --headless \
        --only-summary --json "$WORK/$label.json" --csv "$WORK/$label" >"$WORK/run-$label.log" 2>&1
    rc=$?
    check "$label run under valgrind exits 0 (got $rc; 99 = valgrind error)" test $rc -eq 0
    check "  and lost nothing" test "$(json "$WORK/$label.json" 'd["lost"]')" = 0
    kill -TERM "$sink"
    wait "$sink"
    rc=$?
    check "$label sink under valgrind exits 0 after SIGTERM (got $rc; 99 = valgrind error)" test $rc -eq 0
}

through JetStream "$NATS_URL?jetstream=1&stream=OBITV_$$&subject=obit.v.$$&durable=obit-v-$$"
# RabbitMQ: confirms read on the publishing thread, acks queued from the sink's thread
through RabbitMQ "${RABBIT_URL}?queue=$(rabbit_queue "obit.valgrind.$$")"
# Kafka: delivery reports served on the publishing thread, librdkafka's own threads
through Kafka "kafka://127.0.0.1:9092?topic=$(kafka_topic "obit.valgrind.$$")&group=obit-valgrind-$$"
# Pub/Sub: requests on a curl multi handle, pull and ack threads
through PubSub "pubsub://outbreak-local/obit-valgrind-$$?subscription=obit-valgrind-$$-sink"
# gRPC: the sink is the server; the run's calls are answered after the insert
through gRPC "grpc://127.0.0.1:50193"
"${VG[@]}" "$OUTBREAK" run --broker "$NATS_URL" -u 5 -r 50 --wait 0.01-0.02 -t 1s --headless \
    >"$WORK/run-core.log" 2>&1
rc=$?
check "core closed-model run under valgrind exits 0 (got $rc)" test $rc -eq 0
"${VG[@]}" "$OUTBREAK" run --records /nonexistent.json >/dev/null 2>&1
rc=$?
check "a usage error under valgrind exits 2 without leaks (got $rc)" test $rc -eq 2
[ "$FAILED" -eq 0 ] || tail -30 "$WORK"/*.log
finish
