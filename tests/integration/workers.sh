# workers.sh — scale-out (docs/scale-out.md): four `outbreak run --workers 4` processes
# with one run id against one JetStream stream and one sink, 8000 records/s in all for
# 10 s. The slots are claimed in MongoDB (no --worker given), the workers start together,
# and the last one to finish merges. Checked against figures the test computes itself:
#   - the merged sent is within 1 % of 80 000 and is the sum of the workers' own
#     summaries; every second of the merged series is within 5 % of 8000 (a machine-wide stall may move records into the next second: accepted only when the send delay covers the shortfall and the next second makes it up);
#   - lost 0, persisted = acked = MongoDB's count of the run's records;
#   - the merged publish histogram equals, bucket by bucket, the sum of the four workers'
#     histograms as they stored them in MongoDB (so every percentile is that of one
#     histogram of all the samples), and `outbreak merge` run again gives the same;
#   - the workers split the schedule (k6's striping): each sent a quarter, within 1 %;
# and the misuse of the flags: one line, exit 2.
source "$(dirname "$0")/lib.sh"
require_servers

url="$NATS_URL?jetstream=1&stream=OBITW_$$&subject=obit.w.$$&durable=obit-w-$$"
start_sink "$url" "$WORK/sink.log"
id="workers-$$"

# ---- misuse -------------------------------------------------------------------------
usage_error() { # usage_error WANT ARGS...: exit 2 and one line naming WANT
    local want=$1; shift
    "$OUTBREAK" run --headless --broker "$url" "$@" >"$WORK/misuse.out" 2>"$WORK/misuse.err"
    local rc=$?
    check "run $* exits 2 with one line about '$want' (rc $rc: $(head -c 160 "$WORK/misuse.err"))" \
        test "$rc" -eq 2 -a "$(wc -l <"$WORK/misuse.err")" -eq 1 -a -n "$(grep -F -- "$want" "$WORK/misuse.err")"
}
usage_error "--workers needs --mongo" --workers 2 --run-id x
usage_error "needs --run-id" --workers 2 --mongo "$MONGO_URL"
usage_error "--worker 4 is out of range" --workers 4 --worker 4 --run-id x --mongo "$MONGO_URL"
usage_error "exclude each other" --workers 4 --worker 1 --worker-slot 2 --run-id x --mongo "$MONGO_URL"
usage_error "--start-at" --workers 2 --start-at yesterday --run-id x --mongo "$MONGO_URL"
JOB_COMPLETION_INDEX=x usage_error "JOB_COMPLETION_INDEX" --workers 2 --run-id x --mongo "$MONGO_URL"
"$OUTBREAK" merge --mongo "$MONGO_URL" >"$WORK/m.out" 2>"$WORK/m.err"
check "merge without --run exits 2 with one line" test $? -eq 2 -a "$(wc -l <"$WORK/m.err")" -eq 1
"$OUTBREAK" merge --run "nosuch-$$" --mongo "$MONGO_URL" >"$WORK/m.out" 2>"$WORK/m.err"
rc=$?
check "merge of an unknown run exits 2 naming it (rc $rc: $(cat "$WORK/m.err"))" \
    test "$rc" -eq 2 -a -n "$(grep -F "nosuch-$$" "$WORK/m.err")"

# a worker alone: the others never come; it gives up after --start-timeout naming them
start=$(date +%s%N)
"$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" --run-id "lone-$$" --workers 3 \
    --rate 10 -t 1s --start-timeout 2s >"$WORK/lone.out" 2>"$WORK/lone.err"
rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
check "a worker whose 2 others never come exits 1 within 5 s ($rc, $took ms) naming them: $(tail -1 "$WORK/lone.err")" \
    test "$rc" -eq 1 -a "$took" -lt 5000 -a -n "$(grep -F "workers 1, 2 of run lone-$$" "$WORK/lone.err")"
"$OUTBREAK" merge --run "lone-$$" --mongo "$MONGO_URL" >"$WORK/lone-merge.out" 2>"$WORK/lone-merge.err"
rc=$?
check "its merge exits 1 saying what each worker is: $(cat "$WORK/lone-merge.err")" \
    test "$rc" -eq 1 -a -n "$(grep -F "worker 0 failed, worker 1 missing, worker 2 missing" "$WORK/lone-merge.err")"

# ---- four workers -----------------------------------------------------------------------
for i in 0 1 2 3; do
    "$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" --run-id "$id" \
        --workers 4 --rate 8000 -t 10s --json "$WORK/w$i.json" >"$WORK/w$i.log" 2>"$WORK/w$i.err" &
    eval "pid$i=\$!"
done
merger=
for i in 0 1 2 3; do
    wait "$(eval echo "\$pid$i")"
    rc=$?
    check "worker process $i exits 0 (got $rc)" test "$rc" -eq 0
    grep -q "=== outbreak merge $id" "$WORK/w$i.log" && merger=$i
done
check "one worker process merged at the end (process $merger)" test -n "$merger"
[ -n "$merger" ] && sed -n "/=== outbreak merge/,/^delivery/p" "$WORK/w$merger.log"

"$OUTBREAK" merge --run "$id" --mongo "$MONGO_URL" --json "$WORK/merged.json" --csv "$WORK/merged" \
    --threshold lost==0 --threshold "publish_p99<10s" >"$WORK/merge.log" 2>"$WORK/merge.err"
rc=$?
check "outbreak merge exits 0 (got $rc: $(tail -1 "$WORK/merge.err"))" test "$rc" -eq 0
check "merge wrote Locust's stats CSV" test -s "$WORK/merged_stats.csv"
check "the merged cost line says the CPU is the workers' together, the RSS the largest worker's" \
    grep -q '^cost         loadgen [0-9.]* CPU s (the workers. together), peak RSS [0-9.]* MB (the largest worker.s)$' \
    "$WORK/merge.log"

$MONGO_TOOL workers 127.0.0.1 27017 "$MONGO_DB" "$id" >"$WORK/workers.json"
python3 - "$WORK" >"$WORK/verdict.txt" <<'EOF'
import collections, json, sys
work = sys.argv[1]
m = json.load(open(work + "/merged.json"))
ws = [json.load(open("%s/w%d.json" % (work, i))) for i in range(4)]
docs = json.load(open(work + "/workers.json"))
out = []
def say(ok, what):
    out.append(("ok " if ok else "BAD ") + what)
sent = m["sent"]
say(abs(sent - 80000) <= 800, "merged sent %d within 1 %% of 80000" % sent)
say(sent == sum(w["sent"] for w in ws), "merged sent %d = the sum of the workers' summaries %s" % (sent, [w["sent"] for w in ws]))
say(sorted(w["load"]["worker"] for w in ws) == [0, 1, 2, 3], "the four processes claimed slots 0-3: %s" % sorted(w["load"]["worker"] for w in ws))
say(all(abs(w["sent"] - 20000) <= 200 for w in ws), "each worker sent a quarter within 1 %%: %s" % [w["sent"] for w in ws])
say(m["lost"] == 0 and m["failed"] == 0, "merged lost %s, failed %s" % (m["lost"], m["failed"]))
say(m["persisted"] == m["acked"] == sent, "merged persisted %s = acked %s = sent" % (m["persisted"], m["acked"]))
# the sinks keep one end-to-end histogram per run: each worker's own summary says it is
# the run's (over more records than its own), the merged one that it is its own
say(m["e2e_scope"] == "own" and all(w["e2e_scope"] == "run" for w in ws),
    "e2e_scope: merged %s, workers %s" % (m["e2e_scope"], [w["e2e_scope"] for w in ws]))
say(m["workers"]["expected"] == 4 and m["workers"]["finished"] == 4 and m["workers"]["complete"],
    "workers: %s of %s finished" % (m["workers"]["finished"], m["workers"]["expected"]))
secs = [p for p in m["series"] if 1 <= p["t"] <= 10]
bad = [(p["t"], p["sent"]) for p in secs if abs(p["sent"] - 8000) > 400]
# A stall of the shared machine (all the workers' sends late at once, a few hundred ms:
# seen in CI) moves records into the next second: they went late, and the series shows
# when they went. Such a pair passes only as that: the short second's shortfall is no
# more than the workers' largest send delay covers, the next second makes it up (the two
# within 2 % of 16 000), and no second is over 5 % but right after a short one.
delay_s = max(w["send_delay_ms"]["max"] for w in ws) / 1e3
stalls = []
for i, p in enumerate(secs):
    if p["sent"] < 7600 and i + 1 < len(secs) and abs(p["sent"] + secs[i + 1]["sent"] - 16000) <= 320 \
            and (8000 - p["sent"]) / 8000 <= delay_s and secs[i + 1]["sent"] <= 8000 + (8000 - p["sent"]) + 160:
        stalls.append((p["t"], secs[i + 1]["t"]))
explained = {t for pair in stalls for t in pair}
unexplained = [b for b in bad if b[0] not in explained]
say(len(secs) == 10 and not unexplained, "every second 1..10 of the merged series within 5 %% of 8000 (%s)%s" %
    ([p["sent"] for p in secs] if not unexplained else "off: %s" % unexplained,
     "; a stall moved records to the next second at %s (largest send delay %.0f ms)" % (stalls, delay_s * 1e3)
     if stalls else ""))
def buckets(text):
    c = collections.Counter()
    for pair in text[3:].split(",") if text and len(text) > 3 else []:
        i, n = pair.split(":")
        c[int(i)] += int(n)
    return c
total = collections.Counter()
for d in docs:
    r = json.loads(d["result"])
    total += buckets(r["publish"])
merged = buckets(m["histograms"]["publish"])
say(merged == total and sum(total.values()) == sent,
    "the merged publish histogram = the sum of the 4 stored histograms, bucket by bucket (%d buckets, %d samples)"
    % (len(total), sum(total.values())))
p = m["publish_latency_ms"]
print("\n".join(out))
print("merged publish p50 %s ms, p99 %s ms, p99.9 %s ms; e2e p99 %s ms" %
      (p["p50"], p["p99"], p["p99.9"], m["e2e_latency_ms"]["p99"]))
EOF
cat "$WORK/verdict.txt"
check_verdicts "$WORK/verdict.txt" 10
count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
acked=$(json "$WORK/merged.json" 'd["acked"]')
check "MongoDB holds $count documents of the run = merged acked $acked" test "$count" = "$acked"
# the web UI's merge: the same summary, and the HTML report, to download
web_start "$WORK/web.log" web --mongo "$MONGO_URL"
code=$(curl -s -o "$WORK/web-merged.json" -w '%{http_code}' "$BASE/merge/summary.json?run=$id")
check "the web UI's /merge/summary.json answers 200 with the same sent, acked and persisted ($code)" \
    test "$code" = 200 -a "$(json "$WORK/web-merged.json" '[d["sent"], d["acked"], d["persisted"], d["workers"]["finished"]]')" \
    = "$(json "$WORK/merged.json" '[d["sent"], d["acked"], d["persisted"], d["workers"]["finished"]]')"
code=$(curl -s -o "$WORK/web-merged.html" -w '%{http_code}' "$BASE/merge/report.html?run=$id")
check "and /merge/report.html the HTML report of the run ($code, $(stat -c %s "$WORK/web-merged.html") bytes)" \
    test "$code" = 200 -a -n "$(grep -F "$id" "$WORK/web-merged.html" | head -c 1)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/merge/summary.json?run=nosuch-$$")
check "an unknown run is 404 ($code)" test "$code" = 404
kill "$WEB_PID" 2>/dev/null
# the last worker's automatic merge and the command agree
if [ -n "$merger" ]; then
    a=$(grep -E '^delivery' "$WORK/w$merger.log" | tail -1)
    b=$(grep -E '^delivery' "$WORK/merge.log" | tail -1)
    check "the automatic merge and outbreak merge print the same delivery line ($b)" test "$a" = "$b"
fi
finish
