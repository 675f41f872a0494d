# Sourced by the install scripts of PyPI tools (sipvicious, schemathesis).
# Debian 12's python3 refuses `pip install` outside a virtualenv (PEP 668),
# so each tool gets one of its own under the cache directory.

# venv_create DIR: a fresh virtualenv at DIR, installing Debian's
# python3-venv first when venv or ensurepip is missing (Debian ships them
# apart from python3).
venv_create() {
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    local sudo=()
    [[ $(id -u) -ne 0 ]] && sudo=(sudo -n)
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq python3-venv
  fi
  rm -rf "$1"
  python3 -m venv "$1"
}

# venv_pip DIR REQUIREMENT: pip install REQUIREMENT into DIR, quietly.
venv_pip() {
  "$1/bin/pip" install --quiet --disable-pip-version-check "$2"
}
