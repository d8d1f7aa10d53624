# sink_mongo_outage.sh — MongoDB killed and restarted in the middle of a JetStream run:
# the sink rejects what it cannot insert, JetStream redelivers it, and everything acked
# ends up in MongoDB (scenarios/mongo_outage.sh).
source "$(dirname "$0")/lib.sh"
require_servers
url="$NATS_URL?jetstream=1&stream=OBITO_$$&subject=obit.o.$$&durable=obit-o-$$&ack_wait=5000"
source "$(dirname "$0")/scenarios/mongo_outage.sh"
