#!/usr/bin/env bash
# Installs Kamailio (and SIPp) for the bench in deploy/bench. See install-sipp.sh.
set -euo pipefail
exec "$(dirname "$0")/install-sipp.sh" kamailio
