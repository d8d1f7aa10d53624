# drain_relay.sh — the end of a run through gateways (the HTTP load mode) waits for the
# sinks of every way behind them, as a direct run waits for its way's: a JetStream sink
# still working through an older backlog (200 000 records of another run, drained a few
# at a time with --batch 5) is progress, so a run whose records queue behind them waits
# longer than 10 s without one of its own persisted and ends with lost 0, persisted =
# acked, exit 0. (The wait used to look for sinks of a way named "http", found none, and
# after 10 s called the records behind the backlog lost.)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lib_gateway.sh"
require_servers

url="$NATS_URL?jetstream=1&stream=OBITRL_$$&subject=obit.rl.$$&durable=obit-rl-$$"
backlog=200000
make_backlog "$url" "$backlog"

"$OUTBREAK" sink --broker "$url" --mongo "$MONGO_URL" --batch 5 --linger 0 >"$WORK/sink.log" 2>&1 &
PIDS+=($!)
start_gateway js "$url" --run-id "gw-$$" || { finish; exit 1; }

id="relay-$$"
"$OUTBREAK" run --headless -H "http://127.0.0.1:$GW_PORT/" --mongo "$MONGO_URL" --rate 500 --pool 500 --once \
    --stop-timeout 150s --run-id "$id" --json "$WORK/b.json" >"$WORK/b.log" 2>&1
rc=$?
grep -E '^waiting|no progress|^delivery|^persisted ' "$WORK/b.log" | tail -6
waited=$(json "$WORK/b.json" 'round(d["throughput"]["persist_s"] - d["duration_s"], 1)')
echo "relay run: waited ${waited} s after sending for the sink to get to its records"
check "relay run exits 0 (got $rc)" test "$rc" -eq 0
check "relay run: persisted = acked = 500, lost 0, unconfirmed 0" \
    test "$(json "$WORK/b.json" '[d[k] for k in ("acked","persisted","lost","unconfirmed")]')" = "[500, 500, 0, 0]"
check "relay run: it waited longer than 10 s with none of its records persisted (${waited} s)" \
    python3 -c "import sys; sys.exit(0 if $waited > 10 else 1)"
check "relay run: the wait saw the sinks behind the gateway running" \
    grep -q '^waiting for the sinks: .* (1 sink of every way running' "$WORK/b.log"
check "relay run: MongoDB holds its 500 documents" \
    test "$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")" = 500
finish
