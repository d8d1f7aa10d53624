# drain_big_db.sh — a run's end does not grow with the database: five runs of 10 000
# records each, through NATS JetStream, into a database that already holds 200 000
# records (OB_BIG_RECORDS), each exit within 15 s of its last record persisted, with
# persisted = acked from the sinks' exact counts, lost 0 and unconfirmed 0. MongoDB's own
# count of one run in that database is shown not to answer within 5 s
# (OB_BIG_COUNT_LIMIT_MS): FerretDB scans the whole collection, and that count is what
# the end of a run used to wait for. bench/drain_big_db.sh runs this with 1 000 000
# records and a 15 s limit (filling them takes 80-190 s on the 2-CPU machine, too long
# for every `make test`). The database is generated once under a name of its own
# (obit_big_N) and kept for the next time; after 300 000 records added by these runs it
# is generated again.
source "$(dirname "$0")/lib.sh"
require_servers

big_n=${OB_BIG_RECORDS:-200000}
limit_ms=${OB_BIG_COUNT_LIMIT_MS:-5000}
big_db=obit_big_$big_n
big_url=mongodb://127.0.0.1:27017/$big_db
echo "database $big_db: $($MONGO_TOOL fill 127.0.0.1 27017 "$big_db" "$big_n")"

t0=$(date +%s%N)
answer=$($MONGO_TOOL countlimit 127.0.0.1 27017 "$big_db" "fill-1" "$limit_ms")
t1=$(date +%s%N)
echo "MongoDB's count of one run (10 000 records) in it, limited to $limit_ms ms: $answer after $(((t1 - t0) / 1000000)) ms"
check "the database is big enough that counting a run takes over $limit_ms ms (got: $answer)" test "$answer" = timeout

url="$NATS_URL?jetstream=1&stream=OBITB_$$&subject=obit.b.$$&durable=obit-b-$$"
"$OUTBREAK" sink --broker "$url" --mongo "$big_url" >"$WORK/sink.log" 2>&1 &
PIDS+=($!)
sleep 1
for i in 1 2 3 4 5; do
    id="big-$$-$i"
    "$OUTBREAK" run --headless --broker "$url" --mongo "$big_url" --rate 5000 --pool 10000 --once --headless \
        --only-summary --run-id "$id" --json "$WORK/b$i.json" >"$WORK/run$i.log" 2>&1
    rc=$?
    end_ns=$(date +%s%N)
    last_ns=$($MONGO_TOOL lastpersisted 127.0.0.1 27017 "$big_db" "$id")
    ms=$(((end_ns - last_ns) / 1000000))
    grep -E '^delivery|^persisted ' "$WORK/run$i.log"
    echo "run $i: exit $rc, ${ms} ms after its last record was persisted"
    check "run $i exits 0 (got $rc)" test "$rc" -eq 0
    check "run $i: acked 10000, persisted 10000, lost 0, unconfirmed 0, from sink_stats" test \
        "$(json "$WORK/b$i.json" '[d[k] for k in ("acked","persisted","lost","unconfirmed","persisted_source")]')" \
        = "[10000, 10000, 0, 0, 'sink_stats']"
    check "run $i exits within 15 s of its last record persisted (${ms} ms)" test "$last_ns" -gt 0 -a "$ms" -le 15000
done
$MONGO_TOOL fillextra 127.0.0.1 27017 "$big_db" 50000
finish
