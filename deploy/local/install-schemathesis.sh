#!/usr/bin/env bash
# Idempotently install schemathesis (the OpenAPI contract fuzzer that
# cmd/softswitch/e2e_openapi_test.go runs against the switch) from PyPI,
# pinned, into a virtualenv of its own: Debian 12's python3 refuses
# `pip install` outside one (PEP 668). test.sh exports the venv's
# schemathesis as $SOFTSWITCH_SCHEMATHESIS rather than putting the venv on
# PATH, whose python3 would shadow sipvicious's.
#
#   install-schemathesis.sh          install when missing
#   install-schemathesis.sh --venv   print the venv's directory
set -euo pipefail
source "$(dirname "$0")/lib-venv.sh"

# The e2e test names its checks as this version spells them (`run --help`).
version=4.32.5
venv="${XDG_CACHE_HOME:-$HOME/.cache}/softswitch/schemathesis-venv"
if [[ ${1:-} == --venv ]]; then echo "$venv"; exit 0; fi

if [[ -x $venv/bin/schemathesis ]] && [[ $("$venv/bin/python3" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null) == "$version" ]]; then
  echo "install-schemathesis.sh: already installed"
  exit 0
fi

venv_create "$venv"
venv_pip "$venv" "schemathesis==$version"
"$venv/bin/schemathesis" --version && echo "install-schemathesis.sh: schemathesis $version in $venv"
