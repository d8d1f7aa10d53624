#!/usr/bin/env bash
# bench/gateway.sh — `outbreak gateway` against a reference HTTP→NATS publisher in Go
# (bench/gateway_ref: net/http + nats.go, one kept connection, 200 after the flush or
# the PubAck), both on the same NATS and subject, each driven in turn by wrk at full
# speed with the same POST (one record with outbreak's metadata, through wrk's Lua hook),
# the same connections and time, outbreak first. For each server: requests/s (wrk) and
# the server's CPU per request (utime+stime of /proc/PID/stat over the run / requests).
# Prints per mode the ratios outbreak / Go for requests/s and Go / outbreak for CPU per
# request (> 1: outbreak cheaper); the goal: >= 1.0 requests/s at lower CPU per request.
#
# BENCH_MODE (core | jetstream | both, default both), BENCH_CONNECTIONS (64),
# BENCH_TIME (10s), BENCH_WRK_THREADS (1), BENCH_GW_LOOP (the gateway's --event-loop, own,
# poll or epoll; unset: its default, own with one thread), BENCH_GW_THREADS (the gateway's --threads;
# unset: its default), BENCH_REF_FLUSH (the reference's core NATS flush: shared, one
# flusher goroutine for the requests published before its PING, or each, one
# nc.FlushTimeout per request; default shared), BENCH_GW_PERF=1 (also `perf record -g`
# the gateway during its runs, into out/bench/gateway-MODE.perf.data: that costs CPU,
# so the figures of such a run are not for comparing), BENCH_BODY (meta: the record with
# outbreak's metadata, kept as it is by the gateway, as `outbreak run --broker http://`
# sends it; plain: the five fields alone, as Locust or curl send them, which the gateway
# stamps and the reference publishes unchanged; default meta), BENCH_GW_QUERY (options
# added to the gateway's core NATS URL, `&io=threads` for cnats' threads instead of its
# own loop on the socket; default none).
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/deps" wrk
MODE=${BENCH_MODE:-both}
C=${BENCH_CONNECTIONS:-64}
D=${BENCH_TIME:-10s}
T=${BENCH_WRK_THREADS:-1}
FLUSH=${BENCH_REF_FLUSH:-shared}
NATS_URL=nats://127.0.0.1:4222
STREAM=OBGWBENCH
case $MODE in core | jetstream | both) ;; *) echo "bench: BENCH_MODE is core, jetstream or both" >&2; exit 2 ;; esac
[ $((C % T)) -eq 0 ] || { echo "bench: BENCH_CONNECTIONS must be a multiple of BENCH_WRK_THREADS" >&2; exit 2; }

# The reference, built into out/bench/ when missing or older than its sources.
REF=$OUT/gateway_ref
SRC=$ROOT/bench/gateway_ref
if [ ! -x "$REF" ] || [ -n "$(find "$SRC" -newer "$REF" -type f)" ]; then
    command -v go >/dev/null 2>&1 || { echo "bench: no Go toolchain (go) to build $SRC" >&2; exit 1; }
    echo "building $REF ($(go version | cut -d' ' -f3))" >&2
    (cd "$SRC" && GOFLAGS="${GOFLAGS:-} -buildvcs=false" go build -o "$REF.tmp" .) && mv -f "$REF.tmp" "$REF"
fi

# one record: the first of traffic.json, with outbreak's metadata (BENCH_BODY=meta) or not
case ${BENCH_BODY:-meta} in meta | plain) ;; *) echo "bench: BENCH_BODY is meta or plain" >&2; exit 2 ;; esac
BODY=$(python3 -c '
import json, sys, time
r = json.load(open(sys.argv[1]))[0]
if sys.argv[2] == "meta":
    r.update(run="20261201T000000-abcd", producer=257, seq=123456, sent_ns=time.time_ns())
print(json.dumps(r, separators=(",", ":")))' "$ROOT/examples/traffic.json" "${BENCH_BODY:-meta}")
python3 -c 'import json, sys
print("wrk.method = \"POST\"\nwrk.body = %s\nwrk.headers[\"Content-Type\"] = \"application/json\"" % json.dumps(sys.argv[1]))' \
    "$BODY" >"$OUT/gateway-post.lua"

SRV=
cleanup() {
    if [ -n "$SRV" ]; then kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; fi
    "$REF" -nats "$NATS_URL" -delete-stream "$STREAM" >/dev/null 2>&1 || true
}
trap cleanup EXIT

# start_server LOG PATTERN CMD... — CMD in the background, its output in LOG; waits for
# its start line (PATTERN: a sed expression printing the port); sets SRV and PORT.
start_server() {
    local log=$1 pattern=$2
    shift 2
    "$@" >"$log" 2>&1 &
    SRV=$!
    PORT=
    for _ in $(seq 150); do
        PORT=$(sed -n "$pattern" "$log")
        [ -n "$PORT" ] && return 0
        kill -0 "$SRV" 2>/dev/null || break
        sleep 0.1
    done
    cat "$log" >&2
    echo "bench: $1 did not start" >&2
    exit 1
}

stop_server() {
    kill -TERM "$SRV"
    wait "$SRV" || true
    SRV=
}

# CPU seconds (user + system, all threads) of process $1 so far
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); print ($12 + $13) / hz }' "/proc/$1/stat"; }

# drive LABEL — wrk against 127.0.0.1:$PORT, CPU of $SRV around it; sets RPS, US (CPU
# µs per request), NON2XX, ERRS, P50, P99.
drive() {
    local label=$1 c0 c1 perf=
    [ "$(readlink "/proc/$SRV/exe")" != /bin/bash ] || { echo "bench: $SRV is a shell, not the server" >&2; exit 1; }
    if [ "${BENCH_GW_PERF:-0}" = 1 ] && [[ $label == outbreak-* ]] && [[ $D =~ ^([0-9]+)s$ ]]; then
        perf record -q -F 999 -g -p "$SRV" -o "$OUT/gateway-${label#outbreak-}.perf.data" -- sleep "${BASH_REMATCH[1]}" \
            >/dev/null 2>&1 &
        perf=$!
    fi
    c0=$(cpu_s "$SRV")
    wrk -t "$T" -c "$C" -d "$D" --latency -s "$OUT/gateway-post.lua" "http://127.0.0.1:$PORT/" \
        >"$OUT/wrk-gateway-$label.txt" 2>&1
    c1=$(cpu_s "$SRV")
    [ -z "$perf" ] || wait "$perf" || true
    local f=$OUT/wrk-gateway-$label.txt n
    RPS=$(awk '/^Requests\/sec:/ {print $2}' "$f")
    n=$(awk '/ requests in / {print $1}' "$f")
    NON2XX=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$f")
    NON2XX=${NON2XX:-0}
    ERRS=$(sed -n 's/^ *Socket errors: *//p' "$f")
    ERRS=${ERRS:-none}
    P50=$(awk '$1 == "50%" {print $2}' "$f")
    P99=$(awk '$1 == "99%" {print $2}' "$f")
    US=$(python3 -c "print('%.1f' % (($c1 - $c0) * 1e6 / max($n, 1)))")
    [ -n "$RPS" ] || { cat "$f" >&2; exit 1; }
}

GW_PATTERN='s/^gateway: listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p'
REF_PATTERN='s/^gateway_ref: listening on 127\.0\.0\.1:\([0-9]*\),.*/\1/p'
GW_FLAGS=(--id bench-gw -q)
[ -z "${BENCH_GW_THREADS:-}" ] || GW_FLAGS+=(--threads "$BENCH_GW_THREADS")
[ -z "${BENCH_GW_LOOP:-}" ] || GW_FLAGS+=(--event-loop "$BENCH_GW_LOOP")

# run MODE GATEWAY_URL REF_FLAGS... — both servers in turn, then the figures.
run() {
    local mode=$1 url=$2
    shift 2
    local gw_rps gw_us gw_bad gw_lat ref_rps ref_us ref_bad ref_lat

    [ "$mode" = core ] || "$REF" -nats "$NATS_URL" -delete-stream "$STREAM"
    start_server "$OUT/gateway-$mode.txt" "$GW_PATTERN" \
        "$OUTBREAK" gateway --listen 127.0.0.1:0 --broker "$url" "${GW_FLAGS[@]}" --json "$OUT/gateway-$mode.json"
    drive "outbreak-$mode"
    gw_rps=$RPS gw_us=$US gw_bad="non-2xx $NON2XX, socket errors $ERRS" gw_lat="p50 $P50, p99 $P99"
    stop_server

    [ "$mode" = core ] || "$REF" -nats "$NATS_URL" -delete-stream "$STREAM"
    start_server "$OUT/gateway-ref-$mode.txt" "$REF_PATTERN" \
        "$REF" -listen 127.0.0.1:0 -nats "$NATS_URL" "$@"
    drive "ref-$mode"
    ref_rps=$RPS ref_us=$US ref_bad="non-2xx $NON2XX, socket errors $ERRS" ref_lat="p50 $P50, p99 $P99"
    stop_server
    [ "$mode" = core ] || "$REF" -nats "$NATS_URL" -delete-stream "$STREAM"

    printf '%-28s%10s requests/s %7s µs CPU/request  (%s; %s)\n' \
        "outbreak gateway:" "$gw_rps" "$gw_us" "$gw_bad" "$gw_lat"
    printf '%-28s%10s requests/s %7s µs CPU/request  (%s; %s)\n' \
        "Go net/http + nats.go:" "$ref_rps" "$ref_us" "$ref_bad" "$ref_lat"
    local rr cr
    rr=$(ratio "$gw_rps" "$ref_rps")
    cr=$(ratio "$ref_us" "$gw_us")
    printf '%-28s%s\n' "ratio requests/s:" "$rr (outbreak / Go)"
    printf '%-28s%s\n' "ratio CPU/request:" "$cr (Go / outbreak: > 1, outbreak cheaper)"
    if python3 -c "import sys; sys.exit(not ($rr >= 1.0 and $cr > 1.0))"; then
        printf '%-28s%s\n' "goal:" "met"
    else
        printf '%-28s%s\n' "goal:" "not met (>= 1.0 requests/s at lower CPU per request)"
    fi
}

echo "POST body: ${#BODY} bytes (${BENCH_BODY:-meta}); wrk -t$T -c$C -d$D; gateway --threads ${BENCH_GW_THREADS:-default} --event-loop ${BENCH_GW_LOOP:-default};" \
    "reference flush: $FLUSH"
if [ "$MODE" != jetstream ]; then
    echo "== core NATS: 200 after a flush =="
    run core "$NATS_URL?subject=outbreak.bench.gw.core${BENCH_GW_QUERY:-}" -subject outbreak.bench.gw.core -flush "$FLUSH"
fi
if [ "$MODE" != core ]; then
    echo "== JetStream (stream $STREAM, file storage): 200 after the PubAck =="
    run jetstream "$NATS_URL?jetstream=1&stream=$STREAM&subject=outbreak.bench.gw.js" \
        -jetstream -stream "$STREAM" -subject outbreak.bench.gw.js
fi
