#!/usr/bin/env bash
# Run a Kafka 4.3.1 command-line tool from the jar cache that up.sh fills
# (no Kafka distribution tarball needed):
#
#   deploy/local/kafka/kafka-tool.sh TOOL [ARGS...]
#
# TOOL is the script name of the Kafka distribution, with or without the
# kafka- prefix and .sh suffix, e.g.
#   kafka-tool.sh kafka-topics --bootstrap-server 127.0.0.1:9092 --list
#   kafka-tool.sh kafka-consumer-groups --bootstrap-server 127.0.0.1:9092 --describe --all-groups
#   kafka-tool.sh kafka-producer-perf-test --topic perf --num-records 100000 \
#       --record-size 200 --throughput -1 --command-property bootstrap.servers=127.0.0.1:9092
# or a fully qualified main class. `kafka-tool.sh --list` prints the mapping.
# Tools log warnings to stderr only. KAFKA_HEAP_OPTS overrides -Xmx512m.
set -euo pipefail
PROG=kafka-tool.sh
# shellcheck source=deploy/local/lib-servers.sh
source "$(dirname "$0")/../lib-servers.sh"

# Script name -> main class, as in Kafka 4.3.1's bin/*.sh (most tools moved
# from kafka.admin / kafka.tools (Scala) to org.apache.kafka.tools (Java)).
declare -A MAIN=(
  [topics]=org.apache.kafka.tools.TopicCommand
  [consumer-groups]=org.apache.kafka.tools.consumer.group.ConsumerGroupCommand
  [share-groups]=org.apache.kafka.tools.consumer.group.ShareGroupCommand
  [producer-perf-test]=org.apache.kafka.tools.ProducerPerformance
  [consumer-perf-test]=org.apache.kafka.tools.ConsumerPerformance
  [console-producer]=org.apache.kafka.tools.ConsoleProducer
  [console-consumer]=org.apache.kafka.tools.consumer.ConsoleConsumer
  [get-offsets]=org.apache.kafka.tools.GetOffsetShell
  [delete-records]=org.apache.kafka.tools.DeleteRecordsCommand
  [log-dirs]=org.apache.kafka.tools.LogDirsCommand
  [metadata-quorum]=org.apache.kafka.tools.MetadataQuorumCommand
  [configs]=kafka.admin.ConfigCommand
  [storage]=kafka.tools.StorageTool
  [dump-log]=org.apache.kafka.tools.DumpLogSegments
  [features]=org.apache.kafka.tools.FeatureCommand
  [broker-api-versions]=org.apache.kafka.tools.BrokerApiVersionsCommand
  [reassign-partitions]=org.apache.kafka.tools.reassign.ReassignPartitionsCommand
  [leader-election]=org.apache.kafka.tools.LeaderElectionCommand
  [transactions]=org.apache.kafka.tools.TransactionsCommand
  [cluster]=org.apache.kafka.tools.ClusterTool
)

if [[ $# == 0 || $1 == -h || $1 == --help ]]; then sed -n '2,15p' "$0"; exit 0; fi
if [[ $1 == --list ]]; then
  for k in "${!MAIN[@]}"; do printf 'kafka-%-22s %s\n' "$k" "${MAIN[$k]}"; done | sort
  exit 0
fi

tool=${1%.sh}; shift
tool=${tool#kafka-}
if [[ -n ${MAIN[$tool]:-} ]]; then main=${MAIN[$tool]}
elif [[ $tool == *.* ]]; then main=$tool
else die "unknown tool '$tool'; see: kafka-tool.sh --list"; fi

[[ -f $KAFKA_JARS/.complete ]] || die "no Kafka jars in $KAFKA_JARS; run deploy/local/up.sh kafka first"
cfg=$LOCAL_DIR/kafka/tools-log4j2.xml
# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM options
exec java ${KAFKA_HEAP_OPTS:--Xmx512m} -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
  -Dlog4j2.configurationFile="$cfg" -cp "$KAFKA_JARS/*" "$main" "$@"
