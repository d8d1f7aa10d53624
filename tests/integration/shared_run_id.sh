# shared_run_id.sh — two `outbreak run` processes at the same time with one --run-id
# (scale-out's way) into one sink: their producer ids differ in the process part
# (producer = process << 8 | worker), so no record of one takes the _id of a record of
# the other. Each process checks its own records: persisted = its own acked, lost 0,
# unconfirmed 0; MongoDB holds the sum of both runs' acked, no duplicates. The end-to-end
# histogram, which the sinks keep per run id, is the run's: each summary says so.
source "$(dirname "$0")/lib.sh"
require_servers

url="$NATS_URL?jetstream=1&stream=OBITS_$$&subject=obit.s.$$&durable=obit-s-$$"
start_sink "$url" "$WORK/sink.log"
id="shared-$$"
for i in 1 2; do
    "$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 4000 --pool 10000 --once --threads 2 \
        --headless --only-summary --run-id "$id" --json "$WORK/p$i.json" >"$WORK/p$i.log" 2>&1 &
    eval "run$i=\$!"
done
wait "$run1"; rc1=$?
wait "$run2"; rc2=$?
total=0
for i in 1 2; do
    f="$WORK/p$i.json"
    rc=$(eval echo "\$rc$i")
    grep -E '^delivery' "$WORK/p$i.log"
    acked=$(json "$f" 'd["acked"]')
    total=$((total + acked))
    check "process $i exits 0 (got $rc)" test "$rc" -eq 0
    check "process $i: acked 10000, persisted = its own acked, duplicates 0, lost 0, unconfirmed 0" \
        test "$(json "$f" '[d[k] for k in ("acked","persisted","duplicates","lost","unconfirmed")]')" \
        = "[10000, 10000, 0, 0, 0]"
    # the sinks keep one end-to-end histogram per run id: each process's summary says it is
    # the run's, over more records than its own (the other one ran at the same time)
    read -r scope e2e_n < <(json "$f" '"%s %s" % (d["e2e_scope"], d["e2e_latency_ms"]["count"])')
    check "process $i: its end-to-end is the run's (e2e_scope $scope), over $e2e_n > its own 10000 records" \
        test "$scope" = run -a "$e2e_n" -gt 10000
    check "process $i: the console says so" grep -q "end-to-end is the run's: over the $e2e_n records" "$WORK/p$i.log"
done
p1=$(json "$WORK/p1.json" 'd["process"]')
p2=$(json "$WORK/p2.json" 'd["process"]')
echo "process parts: $p1 and $p2"
check "the two processes drew different process parts" test "$p1" != "$p2"
count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
check "MongoDB holds $count documents of the run = $total, the sum of both processes' acked" test "$count" = "$total"
$MONGO_TOOL producers 127.0.0.1 27017 "$MONGO_DB" "$id" >"$WORK/producers.txt"
cat "$WORK/producers.txt"
want=$(python3 -c "print('\n'.join('%d 5000' % (p << 8 | w) for p in sorted([$p1, $p2]) for w in (1, 2)))")
check "four producers (2 processes x 2 workers: process << 8 | worker), 5000 records each" \
    test "$(cat "$WORK/producers.txt")" = "$want"
finish
