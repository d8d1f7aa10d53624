# stages.sh — `outbreak run --stages` (k6's stages) through real NATS JetStream, a real
# sink and MongoDB:
#   * rate stages (the open model): 0 → 400/s in 2 s, 2 s at 400/s, down to 0 in 2 s is
#     1 600 records, 100, 300, 400, 400, 300 and 100 in the six seconds (the integral of
#     the ramp), each acked, persisted and in MongoDB; the rate is judged against the
#     stages' mean (266.7/s), the summary, the JSON and the HTML report say the stages;
#   * the same over two threads, and over two workers merged: the same schedule split;
#   * user stages (the closed model): the users ramp up, hold and ramp down as asked;
#   * the web UI (--autostart): the state says the stages, an edit is refused (409), the
#     test ends after the stages' time;
#   * misuses: exit 2 with one line.
source "$(dirname "$0")/lib.sh"
require_servers

url="$NATS_URL?jetstream=1&stream=OBSTG_$$&subject=obstg.$$&durable=obstg-$$"
start_sink "$url" "$WORK/sink.log"

# ---- rate stages, one thread ----
id="stg-$$-$(date +%s)"
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --stages 2s:400/s,2s:400/s,2s:0/s \
    --run-id "$id" --json "$WORK/open.json" --html "$WORK/open.html" >"$WORK/open.log" 2>&1
rc=$?
tail -16 "$WORK/open.log"
check_delivered "$rc" "$WORK/open.json" "$id" 1600
got=$(json "$WORK/open.json" '" ".join(str(p["sent"]) for p in d["series"])')
echo "sent per second: $got"
check "the ramp's seconds: 100 300 400 400 300 100, each within 3 ($got)" \
    python3 -c "import sys; g=[int(x) for x in '$got'.split()]; sys.exit(not (len(g) == 6 and all(abs(a - b) <= 3 for a, b in zip(g, [100, 300, 400, 400, 300, 100]))))"
got=$(json "$WORK/open.json" '"%g|%.1f|%s|%g" % (d["duration_s"], d["rate_target"], d["rate_kept"], d["behind_s"])')
check "6 s, judged against the stages' mean of 266.7/s, kept, none behind ($got)" test "$got" = "6|266.7|True|0"
got=$(json "$WORK/open.json" '"%s|%s|%s|%g" % (d["load"]["model"], d["load"]["stages"]["spec"], d["load"]["stages"]["target"], d["load"]["rate"])')
check "JSON: the load says the stages ($got)" test "$got" = "open|2s:400/s,2s:400/s,2s:0/s|records/s|400"
check "the summary says them" \
    grep -q '^load         open model, stages 2s:400/s,2s:400/s,2s:0/s (a mean of 266.7 records/s, at most 400.0), 1 thread(s)$' "$WORK/open.log"
check "no 'behind the target' warning on the ramps" bash -c "! grep -q 'behind the target' '$WORK/open.log'"
crc=0
timeout 120 node "$OB_SOURCE_DIR/tests/browser/check_report.mjs" "$WORK/open.html" --expect nats \
    --text "stages 2s:400/s,2s:400/s,2s:0/s (at most 400 records/s)" >"$WORK/report-check.log" 2>&1 || crc=$?
cat "$WORK/report-check.log"
check "the HTML report, in Chromium, says the stages (exit $crc)" test "$crc" -eq 0

# ---- two threads: the same schedule, the arrivals taken in turn ----
id2="stg2-$$-$(date +%s)"
"$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" --threads 2 \
    --stages 1s:600/s,1s:600/s,1s:0/s --run-id "$id2" --json "$WORK/threads.json" >"$WORK/threads.log" 2>&1
check_delivered $? "$WORK/threads.json" "$id2" 1200

# ---- two workers, merged ----
id3="stg3-$$-$(date +%s)"
run_workers 2 w --broker "$url" --mongo "$MONGO_URL" --run-id "$id3" --stages 1s:800/s,1s:800/s,1s:0/s
check "two workers with stages exit 0 (got $WORKERS_RC)" test "$WORKERS_RC" -eq 0
got=$(json "$WORK/w0.json" '"%d" % d["sent"]')/$(json "$WORK/w1.json" '"%d" % d["sent"]')
check "each worker sent half of the 1 600 ($got)" test "$got" = "800/800"
"$OUTBREAK" merge --run "$id3" --mongo "$MONGO_URL" --json "$WORK/merged.json" >"$WORK/merge.log" 2>&1
check "merge of the two workers exits 0" test $? -eq 0
got=$(json "$WORK/merged.json" '"%d|%d|%d|%.1f|%s|%s" % (d["sent"], d["persisted"], d["lost"], d["rate_target"], d["rate_kept"], d["load"]["stages"]["spec"])')
check "merged: 1 600 sent and persisted, none lost, judged against the mean 533.3/s ($got)" \
    test "$got" = "1600|1600|0|533.3|True|1s:800/s,1s:800/s,1s:0/s"

# ---- user stages: up to 20 in 2 s, 2 s at 20, down to 0 in 2 s ----
id4="stg4-$$-$(date +%s)"
"$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" --stages 2s:20,2s:20,2s:0 \
    --wait 0.1-0.2 --run-id "$id4" --json "$WORK/closed.json" >"$WORK/closed.log" 2>&1
rc=$?
check_delivered "$rc" "$WORK/closed.json" "$id4" +100
got=$(json "$WORK/closed.json" '" ".join(str(p["users"]) for p in d["series"])')
echo "users by second: $got"
check "users: about 10 at 1 s, 20 at 2-4 s, about 10 at 5 s, at most 1 at the end ($got)" \
    python3 -c "import sys; g=[int(x) for x in '$got'.split()]; sys.exit(not (9 <= g[0] <= 12 and g[1] == g[2] == g[3] == 20 and 9 <= g[4] <= 12 and g[-1] <= 1))"
check "the summary says the users' stages" \
    grep -q '^load         closed model, stages 2s:20,2s:20,2s:0 (at most 20 users), wait 0.100-0.200 s$' "$WORK/closed.log"
check "JSON: users stages" test "$(json "$WORK/closed.json" '(d["load"]["stages"]["target"], d["rate_target"])')" = "('users', None)"

# ---- the web UI: the stages in the state, no edit ----
id5="stg5-$$-$(date +%s)"
web_start "$WORK/ui.log" run --broker "$url" --mongo "$MONGO_URL" --stages 1s:100/s,2s:100/s --run-id "$id5" --autostart
sleep 1.5
curl -s "$BASE/api/run/state" >"$WORK/state.json"
got=$(json "$WORK/state.json" '"%s|%s|%s" % (d["status"], d["stages"], d["form"]["stages"])')
check "the UI's state says the test follows the stages ($got)" test "$got" = "running|1s:100/s,2s:100/s|1s:100/s,2s:100/s"
code=$(curl -s -o "$WORK/edit.json" -w '%{http_code}' -X POST -H 'X-Outbreak: 1' -d rate=500 "$BASE/api/run/edit")
check "an edit while the stages run: 409 (got $code: $(cat "$WORK/edit.json"))" \
    sh -c "test $code = 409 && grep -q 'the run follows --stages' '$WORK/edit.json'"
for _ in $(seq 1 40); do
    [ "$(json "$WORK/state.json" 'd["status"]')" = stopped ] && break
    sleep 0.25
    curl -s "$BASE/api/run/state" >"$WORK/state.json"
done
check "the UI's test ran 250 records over the stages' 3 s ($(json "$WORK/state.json" 'd["stats"][0]["acked"]'))" \
    test "$(json "$WORK/state.json" '(d["status"], d["stats"][0]["acked"])')" = "('stopped', 250)"
kill -INT "$WEB_PID"
wait "$WEB_PID"

# ---- misuses: exit 2, one line ----
misuse() { # misuse WHAT EXPECTED-TEXT ARGS...
    local what=$1 want=$2 rc
    shift 2
    "$OUTBREAK" run --headless "$@" >"$WORK/misuse.out" 2>"$WORK/misuse.err"
    rc=$?
    check "$what: exit 2, one line ($(cat "$WORK/misuse.err"))" \
        sh -c "test $rc = 2 && test \$(wc -l <'$WORK/misuse.err') = 1 && grep -qF -- '$want' '$WORK/misuse.err'"
}
misuse "--stages with --rate" "--stages and --rate exclude each other" --stages 2s:10/s --rate 5
misuse "--stages with -t" "--stages and -t/--run-time exclude each other" --stages 2s:10 -t 3s
misuse "--stages with --warmup" "--stages and --warmup exclude each other" --stages 2s:10 --warmup 1s
misuse "users then a rate" 'the stage "3s:5/s" is a rate, the one before users' --stages 2s:10,3s:5/s
misuse "a stage without a target" 'the stage "2s" has no target' --stages 2s
misuse "every target 0" "target is 0: nothing would be sent" --stages 2s:0/s
finish
