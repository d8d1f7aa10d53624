# kafka_sink_kill.sh — a sink killed (SIGKILL) and restarted in the middle of a Kafka run:
# the group's committed offsets cover only records MongoDB had, so the new sink reads
# the rest again (duplicates absorbed by _id), and the run ends with lost = 0, one
# document per acked record (scenarios/sink_kill.sh).
source "$(dirname "$0")/lib.sh"
require_kafka
url="kafka://127.0.0.1:9092?topic=$(kafka_topic "obit.kill.$$")&partitions=3&group=obit-kill-$$"
source "$(dirname "$0")/scenarios/sink_kill.sh"
