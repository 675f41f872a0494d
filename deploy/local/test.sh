#!/usr/bin/env bash
# The project's test command (README command 2; .ci/run calls it).
# Installs what the tests need when missing, then runs the unit tests and
# the end-to-end tests that drive the real switch binary with SIPp over
# loopback. Later issues add Kafka and ClickHouse start-up here.
set -euo pipefail
cd "$(dirname "$0")/../.."

bash deploy/local/install-sipp.sh

echo "== go vet"
go vet ./...
go vet -tags e2e ./cmd/softswitch/

echo "== unit tests"
go test -race -count=1 -timeout 15m ./...

echo "== end-to-end tests (real binary, SIPp, 127.0.0.1 only)"
SOFTSWITCH_REQUIRE_SIPP=1 go test -tags e2e -count=1 -timeout 20m -v ./cmd/softswitch/ 2>&1 | tee /tmp/softswitch-e2e.log | grep -E '^(=== RUN|--- |PASS|FAIL|ok|panic)|e2e_' || true
grep -qE '^ok\s' /tmp/softswitch-e2e.log || { echo "end-to-end tests failed; full log:"; tail -200 /tmp/softswitch-e2e.log; exit 1; }
