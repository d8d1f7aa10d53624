# pubsub_sink_kill.sh — a sink killed (SIGKILL) and restarted in the middle of a Pub/Sub
# run: what the dead sink had not acknowledged is delivered again once its ack deadline
# (10 s here) passes, and the run ends with lost = 0, one document per acked record
# (scenarios/sink_kill.sh).
source "$(dirname "$0")/lib.sh"
require_pubsub
url="pubsub://outbreak-local/obit-kill-$$?subscription=obit-kill-$$-sink&ack_deadline=10"
source "$(dirname "$0")/scenarios/sink_kill.sh"
