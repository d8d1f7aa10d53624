# scenarios/mongo_outage_run.sh — sourced by a test after lib.sh, with `url` set to the
# broker URL and `run_args` to the load of `outbreak run` (an array): starts a private
# FerretDB (scenarios/private_ferretdb.sh), a sink and the run (run id $id, JSON summary
# $WORK/o.json), kills FerretDB 3 s into the run and starts it again 3 s later, then
# waits for the run (its exit code in rc) and stops the sink (its exit code in src; its
# log in $WORK/sink.log). Sets mongo, id, rc, src. The test then checks what it expects.
: "${url:?set url to the broker URL before sourcing scenarios/mongo_outage_run.sh}"
source "$(dirname "${BASH_SOURCE[0]}")/private_ferretdb.sh"
mongo="mongodb://127.0.0.1:$PORT/obit_outage"
id="outage-$$-$(date +%s)"
"$OUTBREAK" sink --broker "$url" --mongo "$mongo" >"$WORK/sink.log" 2>&1 &
sink=$!
PIDS+=("$sink")
sleep 1
"$OUTBREAK" run --headless --broker "$url" --mongo "$mongo" "${run_args[@]}" --only-summary --run-id "$id" \
    --json "$WORK/o.json" >"$WORK/run.log" 2>&1 &
run=$!
sleep 3
kill -9 "$FDB_PID"; wait "$FDB_PID" 2>/dev/null
echo "killed FerretDB at t=3s"
sleep 3
check "the sink keeps running while MongoDB is down" kill -0 "$sink"
start_ferretdb
echo "restarted FerretDB at t=6s"
wait "$run"
rc=$?
tail -14 "$WORK/run.log"
kill -TERM "$sink"
wait "$sink"
src=$?
cat "$WORK/sink.log"

# check_not_redelivered PERSISTED WORDS COUNT — the end of a run through a middleware that
# does not deliver a record again: MongoDB holds PERSISTED documents of the run, the sink
# said an insert failed, its lines say WORDS (what became of the records it could not
# store), never "for redelivery", its totals count COUNT of them, and it exited 0.
check_not_redelivered() {
    local persisted=$1 words=$2 want=$3 said count
    count=$($MONGO_TOOL count 127.0.0.1 "$PORT" obit_outage records "$id")
    check "MongoDB holds $count documents of the run = persisted $persisted" test "$count" = "$persisted"
    check "the sink said an insert failed" grep -q "insert into MongoDB at 127.0.0.1:$PORT failed" "$WORK/sink.log"
    check "the sink said the deliveries were $words, not rejected for redelivery" \
        grep -qF "deliveries $words, retrying in" "$WORK/sink.log"
    check "no line promises a redelivery" bash -c '! grep -q "for redelivery" "$1"' _ "$WORK/sink.log"
    said=$(python3 -c '
import re, sys
m = [re.search(r"(\d+) " + re.escape(sys.argv[2]), l) for l in open(sys.argv[1]) if "stopped: " in l]
m = [x for x in m if x]
print(m[-1].group(1) if m else "")' "$WORK/sink.log" "$words")
    check "the sink's totals count them (${said:-none}) = $want" test "${said:-x}" = "$want"
    check "the sink exits 0 after SIGTERM (got $src)" test "$src" -eq 0
}
