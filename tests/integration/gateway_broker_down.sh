# gateway_broker_down.sh — outbreak gateway started while its broker is down (a private
# nats-server on a port of its own, not started yet): it starts anyway, listens, prints
# one line naming the broker's address and saying that it retries, answers GET /healthz
# 503 (a load balancer takes it out) and every POST 503 with Retry-After at once (no
# hang), counted as 503s; once the broker is started it connects within seconds, says
# so, /healthz is 200 and records are published: a POST is answered 200 and the record
# is in MongoDB through the sink. The summary counts the 503s (codes, broker_down_503)
# and says when the broker came. --require-broker keeps the old behaviour (exit 1 at
# once, one line); a gateway whose broker never comes exits 0 on SIGTERM within 5 s.
source "$(dirname "$0")/lib.sh"
require_servers
source "$(dirname "$0")/lib_gateway.sh"
NPORT=4337
URL="nats://127.0.0.1:$NPORT?jetstream=1&stream=OBITGWD&subject=obit.gwd"
RUN=gwdown-$$

echo "---- the old behaviour on request"
fails_fast 1 "127.0.0.1:$NPORT" gateway --broker "$URL" --require-broker --listen 127.0.0.1:0
fails_fast 2 "--broker" gateway --broker "nats://127.0.0.1:$NPORT?storage=bogus"
check "--help names --require-broker" bash -c '"$OUTBREAK" gateway --help | grep -q -- --require-broker'

echo "---- started with the broker down"
start_gateway down "$URL" --run-id "$RUN" --json "$WORK/down.json" --stats-interval 1s ||
    { finish; exit 1; }
sleep 0.3
line=$(grep '^gateway: broker ' "$WORK/gw-down.log" | head -n 1)
check "one line names the broker's address and says it retries ($line)" \
    grep -q "127\.0\.0\.1:$NPORT.*retrying" <<<"$line"
check "  and only one such line while the reason stays the same" \
    test "$(grep -c '^gateway: broker ' "$WORK/gw-down.log")" = 1

# timed CODE_FILE HEADERS_FILE BODY_FILE CURL ARGS... — sets MS (how long it took)
timed() {
    local code=$1 headers=$2 body=$3 t0
    shift 3
    t0=$(date +%s%N)
    curl -s -m 20 -D "$headers" -o "$body" -w '%{http_code}' "$@" >"$code"
    MS=$((($(date +%s%N) - t0) / 1000000))
}
timed "$WORK/hc" "$WORK/hh" "$WORK/hb" "http://127.0.0.1:$GW_PORT/healthz"
check "GET /healthz: 503 within 5 s (got $(cat "$WORK/hc") in $MS ms: $(cat "$WORK/hb"))" \
    test "$(cat "$WORK/hc")" = 503 -a "$MS" -lt 5000
check "  the answer names the broker's address" grep -q "127.0.0.1:$NPORT" "$WORK/hb"
for i in 1 2 3; do
    timed "$WORK/pc" "$WORK/ph" "$WORK/pb" --data-binary "$LOCUST_RECORD" "http://127.0.0.1:$GW_PORT/"
    check "POST $i: 503 within 5 s (got $(cat "$WORK/pc") in $MS ms: $(cat "$WORK/pb"))" \
        test "$(cat "$WORK/pc")" = 503 -a "$MS" -lt 5000
    check "  with Retry-After" grep -qi '^Retry-After: [0-9]' "$WORK/ph"
done
timed "$WORK/pc" "$WORK/ph" "$WORK/pb" --data-binary "$LOCUST_RECORD" "http://127.0.0.1:$GW_PORT/records"
check "POST /records: 503 within 5 s (got $(cat "$WORK/pc") in $MS ms)" \
    test "$(cat "$WORK/pc")" = 503 -a "$MS" -lt 5000
t0=$(date +%s%N)
out=$($GW_TOOL post "$GW_PORT" "$TRAFFIC" 8 4 "$WORK/sent-down.tsv")
ms=$((($(date +%s%N) - t0) / 1000000))
check "32 concurrent keep-alive POSTs: all 503 ($out) in $ms ms" \
    test "$(cut -d' ' -f2-3 <<<"$out")" = '{"503": 32}' -a "$ms" -lt 5000
timed "$WORK/bc" "$WORK/bh" "$WORK/bb" --data-binary '{"name": 1}' "http://127.0.0.1:$GW_PORT/"
check "a bad record is still a 400 (got $(cat "$WORK/bc"))" test "$(cat "$WORK/bc")" = 400
sleep 1.2
check "the table says the broker is not connected" grep -q 'broker not connected (' "$WORK/gw-down.log"
check "the gateway is still running" kill -0 "$GW_PID"

echo "---- the broker comes"
"$NATS_SERVER" -a 127.0.0.1 -p $NPORT -js -sd "$WORK/nats-store" >"$WORK/nats.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$NPORT) 2>/dev/null && break; sleep 0.1; done
t0=$(date +%s%N)
hc=
for _ in $(seq 100); do
    hc=$(curl -s -m 5 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$GW_PORT/healthz")
    [ "$hc" = 200 ] && break
    sleep 0.1
done
ms=$((($(date +%s%N) - t0) / 1000000))
check "GET /healthz 200 within 10 s of the broker's start (got $hc after $ms ms)" test "$hc" = 200
check "  and the gateway said it is connected ($(grep '^gateway: connected' "$WORK/gw-down.log"))" \
    grep -q "^gateway: connected to broker nats at 127\.0\.0\.1:$NPORT" "$WORK/gw-down.log"
start_sink "$URL" "$WORK/sink.log"
: >"$WORK/sent-up.tsv"
for i in 1 2 3; do curl_post / "$LOCUST_RECORD" "$WORK/sent-up.tsv"; done
check "3 POSTs now answered 200 ($CODE $ANSWER)" test "$($GW_TOOL count200 "$WORK/sent-up.tsv")" = 3
out=$($GW_TOOL post "$GW_PORT" "$TRAFFIC" 8 25 "$WORK/sent-up.tsv")
check "200 concurrent keep-alive POSTs: all 200 ($out)" test "$(cut -d' ' -f2-3 <<<"$out")" = '{"200": 200}'
wait_persisted "$RUN" 203 30
out=$($GW_TOOL check 127.0.0.1 27017 "$MONGO_DB" "$RUN" "$WORK/sent-up.tsv" nats)
check "MongoDB holds every 200 of run $RUN, found by producer and seq, fields as sent ($out)" test "$out" = "ok 203"
stop_gateway
check "the gateway exits 0 (got $GW_RC) within 5 s (${GW_MS} ms)" test "$GW_RC" = 0 -a "$GW_MS" -lt 5000
check "its summary counts the 503s and the 200s: $(json "$WORK/down.json" 'd["codes"]')" \
    test "$(json "$WORK/down.json" 'sorted(d["codes"].items())')" = "[('200', 203), ('400', 1), ('503', 36)]"
check "  36 of them because the broker was not connected, after $(json "$WORK/down.json" 'd["broker_attempts"]') attempts" \
    test "$(json "$WORK/down.json" '(d["broker_down_503"], d["broker_connected"], d["broker_attempts"] >= 2)')" = \
    "(36, True, True)"
check "  connected $(json "$WORK/down.json" 'd["broker_connect_s"]') s after the start" \
    test "$(json "$WORK/down.json" 'd["broker_connect_s"] > 1')" = True
check "  records: 203 acked, 0 failed; health checks apart ($(json "$WORK/down.json" 'd["healthz"]'))" \
    test "$(json "$WORK/down.json" '(d["acked"], d["failed"], d["healthz"] >= 2)')" = "(203, 0, True)"
check "  the console summary says when the broker came" \
    grep -q '^broker: connected .* after the start (attempt [0-9]*); 36 requests answered 503 before' "$WORK/gw-down.log"

echo "---- a broker that never comes"
start_gateway never "nats://127.0.0.1:1" --json "$WORK/never.json" -q || { finish; exit 1; }
curl_post / "$LOCUST_RECORD" ""
check "POST: 503 ($ANSWER)" test "$CODE" = 503
sleep 1.5
stop_gateway
check "SIGTERM: exit 0 (got $GW_RC) within 5 s (${GW_MS} ms)" test "$GW_RC" = 0 -a "$GW_MS" -lt 5000
check "its summary: never connected, durability null, nothing sent, the 503 counted" \
    test "$(json "$WORK/never.json" '(d["broker_connected"], d["broker_connect_s"], d["durability"], d["sent"], d["codes"], d["broker_down_503"])')" = \
    "(False, None, None, 0, {'503': 1}, 1)"
check "  and the console summary says so" grep -q '^broker: never connected' "$WORK/gw-never.log"
finish
