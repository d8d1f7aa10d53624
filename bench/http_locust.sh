#!/usr/bin/env bash
# bench/http_locust.sh — outbreak run's HTTP load mode against Locust (one process,
# FastHttpUser, no wait: bench/locust/max.py) on the same `outbreak gateway` in front of
# core NATS, full speed, one run each, Locust first; prints the ratio outbreak / Locust
# (the issue's goal: >= 12). BENCH_TIME (10s), BENCH_LOCUST_USERS (64),
# BENCH_CONNECTIONS (outbreak's, 64: as many as Locust's users, each of which keeps one).
# BENCH_GW_LOOP: the gateway's --event-loop (own, its default, poll or epoll).
# BENCH_MAX_INFLIGHT: outbreak's --max-inflight (its default when unset, as a user types
# it; records beyond the connections wait in the client's queue, never on the wire).
# BENCH_SERVER=nginx measures the two clients alone instead: both POST to nginx's
# `return 200` (/nginx-200 of scripts/stack's lb), so no gateway limits either side.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/deps" locust
LOCUST=${OUTBREAK_TOOLS_DIR:-$HOME/.cache/outbreak/tools}/bin/locust
D=${BENCH_TIME:-10s}
U=${BENCH_LOCUST_USERS:-64}
C=${BENCH_CONNECTIONS:-64}

SERVER=${BENCH_SERVER:-gateway}
case $SERVER in
gateway)
    "$OUTBREAK" gateway --listen 127.0.0.1:0 --broker 'nats://127.0.0.1:4222?subject=outbreak.bench.http' \
        --id bench-http --event-loop "${BENCH_GW_LOOP:-own}" >"$OUT/gateway-http.txt" 2>&1 &
    GW=$!
    trap 'kill $GW 2>/dev/null; wait $GW 2>/dev/null' EXIT
    PORT=
    for _ in $(seq 100); do
        PORT=$(sed -n 's/^gateway: listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p' "$OUT/gateway-http.txt")
        [ -n "$PORT" ] && break
        sleep 0.1
    done
    [ -n "$PORT" ] || { cat "$OUT/gateway-http.txt" >&2; exit 1; }
    TARGET=http://127.0.0.1:$PORT
    export OUTBREAK_BENCH_PATH=/
    echo "gateway on 127.0.0.1:$PORT (core NATS, --event-loop ${BENCH_GW_LOOP:-own}); Locust $U users, outbreak $C connections, $D each"
    ;;
nginx)
    "$ROOT/scripts/stack" up lb >/dev/null
    TARGET=http://127.0.0.1:8000
    export OUTBREAK_BENCH_PATH=/nginx-200
    echo "nginx's return 200 on 127.0.0.1:8000/nginx-200; Locust $U users, outbreak $C connections, $D each"
    ;;
*) echo "bench: BENCH_SERVER is gateway or nginx" >&2; exit 2 ;;
esac

"$LOCUST" -f "$ROOT/bench/locust/max.py" --headless -u "$U" -r "$U" -H "$TARGET" \
    -t "$D" --csv "$OUT/locust-http" --only-summary >"$OUT/locust-http.txt" 2>&1 || true
tool=$(python3 -c '
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    if row["Name"] == "Aggregated": print("%.1f %s" % (float(row["Requests/s"]), row["Failure Count"]))' \
    "$OUT/locust-http_stats.csv")
"$OUTBREAK" run --headless --broker "$TARGET$OUTBREAK_BENCH_PATH" --connections "$C" --rate max \
    ${BENCH_MAX_INFLIGHT:+--max-inflight "$BENCH_MAX_INFLIGHT"} \
    -t "$D" --only-summary --json "$OUT/outbreak-http-gw.json" >"$OUT/outbreak-http-gw.txt" 2>&1 || true
ours=$(json "$OUT/outbreak-http-gw.json" 'd["throughput"]["acked_per_s"]')
failed=$(json "$OUT/outbreak-http-gw.json" 'd["failed"]')
printf '%-34s%s requests/s (failures %s)\n' "Locust, 1 process, $U users:" ${tool% *} ${tool#* }
printf '%-34s%s records/s (failed %s)\n' "outbreak run, $C connections:" "$ours" "$failed"
printf '%-34s%s\n' "ratio:" "$(ratio "$ours" "${tool% *}")"
