# lib_gateway.sh — helpers of the gateway tests (sourced after lib.sh, not a test itself).
GW_TOOL="python3 $OB_SOURCE_DIR/tests/integration/gateway_tool.py"
TRAFFIC=$WORK/traffic.ndjson
$GW_TOOL ndjson "$OB_SOURCE_DIR/examples/traffic.json" "$TRAFFIC"
LOCUST_RECORD='{"name": "Urban Beldum", "location": "Escuintla", "age": 4, "infectedtype": "non-imported", "state": "symptomatic"}'

# start_gateway LABEL URL [FLAGS...] — `outbreak gateway` on a free port of 127.0.0.1,
# its log in $WORK/gw-LABEL.log; waits for its start line; sets GW_PID and GW_PORT.
start_gateway() {
    local label=$1 url=$2 log
    shift 2
    log="$WORK/gw-$label.log"
    "$OUTBREAK" gateway --broker "$url" --listen 127.0.0.1:0 --id "gw-$label" "$@" >"$log" 2>&1 &
    GW_PID=$!
    PIDS+=("$GW_PID")
    GW_PORT=
    for _ in $(seq 150); do
        GW_PORT=$(sed -n 's/^gateway: listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$log")
        [ -n "$GW_PORT" ] && return 0
        kill -0 "$GW_PID" 2>/dev/null || break
        sleep 0.1
    done
    fail "gateway $label did not start: $(cat "$log")"
    return 1
}

# stop_gateway — SIGTERM; sets GW_RC and GW_MS (how long it took to exit).
stop_gateway() {
    local t0 t1
    t0=$(date +%s%N)
    kill -TERM "$GW_PID"
    wait "$GW_PID"
    GW_RC=$?
    t1=$(date +%s%N)
    GW_MS=$(((t1 - t0) / 1000000))
}

# curl_post PATH BODY SENT — one POST with curl (a connection of its own); appends
# "STATUS<TAB>BODY<TAB>ANSWER" to SENT (gateway_tool.py's format); sets CODE, ANSWER.
curl_post() {
    local out
    out=$(curl -s -m 10 -w '\n%{http_code}' -X POST --data-binary "$2" "http://127.0.0.1:$GW_PORT$1")
    CODE=${out##*$'\n'}
    ANSWER=${out%$'\n'*}
    [ -z "$3" ] || printf '%s\t%s\t%s\n' "$CODE" "$2" "$(tr '\n' ' ' <<<"$ANSWER")" >>"$3"
}

# wait_persisted RUN N [SECONDS] — until MongoDB holds N documents of RUN (default 60 s).
wait_persisted() {
    local n=0
    for _ in $(seq $((${3:-60} * 2))); do
        n=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$1" 2>/dev/null || echo 0)
        [ "$n" -ge "$2" ] && break
        sleep 0.5
    done
    PERSISTED=$n
}

# gateways_behind_lb TAG [GATEWAY FLAGS...] — a JetStream, a RabbitMQ and a Kafka gateway
# (stream, queue and topic named after TAG and this test), each with a sink, and the
# stack's nginx in front of the three; the stack's own list of gateways is put back when
# the test exits. Sets LB_OUT (what `scripts/stack up lb` printed), LB_PORTS and
# GW_PID_jetstream, GW_PID_rabbitmq, GW_PID_kafka. Returns 1 if a gateway did not start.
gateways_behind_lb() {
    local tag=$1 label url pair
    shift
    local js="$NATS_URL?jetstream=1&stream=OBIT${tag^^}_$$&subject=obit.$tag.$$&durable=obit-$tag-$$"
    local rmq="${RABBIT_URL}?queue=$(rabbit_queue "obit.$tag.$$")"
    local kfk="kafka://127.0.0.1:9092?topic=$(kafka_topic "obit.$tag.$$")&group=obit-$tag-$$"
    LB_PORTS=()
    for pair in "jetstream|$js" "rabbitmq|$rmq" "kafka|$kfk"; do
        label=${pair%%|*} url=${pair#*|}
        start_sink "$url" "$WORK/sink-$label.log"
        start_gateway "$label" "$url" "$@" || return 1
        LB_PORTS+=("127.0.0.1:$GW_PORT")
        printf -v "GW_PID_$label" '%s' "$GW_PID"
    done
    trap '"$OB_SOURCE_DIR/scripts/stack" up lb >/dev/null 2>&1; cleanup' EXIT
    LB_OUT=$(OUTBREAK_LB_UPSTREAMS="${LB_PORTS[*]}" "$OB_SOURCE_DIR/scripts/stack" up lb 2>&1)
}
