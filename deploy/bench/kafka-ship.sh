#!/usr/bin/env bash
# Kafka shipping throughput and its ceilings, in one run against the local
# broker (deploy/local/up.sh kafka; this script never starts one):
#   1. BenchmarkShip       the shipper, journal -> 12-partition topic, acks=all
#   2. BenchmarkRawWriter  the same records through a bare kafka-go Writer
#   3. ProducerPerformance Kafka's own Java producer, 1M x 350 B, acks=all
#
# Usage: kafka-ship.sh [--events 500000] [--brokers 127.0.0.1:9092]
# Topics are named kafkalog-bench-<random>.* and kafkalog-perf-<time>; they
# are left on the broker (delete them with kafka-topics if space matters).
set -euo pipefail
cd "$(dirname "$0")/../.."

events=500000
brokers=127.0.0.1:9092
while [[ $# -gt 0 ]]; do
  case "$1" in
    --events) events=$2; shift 2 ;;
    --brokers) brokers=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done
jars=${SOFTSWITCH_CACHE:-$HOME/.cache/softswitch}/kafka-4.3.1

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "== go benchmarks ($events events)"
SOFTSWITCH_TEST_KAFKA=$brokers SOFTSWITCH_REQUIRE_SERVERS=1 SOFTSWITCH_BENCH_EVENTS=$events \
  go test ./eventstore/kafkalog -run '^$' -bench 'Ship|RawWriter' -benchtime 1x -timeout 20m

echo "== kafka ProducerPerformance (1000000 x 350 B, acks=all)"
timeout 300 java -Dlog4j2.configurationFile=deploy/local/kafka/tools-log4j2.xml -cp "$jars/*" \
  org.apache.kafka.tools.ProducerPerformance --topic "kafkalog-perf-$(date +%s)" \
  --num-records 1000000 --record-size 350 --throughput -1 \
  --producer-props bootstrap.servers="$brokers" acks=all 2>&1 | grep -v WARN | tail -1
