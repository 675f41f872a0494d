#!/usr/bin/env bash
# Idempotently install sipvicious (the SIP scanner suite the e2e tests turn
# on the switch) from PyPI, pinned, when `python3 -c 'import sipvicious'`
# fails. It goes into a virtualenv of its own, because Debian 12's python3
# refuses `pip install` outside one (PEP 668); test.sh puts the venv's bin
# first on PATH, so the tests' `python3 -m sipvicious.svwar` finds it.
#
#   install-sipvicious.sh          install when missing
#   install-sipvicious.sh --venv   print the venv's directory
set -euo pipefail
source "$(dirname "$0")/lib-venv.sh"

version=0.3.8
venv="${XDG_CACHE_HOME:-$HOME/.cache}/softswitch/sipvicious-venv"
if [[ ${1:-} == --venv ]]; then echo "$venv"; exit 0; fi

if python3 -c 'import sipvicious' 2>/dev/null || "$venv/bin/python3" -c 'import sipvicious' 2>/dev/null; then
  echo "install-sipvicious.sh: already installed"
  exit 0
fi

venv_create "$venv"
venv_pip "$venv" "sipvicious==$version"
"$venv/bin/python3" -c 'import sipvicious' && echo "install-sipvicious.sh: sipvicious $version in $venv"
