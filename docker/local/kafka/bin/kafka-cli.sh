#!/bin/bash
# kafka-cli.sh — outbreak-local/kafka: each of Kafka's command-line scripts
# (/opt/kafka/bin/kafka-topics.sh, ...) is a link to this file, which runs the class that
# Kafka 4.4's script of that name runs, through kafka-run-class.sh. `--list` prints the
# names.
declare -A classes=(
    [kafka-acls.sh]=org.apache.kafka.tools.AclCommand
    [kafka-broker-api-versions.sh]=org.apache.kafka.tools.BrokerApiVersionsCommand
    [kafka-cluster.sh]=org.apache.kafka.tools.ClusterTool
    [kafka-configs.sh]=org.apache.kafka.tools.ConfigCommand
    [kafka-console-consumer.sh]=org.apache.kafka.tools.consumer.ConsoleConsumer
    [kafka-console-producer.sh]=org.apache.kafka.tools.ConsoleProducer
    [kafka-consumer-groups.sh]=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand
    [kafka-consumer-perf-test.sh]=org.apache.kafka.tools.ConsumerPerformance
    [kafka-delete-records.sh]=org.apache.kafka.tools.DeleteRecordsCommand
    [kafka-dump-log.sh]=org.apache.kafka.tools.DumpLogSegments
    [kafka-features.sh]=org.apache.kafka.tools.FeatureCommand
    [kafka-get-offsets.sh]=org.apache.kafka.tools.GetOffsetShell
    [kafka-leader-election.sh]=org.apache.kafka.tools.LeaderElectionCommand
    [kafka-log-dirs.sh]=org.apache.kafka.tools.LogDirsCommand
    [kafka-metadata-quorum.sh]=org.apache.kafka.tools.MetadataQuorumCommand
    [kafka-producer-perf-test.sh]=org.apache.kafka.tools.ProducerPerformance
    [kafka-reassign-partitions.sh]=org.apache.kafka.tools.reassign.ReassignPartitionsCommand
    [kafka-storage.sh]=kafka.tools.StorageTool
    [kafka-topics.sh]=org.apache.kafka.tools.TopicCommand
    [kafka-transactions.sh]=org.apache.kafka.tools.TransactionsCommand
)
if [ "${1:-}" = --list ]; then
    printf '%s\n' "${!classes[@]}" | sort
    exit 0
fi
name=$(basename "$0")
class=${classes[$name]:-}
[ -n "$class" ] || { echo "kafka-cli.sh: run it through one of: ${!classes[*]}" >&2; exit 2; }
case $name in
    kafka-console-producer.sh|kafka-console-consumer.sh|kafka-producer-perf-test.sh|kafka-consumer-perf-test.sh)
        export KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx512M} ;;
esac
exec /opt/kafka/bin/kafka-run-class.sh "$class" "$@"
