# workers_split.sh — how scale-out splits the load (docs/scale-out.md), with the index
# given (--worker, --worker-slot, JOB_COMPLETION_INDEX) rather than claimed:
#   - `--once` with a records file over 3 workers: each record sent by exactly one worker:
#     MongoDB holds the file's records, each once, the five fields unchanged;
#   - the closed model, -u 9 over 3 workers: 3 users each, 9 in the merged series;
#   - --start-at: the workers start at the wall-clock second given.
source "$(dirname "$0")/lib.sh"
require_servers

url="$NATS_URL?jetstream=1&stream=OBITS2_$$&subject=obit.s2.$$&durable=obit-s2-$$"
start_sink "$url" "$WORK/sink.log"
records="$OB_SOURCE_DIR/examples/traffic.json"

# ---- --once with a records file: one worker per record --------------------------------
id="split-once-$$"
"$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" --run-id "$id" --workers 3 \
    --worker 0 --records "$records" --once --rate 2000 >"$WORK/o0.log" 2>&1 &
p0=$!
"$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" --run-id "$id" --workers 3 \
    --worker-slot 2 --records "$records" --once --rate 2000 >"$WORK/o1.log" 2>&1 &
p1=$!
JOB_COMPLETION_INDEX=2 "$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" \
    --run-id "$id" --workers 3 --records "$records" --once --rate 2000 >"$WORK/o2.log" 2>&1 &
p2=$!
for p in $p0 $p1 $p2; do
    wait "$p"
    rc=$?
    check "a --once worker exits 0 (got $rc)" test "$rc" -eq 0
done
"$OUTBREAK" merge --run "$id" --mongo "$MONGO_URL" --json "$WORK/once.json" >"$WORK/once.log" 2>&1
check "the merge of the --once run exits 0" test $? -eq 0
grep -E '^delivery' "$WORK/once.log"
check "merged sent = acked = persisted = the file's 1000 records" \
    test "$(json "$WORK/once.json" '[d["sent"], d["acked"], d["persisted"], d["lost"]]')" = "[1000, 1000, 1000, 0]"
check "the workers sent 334, 333 and 333 (records i, i+3, ...)" \
    test "$(json "$WORK/once.json" '[w["sent"] for w in d["workers"]["list"]]')" = "[334, 333, 333]"
out=$($MONGO_TOOL samefields 127.0.0.1 27017 "$MONGO_DB" "$id" "$records")
check "MongoDB holds the file's records, each once, five fields unchanged ($out)" test "$out" = "ok 1000"

# ---- the closed model, and --start-at ---------------------------------------------------
id="split-users-$$"
at=$(( $(date +%s) + 4 ))
for i in 0 1 2; do
    "$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" --run-id "$id" --workers 3 \
        --worker "$i" -u 9 -r 100 --wait 0.05-0.1 -t 4s --start-at "$at" --json "$WORK/u$i.json" \
        >"$WORK/u$i.log" 2>&1 &
    eval "q$i=\$!"
done
for i in 0 1 2; do
    wait "$(eval echo "\$q$i")"
    rc=$?
    check "a closed-model worker exits 0 (got $rc)" test "$rc" -eq 0
done
"$OUTBREAK" merge --run "$id" --mongo "$MONGO_URL" --json "$WORK/users.json" >"$WORK/users.log" 2>&1
check "the merge of the closed-model run exits 0" test $? -eq 0
grep -E '^(load|delivery)' "$WORK/users.log"
for i in 0 1 2; do
    check "worker $i ran 3 users (its series' most: $(json "$WORK/u$i.json" 'max(p["users"] for p in d["series"])'))" \
        test "$(json "$WORK/u$i.json" 'max(p["users"] for p in d["series"])')" = 3
    check "worker $i started at --start-at ($at, its t0 $(json "$WORK/u$i.json" 'd["started_at_ns"] // 10**9' 2>/dev/null))" \
        test "$(json "$WORK/u$i.json" 'd["started_at_ns"] // 10**9')" = "$at"
done
check "the merged series has 9 users from its second second on" \
    test "$(json "$WORK/users.json" 'sorted(set(p["users"] for p in d["series"] if 2 <= p["t"] <= 4))')" = "[9]"
check "the merged load says 9 users" test "$(json "$WORK/users.json" 'd["load"]["users"]')" = 9
check "merged lost 0, persisted = acked" \
    test "$(json "$WORK/users.json" 'd["lost"] == 0 and d["persisted"] == d["acked"] > 0')" = True
finish
