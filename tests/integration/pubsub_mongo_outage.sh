# pubsub_mongo_outage.sh — MongoDB killed and restarted in the middle of a Pub/Sub run (the
# stack's emulator, a topic and subscription of its own): the sink hands back
# (modifyAckDeadline 0 s) the messages it cannot insert, the emulator delivers them
# again, and everything acked ends up in MongoDB (scenarios/mongo_outage.sh).
source "$(dirname "$0")/lib.sh"
require_pubsub
url="pubsub://obit-$$/obit-outage?subscription=obit-outage-$$"
source "$(dirname "$0")/scenarios/mongo_outage.sh"
