#!/usr/bin/env bash
# bench/grpc.sh — outbreak run's unary gRPC mode against ghz, the field's gRPC
# benchmarking tool, on the same server: `outbreak sink --broker grpc://...`, which
# answers each call after the record's MongoDB insert. Same method
# (infected.InfectedService/Infected from proto/infected.proto), same concurrency (calls
# in flight: ghz -c, outbreak ?inflight=) and connection count (ghz --connections,
# outbreak ?channels=), same duration, one run each, each against a sink of its own
# started on a fresh database (dropped after). Prints calls/s of both, the ratio
# outbreak / ghz (goal: >= 1.0) and the latency percentiles side by side, and checks
# that MongoDB holds what each tool had answered. Then the streaming mode's records/s
# (?mode=stream, InfectedStream with stream_batch records per call, a few calls in
# flight).
#
# ghz sends one record with outbreak's metadata, seq made unique per call by its
# template ({{.RequestNumber}}; ghz reads the data as JSON before it fills the template in,
# so the numbers go in as strings, which protobuf's JSON mapping takes for int64), sent_ns
# the time of the call ({{.TimestampUnixNano}}), so its records are stored like outbreak's
# and none is a duplicate. ghz's rate is its calls answered OK over its total time (calls
# still in flight when -z ends are cancelled: not counted); outbreak's is acked per
# second of sending (acked_per_s).
# Both latencies run from the call to its response: ghz per call, outbreak's
# uncorrected publish latency (under --rate max the same as the corrected one).
# Both run under /usr/bin/time (lib.sh's timed): each tool's CPU (user + system of its
# own process; the sink's is not counted) per call and the ratio outbreak / ghz (issue 19:
# <= 1.0). outbreak's includes its MongoDB client (the persisted count at the end).
source "$(dirname "$0")/lib.sh"
GHZ=$("$ROOT/scripts/tools" ghz)
MONGO_TOOL="python3 $ROOT/tests/integration/mongo_tool.py"
PORT=${BENCH_GRPC_PORT:-50151}
ADDR=127.0.0.1:$PORT
C=${BENCH_GRPC_CONCURRENCY:-64}
K=${BENCH_GRPC_CONNECTIONS:-1}
TIME=${BENCH_TIME:-10s}
BATCH=${BENCH_GRPC_STREAM_BATCH:-1000}
# streaming calls in flight: each carries BATCH records and is answered after all of them
# are inserted, so 64 of them (64 000 records) would wait longer than the 5 s deadline
SINFLIGHT=${BENCH_GRPC_STREAM_INFLIGHT:-4}

SINK_PID=
DBS=()
cleanup() {
    stop_sink
    local db
    for db in ${DBS[@]+"${DBS[@]}"}; do
        $MONGO_TOOL dropdb 127.0.0.1 27017 "$db" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT

# start_sink LABEL: the gRPC server on $ADDR with a fresh database obbench_grpc_LABEL_$$
# (in $DB); waits until it listens.
start_sink() {
    DB=obbench_grpc_$1_$$
    DBS+=("$DB")
    $MONGO_TOOL dropdb 127.0.0.1 27017 "$DB" >/dev/null 2>&1 || true
    "$OUTBREAK" sink --broker "grpc://$ADDR" --mongo "mongodb://127.0.0.1:27017/$DB" \
        >"$OUT/grpc-sink-$1.txt" 2>&1 &
    SINK_PID=$!
    local _
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0
        kill -0 "$SINK_PID" 2>/dev/null || break
        sleep 0.1
    done
    cat "$OUT/grpc-sink-$1.txt" >&2
    echo "bench: the sink does not listen on $ADDR" >&2
    exit 1
}
stop_sink() {
    if [ -n "$SINK_PID" ]; then
        kill "$SINK_PID" 2>/dev/null || true
        wait "$SINK_PID" 2>/dev/null || true
        SINK_PID=
    fi
}

echo "== gRPC unary, $C calls in flight over $K connection(s), $TIME each, server: outbreak sink -> MongoDB =="

# --- ghz ------------------------------------------------------------------------------------
GHZ_RUN=ghz-$$
DATA='{"infected":{"name":"Urban Beldum","location":"Escuintla","age":4,"infectedtype":"non-imported","state":"symptomatic","run":"'$GHZ_RUN'","producer":1,"seq":"{{.RequestNumber}}","sentNs":"{{.TimestampUnixNano}}"}}'
start_sink ghz
echo "ghz --insecure --proto proto/infected.proto --call infected.InfectedService/Infected" \
    "-c $C --connections $K -z $TIME -d '$DATA' -O json $ADDR" >"$OUT/ghz-grpc.cmd"
timed "$OUT/ghz-grpc.cpu" \
    "$GHZ" --insecure --import-paths "$ROOT/proto" --proto "$ROOT/proto/infected.proto" \
    --call infected.InfectedService/Infected -c "$C" --connections "$K" -z "$TIME" \
    -d "$DATA" -O json -o "$OUT/ghz-grpc.json" "$ADDR" 2>"$OUT/ghz-grpc.err" || true
sleep 1
GHZ_STORED=$($MONGO_TOOL count 127.0.0.1 27017 "$DB" records "$GHZ_RUN")
stop_sink

# --- outbreak run, unary --------------------------------------------------------------------
start_sink unary
timed "$OUT/outbreak-grpc-unary.cpu" \
    "$OUTBREAK" run --headless --broker "grpc://$ADDR?inflight=$C&channels=$K" --mongo "mongodb://127.0.0.1:27017/$DB" \
    --rate max -t "$TIME" --only-summary --json "$OUT/outbreak-grpc-unary.json" \
    >"$OUT/outbreak-grpc-unary.txt" 2>&1 || true
stop_sink

python3 - "$OUT/ghz-grpc.json" "$OUT/outbreak-grpc-unary.json" "$GHZ_STORED" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))
d = json.load(open(sys.argv[2]))
stored = int(sys.argv[3])
codes = g.get("statusCodeDistribution") or {}
ok = codes.get("OK", 0)
ghz_rate = ok / (g["total"] / 1e9)
ours = d["throughput"]["acked_per_s"]
print("%-28s%.0f calls/s (%d OK of %d calls in %.2f s, %s; %d stored in MongoDB)"
      % ("ghz:", ghz_rate, ok, g["count"], g["total"] / 1e9, codes, stored))
print("%-28s%.0f calls/s (%d acked, %d failed in %.1f s; persisted %s, lost %s)"
      % ("outbreak run (unary):", ours, d["acked"], d["failed"], d["duration_s"],
         d["persisted"], d["lost"]))
print("%-28s%.2f" % ("ratio grpc unary:", ours / ghz_rate))
warn = []
if ok < 0.99 * g["count"]:
    warn.append("ghz: status codes %s, errors %s" % (codes, g.get("errorDistribution")))
if stored < ok:
    warn.append("ghz: %d OK but %d stored" % (ok, stored))
if d["failed"] or d["lost"]:
    warn.append("outbreak: failed %s, lost %s" % (d["failed"], d["lost"]))
if warn:
    print("WARNING: %s: figures not comparable, run again" % "; ".join(warn), file=sys.stderr)
gl = {int(p["percentage"]): p["latency"] / 1e6 for p in g.get("latencyDistribution") or []}
lat = d["publish_latency_uncorrected_ms"]
rows = [("avg", g["average"] / 1e6, lat.get("mean")), ("p50", gl.get(50), lat.get("p50")),
        ("p75", gl.get(75), lat.get("p75")), ("p90", gl.get(90), lat.get("p90")),
        ("p95", gl.get(95), lat.get("p95")), ("p99", gl.get(99), lat.get("p99")),
        ("max", g["slowest"] / 1e6, lat.get("max"))]
fmt = lambda v: "-" if v is None else "%.2f" % v
print("latency call -> response (ms)    ghz   outbreak")
for k, a, b in rows:
    print("  %-26s%9s %10s" % (k, fmt(a), fmt(b)))
EOF
# CPU per call, both under /usr/bin/time (the tool's process; the sink's is not counted);
# ghz's calls: all it made (OK or not), outbreak's: acked
cpu_report grpc-unary ghz "$(cpu_secs "$OUT/outbreak-grpc-unary.cpu")" "$(json "$OUT/outbreak-grpc-unary.json" 'd["acked"]')" \
    "$(cpu_secs "$OUT/ghz-grpc.cpu")" "$(json "$OUT/ghz-grpc.json" 'd["count"]')" \
    "$(ratio "$(json "$OUT/outbreak-grpc-unary.json" 'd["throughput"]["acked_per_s"]')" \
        "$(json "$OUT/ghz-grpc.json" '(d.get("statusCodeDistribution") or {}).get("OK", 0) / (d["total"] / 1e9)')")"

# --- outbreak run, streaming ----------------------------------------------------------------
echo "== gRPC client streaming (InfectedStream), $BATCH records per call, $SINFLIGHT calls in flight over $K connection(s), $TIME =="
start_sink stream
"$OUTBREAK" run --headless --broker "grpc://$ADDR?mode=stream&stream_batch=$BATCH&inflight=$SINFLIGHT&channels=$K" \
    --mongo "mongodb://127.0.0.1:27017/$DB" --rate max -t "$TIME" --only-summary \
    --json "$OUT/outbreak-grpc-stream.json" >"$OUT/outbreak-grpc-stream.txt" 2>&1 || true
stop_sink
python3 - "$OUT/outbreak-grpc-stream.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
lat = d["publish_latency_uncorrected_ms"]
print("%-28s%.0f records/s (%d acked, %d failed in %.1f s; persisted %s, lost %s)"
      % ("outbreak run (stream):", d["throughput"]["acked_per_s"], d["acked"], d["failed"],
         d["duration_s"], d["persisted"], d["lost"]))
print("  publish latency (ms): p50 %s, p90 %s, p99 %s, max %s"
      % tuple("-" if lat.get(k) is None else "%.1f" % lat[k] for k in ("p50", "p90", "p99", "max")))
if d["failed"] or d["lost"]:
    print("WARNING: failed %s, lost %s" % (d["failed"], d["lost"]), file=sys.stderr)
EOF
