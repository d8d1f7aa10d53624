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
# a PubAck that says no: the stream exists (made by the run above) but does not take
# this subject, so the server answers each publish "no responders"; every record is
# counted failed with that reason, none acked
"$OUTBREAK" run --headless --broker "$NATS_URL?jetstream=1&stream=OBIT_$$&subject=obit.other.$$" --rate 200 -t 1s \
    --json "$WORK/nr.json" >"$WORK/nr.log" 2>&1
got=$(json "$WORK/nr.json" '"sent %d acked %d failed %d: %s" % (d["sent"], d["acked"], d["failed"], "; ".join(f["error"] for f in d["failures"]))')
check "a subject no stream takes: every record failed, with the reason ($got)" \
    test "$got" = "sent 200 acked 0 failed 200: no responders: no JetStream stream takes the subject"
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
