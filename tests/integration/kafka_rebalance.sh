# kafka_rebalance.sh — two sinks in one consumer group share a 4-partition topic; one
# leaves (SIGTERM) and joins again mid-run, so the group rebalances twice while records
# flow: partitions move between live sinks, each committing only what MongoDB has before
# giving a partition up; nothing is skipped (lost = 0, one document per acked record)
# and the accounting is exact (scenarios/sink_restart.sh).
source "$(dirname "$0")/lib.sh"
require_kafka
url="kafka://127.0.0.1:9092?topic=$(kafka_topic "obit.rebalance.$$")&partitions=4&group=obit-rebalance-$$"
source "$(dirname "$0")/scenarios/sink_restart.sh"
