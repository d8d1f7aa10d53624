# jetstream_e2e.sh — outbreak run -> NATS JetStream -> outbreak sink -> MongoDB: a run of
# 50 000 records ends with lost = 0, persisted (MongoDB's own count of the run's
# documents) = acked, end-to-end latency measured, and the Locust CSV and JSON written.
source "$(dirname "$0")/lib.sh"
require_servers

id="js-e2e-$$-$(date +%s)"
url="$NATS_URL?jetstream=1&stream=OBIT_$$&subject=obit.$$&durable=obit-$$"
start_sink "$url" "$WORK/sink.log"
"$OUTBREAK" run --headless --broker "$url" --mongo "$MONGO_URL" --rate 10000 -t 5s --headless \
    --run-id "$id" --json "$WORK/s.json" --csv "$WORK/s" >"$WORK/run.log" 2>&1
rc=$?
cat "$WORK/run.log" | tail -20
check_delivered "$rc" "$WORK/s.json" "$id" +50000
acked=$ACKED
check "durability names JetStream and PubAck" test "$(json "$WORK/s.json" 'd["durability"]["publish_ack"]')" = PubAck
check "series has persisted figures" test "$(json "$WORK/s.json" 'sum(p["persisted"] or 0 for p in d["series"])')" -gt 0
check "Locust stats CSV header" grep -q '^Type,Name,Request Count,Failure Count,Median Response Time' "$WORK/s_stats.csv"
check "Locust history CSV has rows" test "$(wc -l <"$WORK/s_stats_history.csv")" -ge 5
check "failures CSV exists" test -f "$WORK/s_failures.csv"
# the stream as the server holds it, in the durability: its storage, retention and limits.
# A stream this run creates with limits has them on the server and says them; a later run
# that finds it says so and what it has; a run or a sink whose URL asks for another
# setting than the existing stream has fails at start, in one line naming it
got=$(json "$WORK/s.json" '"%s|%s|%s" % (d["durability"]["storage"], d["durability"]["retention"], d["durability"]["stream_limits"])')
check "durability: the stream's storage, retention and limits ($got)" test "$got" = "file|limits|none"
# the sinks' consumer too: a publisher whose URL asks for another ack wait says the one the
# consumer the sink made has (the sink itself would refuse to start with it)
"$OUTBREAK" run --headless --broker "$url&ack_wait=5000" --rate 100 -t 1s --only-summary --json "$WORK/cons.json" \
    >"$WORK/cons.log" 2>&1
got=$(json "$WORK/cons.json" '"%s|%s|%s" % (d["durability"]["consumer_origin"], d["durability"]["ack_wait_ms"], d["durability"]["max_ack_pending"])')
check "the sinks' consumer as the server has it, not the URL's ack_wait ($got)" test "$got" = "existed|30000|4096"
lim="$NATS_URL?jetstream=1&stream=OBLIM_$$&subject=obit.lim.$$"
"$OUTBREAK" run --headless --broker "$lim&max_msgs=100&max_age=1h&storage=memory" --rate 500 -t 1s --only-summary \
    --json "$WORK/lim.json" >"$WORK/lim.log" 2>&1
got=$(json "$WORK/lim.json" '"%s|%s|%s|%d|%s" % (d["durability"]["stream_origin"], d["durability"]["storage"], d["durability"]["stream_limits"], d["acked"], d["durability"]["consumer_origin"])')
check "a stream created with limits says them ($got)" \
    test "$got" = "created by this process|memory|max_msgs 100, max_age 3600 s, discard old|500|not there at start"
got=$(python3 "$OB_SOURCE_DIR/tests/integration/nats_tool.py" info 127.0.0.1 4222 "OBLIM_$$")
check "the server holds the stream so: memory, max_msgs 100, 100 of the 500 records kept ($got)" \
    test "$got" = "memory 100 100"
"$OUTBREAK" run --headless --broker "$lim" --rate 100 -t 1s --only-summary --json "$WORK/lim2.json" >"$WORK/lim2.log" 2>&1
got=$(json "$WORK/lim2.json" '"%s|%s|%s" % (d["durability"]["stream_origin"], d["durability"]["storage"], d["durability"]["stream_limits"])')
check "a run that finds the stream says what it has, not the URL's defaults ($got)" \
    test "$got" = "existed|memory|max_msgs 100, max_age 3600 s, discard old"
fails_fast 1 "stream OBLIM_$$ at 127.0.0.1:4222 exists with storage memory, the URL asks for storage=file" \
    run --headless --broker "$lim&storage=file" --rate 100 -t 1s
fails_fast 1 "exists with max_msgs 100, the URL asks for max_msgs=5" \
    sink --broker "$lim&max_msgs=5" --mongo "$MONGO_URL"
# a PubAck that says no: the stream exists (made by the run above) but does not take
# this subject, so the server answers each publish "no responders"; every record is
# counted failed with that reason, none acked
"$OUTBREAK" run --headless --broker "$NATS_URL?jetstream=1&stream=OBIT_$$&subject=obit.other.$$" --rate 200 -t 1s \
    --json "$WORK/nr.json" >"$WORK/nr.log" 2>&1
got=$(json "$WORK/nr.json" '"sent %d acked %d failed %d: %s" % (d["sent"], d["acked"], d["failed"], "; ".join(f["error"] for f in d["failures"]))')
check "a subject no stream takes: every record failed, with the reason ($got)" \
    test "$got" = "sent 200 acked 0 failed 200: no responders: no JetStream stream takes the subject"
# the same as fast as it goes, thrice: thousands of answers in flight when the sending
# stops, and every one counted in failed before the summary is made (the failures' count
# and failed are one figure: an answer still being counted when the flush returned made
# them differ by one)
for i in 1 2 3; do
    "$OUTBREAK" run --headless --broker "$NATS_URL?jetstream=1&stream=OBIT_$$&subject=obit.other.$$" --rate max -t 1s \
        --only-summary --json "$WORK/nrmax.json" >"$WORK/nrmax.log" 2>&1
    got=$(json "$WORK/nrmax.json" '"%s" % ((d["sent"] == d["failed"] == sum(f["count"] for f in d["failures"]) > 0 and d["acked"] == 0) or (d["sent"], d["acked"], d["failed"], [f["count"] for f in d["failures"]]))')
    check "a subject no stream takes, --rate max (round $i): sent = failed = the failures' count ($got)" test "$got" = True
done
# core NATS on a subject the stream takes: the stream stores every record of the core run,
# which the run says (the durability's stored_by_streams, in the printed summary and the
# JSON); on one no stream takes it says none
for mode in "--rate 500" "--rate max"; do
    # shellcheck disable=SC2086 # the mode is two words
    "$OUTBREAK" run --headless --broker "$NATS_URL?subject=obit.$$" $mode -t 1s --only-summary \
        --json "$WORK/cap.json" >"$WORK/cap.log" 2>&1
    check "core NATS on the stream's subject ($mode): in the printed summary" \
        grep -q "\"stored_by_streams\":\"OBIT_$$\"" "$WORK/cap.log"
    check "core NATS on the stream's subject ($mode): in the durability" \
        test "$(json "$WORK/cap.json" 'd["durability"]["stored_by_streams"]')" = "OBIT_$$"
done
"$OUTBREAK" run --headless --broker "$NATS_URL?subject=obit.core.$$" --rate 500 -t 1s --only-summary \
    --json "$WORK/nocap.json" >"$WORK/nocap.log" 2>&1
check "core NATS on a subject no stream takes: stored_by_streams none" \
    test "$(json "$WORK/nocap.json" 'd["durability"]["stored_by_streams"]')" = "none"
finish
