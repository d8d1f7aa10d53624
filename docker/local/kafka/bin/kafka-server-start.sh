#!/bin/bash
# kafka-server-start.sh [-daemon] server.properties [--override key=value]... —
# outbreak-local/kafka. The server's defaults, as Kafka's script: heap -Xmx1G -Xms1G
# (KAFKA_HEAP_OPTS replaces it) and config/log4j2.yaml (KAFKA_LOG4J_OPTS replaces it).
[ $# -ge 1 ] || { echo "USAGE: $0 [-daemon] server.properties [--override property=value]*" >&2; exit 1; }
export KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G}
export KAFKA_LOG4J_OPTS=${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/log4j2.yaml}
[ "$1" = -daemon ] && shift
exec /opt/kafka/bin/kafka-run-class.sh kafka.Kafka "$@"
