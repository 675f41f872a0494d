#!/usr/bin/env bash
# Idempotently install Debian's Chromium and ChromeDriver for the web
# console's browser test (cmd/softswitch/e2e_console_test.go, which drives
# /usr/bin/chromedriver over WebDriver from Go: no npm, no browser
# download, docs/console.md). Run as root or with password-less sudo,
# without a TTY (CI); waits for a dpkg lock another apt holds.
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
  echo "install-chromium.sh: already installed: $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
    echo "install-chromium.sh: need root (or sudo) to install chromium chromium-driver" >&2; exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# apt waits for the dpkg lock itself (apt >= 1.9), bounded here.
apt_opts=(-o "DPkg::Lock::Timeout=${APT_LOCK_WAIT:-900}" -o Dpkg::Use-Pty=0)
echo "install-chromium.sh: installing chromium chromium-driver"
"${SUDO[@]}" apt-get "${apt_opts[@]}" update -qq
"${SUDO[@]}" dpkg --configure -a || true
"${SUDO[@]}" apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends chromium chromium-driver
/usr/bin/chromium --version
