# http_every_way.sh — every middleware through its gateway: `outbreak run --broker
# http://...` → outbreak gateway → middleware → outbreak sink → MongoDB, for gRPC (the
# sink is the gateway's server), NATS JetStream, core NATS, RabbitMQ, Pub/Sub and Kafka.
# The run's records carry its metadata, which the gateway keeps, so the run counts its
# own records in MongoDB: acked (2xx) = persisted = MongoDB's count of the run, failed 0,
# lost 0, and an end-to-end latency for every record (from the run's intended send time,
# through the gateway and the middleware, to the insert).
#
# Core NATS has no broker acknowledgement: its gateway's 2xx means only that the NATS
# server read the record (a marker's round trip), at most once. Here the sink is
# subscribed before the run starts and keeps up with 300 records/s, so nothing is lost and
# the accounting holds; it is what happened, not what a core NATS 2xx promises.
#
# Last, a run with --warmup through the core NATS gateway: its answers by way count the
# measured records only.
source "$(dirname "$0")/lib.sh"
require_servers
require_rabbitmq
require_kafka
require_pubsub
source "$(dirname "$0")/lib_gateway.sh"

# through LABEL WAY URL — a sink and a gateway for URL, then outbreak run through the
# gateway at 300 records/s for 3 s
through() {
    local label=$1 way=$2 url=$3 run="every-$1-$$" f="$WORK/run-$1.json" rc=0 t0 ms ways
    echo "---- $label"
    start_sink "$url" "$WORK/sink-$label.log"
    start_gateway "$label" "$url" -q --json "$WORK/gw-$label.json" || return
    t0=$(date +%s%N)
    "$OUTBREAK" run --headless --broker "http://127.0.0.1:$GW_PORT/" --rate 300 -t 3s --mongo "$MONGO_URL" \
        --run-id "$run" --only-summary --json "$f" >"$WORK/run-$label.out" 2>&1 || rc=$?
    ms=$((($(date +%s%N) - t0) / 1000000))
    echo "$label: $(json "$f" '"acked %s, persisted %s, failed %s, lost %s, unconfirmed %s, e2e p50 %.1f ms p99 %.1f ms (%s)" % (d["acked"], d["persisted"], d["failed"], d["lost"], d["unconfirmed"], d["e2e_latency_ms"]["p50"], d["e2e_latency_ms"]["p99"], d["e2e_latency_ms"]["count"])' 2>&1) in $ms ms"
    check_delivered "$rc" "$f" "$run" 900
    check "$label: unconfirmed 0" test "$(json "$f" 'd["unconfirmed"]')" = 0
    ways=$($MONGO_TOOL ways 127.0.0.1 27017 "$MONGO_DB" "$run" | tr '\n' ' ')
    check "$label: every record in MongoDB came the $way way ($ways)" test "$ways" = "$way $ACKED "
    stop_gateway
    check "$label: the gateway exits 0 (got $GW_RC)" test "$GW_RC" = 0
    check "$label: the gateway answered $ACKED requests 200 and acked as many records, none failed" \
        test "$(json "$WORK/gw-$label.json" '(d["codes"], d["acked"], d["failed"], d["middleware"])')" = \
        "({'200': $ACKED}, $ACKED, 0, '$way')"
    # the run's durability says what the gateway's 2xx meant: the way its answers named,
    # what its middleware's ack means (as the gateway's own summary says it), how many
    local means
    means=$(json "$WORK/gw-$label.json" 'd["durability"].get("acked_means") or "the broker'"'"'s %s (%s, %s)" % (d["durability"]["publish_ack"], d["durability"]["mode"], d["durability"]["delivery"])')
    check "$label: the run's durability: behind_$way = the gateway's acked_means ($means), answers_$way = $ACKED" \
        test "$(json "$f" '(d["durability"].get("behind_'"$way"'"), d["durability"].get("answers_'"$way"'"))')" = \
        "$(python3 -c 'import sys; print((sys.argv[1], int(sys.argv[2])))' "$means" "$ACKED")"
    check "$label: and its summary's line" test -n "$means" -a "$(grep -cF "behind       $way: $ACKED answers, $means" "$WORK/run-$label.out")" = 1
    kill -TERM "$SINK_PID"
    wait "$SINK_PID"
}

through grpc grpc "grpc://127.0.0.1:50189"
through jetstream nats "$NATS_URL?jetstream=1&stream=OBITEVERY_$$&subject=obit.every.$$&durable=obit-every-$$"
through nats-core nats "$NATS_URL?subject=obit.everycore.$$"
through rabbitmq rabbitmq "${RABBIT_URL}?queue=$(rabbit_queue "obit.every.$$")"
through pubsub pubsub "pubsub://outbreak-local/obit-every-$$?subscription=obit-every-$$-sink"
through kafka kafka "kafka://127.0.0.1:9092?topic=$(kafka_topic "obit.every.$$")&group=obit-every-$$"

# --warmup: the gateway answers the warm-up's records as the measured ones, but the
# warm-up is in none of the run's figures: answers_<way> counts the measured answers only
echo "---- warm-up"
rc=0
start_gateway warm "$NATS_URL?subject=obit.everywarm.$$" -q --json "$WORK/gw-warm.json"
"$OUTBREAK" run --headless --broker "http://127.0.0.1:$GW_PORT/" --rate 300 -t 2s --warmup 1s \
    --run-id "every-warm-$$" --only-summary --json "$WORK/run-warm.json" >"$WORK/run-warm.out" 2>&1 || rc=$?
stop_gateway
counts=$(json "$WORK/run-warm.json" '"%d %d %d" % (d["acked"], d["warmup"]["acked"], d["durability"].get("answers_nats", -1))')
gw200=$(json "$WORK/gw-warm.json" 'd["codes"].get("200", 0)')
echo "acked, warm-up acked, answers_nats: $counts; the gateway's 200s: $gw200"
check "--warmup: the run exits 0 (got $rc)" test "$rc" = 0
check "--warmup: answers_nats = the measured acks, the warm-up's left out ($counts)" \
    python3 -c 'import sys; a, w, n = map(int, sys.argv[1].split()); sys.exit(not (w > 0 and n == a))' "$counts"
check "--warmup: the gateway answered both ($gw200 = acked + warm-up acked)" \
    python3 -c 'import sys; a, w, n = map(int, sys.argv[1].split()); sys.exit(int(sys.argv[2]) != a + w)' "$counts" "$gw200"
finish
