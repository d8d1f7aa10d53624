# workers_killed.sh — a load generator of a scaled-out run killed (SIGKILL) in the middle:
# the merge reports it as killed (its document stopped beating), never leaves it out
# silently, exits 1, and its records are still accounted for: the merged persisted (the
# sinks' counts of every worker's producer ids) equals MongoDB's count of the run's
# records, the killed worker's share among them, and lost is not claimed for a worker
# whose end is unknown (null), while the finished workers' lost is 0.
source "$(dirname "$0")/lib.sh"
require_servers

url="$NATS_URL?jetstream=1&stream=OBITK_$$&subject=obit.k.$$&durable=obit-k-$$"
start_sink "$url" "$WORK/sink.log"
id="killed-$$"
for i in 0 1 2; do
    "$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" --run-id "$id" \
        --workers 3 --worker "$i" --rate 1500 -t 12s --json "$WORK/w$i.json" >"$WORK/w$i.log" 2>"$WORK/w$i.err" &
    eval "pid$i=\$!"
done
# the victim: worker 1, once it has sent for about 5 s (its document says running)
for _ in $(seq 1 100); do
    $MONGO_TOOL workers 127.0.0.1 27017 "$MONGO_DB" "$id" 2>/dev/null |
        python3 -c 'import json,sys; sys.exit(0 if any(d["index"] == 1 and d["state"] == "running" for d in json.load(sys.stdin)) else 1)' &&
        break
    sleep 0.2
done
sleep 5
kill -KILL "$pid1"
wait "$pid1" 2>/dev/null
for i in 0 2; do
    wait "$(eval echo "\$pid$i")"
    rc=$?
    check "worker $i exits 0 (got $rc)" test "$rc" -eq 0
done
check "no worker merged on its own (one of them never finished)" \
    test -z "$(grep -l "=== outbreak merge" "$WORK/w0.log" "$WORK/w2.log")"
grep -h "the last one merges" "$WORK/w0.err" "$WORK/w2.err"

start=$(date +%s%N)
"$OUTBREAK" merge --run "$id" --mongo "$MONGO_URL" --wait 60s --json "$WORK/merged.json" >"$WORK/merge.log" 2>"$WORK/merge.err"
rc=$?
took=$(( ($(date +%s%N) - start) / 1000000 ))
cat "$WORK/merge.log" | sed -n "/=== outbreak merge/,/^delivery/p"
check "merge exits 1 (a worker did not finish; got $rc) within 30 s ($took ms)" test "$rc" -eq 1 -a "$took" -lt 30000
check "the merge says worker 1 was killed" test -n "$(grep -E '^1 +killed' "$WORK/merge.log")"
check "and why its lost is not established" test -n "$(grep -F 'note: worker 1 stopped reporting' "$WORK/merge.log")"
count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
python3 - "$WORK" "$count" >"$WORK/verdict.txt" <<'EOF'
import json, sys
work, count = sys.argv[1], int(sys.argv[2])
m = json.load(open(work + "/merged.json"))
ws = {w["index"]: w for w in m["workers"]["list"]}
out = []
def say(ok, what):
    out.append(("ok " if ok else "BAD ") + what)
say(m["workers"]["expected"] == 3 and m["workers"]["finished"] == 2 and not m["workers"]["complete"],
    "workers: %d of %d finished, complete %s" % (m["workers"]["finished"], m["workers"]["expected"], m["workers"]["complete"]))
k = ws[1]
say(k["state"] == "killed" and k["lost"] is None, "worker 1: state %s, lost %s (unknown)" % (k["state"], k["lost"]))
say(k["sent"] is not None and 1500 <= k["sent"] <= 5000,
    "worker 1's last report: sent %s (killed after about 5 s of 12 at 500/s)" % k["sent"])
say(k["persisted"] is not None and k["persisted"] >= k["acked"],
    "worker 1: MongoDB holds %s of its records >= the %s acked it last reported" % (k["persisted"], k["acked"]))
say(all(ws[i]["state"] == "finished" and ws[i]["lost"] == 0 for i in (0, 2)),
    "workers 0 and 2 finished with lost 0 (%s, %s)" % (ws[0]["lost"], ws[2]["lost"]))
say(m["lost"] is None, "the merged lost is null (not established), not %s" % m["lost"])
say(m["persisted"] == count, "the merged persisted %s = MongoDB's count of the run's records %d (the killed worker's included)" % (m["persisted"], count))
say(sum(w["persisted"] for w in ws.values()) == count, "the workers' persisted add up to %d" % count)
print("\n".join(out))
EOF
cat "$WORK/verdict.txt"
check_verdicts "$WORK/verdict.txt" 8
finish
