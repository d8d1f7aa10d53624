# rabbitmq_sink_kill.sh — a sink killed (SIGKILL) and restarted in the middle of a
# RabbitMQ run: the broker requeues the dead sink's unacknowledged deliveries at once
# (its connection closed), they come again marked redelivered, and the run ends with
# lost = 0, one document per acked record (scenarios/sink_kill.sh).
source "$(dirname "$0")/lib.sh"
require_rabbitmq
url="${RABBIT_URL}?queue=$(rabbit_queue "obit.kill.$$")"
source "$(dirname "$0")/scenarios/sink_kill.sh"
