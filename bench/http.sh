#!/usr/bin/env bash
# bench/http.sh — outbreak run's HTTP load mode against wrk, the fast reference HTTP
# client, on the same server: nginx of scripts/stack's lb answering /nginx-200 itself
# (`return 200`), so that the clients are measured, not a gateway. Same threads, same
# keep-alive connections, the same POST body (one encoded record with outbreak's
# metadata, through wrk's Lua hook), full speed, one run each; prints the ratio
# outbreak / wrk (goal: >= 0.9). BENCH_THREADS (1), BENCH_CONNECTIONS (8, in all),
# BENCH_TIME (10s). outbreak's in-flight window is 8 records per connection: records
# beyond the connections only wait in the adapter's queue, and a deep queue (the default
# 65536) measured slower here and would be drained after the timed part.
source "$(dirname "$0")/lib.sh"
"$ROOT/scripts/stack" up lb >/dev/null
"$ROOT/scripts/deps" wrk
T=${BENCH_THREADS:-1}
C=${BENCH_CONNECTIONS:-8}
D=${BENCH_TIME:-10s}
URL=http://127.0.0.1:8000/nginx-200
[ $((C % T)) -eq 0 ] || { echo "bench: BENCH_CONNECTIONS must be a multiple of BENCH_THREADS" >&2; exit 2; }

# one record as outbreak sends it: the first of traffic.json with its metadata
BODY=$(python3 -c '
import json, sys, time
r = json.load(open(sys.argv[1]))[0]
r.update(run="20261201T000000-abcd", producer=257, seq=123456, sent_ns=time.time_ns())
print(json.dumps(r, separators=(",", ":")))' "$ROOT/examples/traffic.json")
python3 -c 'import json, sys
print("wrk.method = \"POST\"\nwrk.body = %s\nwrk.headers[\"Content-Type\"] = \"application/json\"" % json.dumps(sys.argv[1]))' \
    "$BODY" >"$OUT/http-post.lua"
echo "POST body: ${#BODY} bytes; $T thread(s), $C connections, $D each"

wrk -t "$T" -c "$C" -d "$D" -s "$OUT/http-post.lua" "$URL" >"$OUT/wrk-http.txt" 2>&1
tool=$(awk '/^Requests\/sec:/ {print $2}' "$OUT/wrk-http.txt")
"$OUTBREAK" run --headless --broker "$URL" --connections "$C" --threads "$T" --rate max --max-inflight $((C / T * 8)) \
    -t "$D" --only-summary --json "$OUT/outbreak-http.json" >"$OUT/outbreak-http.txt" 2>&1 || true
ours=$(json "$OUT/outbreak-http.json" 'd["throughput"]["acked_per_s"]')
failed=$(json "$OUT/outbreak-http.json" 'd["failed"]')
printf '%-34s%s requests/s\n' "wrk -t$T -c$C (POST):" "$tool"
printf '%-34s%s records/s (failed %s)\n' "outbreak run --threads $T (HTTP):" "$ours" "$failed"
printf '%-34s%s\n' "ratio:" "$(ratio "$ours" "$tool")"
