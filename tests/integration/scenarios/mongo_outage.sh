# scenarios/mongo_outage.sh — sourced by a test after lib.sh, with `url` set to the
# broker URL (a durable queue or stream of its own): MongoDB goes away in the middle of a
# run and comes back; the sink rejects the batches it cannot insert (the broker
# redelivers them), backs off, says so on one line, keeps running, and once MongoDB is
# back writes everything: lost = 0 and one document per acked record. Uses a private
# FerretDB on its own port and data directory, so the shared server is left alone.
: "${url:?set url to the broker URL before sourcing scenarios/mongo_outage.sh}"
# 16 000 records, each once, at 2000/s (a count that does not depend on the machine's speed)
run_args=(--rate 2000 --pool 16000 --once --stop-timeout 60s)
source "$(dirname "${BASH_SOURCE[0]}")/mongo_outage_run.sh"

acked=$(json "$WORK/o.json" 'd["acked"]')
check "run exits 0 (got $rc)" test "$rc" -eq 0
check "acked $acked = 16000" test "$acked" -eq 16000
check "lost = 0" test "$(json "$WORK/o.json" 'd["lost"]')" = 0
check "persisted = acked" test "$(json "$WORK/o.json" 'd["persisted"]')" = "$acked"
count=$($MONGO_TOOL count 127.0.0.1 $PORT obit_outage records "$id")
check "MongoDB holds $count documents of the run: one per acked record" test "$count" = "$acked"
check "the sink said it rejected batches for redelivery" grep -q "rejected for redelivery, retrying in" "$WORK/sink.log"
rejected=$(sed -n 's/.*stopped: .* \([0-9][0-9]*\) rejected for redelivery.*/\1/p' "$WORK/sink.log")
check "the sink's totals count the rejected deliveries (${rejected:-none})" test "${rejected:-0}" -gt 0
check "the sink exits 0 after SIGTERM (got $src)" test "$src" -eq 0
finish
