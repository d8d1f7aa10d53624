#!/usr/bin/env bash
# bench/http_locust.sh — outbreak run's HTTP load mode against Locust (one process,
# FastHttpUser, no wait: bench/locust/max.py) on the same `outbreak gateway` in front of
# core NATS, full speed, one run each, Locust first; prints the ratio outbreak / Locust
# (the issue's goal: >= 12) at each concurrency of BENCH_LOCUST_USERS ("64 256 1024":
# Locust's users, outbreak as many connections, each of which keeps one, as a Locust
# user does; BENCH_CONNECTIONS gives outbreak another count). BENCH_TIME (10s).
# After the table, for each of outbreak's runs: the CPU a request of the client, the
# server (the gateway) and nats-server (utime + stime over the run), and the rate the
# machine's cores could carry at that cost, beside 12 times Locust's rate.
# BENCH_GW_LOOP: the gateway's --event-loop (own, its default, poll or epoll).
# BENCH_GW_QUERY: options added to the gateway's NATS URL (`&io=threads`: cnats' threads
# instead of the own loop reading and writing the socket; default none).
# BENCH_MAX_INFLIGHT: outbreak's --max-inflight (its default when unset, as a user types
# it; records beyond the connections wait in the client's queue, never on the wire).
# BENCH_SERVER=nginx measures the two clients alone instead: both POST to nginx's
# `return 200` (/nginx-200 of scripts/stack's lb), so no gateway limits either side.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/deps" locust
LOCUST=${OUTBREAK_TOOLS_DIR:-$HOME/.cache/outbreak/tools}/bin/locust
D=${BENCH_TIME:-10s}
USERS=${BENCH_LOCUST_USERS:-64 256 1024}

SERVER=${BENCH_SERVER:-gateway}
case $SERVER in
gateway)
    "$OUTBREAK" gateway --listen 127.0.0.1:0 --broker "nats://127.0.0.1:4222?subject=outbreak.bench.http${BENCH_GW_QUERY:-}" \
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
    echo "gateway on 127.0.0.1:$PORT (core NATS${BENCH_GW_QUERY:+ $BENCH_GW_QUERY}, --event-loop ${BENCH_GW_LOOP:-own}); $D each"
    ;;
nginx)
    "$ROOT/scripts/stack" up lb >/dev/null
    TARGET=http://127.0.0.1:8000
    export OUTBREAK_BENCH_PATH=/nginx-200
    echo "nginx's return 200 on 127.0.0.1:8000/nginx-200; $D each"
    ;;
*) echo "bench: BENCH_SERVER is gateway or nginx" >&2; exit 2 ;;
esac

# one level: Locust with U users, then outbreak with C connections; one line
level() {
    local U=$1 C=$2 tool ours failed
    "$LOCUST" -f "$ROOT/bench/locust/max.py" --headless -u "$U" -r "$U" -H "$TARGET" \
        -t "$D" --csv "$OUT/locust-http-$U" --only-summary >"$OUT/locust-http-$U.txt" 2>&1 || true
    tool=$(python3 -c '
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    if row["Name"] == "Aggregated": print("%.1f %s" % (float(row["Requests/s"]), row["Failure Count"]))' \
        "$OUT/locust-http-${U}_stats.csv")
    [ -n "$tool" ] || { echo "bench: Locust printed no rate (see $OUT/locust-http-$U.txt)" >&2; exit 1; }
    local gw0 ns0 gw1 ns1
    gw0=$(cpu_ticks "${GW:-}") ns0=$(cpu_ticks "$NATS_PID")
    "$OUTBREAK" run --headless --broker "$TARGET$OUTBREAK_BENCH_PATH" --connections "$C" --rate max \
        ${BENCH_MAX_INFLIGHT:+--max-inflight "$BENCH_MAX_INFLIGHT"} \
        -t "$D" --only-summary --json "$OUT/outbreak-http-$C.json" >"$OUT/outbreak-http-$C.txt" 2>&1 || true
    gw1=$(cpu_ticks "${GW:-}") ns1=$(cpu_ticks "$NATS_PID")
    ours=$(json "$OUT/outbreak-http-$C.json" 'd["throughput"]["acked_per_s"]')
    failed=$(json "$OUT/outbreak-http-$C.json" 'd["failed"]')
    printf '%6s %11s %9.1f %9s %12.0f %8s %7s\n' "$U" "$C" "${tool% *}" "${tool#* }" "$ours" "$failed" \
        "$(ratio "$ours" "${tool% *}")"
    # what outbreak's requests cost the machine, and the rate its cores could carry at that cost
    COSTS+=("$(python3 - "$OUT/outbreak-http-$C.json" "$((gw1 - gw0))" "$((ns1 - ns0))" "$(getconf CLK_TCK)" \
        "$(nproc)" "${tool% *}" "$U" "$SERVER" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
gw, ns, hz, cores, locust, users, server = (float(x) if i < 5 else x for i, x in enumerate(sys.argv[2:]))
n = d["acked"] or 1
client = d["cost"]["loadgen_cpu_s"] * 1e6 / n
gw, ns = gw / hz * 1e6 / n, ns / hz * 1e6 / n
total = client + gw + ns
print("%6s users: CPU a request %.1f us (client %.1f, %s %.1f, nats-server %.1f): %d cores busy at that cost "
      "carry about %.0f/s; 12 x Locust is %.0f/s" % (users, total, client, server, gw, ns, cores, cores * 1e6 / total,
                                                     12 * locust))
PY
)")
}

# utime + stime of process $1 in clock ticks (0 without one)
cpu_ticks() {
    [ -n "$1" ] && [ -r "/proc/$1/stat" ] || { echo 0; return; }
    awk '{print $14 + $15}' "/proc/$1/stat"
}
NATS_PID=$(ss -ltnpH 'sport = :4222' 2>/dev/null | sed -n 's/.*pid=\([0-9]*\).*/\1/p' | head -n 1)
COSTS=()

printf '%6s %11s %9s %9s %12s %8s %7s\n' users connections Locust failures outbreak failed ratio
for U in $USERS; do
    level "$U" "${BENCH_CONNECTIONS:-$U}"
done
if [ "$SERVER" = gateway ]; then
    echo "outbreak's runs (CPU of each process over the run, per acknowledged request):"
    printf '%s\n' "${COSTS[@]}"
fi
