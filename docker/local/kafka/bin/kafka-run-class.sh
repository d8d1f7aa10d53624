#!/bin/bash
# kafka-run-class.sh [-daemon] [-name NAME] [-loggc] CLASS [ARG...] — outbreak-local/kafka.
# Runs CLASS with the jars in /opt/kafka/libs (plus CLASSPATH), in the foreground, with
# the environment Kafka's own script reads: KAFKA_HEAP_OPTS (default -Xmx256M),
# KAFKA_JVM_PERFORMANCE_OPTS (default G1 settings), KAFKA_LOG4J_OPTS (default:
# config/tools-log4j2.yaml), KAFKA_JMX_OPTS, KAFKA_OPTS. -daemon and -loggc are
# accepted and ignored (no background mode, no GC log).
base=/opt/kafka
while [ $# -gt 0 ]; do
    case $1 in
        -daemon|-loggc) shift ;;
        -name) shift 2 ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || { echo "usage: kafka-run-class.sh [-daemon] [-name NAME] [-loggc] CLASS [ARG...]" >&2; exit 1; }
heap=${KAFKA_HEAP_OPTS:--Xmx256M}
perf=${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 -Djava.awt.headless=true}
log4j=${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=$base/config/tools-log4j2.yaml}
jmx=${KAFKA_JMX_OPTS:-}
if [ -n "${JMX_PORT:-}" ]; then
    jmx="$jmx -Dcom.sun.management.jmxremote.port=$JMX_PORT"
fi
cp="$base/libs/*"
[ -n "${CLASSPATH:-}" ] && cp="$CLASSPATH:$cp"
# shellcheck disable=SC2086  # the *_OPTS are lists of options
exec java $heap $perf $jmx $log4j ${KAFKA_OPTS:-} -cp "$cp" "$@"
