# rabbitmq_mongo_outage.sh — MongoDB killed and restarted in the middle of a RabbitMQ run:
# the sink rejects (basic.nack, requeue) the deliveries it cannot insert, RabbitMQ
# delivers them again, and everything acked ends up in MongoDB (scenarios/mongo_outage.sh).
source "$(dirname "$0")/lib.sh"
require_rabbitmq
url="${RABBIT_URL}?queue=$(rabbit_queue "obit.outage.$$")"
source "$(dirname "$0")/scenarios/mongo_outage.sh"
