# grpc_e2e.sh — outbreak run -> gRPC -> outbreak sink (the gRPC server, which answers
# after the MongoDB insert) -> MongoDB, in unary mode and in streaming mode: each run of
# 10 000 records ends with exit 0, lost = 0, persisted = acked and MongoDB's count of
# the run = acked, and its summary says that an ack means persisted. Then an independent
# gRPC implementation, grpcurl (built by scripts/tools), calls the unary method from
# proto/infected.proto: the record it sends is answered and stored (wire compatibility);
# a record without outbreak's metadata, as the course project's clients send it, is
# answered too (the sink counts it invalid for the harness and does not store it).
source "$(dirname "$0")/lib.sh"
require_servers
GRPCURL=$("$OB_SOURCE_DIR/scripts/tools" grpcurl) || { fail "scripts/tools grpcurl"; finish; exit 1; }

port=50161
addr=127.0.0.1:$port
# wait_port PORT — until something listens on 127.0.0.1:PORT (10 s at most)
wait_port() {
    local _
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}
start_sink "grpc://$addr" "$WORK/sink.log"
check "the sink listens on $addr" wait_port "$port"

# e2e LABEL URL — 10 000 records (each of a pool of 10 000 once) at up to 2000/s
e2e() {
    local label=$1 url=$2 id rc=0 acked count
    id="grpc-$1-$$-$(date +%s)"
    "$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 2000 --pool 10000 --once --headless \
        --only-summary --run-id "$id" --json "$WORK/$label.json" >"$WORK/$label.log" 2>&1 || rc=$?
    tail -12 "$WORK/$label.log"
    check "$label: run exits 0 (got $rc)" test "$rc" -eq 0
    [ -s "$WORK/$label.json" ] || { fail "$label: no JSON summary"; return; }
    acked=$(json "$WORK/$label.json" 'd["acked"]')
    check "$label: acked $acked = 10000" test "$acked" = 10000
    check "$label: failed = 0" test "$(json "$WORK/$label.json" 'd["failed"]')" = 0
    check "$label: lost = 0" test "$(json "$WORK/$label.json" 'd["lost"]')" = 0
    check "$label: persisted = acked" test "$(json "$WORK/$label.json" 'd["persisted"]')" = "$acked"
    count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
    check "$label: MongoDB holds $count documents of the run = acked $acked" test "$count" = "$acked"
    check "$label: publish latency counted for every acked record" \
        test "$(json "$WORK/$label.json" 'd["publish_latency_ms"]["count"]')" = "$acked"
    check "$label: durability: mode $label, acked means persisted" test \
        "$(json "$WORK/$label.json" '(d["durability"]["mode"], "persisted" in d["durability"]["acked_means"])')" = "('$label', True)"
}
e2e unary "grpc://$addr"
e2e stream "grpc://$addr?mode=stream"

# grpcurl: the unary method from the .proto, one record with outbreak's metadata
id="grpcurl-$$-$(date +%s)"
rec='"name":"Ana","location":"Escuintla","age":30,"infectedtype":"imported","state":"symptomatic"'
rc=0
"$GRPCURL" -plaintext -max-time 10 -import-path "$OB_SOURCE_DIR/proto" -proto infected.proto \
    -d "{\"infected\":{$rec,\"run\":\"$id\",\"producer\":1,\"seq\":1,\"sentNs\":\"$(date +%s%N)\"}}" \
    "$addr" infected.InfectedService/Infected >"$WORK/grpcurl.out" 2>&1 || rc=$?
echo "grpcurl answered: $(tr -d '\n' <"$WORK/grpcurl.out")"
check "grpcurl's call exits 0 (got $rc)" test "$rc" -eq 0
check "grpcurl's call is answered with a result" python3 -c \
    'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if "result" in d else 1)' "$WORK/grpcurl.out"
check "grpcurl's record is in MongoDB (1 document of run $id)" \
    test "$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")" = 1
check "grpcurl's record is stored under _id $id/1/1" \
    test "$($MONGO_TOOL has 127.0.0.1 27017 "$MONGO_DB" records "$id/1/1")" = 1

# the course project's client: the five fields, no metadata -> answered, counted invalid
rc=0
"$GRPCURL" -plaintext -max-time 10 -import-path "$OB_SOURCE_DIR/proto" -proto infected.proto \
    -d "{\"infected\":{$rec}}" "$addr" infected.InfectedService/Infected >"$WORK/plain.out" 2>&1 || rc=$?
echo "grpcurl (no metadata) answered: $(tr -d '\n' <"$WORK/plain.out")"
check "a record without metadata is answered (exit $rc)" test "$rc" -eq 0
check "... with a result" python3 -c \
    'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if "result" in d else 1)' "$WORK/plain.out"
check "... and the sink counts it invalid (no metadata)" grep -q 'invalid delivery: no run/producer/seq/sent_ns' "$WORK/sink.log"
check "the sink is still running" kill -0 "$SINK_PID"
finish
