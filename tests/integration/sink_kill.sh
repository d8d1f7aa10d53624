# sink_kill.sh — a sink killed (SIGKILL) and restarted in the middle of a JetStream run:
# JetStream redelivers what the dead sink had not acknowledged (after ack_wait), and the
# run ends with lost = 0, one document per acked record (scenarios/sink_kill.sh).
source "$(dirname "$0")/lib.sh"
require_servers
url="$NATS_URL?jetstream=1&stream=OBITK_$$&subject=obit.k.$$&durable=obit-k-$$&ack_wait=10000"
source "$(dirname "$0")/scenarios/sink_kill.sh"
