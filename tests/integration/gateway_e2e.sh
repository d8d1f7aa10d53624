# gateway_e2e.sh — HTTP clients -> outbreak gateway -> middleware -> outbreak sink ->
# MongoDB, for NATS JetStream, RabbitMQ, Kafka, Pub/Sub and gRPC: records without
# metadata (Locust's body), POSTed with curl one by one and by a Python client with many
# concurrent keep-alive connections, are each answered 200 after the broker's ack;
# every 200 is in MongoDB under the gateway's run id, found by the producer and seq of
# its answer, with its way and the five fields as sent; a batch with metadata of its own
# (POST /records, NDJSON) keeps it; the gateway exits 0 on SIGTERM within 5 s and its
# JSON summary counts the answers.
source "$(dirname "$0")/lib.sh"
require_servers
require_rabbitmq
require_kafka
require_pubsub
source "$(dirname "$0")/lib_gateway.sh"

# through LABEL WAY URL [GATEWAY FLAGS...]
through() {
    local label=$1 way=$2 url=$3 run="gw-$1-$$" sent="$WORK/sent-$1.tsv" out n200 n meta_run
    shift 3
    echo "---- $label"
    start_sink "$url" "$WORK/sink-$label.log"
    start_gateway "$label" "$url" --run-id "$run" --stats-interval 1s --json "$WORK/gw-$label.json" "$@" || return
    : >"$sent"
    head -n 20 "$TRAFFIC" | while IFS= read -r rec; do curl_post / "$rec" "$sent"; done
    out=$($GW_TOOL post "$GW_PORT" "$TRAFFIC" 16 60 "$sent")
    echo "python client: $out"
    n200=$($GW_TOOL count200 "$sent")
    check "$label: 20 curl + 960 keep-alive POSTs all answered 200 (got $n200)" test "$n200" = 980
    check "$label: the Python client's 16 threads kept one connection each ($out)" grep -q 'connections 16$' <<<"$out"
    check "$label: a 200's body says what acked means" \
        grep -q "\"way\":\"$way\",\"ack\":" <<<"$(sed -n '1s/^[^\t]*\t[^\t]*\t//p' "$sent")"
    # a batch whose records carry metadata of their own: kept as it is
    meta_run="gwmeta-$label-$$"
    head -n 50 "$TRAFFIC" | python3 -c '
import json, sys
for i, line in enumerate(sys.stdin, 1):
    r = json.loads(line); r.update(run=sys.argv[1], producer=77, seq=i, sent_ns=1700000000000000000 + i)
    print(json.dumps(r))' "$meta_run" >"$WORK/meta-$label.ndjson"
    curl_post /records "$(cat "$WORK/meta-$label.ndjson")" ""
    check "$label: POST /records with 50 NDJSON records with metadata: 200 acked 50 ($CODE $ANSWER)" \
        grep -q '^{"acked":50,' <<<"$ANSWER"
    wait_persisted "$run" "$n200"
    out=$($GW_TOOL check 127.0.0.1 27017 "$MONGO_DB" "$run" "$sent" "$way")
    check "$label: MongoDB holds every 200 of run $run, way $way, fields as sent ($out)" test "$out" = "ok $n200"
    wait_persisted "$meta_run" 50 30
    check "$label: the batch's 50 records kept their run id ($PERSISTED in MongoDB)" test "$PERSISTED" = 50
    stop_gateway
    check "$label: gateway exits 0 on SIGTERM (got $GW_RC) within 5 s (${GW_MS} ms)" \
        test "$GW_RC" = 0 -a "$GW_MS" -lt 5000
    check "$label: the JSON summary: 981 answers 200, 1030 records acked (980 + the batch of 50), none failed" \
        test "$(json "$WORK/gw-$label.json" '(d["codes"].get("200"), d["acked"], d["failed"], d["middleware"])')" = "(981, 1030, 0, '$way')"
    check "$label: the table was printed" grep -q '^POST .*by code\|^         by code: 200' "$WORK/gw-$label.log"
    kill -TERM "$SINK_PID"
    wait "$SINK_PID"
}

through jetstream nats "$NATS_URL?jetstream=1&stream=OBITGW_$$&subject=obit.gw.$$&durable=obit-gw-$$"
through rabbitmq rabbitmq "${RABBIT_URL}?queue=$(rabbit_queue "obit.gw.$$")" --threads 2 --event-loop poll
through kafka kafka "kafka://127.0.0.1:9092?topic=$(kafka_topic "obit.gw.$$")&group=obit-gw-$$" --event-loop poll
through pubsub pubsub "pubsub://outbreak-local/obit-gw-$$?subscription=obit-gw-$$-sink"
through grpc grpc "grpc://127.0.0.1:50195"
finish
