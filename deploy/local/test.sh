#!/usr/bin/env bash
# The project's test entry point (called by .ci/run):
#   1. make sure SIPp, sipvicious and schemathesis are installed (end-to-end
#      tests need them; sipvicious's venv goes first on PATH, schemathesis
#      is named by $SOFTSWITCH_SCHEMATHESIS)
#   2. go vet
#   3. unit tests with the race detector
#   4. end-to-end tests (build tag e2e): the real binary driven by SIPp;
#      SOFTSWITCH_REQUIRE_SIPP=1 turns "sipp missing" into a failure instead
#      of a skip, so CI can never pass without actually running them.
#   After step 1, deploy/local/up.sh installs (when missing) and starts Kafka
#   and ClickHouse; SOFTSWITCH_REQUIRE_SERVERS=1 makes a missing server fail
#   the integration tests instead of skipping them (internal/testenv), and
#   deploy/local/prune-test-state.sh deletes the topics and databases that
#   earlier runs left on them.
set -euo pipefail
cd "$(dirname "$0")/../.."

echo "== install SIPp"
deploy/local/install-sipp.sh

echo "== install chromium and chromedriver (the web console's browser test)"
deploy/local/install-chromium.sh

echo "== install sipvicious"
deploy/local/install-sipvicious.sh
venv=$(deploy/local/install-sipvicious.sh --venv)
if [[ -x $venv/bin/python3 ]]; then export PATH="$venv/bin:$PATH"; fi

echo "== install schemathesis"
# Its venv is not put on PATH: its python3 would shadow sipvicious's.
deploy/local/install-schemathesis.sh
export SOFTSWITCH_SCHEMATHESIS="$(deploy/local/install-schemathesis.sh --venv)/bin/schemathesis"

echo "== start Kafka and ClickHouse"
bash deploy/local/up.sh
export SOFTSWITCH_TEST_KAFKA=127.0.0.1:9092
export SOFTSWITCH_TEST_CLICKHOUSE=clickhouse://127.0.0.1:9000/default
export SOFTSWITCH_REQUIRE_SERVERS=1

echo "== prune topics and databases earlier test runs left"
bash deploy/local/prune-test-state.sh

echo "== go vet"
go vet ./...
go vet -tags e2e ./cmd/softswitch/

echo "== unit tests"
go test -race -count=1 ./...

echo "== end-to-end tests"
SOFTSWITCH_REQUIRE_SIPP=1 go test -tags e2e -count=1 -timeout 20m ./cmd/softswitch/
