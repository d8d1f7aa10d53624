# gateway_valgrind.sh — outbreak gateway under valgrind for a short load through NATS
# JetStream, core NATS (its loop on the NATS socket) and RabbitMQ (keep-alive clients, a batch, bad requests, a health check),
# then SIGTERM: no invalid reads or writes, no definitely or indirectly lost memory,
# exit 0; and a usage error under valgrind without leaks.
source "$(dirname "$0")/lib.sh"
require_servers
require_rabbitmq
command -v valgrind >/dev/null || { echo "FAIL: valgrind is not installed (scripts/deps)" >&2; exit 1; }
source "$(dirname "$0")/lib_gateway.sh"
VG=(valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect --error-exitcode=99)

# under LABEL URL
under() {
    local label=$1 url=$2 log="$WORK/gw-$1.log" out
    "${VG[@]}" "$OUTBREAK" gateway --broker "$url" --listen 127.0.0.1:0 --stats-interval 1s \
        --json "$WORK/$label.json" >"$log" 2>&1 &
    GW_PID=$!
    PIDS+=("$GW_PID")
    GW_PORT=
    for _ in $(seq 300); do
        GW_PORT=$(sed -n 's/^gateway: listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$log")
        [ -n "$GW_PORT" ] && break
        sleep 0.1
    done
    [ -n "$GW_PORT" ] || { fail "$label: the gateway under valgrind did not start: $(cat "$log")"; return; }
    out=$($GW_TOOL post "$GW_PORT" "$TRAFFIC" 8 50 "$WORK/sent-$label.tsv")
    check "$label: 400 keep-alive POSTs under valgrind all 200 ($out)" grep -q '^codes {"200": 400}' <<<"$out"
    curl_post /records "$(head -n 20 "$TRAFFIC")" ""
    check "$label: a batch of 20: $CODE" test "$CODE" = 200
    curl_post / '{"name": ' ""
    check "$label: malformed: $CODE" test "$CODE" = 400
    curl_post /nope x ""
    check "$label: wrong path: $CODE" test "$CODE" = 404
    curl -s "http://127.0.0.1:$GW_PORT/healthz" >/dev/null
    # requests in flight at the signal
    $GW_TOOL post "$GW_PORT" "$TRAFFIC" 4 20 "$WORK/sent-$label-2.tsv" >/dev/null &
    local client=$!
    sleep 0.3
    stop_gateway
    wait "$client"
    check "$label: the gateway under valgrind exits 0 after SIGTERM (got $GW_RC; 99 = valgrind error)" test "$GW_RC" = 0
    check "$label: valgrind reported nothing" test -z "$(grep '^==[0-9]' "$log")"
    check "$label: its JSON summary was written" test "$(json "$WORK/$label.json" 'd["codes"]["200"] >= 401')" = True
}

under JetStream "$NATS_URL?jetstream=1&stream=OBITGWV_$$&subject=obit.gwv.$$"
# core NATS: the gateway's loop reads and writes the NATS socket itself (io=loop)
under core "$NATS_URL?subject=obit.gwvc.$$"
check "core: the summary says io=loop" test "$(json "$WORK/core.json" 'd["durability"]["io"]')" = loop
under RabbitMQ "${RABBIT_URL}?queue=$(rabbit_queue "obit.gwv.$$")"
"${VG[@]}" "$OUTBREAK" gateway --broker nats://127.0.0.1:1 --require-broker --listen 127.0.0.1:0 >/dev/null 2>&1
rc=$?
check "an unreachable broker under valgrind exits 1 without leaks (got $rc)" test $rc -eq 1
finish
