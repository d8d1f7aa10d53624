# warmup.sh — `outbreak run --warmup T` (and compare's): the load runs T before the
# measured time; the warm-up's records go under the run id RUN.warmup, are counted apart
# (sent, acked, failed, persisted) and are in none of the run's figures, and every record
# of both parts is accounted for by MongoDB's own counts. Also: the series begins with the
# measured time, the closed model's users are spawned during the warm-up, a run stopped
# during its warm-up measured nothing and still accounts for what it sent, compare's cost
# figures say they cover the measured time, the web UI says it is warming up, two
# workers' warm-ups are merged, Locust's --reset-stats is the spawning as a warm-up (on
# the command line and in the web UI's form), and the misuses are exit 2 with one line.
source "$(dirname "$0")/lib.sh"
require_servers

url="$NATS_URL?jetstream=1&stream=OBWU_$$&subject=obwu.$$&durable=obwu-$$"
# warmup_stored WHAT RUN N — MongoDB's own count of RUN's warm-up records (RUN.warmup) is N
warmup_stored() {
    local count
    count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$2.warmup")
    check "$1: MongoDB holds the $3 warm-up records under $2.warmup (got $count)" test "$count" = "$3"
}
start_sink "$url" "$WORK/sink.log"

# the open model: 2 s of warm-up, then 3 s measured, at 400 records/s: record k is meant
# to go at k × 2.5 ms, so the warm-up has exactly 800 and the measured time 1 200
id="wu-$$-$(date +%s)"
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 400 -t 3s --warmup 2s \
    --run-id "$id" --json "$WORK/open.json" >"$WORK/open.log" 2>&1
rc=$?
tail -22 "$WORK/open.log"
check_delivered "$rc" "$WORK/open.json" "$id" 1200
got=$(json "$WORK/open.json" '"%g|%s|%d|%d|%d|%d" % (d["warmup"]["duration_s"], d["warmup"]["run"], d["warmup"]["sent"], d["warmup"]["acked"], d["warmup"]["failed"], d["warmup"]["persisted_by_end"])')
check "the warm-up: 2 s under $id.warmup, 800 sent, acked and persisted, none failed ($got)" \
    test "$got" = "2|$id.warmup|800|800|0|800"
warmup_stored "open model" "$id" 800
got=$(json "$WORK/open.json" '"%d|%d|%g|%g" % (sum(p["sent"] for p in d["series"]), d["sent"], d["series"][0]["t"], d["duration_s"])')
check "the series is the measured time's: its seconds add up to sent, from t = 1, over 3 s ($got)" \
    test "$got" = "1200|1200|1|3"
check "the summary says the warm-up and where its records went" \
    grep -q "^warm-up      2.0 s before it, under run id $id.warmup, in none of the figures here:  sent 800  acked 800  failed 0  persisted 800 by the end" "$WORK/open.log"
check "the summary's load says the warm-up" test "$(json "$WORK/open.json" 'd["load"]["warmup_s"]')" = 2
check "the progress says when the measuring starts" grep -q '^warm-up over: measuring' "$WORK/open.log"

# the closed model: the users start during the warm-up and are all there when it ends
id2="wu2-$$-$(date +%s)"
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" -u 4 -r 20 --wait 0.05-0.1 -t 2s --warmup 1s \
    --run-id "$id2" --json "$WORK/closed.json" >"$WORK/closed.log" 2>&1
rc=$?
check_delivered "$rc" "$WORK/closed.json" "$id2" +20
got=$(json "$WORK/closed.json" '"%d|%d" % (d["series"][0]["users"], d["warmup"]["acked"] == d["warmup"]["persisted_by_end"] == d["warmup"]["sent"] > 0)')
check "closed model: 4 users at the first measured second, the warm-up's records all persisted ($got)" \
    test "$got" = "4|1"
warmup_stored "closed model" "$id2" "$(json "$WORK/closed.json" 'd["warmup"]["acked"]')"

# stopped during the warm-up: nothing measured, exit 0, and the warm-up's records counted
id3="wu3-$$-$(date +%s)"
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 200 -t 10s --warmup 10s \
    --run-id "$id3" --json "$WORK/int.json" >"$WORK/int.log" 2>&1 &
rpid=$!
sleep 2.5
kill -INT "$rpid"
rc=0
wait "$rpid" || rc=$?
check "interrupted during the warm-up: exit 0 (got $rc)" test "$rc" -eq 0
got=$(json "$WORK/int.json" '"%d|%d|%g|%d|%d" % (d["sent"], d["persisted"], d["duration_s"], 1 <= d["warmup"]["duration_s"] < 4, d["warmup"]["sent"] == d["warmup"]["acked"] == d["warmup"]["persisted_by_end"] > 100)')
check "interrupted during the warm-up: none sent in the measured time, a shorter warm-up all persisted ($got)" \
    test "$got" = "0|0|0|1|1"
warmup_stored "interrupted during the warm-up" "$id3" "$(json "$WORK/int.json" 'd["warmup"]["acked"]')"

# compare: the warm-up is the workload's, and the cost covers the measured time
"$OUTBREAK" compare --brokers nats --rate 200 -t 2s --warmup 1s --mongo "$MONGO_URL" --out "$WORK/cmp" \
    >"$WORK/cmp.log" 2>&1
rc=$?
cat "$WORK/cmp.log"
check "compare --warmup exits 0 (got $rc)" test "$rc" -eq 0
got=$(json "$WORK/cmp/nats.json" '"%d|%d|%s|%d" % (d["warmup"]["sent"], d["sent"], d["cost"]["covers"], d["cost"]["broker_cpu_s"] >= 0 and d["cost"]["sink_cpu_s"] >= 0)')
check "compare --warmup: 200 warm-up records, 400 measured, the cost after the warm-up ($got)" \
    test "$got" = "200|400|the measured time, after the warm-up|1"
check "compare --warmup: the console says the cost is after the warm-up" grep -q 'after the warm-up$' "$WORK/cmp.log"
check "compare --warmup: the parameters say it" test "$(json "$WORK/cmp/results.json" 'd["params"]["workload"]["warmup_s"]')" = 1
# the report says the warm-up and what the cost covers, in a real browser
crc=0
timeout 120 node "$OB_SOURCE_DIR/tests/browser/check_report.mjs" "$WORK/cmp/index.html" --expect nats \
    --text "warm-up (not in the figures)" --text "1.00 s before, run " --text "sent 200, acked 200, failed 0, persisted 200" \
    --text "the measured time, after the warm-up" --text "after 1 s of warm-up" >"$WORK/report-check.log" 2>&1 || crc=$?
cat "$WORK/report-check.log"
check "compare --warmup: the report shows the warm-up and the cost's window (exit $crc)" test "$crc" -eq 0
for f in "$WORK"/cmp/results.json; do
    cid=$(json "$f" 'd["id"]')
    python3 "$OB_SOURCE_DIR/tests/integration/nats_tool.py" rmstreams 127.0.0.1 4222 "_$(tr 'A-Z' 'a-z' <<<"$cid")" >/dev/null 2>&1
    $MONGO_TOOL dropdb 127.0.0.1 27017 "${MONGO_DB}_${cid}_nats" >/dev/null 2>&1
done

# the web UI: its state says "warming_up" while the warm-up lasts, then not; the log says
# where the warm-up's records go
id4="wu4-$$-$(date +%s)"
web_start "$WORK/web.log" run --autostart --autoquit 0 --broker "$url" --mongo "$MONGO_URL" --rate 100 -t 2s \
    --warmup 3s --run-id "$id4"
sleep 1.5
curl -s "$BASE/api/run/state" >"$WORK/state1.json"
sleep 3
curl -s "$BASE/api/run/state" >"$WORK/state2.json"
curl -s "$BASE/api/run/logs?from=0" >"$WORK/logs.json"
got=$(json "$WORK/state1.json" '"%s|%s" % (d["status"], d["warming_up"])')
check "web UI during the warm-up: running, warming_up ($got)" test "$got" = "running|True"
got=$(json "$WORK/state2.json" '"%s|%s" % (d["status"], d["warming_up"])')
check "web UI after the warm-up: running, not warming_up ($got)" test "$got" = "running|False"
check "web UI log: where the warm-up's records go" grep -q "warming up for 3 s first: its records go under run id $id4" \
    "$WORK/logs.json"
rc=0
wait "$WEB_PID" || rc=$?
check "web UI --autoquit after the warm-up and the test: exit 0 (got $rc)" test "$rc" -eq 0

# Prometheus: /metrics says the warm-up while it lasts (outbreak_warming_up 1, its counts
# growing), then 0 with the measured counts
mport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$OUTBREAK" run --headless --only-summary --broker "$url" --rate 100 -t 2s --warmup 3s \
    --metrics "127.0.0.1:$mport" >"$WORK/metrics.log" 2>&1 &
mpid=$!
sleep 2
curl -s "http://127.0.0.1:$mport/metrics" >"$WORK/m1.txt"
sleep 2.5
curl -s "http://127.0.0.1:$mport/metrics" >"$WORK/m2.txt"
wait "$mpid"
metric() { awk -v n="$2" '$1 ~ "^"n"[{]" {print $2}' "$1"; }
got="$(metric "$WORK/m1.txt" outbreak_warming_up) $(metric "$WORK/m1.txt" outbreak_warmup_records_sent_total) $(metric "$WORK/m1.txt" outbreak_records_sent_total)"
check "/metrics during the warm-up: warming_up 1, warm-up records sent, none measured ($got)" \
    python3 -c 'import sys; w, ws, s = sys.argv[1].split(); sys.exit(not (w == "1" and int(ws) > 50 and s == "0"))' "$got"
got="$(metric "$WORK/m2.txt" outbreak_warming_up) $(metric "$WORK/m2.txt" outbreak_warmup_records_sent_total) $(metric "$WORK/m2.txt" outbreak_records_sent_total)"
check "/metrics after the warm-up: warming_up 0, the warm-up's 300 records, measured ones counted ($got)" \
    python3 -c 'import sys; w, ws, s = sys.argv[1].split(); sys.exit(not (w == "0" and ws == "300" and int(s) > 50))' "$got"

# scale-out: two workers warm up from their common start for 2 s, then 2 s measured, at
# 400 records/s in all: 800 records in each part; the merge sums the warm-up's counts
id5="wu5-$$-$(date +%s)"
run_workers 2 w --broker "$url" --mongo "$MONGO_URL" --run-id "$id5" --rate 400 -t 2s --warmup 2s
check "two workers with a warm-up exit 0 (got $WORKERS_RC)" test "$WORKERS_RC" -eq 0
"$OUTBREAK" merge --run "$id5" --mongo "$MONGO_URL" --json "$WORK/merged.json" >"$WORK/merge.log" 2>&1
check "merge of the two workers exits 0" test $? -eq 0
got=$(json "$WORK/merged.json" '"%d|%d|%d|%d|%d|%d|%g" % (d["sent"], d["persisted"], d["lost"], d["warmup"]["sent"], d["warmup"]["acked"], d["warmup"]["persisted_by_end"], d["warmup"]["duration_s"])')
check "merged: 800 measured, all persisted, none lost; warm-up 800 sent, acked, persisted, 2 s ($got)" \
    test "$got" = "800|800|0|800|800|800|2"
warmup_stored "scale-out" "$id5" 800
got=$(json "$WORK/w0.json" 'd["warmup"]["sent"]')
check "each worker warmed up with its half (worker 0: $got)" test "$got" = 400

# --reset-stats (Locust's): the spawning of -u at -r is the warm-up, within -t. 6 users
# at 4 a second: the last starts 1.25 s in, so of -t 3s 1.75 s are measured, with all 6
id6="wu6-$$-$(date +%s)"
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" -u 6 -r 4 --wait 0.05-0.1 -t 3s --reset-stats \
    --run-id "$id6" --json "$WORK/reset.json" >"$WORK/reset.log" 2>&1
rc=$?
tail -12 "$WORK/reset.log"
check_delivered "$rc" "$WORK/reset.json" "$id6" +20
got=$(json "$WORK/reset.json" '"%g|%g|%d|%d" % (d["warmup"]["duration_s"], d["duration_s"], min(p["users"] for p in d["series"]), d["warmup"]["sent"] == d["warmup"]["acked"] == d["warmup"]["persisted_by_end"] > 0)')
check "--reset-stats: 1.25 s of spawning unmeasured, 1.75 s measured with all 6 users, the spawning's records persisted ($got)" \
    test "$got" = "1.25|1.75|6|1"
warmup_stored "--reset-stats" "$id6" "$(json "$WORK/reset.json" 'd["warmup"]["acked"]')"

# --reset-stats in the web UI: the form's users and spawn rate decide the warm-up (5 at 2
# a second: 2 s of -t 4s); a run time no longer than the spawning is refused; a rate in
# the form (the open model, nothing spawned) has none
web_start "$WORK/web-rs.log" run --reset-stats -u 2 -r 1 --broker "$url" --mongo "$MONGO_URL"
code=$(curl -s -H "X-Outbreak: 1" -o "$WORK/rs-bad.json" -w '%{http_code}' -X POST -d users=5 -d spawn_rate=2 -d run_time=2s \
    "$BASE/api/run/start")
check "web UI --reset-stats: -t 2s with 2 s of spawning is refused, 400 ($code: $(cat "$WORK/rs-bad.json"))" \
    grep -q 'spawning 5 users at 2 a second takes 2s' "$WORK/rs-bad.json"
code=$(curl -s -H "X-Outbreak: 1" -o /dev/null -w "%{http_code}" -X POST -d users=5 -d spawn_rate=2 -d run_time=4s "$BASE/api/run/start")
sleep 1
curl -s "$BASE/api/run/state" >"$WORK/rs1.json"
for _ in $(seq 1 200); do
    curl -s "$BASE/api/run/state" >"$WORK/rs-poll.json"
    [ "$(json "$WORK/rs-poll.json" 'd["status"]')" = stopped ] && break
    sleep 0.1
done
code2=$(curl -s -H "X-Outbreak: 1" -o /dev/null -w "%{http_code}" -X POST -d rate=50 -d run_time=1s "$BASE/api/run/start")
sleep 0.5
curl -s "$BASE/api/run/state" >"$WORK/rs2.json"
curl -s "$BASE/api/run/logs?from=0" >"$WORK/rs-logs.json"
got="$code $(json "$WORK/rs1.json" '"%s|%s" % (d["status"], d["warming_up"])') $code2 $(json "$WORK/rs2.json" '"%s|%s" % (d["status"], d["warming_up"])')"
check "web UI --reset-stats: the form's 5 users warm up, a rate does not ($got)" \
    test "$got" = "200 running|True 200 running|False"
check "web UI --reset-stats: the log says the 2 s warm-up" grep -q "warming up for 2 s first" "$WORK/rs-logs.json"
kill "$WEB_PID" 2>/dev/null
wait "$WEB_PID" 2>/dev/null

# misuse: exit 2, one line
fails_fast 2 "--warmup and --once exclude each other" run --headless --warmup 1s --once
fails_fast 2 "--warmup: expected a duration like 30s or 5m, not \"soon\"" run --headless --warmup soon
fails_fast 2 "is too long to add \".warmup\"" run --headless --warmup 1s \
    --run-id "$(printf 'r%.0s' {1..60})"
fails_fast 2 "--reset-stats and --rate exclude each other" run --headless --reset-stats --rate 100
fails_fast 2 "--reset-stats and --warmup exclude each other" run --headless --reset-stats --warmup 1s
fails_fast 2 "--reset-stats: spawning 10 users at 2 a second takes 4.5s, and -t 4s ends before" \
    run --headless --reset-stats -u 10 -r 2 -t 4s

finish
