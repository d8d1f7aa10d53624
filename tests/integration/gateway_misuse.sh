# gateway_misuse.sh — outbreak gateway under bad input and failures: usage errors exit 2
# with one line; an unreachable broker with --require-broker (without it the gateway
# starts anyway: gateway_broker_down.sh) or a taken port exit 1 with one line; each bad
# request gets its code (400 with one line saying what is wrong, 413, 405 with Allow,
# 404) and the summary counts them, and the gateway still answers 200 after them; the
# broker stopped under the gateway (a private nats-server, killed; JetStream, then core
# NATS, whose acks the gateway's loop reads from the socket itself): 503 with
# Retry-After within 5 s, no hang, and 200 again after it returns; SIGTERM with requests
# in flight: they are answered and the gateway exits within 5 s.
source "$(dirname "$0")/lib.sh"
require_servers
source "$(dirname "$0")/lib_gateway.sh"
JS="$NATS_URL?jetstream=1&stream=OBITGWM_$$&subject=obit.gwm.$$"

echo "---- usage"
fails_fast 2 "--broker is required" gateway
fails_fast 2 "--broker" gateway --broker bogus://x
fails_fast 2 "--broker" gateway --broker "nats://127.0.0.1:4222?storage=bogus"
fails_fast 2 "--listen" gateway --broker "$NATS_URL" --listen 127.0.0.1:99999
fails_fast 2 "--listen" gateway --broker "$NATS_URL" --listen "[::1"
fails_fast 2 "--max-body" gateway --broker "$NATS_URL" --max-body 10
fails_fast 2 "--window" gateway --broker "$NATS_URL" --window 0
fails_fast 2 "--run-id" gateway --broker "$NATS_URL" --run-id "a/b"
fails_fast 2 "--ack-timeout" gateway --broker "$NATS_URL" --ack-timeout soon
fails_fast 2 "--id" gateway --broker "$NATS_URL" --id ""
fails_fast 2 "unknown flag --bogus" gateway --bogus
fails_fast 2 "--event-loop: use own, poll or epoll" gateway --broker "$NATS_URL" --event-loop kqueue
fails_fast 2 "--event-loop own runs one HTTP thread: not with --threads 2" gateway --broker "$NATS_URL" --event-loop own --threads 2
fails_fast 2 "io=loop is for a paced core NATS publisher" gateway --broker "$NATS_URL?io=loop&jetstream=1"
fails_fast 2 "or a gateway's own event loop" gateway --broker "$NATS_URL?io=loop" --event-loop poll
fails_fast 1 "127.0.0.1:1" gateway --broker nats://127.0.0.1:1 --require-broker
fails_fast 1 "MongoDB at 127.0.0.1:1" gateway --broker "$NATS_URL" --mongo mongodb://127.0.0.1:1/x
python3 -c 'import socket,time; s=socket.socket(); s.bind(("127.0.0.1",4598)); s.listen(); time.sleep(8)' &
PIDS+=($!)
sleep 0.5
fails_fast 1 "127.0.0.1:4598" gateway --broker "$NATS_URL" --listen 127.0.0.1:4598
check "gateway --help exits 0 and lists --max-body" bash -c '"$OUTBREAK" gateway --help | grep -q -- --max-body'

echo "---- bad requests"
start_gateway bad "$JS" --max-body 4096 --json "$WORK/bad.json" -q --run-id "gwbad-$$" --mongo "$MONGO_URL" ||
    { finish; exit 1; }
# expect CODE WHAT PATH BODY [CURL ARGS...] — the answer's code and, for errors, one line
expect() {
    local want=$1 what=$2 path=$3 body=$4 out code lines
    shift 4
    out=$(curl -s -m 10 -D "$WORK/headers" -w '\n%{http_code}' --data-binary "$body" "$@" "http://127.0.0.1:$GW_PORT$path")
    code=${out##*$'\n'}
    out=${out%$'\n'*}
    lines=$(printf '%s' "$out" | wc -l)
    if [ "$code" = "$want" ] && { [ "$want" = 200 ] || [ "$lines" -le 1 ]; }; then
        pass "$what -> $code: $out"
    else
        fail "$what: got $code with $lines lines ($out), wanted $want with one line"
    fi
}
expect 400 "malformed JSON" / '{"name": "Urban'
expect 400 "not an object" / '[1, 2]'
expect 400 "empty body" / ''
expect 400 "missing field age" / '{"name": "A", "location": "Escuintla", "infectedtype": "imported", "state": "symptomatic"}'
grep -q '"age"' <<<"$(curl -s --data-binary '{"name": "A", "location": "Escuintla", "infectedtype": "imported", "state": "symptomatic"}' "http://127.0.0.1:$GW_PORT/")" &&
    pass "  the line names the missing field" || fail "  the 400 does not name \"age\""
expect 400 "age as a string" / '{"name": "A", "location": "Escuintla", "age": "4", "infectedtype": "imported", "state": "symptomatic"}'
expect 400 "a department that is not one" / '{"name": "A", "location": "Atlantis", "age": 4, "infectedtype": "imported", "state": "symptomatic"}'
expect 400 "half the metadata" / '{"name": "A", "location": "Escuintla", "age": 4, "infectedtype": "imported", "state": "symptomatic", "run": "x"}'
expect 400 "two records on POST /" / "$LOCUST_RECORD $LOCUST_RECORD"
expect 400 "batch with a bad third record" /records "$(printf '%s\n%s\n{"name": 1}\n' "$LOCUST_RECORD" "$LOCUST_RECORD")"
grep -q 'record 3' <<<"$(curl -s --data-binary "$(printf '%s\n%s\n{"name": 1}\n' "$LOCUST_RECORD" "$LOCUST_RECORD")" "http://127.0.0.1:$GW_PORT/records")" &&
    pass "  the line names record 3" || fail "  the batch's 400 does not name record 3"
big=$(python3 -c 'print("{\"name\": \"" + "x" * 5000 + "\"}")')
expect 413 "a 5 kB body over --max-body 4096 (Content-Length)" / "$big"
expect 413 "the same, chunked" / "$big" -H "Transfer-Encoding: chunked"
expect 405 "GET /" / '' -G
check "  with Allow: POST" grep -qi '^Allow: POST' "$WORK/headers"
expect 405 "PUT /records" /records "$LOCUST_RECORD" -X PUT
expect 404 "POST /nope" /nope "$LOCUST_RECORD"
expect 200 "GET /healthz" /healthz '' -G
expect 200 "and a good record after all that" / "$LOCUST_RECORD"
stop_gateway
check "the gateway exits 0 (got $GW_RC) in ${GW_MS} ms" test "$GW_RC" = 0 -a "$GW_MS" -lt 5000
check "its summary counts them by code: $(json "$WORK/bad.json" 'd["codes"]')" \
    test "$(json "$WORK/bad.json" 'sorted(d["codes"].items())')" = \
    "[('200', 1), ('400', 11), ('404', 1), ('405', 2), ('413', 2)]"
check "  and so does its summary in MongoDB (runs: gwbad-$$/gateway/gw-bad)" \
    test "$($GW_TOOL summary 127.0.0.1 27017 "$MONGO_DB" "gwbad-$$/gateway/gw-bad")" = \
    '{"200": 1, "400": 11, "404": 1, "405": 2, "413": 2}'
check "  and the health check apart" test "$(json "$WORK/bad.json" 'd["healthz"]')" = 1
check "  requests 17, failures 16" test "$(json "$WORK/bad.json" '(d["requests"], d["failures"])')" = "(17, 16)"

echo "---- the broker stopped under the gateway"
NPORT=4335
store="$WORK/nats-store"
start_nats() {
    "$NATS_SERVER" -a 127.0.0.1 -p $NPORT -js -sd "$store" >>"$WORK/nats.log" 2>&1 &
    NATS_PID=$!
    PIDS+=("$NATS_PID")
    for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$NPORT) 2>/dev/null && return 0; sleep 0.1; done
    echo "FAIL: private nats-server did not start" >&2; exit 1
}
start_nats
purl="nats://127.0.0.1:$NPORT?jetstream=1&stream=OBITGWS&subject=obit.gws"
start_gateway down "$purl" --ack-timeout 2s --window 16 --json "$WORK/down.json" -q || { finish; exit 1; }
A_PID=$GW_PID A_PORT=$GW_PORT
start_gateway term "$purl" --ack-timeout 60s --stop-timeout 2s -q || { finish; exit 1; }
B_PID=$GW_PID B_PORT=$GW_PORT
GW_PORT=$A_PORT
curl_post / "$LOCUST_RECORD" ""
check "before: 200 ($CODE $ANSWER)" test "$CODE" = 200
kill -9 "$NATS_PID"
wait "$NATS_PID" 2>/dev/null
for i in 1 2 3; do
    t0=$(date +%s%N)
    curl -s -m 20 -D "$WORK/h503" -o "$WORK/b503" -w '%{http_code}' --data-binary "$LOCUST_RECORD" \
        "http://127.0.0.1:$A_PORT/" >"$WORK/code503"
    ms=$((($(date +%s%N) - t0) / 1000000))
    check "broker down, request $i: 503 within 5 s (got $(cat "$WORK/code503") in $ms ms: $(cat "$WORK/b503"))" \
        test "$(cat "$WORK/code503")" = 503 -a "$ms" -lt 5000
    check "  with Retry-After" grep -qi '^Retry-After: [0-9]' "$WORK/h503"
done
# many at once: every one answered (503) within 5 s, none left hanging
t0=$(date +%s%N)
out=$($GW_TOOL post "$A_PORT" "$TRAFFIC" 8 4 "$WORK/sent-down.tsv")
ms=$((($(date +%s%N) - t0) / 1000000))
check "32 concurrent requests while it is down: all 503 ($out) in $ms ms" \
    test "$(cut -d' ' -f2 <<<"$out")" = '{"503":' -a "$ms" -lt 10000
# --window 16: the records the broker never acknowledged fill it; then 503 at once
check "  once 16 records wait for their ack, the window is full: 503 at once ($(grep -c 'window full' "$WORK/sent-down.tsv") of 32)" \
    test "$(grep -c 'in-flight window full' "$WORK/sent-down.tsv")" -ge 16
t0=$(date +%s%N)
curl_post / "$LOCUST_RECORD" ""
ms=$((($(date +%s%N) - t0) / 1000000))
check "  a request now: 503 in under 1 s ($ms ms: $ANSWER)" test "$CODE" = 503 -a "$ms" -lt 1000
# SIGTERM with requests in flight (a gateway whose ack timeout is 60 s)
$GW_TOOL post "$B_PORT" "$TRAFFIC" 4 1 "$WORK/sent-term.tsv" >"$WORK/term.out" &
client=$!
sleep 1
GW_PID=$B_PID
stop_gateway
wait "$client"
check "SIGTERM with 4 requests in flight: exit 0 (got $GW_RC) within 5 s (${GW_MS} ms)" \
    test "$GW_RC" = 0 -a "$GW_MS" -lt 5000
check "  and each of them was answered 503 ($(cat "$WORK/term.out"))" grep -q '^codes {"503": 4}' "$WORK/term.out"
# no request answered 200: its summary has no ack latency to give, and says so (not 0.00)
check "  its summary: no ack latency without a 200 ($(grep -A2 '^Ack latency' "$WORK/gw-term.log" | tail -n 1))" \
    grep -qE '^ +- +- +- +- +- +- +- +- +- +- +- +0$' "$WORK/gw-term.log"
start_nats
ok=0
t0=$(date +%s%N)
for _ in $(seq 60); do
    curl_post / "$LOCUST_RECORD" ""
    [ "$CODE" = 200 ] && { ok=1; break; }
    sleep 0.5
done
ms=$((($(date +%s%N) - t0) / 1000000))
check "after the broker returns: 200 again ($CODE in $ms ms: $ANSWER)" test "$ok" = 1
GW_PID=$A_PID
stop_gateway
check "the gateway exits 0 (got $GW_RC) in ${GW_MS} ms" test "$GW_RC" = 0 -a "$GW_MS" -lt 5000
check "its summary counts the 503s: $(json "$WORK/down.json" 'd["codes"]')" \
    test "$(json "$WORK/down.json" 'd["codes"]["503"] >= 36 and d["codes"]["200"] >= 2')" = True

echo "---- core NATS stopped under the gateway (its loop reads and writes the NATS socket)"
start_gateway core "nats://127.0.0.1:$NPORT?subject=obit.gwcore" --ack-timeout 2s --json "$WORK/core.json" -q ||
    { finish; exit 1; }
curl_post / "$LOCUST_RECORD" ""
check "core, before: 200 ($CODE $ANSWER)" test "$CODE" = 200
kill -9 "$NATS_PID"
wait "$NATS_PID" 2>/dev/null
t0=$(date +%s%N)
curl_post / "$LOCUST_RECORD" ""
ms=$((($(date +%s%N) - t0) / 1000000))
check "core, broker down: 503 within 5 s (got $CODE in $ms ms: $ANSWER)" test "$CODE" = 503 -a "$ms" -lt 5000
start_nats
ok=0
for _ in $(seq 60); do
    curl_post / "$LOCUST_RECORD" ""
    [ "$CODE" = 200 ] && { ok=1; break; }
    sleep 0.5
done
check "core, after the broker returns: 200 again ($CODE: $ANSWER)" test "$ok" = 1
# the loop watches the new socket: acks read when they come, not by the publisher
# thread's look every 20 ms (which would put the median near 10 ms)
out=$($GW_TOOL post "$GW_PORT" "$TRAFFIC" 1 200 "$WORK/sent-core.tsv")
check "  200 requests on one connection after the reconnect: all 200 ($out)" grep -q '^codes {"200": 200}' <<<"$out"
stop_gateway
check "  the gateway exits 0 (got $GW_RC); its summary says io=loop" \
    test "$GW_RC" = 0 -a "$(json "$WORK/core.json" 'd["durability"]["io"]')" = loop
p50=$(json "$WORK/core.json" 'd["ack_latency_ms"]["p50"]')
check "  ack latency p50 of its 200s under 3 ms ($p50 ms over $(json "$WORK/core.json" 'd["ack_latency_ms"]["count"]'))" \
    test "$(json "$WORK/core.json" 'd["ack_latency_ms"]["p50"] < 3')" = True
finish
