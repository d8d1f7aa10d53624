# recount_background.sh — a sink that finds a dead sink to recount does it on a thread of
# its own and consumes meanwhile. The recount scans the records collection (FerretDB
# pushes no filter down: seconds for the 200 000 records of drain_big_db.sh's database,
# minutes for millions); on the consuming thread it held up every insert, so the
# end-to-end latency of every record of a run that went on meanwhile.
# A sink (--id obit-dead-PID) inserts a short run into that database and is killed
# (SIGKILL): its heartbeat says running. 6 s later (its heartbeat is then stale: 3
# intervals plus 2 s) a new sink starts, and a run of 2 000 records at 500/s goes through
# it at once. The new sink recounts the dead one, taking longer than the whole run, while
# every record of the run is persisted within a second of its send: the run's end-to-end
# maximum is under 1 s, far under the recount's time, and its records were all persisted
# before the recount ended.
source "$(dirname "$0")/lib.sh"
require_servers

big_n=${OB_BIG_RECORDS:-200000}
big_db=obit_big_$big_n
big_url=mongodb://127.0.0.1:27017/$big_db
echo "database $big_db: $($MONGO_TOOL fill 127.0.0.1 27017 "$big_db" "$big_n")"
url="$NATS_URL?jetstream=1&stream=OBITR_$$&subject=obit.r.$$&durable=obit-r-$$"
dead="obit-dead-$$"

"$OUTBREAK" sink --broker "$url" --mongo "$big_url" --id "$dead" >"$WORK/dead.log" 2>&1 &
dead_pid=$!
PIDS+=("$dead_pid")
sleep 1
"$OUTBREAK" run --headless --broker "$url" --mongo "$big_url" --rate 500 -i 500 --only-summary \
    --run-id "before-$$" --json "$WORK/before.json" >"$WORK/before.log" 2>&1
check "the first sink persisted a run of 500 records" \
    test "$(json "$WORK/before.json" 'd["persisted"]')" = 500
kill -9 "$dead_pid"
wait "$dead_pid" 2>/dev/null
sleep 6

t_start=$(date +%s.%N)
"$OUTBREAK" sink --broker "$url" --mongo "$big_url" >"$WORK/sink.log" 2>&1 &
SINK_PID=$!
PIDS+=("$SINK_PID")
id="during-$$"
"$OUTBREAK" run --headless --broker "$url" --mongo "$big_url" --rate 500 -i 2000 --only-summary \
    --run-id "$id" --json "$WORK/run.json" >"$WORK/run.log" 2>&1
rc=$?
t_run_end=$(date +%s.%N)
tail -8 "$WORK/run.log"
# the recount's line
for _ in $(seq 600); do
    grep -q "recounted sink $dead" "$WORK/sink.log" && break
    sleep 0.5
done
t_recounted=$(date +%s.%N)
cat "$WORK/sink.log"

check "the run exits 0 (got $rc)" test "$rc" -eq 0
check "acked 2000, persisted 2000, lost 0" \
    test "$(json "$WORK/run.json" '[d[k] for k in ("acked", "persisted", "lost")]')" = "[2000, 2000, 0]"
check "the new sink recounted the dead one" grep -q "recounted sink $dead, which stopped without saving its counts: 500 records" "$WORK/sink.log"
recount_s=$(sed -n "s/.*recounted sink $dead, .* records in \([0-9.]*\) s.*/\1/p" "$WORK/sink.log")
e2e_max=$(json "$WORK/run.json" 'd["e2e_latency_ms"]["max"]')
echo "the recount took ${recount_s:-?} s; the run's end-to-end maximum: $e2e_max ms; the run ended $(python3 -c "print('%.1f' % ($t_run_end - $t_start))") s after the sink's start, the recount's line came $(python3 -c "print('%.1f' % ($t_recounted - $t_start))") s after it"
check "the recount took longer than the run (${recount_s:-?} s > 4 s): this database is big enough to show it" \
    python3 -c "import sys; sys.exit(0 if float('${recount_s:-0}') > 4 else 1)"
check "consumption went on during the recount: end-to-end max $e2e_max ms < 1000 ms" \
    python3 -c "import sys; sys.exit(0 if float('$e2e_max') < 1000 else 1)"
check "the run's records were all persisted before the recount ended" \
    python3 -c "import sys; sys.exit(0 if $t_run_end < $t_recounted else 1)"
$MONGO_TOOL fillextra 127.0.0.1 27017 "$big_db" 2500
finish
