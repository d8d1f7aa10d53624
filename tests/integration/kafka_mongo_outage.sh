# kafka_mongo_outage.sh — MongoDB killed and restarted in the middle of a Kafka run: the
# sink's failed inserts rewind their partitions (Kafka has no per-record nack), the
# records are read again, and everything acked ends up in MongoDB
# (scenarios/mongo_outage.sh).
source "$(dirname "$0")/lib.sh"
require_kafka
url="kafka://127.0.0.1:9092?topic=$(kafka_topic "obit.outage.$$")&partitions=3&group=obit-outage-$$"
source "$(dirname "$0")/scenarios/mongo_outage.sh"
