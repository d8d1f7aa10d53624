# kafka_misuse.sh — an unreachable Kafka and a port that never answers fail within 5 s
# with exit 1 and one line naming the address; bad option values (ours and librdkafka's
# passed-through properties) are usage errors: exit 2, one line naming the option.
source "$(dirname "$0")/lib.sh"
require_kafka
fails_fast 1 '127.0.0.1:9099' run --broker "kafka://127.0.0.1:9099?topic=x" -t 2s --headless
fails_fast 1 '127.0.0.1:9099' sink --broker "kafka://127.0.0.1:9099?topic=x" --mongo "$MONGO_URL"
silent_server 9098
fails_fast 1 '127.0.0.1:9098' run --broker "kafka://127.0.0.1:9098?topic=x" -t 2s --headless
fails_fast 2 'acks' run --broker "kafka://127.0.0.1:9092?acks=2" -t 1s --headless
fails_fast 2 'idempotence needs acks=all' run --broker "kafka://127.0.0.1:9092?acks=1&idempotence=1" -t 1s --headless
fails_fast 2 'rdkafka.linger.ms' run --broker "kafka://127.0.0.1:9092?rdkafka.linger.ms=abc" -t 1s --headless
fails_fast 2 'rdkafka.no.such.property' sink --broker "kafka://127.0.0.1:9092?rdkafka.no.such.property=1" --mongo "$MONGO_URL"
fails_fast 2 'unknown option "acks_"' run --broker "kafka://127.0.0.1:9092?acks_=1" -t 1s --headless
finish
