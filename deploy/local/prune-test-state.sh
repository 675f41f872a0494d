#!/usr/bin/env bash
# Remove what earlier test runs left on the local servers that up.sh
# started: Kafka topics and ClickHouse databases whose names only tests
# make (testenv.Unique prefixes, and watermill's suite's topic-<uuid>).
#
#   deploy/local/prune-test-state.sh
#
# Tests name everything uniquely and do not clean up (a killed run could
# not anyway), so a developer's broker collects topics run after run.
# Around 1,600 topics the single local broker stalls on fetches long
# enough to fail watermill's consumer-group test; test.sh therefore calls
# this before the tests. Do not run it while another test run uses the
# same servers: it would delete that run's topics. CI machines start
# empty, so there it finds nothing.
set -euo pipefail
PROG=prune-test-state.sh
# shellcheck source=deploy/local/lib-servers.sh
source "$(dirname "$0")/lib-servers.sh"

# Names made by testenv.Unique (a prefix and 12 hex digits) and by
# watermill's pubsub test suite.
topics='(itest\.[0-9a-f]{12}\..*|kafkalog-(test|bench)-[0-9a-f]{12}\..*|kafkastore-test-[0-9a-f]{12}|kafkabus-(commit|env|order|takeover)-[0-9a-f]{12}.*|topic-[0-9a-f-]{36}.*)'
databases='^(itest|bench_replay|cdrtest|settle)_[0-9a-f]{12}$'

if (exec 3<>"/dev/tcp/$KAFKA_HOST/$KAFKA_PORT") 2>/dev/null; then
  n=$("$LOCAL_DIR/kafka/kafka-tool.sh" topics --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" --list | grep -cE "^$topics\$" || true)
  if ((n > 0)); then
    "$LOCAL_DIR/kafka/kafka-tool.sh" topics --bootstrap-server "$KAFKA_HOST:$KAFKA_PORT" --delete --if-exists --topic "$topics"
  fi
  echo "$PROG: kafka: deleted $n test topics"
fi

if command -v clickhouse-client >/dev/null && clickhouse-client --host "$CH_HOST" --port "$CH_TCP_PORT" -q "SELECT 1" >/dev/null 2>&1; then
  n=0
  while read -r db; do
    clickhouse-client --host "$CH_HOST" --port "$CH_TCP_PORT" -q "DROP DATABASE IF EXISTS \`$db\`"
    n=$((n + 1))
  done < <(clickhouse-client --host "$CH_HOST" --port "$CH_TCP_PORT" -q "SHOW DATABASES" | grep -E "$databases" || true)
  echo "$PROG: clickhouse: dropped $n test databases"
fi
