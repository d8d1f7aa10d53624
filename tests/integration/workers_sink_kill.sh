# workers_sink_kill.sh — a scaled-out run (two workers, one JetStream stream) whose only
# sink is killed (SIGKILL) after it inserted every record but before it wrote its
# statistics (--stats-interval 10 min), and no other sink recounts it: the records are
# in MongoDB and in no sink's count. Each worker's drain then takes MongoDB's count of
# its records (docs/measurement.md, "The end of a run"), and so must the merge, which
# read the sinks' counts alone before and called every record lost. Checked: each
# worker and the merge say lost 0 and persisted = MongoDB's count; the merge says where
# its persisted comes from (persisted_source, for the run and each worker); it exits 0.
source "$(dirname "$0")/lib.sh"
require_servers

url="$NATS_URL?jetstream=1&stream=OBITWS_$$&subject=obit.ws.$$&durable=obit-ws-$$"
id="workers-sinkkill-$$"
"$OUTBREAK" sink --broker "$url" --mongo "$MONGO_URL" --stats-interval 600000 >"$WORK/sink.log" 2>&1 &
sink=$!
PIDS+=("$sink")
sleep 1
for i in 0 1; do
    # 10 000 records in all, once, at 5000/s: each worker sends 5000 in about 2 s
    "$OUTBREAK" run --headless --only-summary --broker "$url" --mongo "$MONGO_URL" --run-id "$id" \
        --workers 2 --worker "$i" --rate 5000 --pool 10000 --once --stop-timeout 60s \
        --json "$WORK/w$i.json" >"$WORK/w$i.log" 2>"$WORK/w$i.err" &
    eval "pid$i=\$!"
done
count=0
for _ in $(seq 1 150); do
    count=$($MONGO_TOOL count 127.0.0.1 27017 "$MONGO_DB" records "$id")
    [ "$count" = 10000 ] && break
    sleep 0.2
done
check "the sink inserted all 10000 records (MongoDB holds $count)" test "$count" = 10000
kill -9 "$sink"
wait "$sink" 2>/dev/null
echo "killed the sink once MongoDB held them all"
for i in 0 1; do
    wait "$(eval echo "\$pid$i")"
    rc=$?
    check "worker $i exits 0 (got $rc)" test "$rc" -eq 0
done
"$OUTBREAK" merge --run "$id" --mongo "$MONGO_URL" --json "$WORK/merged.json" >"$WORK/merge.log" 2>"$WORK/merge.err"
rc=$?
sed -n "/=== outbreak merge/,/^delivery/p" "$WORK/merge.log"
cat "$WORK/merge.err"
check "merge exits 0 (got $rc)" test "$rc" -eq 0
auto=$(cat "$WORK/w0.log" "$WORK/w1.log" | sed -n '/=== outbreak merge/,/^delivery/p' | grep "^delivery")
check "the last worker's own merge says lost 0 ($auto)" bash -c '[[ "$1" == *" lost 0 "* ]]' _ "$auto"
python3 - "$WORK" "$count" >"$WORK/verdict.txt" <<'EOF'
import json, sys
work, count = sys.argv[1], int(sys.argv[2])
m = json.load(open(work + "/merged.json"))
out = []
def say(ok, what):
    out.append(("ok " if ok else "BAD ") + what)
acked = 0
for i in (0, 1):
    w = json.load(open("%s/w%d.json" % (work, i)))
    acked += w["acked"]
    say(w["lost"] == 0 and w["persisted"] == w["acked"] and w["persisted_source"] == "mongodb_count",
        "worker %d: acked %d, persisted %d (%s), lost %s" % (i, w["acked"], w["persisted"], w["persisted_source"], w["lost"]))
say(acked == 10000 and count == acked, "acked %d in all = MongoDB's %d documents of the run = 10000" % (acked, count))
say(m["persisted"] == count, "merged persisted %s = MongoDB's count %d" % (m["persisted"], count))
say(m["lost"] == 0 and m["unconfirmed"] == 0, "merged lost %s, unconfirmed %s" % (m["lost"], m["unconfirmed"]))
say(m["persisted_source"] == "mongodb_count", "merged persisted_source %s" % m["persisted_source"])
for w in m["workers"]["list"]:
    say(w["lost"] == 0 and w["persisted"] == w["acked"] and w["persisted_source"] == "mongodb_count",
        "merged worker %d: acked %s, persisted %s (%s), lost %s" % (w["index"], w["acked"], w["persisted"],
                                                                  w["persisted_source"], w["lost"]))
print("\n".join(out))
EOF
vrc=$?
cat "$WORK/verdict.txt"
check "every figure above holds (checker exit $vrc)" \
    test "$vrc" -eq 0 -a -s "$WORK/verdict.txt" -a -z "$(grep '^BAD' "$WORK/verdict.txt")"
finish
