# sink_restart.sh — two sinks share one JetStream consumer; one is stopped (SIGTERM) and
# started again mid-run; nothing is lost and the sinks' accounting is exact
# (scenarios/sink_restart.sh). SIGKILL mid-run is sink_kill.sh.
source "$(dirname "$0")/lib.sh"
require_servers
url="$NATS_URL?jetstream=1&stream=OBITS_$$&subject=obit.s.$$&durable=obit-s-$$&ack_wait=5000"
source "$(dirname "$0")/scenarios/sink_restart.sh"
