# gateway_many.sh — one `outbreak gateway` (its default event loop) in front of core NATS
# answers every request of many keep-alive connections at once: outbreak run's HTTP
# mode at full speed with 128, 129 and 512 connections (libmicrohttpd 0.9.75's epoll
# loop, the gateway's old default, stopped answering with these: a handful of records
# acked, the rest timed out) and with 1100 (above libmicrohttpd's own limit of 1020
# connections, past which the rest waited unanswered in the listen queue). For each:
# the run exits 0, nothing failed, every connection was answered many times over, and
# the gateway's own count of 200s at exit equals what the clients saw acked.
source "$(dirname "$0")/lib.sh"
require_servers
source "$(dirname "$0")/lib_gateway.sh"
ulimit -n 4096 2>/dev/null || true # 1100 connections on each side

start_gateway many "nats://127.0.0.1:4222?subject=obit.gwmany.$$" --json "$WORK/gw.json" ||
    { finish; exit 1; }
total=0
for c in 128 129 512 1100; do
    echo "---- $c connections"
    "$OUTBREAK" run --headless --broker "http://127.0.0.1:$GW_PORT/" --connections "$c" --rate max \
        --max-inflight 8192 -t 2s --stop-timeout 10s --only-summary --json "$WORK/run-$c.json" \
        >"$WORK/run-$c.txt" 2>&1
    rc=$?
    check "run exits 0 (got $rc)" test "$rc" -eq 0
    acked=$(json "$WORK/run-$c.json" 'd["acked"]')
    check "failed = 0 (got $(json "$WORK/run-$c.json" 'd["failed"]'))" \
        test "$(json "$WORK/run-$c.json" 'd["failed"]')" = 0
    check "acked = sent ($acked)" test "$acked" = "$(json "$WORK/run-$c.json" 'd["sent"]')"
    check "every connection answered at least 10 times over: acked $acked >= $((c * 10))" \
        test "$acked" -ge $((c * 10))
    total=$((total + acked))
done
stop_gateway
check "the gateway exits 0 on SIGTERM (got $GW_RC)" test "$GW_RC" -eq 0
ok200=$(json "$WORK/gw.json" 'd["codes"].get("200", 0)')
check "the gateway answered 200 to $ok200 requests = what the clients saw acked ($total)" \
    test "$ok200" = "$total"
check "the gateway counted no failure" test "$(json "$WORK/gw.json" 'd["failures"]')" = 0
finish
