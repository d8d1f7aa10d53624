# nats_core_mongo_outage.sh — MongoDB killed and restarted in the middle of a core NATS
# run. Core NATS keeps nothing: a record the sink could not insert is gone, and the sink
# says so ("dropped (core NATS does not deliver again: lost)", not "rejected for
# redelivery", which would promise a record that never comes). What must hold: the sink
# keeps running and writes again once MongoDB is back; every acked record is persisted or
# counted lost (persisted + lost = acked, nothing unconfirmed); the sink's own count of
# what it dropped is every acked record it did not store (no other loss on loopback at
# this rate), and the run's lost is at most that (an insert cut off mid-way may have
# stored some of the records the sink dropped: MongoDB's count, the run's persisted,
# has them); MongoDB holds exactly the persisted records. Uses a private FerretDB
# (scenarios/mongo_outage_run.sh).
source "$(dirname "$0")/lib.sh"
require_servers
url="$NATS_URL?subject=obit.core_outage.$$"
run_args=(--rate 1000 -t 10s --stop-timeout 30s)
source "$(dirname "$0")/scenarios/mongo_outage_run.sh"

[ -s "$WORK/o.json" ] || { fail "no JSON summary"; finish; exit 1; }
read -r sent acked failed persisted lost unconfirmed < <(json "$WORK/o.json" \
    '" ".join(str(d[k]) for k in ("sent", "acked", "failed", "persisted", "lost", "unconfirmed"))')
echo "sent $sent acked $acked failed $failed persisted $persisted lost $lost unconfirmed $unconfirmed"
check "the run exits 1: records were lost (got $rc)" test "$rc" -eq 1
check "sent $sent = acked $acked, failed 0" test "$sent" -eq "$acked" -a "$failed" -eq 0
check "records lost while MongoDB was down: $lost > 0" test "$lost" -gt 0
check "persisted $persisted + lost $lost = acked $acked, unconfirmed $unconfirmed = 0" \
    test $((persisted + lost)) -eq "$acked" -a "$unconfirmed" -eq 0
# the sink drops every record of an insert that failed; an insert cut off mid-way may
# have stored some of them (seen: 6 of 1 725), which MongoDB's count, the run's
# persisted, includes: so the sink's dropped count is every acked record it did not count
# as persisted (no other loss on loopback at this rate), and the run's lost is that less
# the dropped records MongoDB holds
sink_persisted=$(sed -n 's/^outbreak sink: stopped: \([0-9]*\) persisted.*/\1/p' "$WORK/sink.log")
check "the run's lost $lost <= what the sink dropped, acked $acked - the sink's persisted ${sink_persisted:-?}" \
    test -n "$sink_persisted" -a "$lost" -le $((acked - ${sink_persisted:-0}))
check_not_redelivered "$persisted" "dropped (core NATS does not deliver again: lost)" $((acked - ${sink_persisted:-0}))
finish
