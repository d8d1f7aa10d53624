# iterations.sh — `outbreak run -i N` (k6's --iterations, nats bench's --msgs): exactly N
# records in all, then the run ends, its duration and last point the last worker's end,
# through real NATS (core at full speed), JetStream with a sink and MongoDB (paced, over
# three threads), the closed model, two workers merged, after a warm-up (N measured
# records), with -t coming first (the time's records, the duration -t's), compare, and the
# misuses.
source "$(dirname "$0")/lib.sh"
require_servers

url="$NATS_URL?jetstream=1&stream=OBITER_$$&subject=obiter.$$&durable=obiter-$$"
start_sink "$url" "$WORK/sink.log"

"$OUTBREAK" run --headless --only-summary --broker "$NATS_URL?subject=obiter.core.$$" -i 100k --rate max \
    --json "$WORK/core.json" >"$WORK/core.log" 2>&1
check "core NATS, -i 100k at full speed: exit 0" test $? = 0
got=$(json "$WORK/core.json" '"%d|%d|%d|%s" % (d["sent"], d["acked"], d["load"]["iterations"], d["duration_s"] < 5)')
check "100 000 sent and acked, no more, well before any time limit ($got)" test "$got" = "100000|100000|100000|True"
check "the summary says it" grep -q '^iterations   100000 records in all (-i), then stop: 100000 sent$' "$WORK/core.log"
got=$(json "$WORK/core.json" '"%.3f|%.3f" % (d["series"][-1]["t"], d["duration_s"])')
check "the series' last point is at the run's end, the last worker's, not up to a look (50 ms) after it (t|duration: $got)" \
    python3 -c "import sys; t, dur = map(float, sys.argv[1].split('|')); sys.exit(not abs(t - dur) <= 0.002)" "$got"

id="it-$$-$(date +%s)"
"$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" -i 1001 --rate 1000 --threads 3 \
    --run-id "$id" --json "$WORK/js.json" >"$WORK/js.log" 2>&1
check_delivered $? "$WORK/js.json" "$id" 1001
got=$(json "$WORK/js.json" '"%.1f|%s" % (d["duration_s"], d["rate_kept"])')
check "1 001 records at 1 000/s over three threads: 1.0 s, the rate kept ($got)" test "$got" = "1.0|True"

id2="it2-$$-$(date +%s)"
"$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" -i 50 -u 4 -r 100 --wait 0.01-0.02 \
    --run-id "$id2" --json "$WORK/closed.json" >"$WORK/closed.log" 2>&1
check_delivered $? "$WORK/closed.json" "$id2" 50

id3="it3-$$-$(date +%s)"
"$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" -i 300 --rate 200 -t 1s \
    --run-id "$id3" --json "$WORK/timed.json" >"$WORK/timed.log" 2>&1
check_delivered $? "$WORK/timed.json" "$id3" 200
check "-t before -i: 200 records over -t's 1 s" test "$(json "$WORK/timed.json" '"%g" % d["duration_s"]')" = 1

id4="it4-$$-$(date +%s)"
"$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" -i 200 --rate 400 --warmup 1s \
    --run-id "$id4" --json "$WORK/warm.json" >"$WORK/warm.log" 2>&1
check_delivered $? "$WORK/warm.json" "$id4" 200
got=$(json "$WORK/warm.json" '"%d|%d|%.1f" % (d["warmup"]["sent"], d["warmup"]["persisted_by_end"], d["duration_s"])')
check "after a 1 s warm-up of 400 records, 200 measured in 0.5 s ($got)" test "$got" = "400|400|0.5"

id5="it5-$$-$(date +%s)"
run_workers 2 w --broker "$url" --mongo "$MONGO_URL" --run-id "$id5" -i 1001 --rate 1000
check "two workers with -i 1001: exit 0 (got $WORKERS_RC)" test "$WORKERS_RC" -eq 0
got=$(python3 -c "import json; print(sorted(json.load(open('$WORK/w%d.json' % i))['sent'] for i in (0, 1)))")
check "the workers split the 1 001 records: 500 and 501 ($got)" test "$got" = "[500, 501]"
"$OUTBREAK" merge --run "$id5" --mongo "$MONGO_URL" --json "$WORK/merged.json" >"$WORK/merge.log" 2>&1
got=$(json "$WORK/merged.json" '"%d|%d|%d|%d" % (d["sent"], d["persisted"], d["lost"], d["load"]["iterations"])')
check "merged: 1 001 sent and persisted, none lost ($got)" test "$got" = "1001|1001|0|1001"

timeout 300 "$OUTBREAK" compare --brokers nats --url "nats=$NATS_URL?subject=obiter.cmp.$$" -i 500 --rate 1000 \
    --mongo "$MONGO_URL" --out "$WORK/cmp" >"$WORK/cmp.log" 2>&1
check "compare -i 500: exit 0" test $? = 0
got=$(json "$WORK/cmp/results.json" '"%d|%d|%s" % (d["params"]["workload"]["iterations"], d["results"][0]["sent"], d["params"]["workload"]["run_time_s"])')
check "compare -i 500: the workload says it, 500 sent, no -t added ($got)" test "$got" = "500|500|None"

for bad in "-i 0" "-i 1.5" "-i 10 --once" "--iterations x"; do
    # shellcheck disable=SC2086
    "$OUTBREAK" run --headless $bad >"$WORK/bad.out" 2>"$WORK/bad.err"
    rc=$?
    check "run $bad: exit 2, one line ($(cat "$WORK/bad.err"))" \
        sh -c "test $rc = 2 && test \$(wc -l <'$WORK/bad.err') = 1 && grep -q -- '--iterations' '$WORK/bad.err'"
done
finish
