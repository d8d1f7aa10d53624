# drain_backlog.sh — lost is not pending: a sink still working through an older backlog
# (200 000 records of another run in the same JetStream consumer, drained at a few
# thousand records/s with --batch 5: 100 000 left the long run below under 10 s on a
# machine whose sink drained 4 500/s) keeps a run waiting. A run whose --stop-timeout
# (2 s) is too short for the backlog ends with its records `unconfirmed` (not lost) and
# exit status 3; a run with a long enough --stop-timeout waits — longer than 10 s
# without one of its own records persisted, the old no-progress cutoff that called them
# lost — and ends with lost 0, unconfirmed 0, exit 0. Each run says at its start how many
# records wait for the sinks' consumer before its own (backlog_at_start).
source "$(dirname "$0")/lib.sh"
require_servers

url="$NATS_URL?jetstream=1&stream=OBITBL_$$&subject=obit.bl.$$&durable=obit-bl-$$"
backlog=200000
make_backlog "$url" "$backlog"
# a run started before any sink made the consumer says what the consumer will deliver
# first: the stream's every record, in a line and as backlog_at_start
"$OUTBREAK" run --headless --broker "$url" --rate 100 --pool 5 --once --run-id "probe-$$" --only-summary \
    --json "$WORK/p.json" >"$WORK/p.log" 2>&1
got=$(json "$WORK/p.json" '"%s|%s" % (d["durability"]["backlog_at_start"], d["durability"]["consumer_origin"])')
check "a run says the backlog waiting for the sinks' consumer ($got)" test "$got" = "$backlog|not there at start"
check "... in a line at its start" grep -q "nats: $backlog records from before this run wait in stream OBITBL_$$" "$WORK/p.log"

"$OUTBREAK" sink --broker "$url" --mongo "$MONGO_URL" --batch 5 --linger 0 >"$WORK/sink.log" 2>&1 &
PIDS+=($!)

# (a) too short a wait: unconfirmed, exit 3
id="short-$$"
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 1000 --pool 1000 --once --stop-timeout 2s \
    --headless --only-summary --run-id "$id" --json "$WORK/b.json" --csv "$WORK/b" >"$WORK/b.log" 2>&1
rc=$?
grep -E '^delivery|^persisted ' "$WORK/b.log"
check "the backlog was still being worked on when the short run ended" \
    test "$($MONGO_TOOL sinkdone 127.0.0.1 27017 "$MONGO_DB" "backlog-$$" "$backlog")" = 0
check "short run exits 3, unconfirmed only (got $rc)" test "$rc" -eq 3
acked=$(json "$WORK/b.json" 'd["acked"]')
unconfirmed=$(json "$WORK/b.json" 'd["unconfirmed"]')
persisted=$(json "$WORK/b.json" 'd["persisted"]')
check "short run: acked 1000, lost 0" test "$acked" = 1000 -a "$(json "$WORK/b.json" 'd["lost"]')" = 0
got=$(json "$WORK/b.json" 'd["durability"]["backlog_at_start"]')
check "short run: it said the backlog the sink was working through (0 < $got <= $((backlog + 5)))" \
    test "$got" -gt 0 -a "$got" -le $((backlog + 5))
check "short run: its summary says so beside unconfirmed" \
    grep -q "^persisted .*; unconfirmed: .*; $got records from before the run waited for the sinks at its start" "$WORK/b.log"
check "short run: unconfirmed $unconfirmed > 0, = acked - persisted ($acked - $persisted)" \
    test "$unconfirmed" -gt 0 -a "$unconfirmed" -eq $((acked - persisted))
check "short run: the console says unconfirmed $unconfirmed" grep -q "lost 0  unconfirmed $unconfirmed\$" "$WORK/b.log"
check "short run: its persisted rate is over a wait that ended, not a drain" \
    grep -q "persisted [0-9.]*/s (over [0-9.]* s, until the wait ended, not drained)" "$WORK/b.log"
check "short run: the failures CSV has the unconfirmed records" \
    grep -q "^e2e,nats -> mongodb,\"unconfirmed: .*\",$unconfirmed\$" "$WORK/b_failures.csv"

# (b) a long enough wait: everything persisted once the sink got through the backlog
id="long-$$"
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 1000 --pool 1000 --once --stop-timeout 120s \
    --headless --run-id "$id" --json "$WORK/c.json" >"$WORK/c.log" 2>&1
rc=$?
grep -E '^waiting|no progress|^delivery|^persisted ' "$WORK/c.log" | tail -6
waited=$(json "$WORK/c.json" 'round(d["throughput"]["persist_s"] - d["duration_s"], 1)')
echo "long run: waited ${waited} s after sending for the sink to get to its records"
check "long run exits 0 (got $rc)" test "$rc" -eq 0
check "long run: its persisted rate is until drained" grep -q "(over [0-9.]* s, until drained)" "$WORK/c.log"
check "long run: persisted = acked = 1000, lost 0, unconfirmed 0" \
    test "$(json "$WORK/c.json" '[d[k] for k in ("acked","persisted","lost","unconfirmed")]')" = "[1000, 1000, 0, 0]"
check "long run: it waited longer than 10 s with none of its records persisted (${waited} s)" \
    python3 -c "import sys; sys.exit(0 if $waited > 10 else 1)"
check "long run: MongoDB holds its 1000 documents" \
    test "$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")" = 1000
finish
