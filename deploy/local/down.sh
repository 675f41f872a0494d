#!/usr/bin/env bash
# Stop the servers deploy/local/up.sh started:
#
#   down.sh [kafka|clickhouse|all]     (default: all)
#
# Each server is stopped through its own pid file under the state dir
# (${SOFTSWITCH_LOCAL_STATE:-/var/tmp/softswitch-local}): SIGTERM, up to
# ${SOFTSWITCH_STOP_TIMEOUT:-30} s to exit, then SIGKILL. A no-op for a
# server that is not running. Data is kept: the next up.sh starts on it.
# See docs/local-servers.md.
set -euo pipefail
PROG=down.sh
# shellcheck source=deploy/local/lib-servers.sh
source "$(dirname "$0")/lib-servers.sh"

what=${1:-all}
case "$what" in
  kafka|clickhouse|all) ;;
  -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
  *) echo "usage: down.sh [kafka|clickhouse|all]" >&2; exit 2 ;;
esac

if [[ $what == kafka || $what == all ]]; then
  stop_pidfile kafka "$KAFKA_PID"
fi
if [[ $what == clickhouse || $what == all ]]; then
  stop_pidfile clickhouse "$CH_PID"
fi
