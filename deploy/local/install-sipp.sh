#!/usr/bin/env bash
# Idempotently install the SIP test tools from Debian's archive.
#
#   install-sipp.sh              installs SIPp (package sip-tester) if `sipp` is missing
#   install-sipp.sh kamailio     also installs Kamailio if `kamailio` is missing
#   install-sipp.sh --kamailio   same
#
# Designed for a fresh Debian 12 machine, run as root, without a TTY (CI).
# Another apt/dpkg process may already be running (unattended upgrades, a
# provisioning step started in the background): we wait for the dpkg lock
# instead of failing.
set -euo pipefail

want_kamailio=0
for arg in "$@"; do
  case "$arg" in
    kamailio|--kamailio) want_kamailio=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "install-sipp.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

pkgs=()
command -v sipp >/dev/null 2>&1 || pkgs+=(sip-tester)
if [[ $want_kamailio == 1 ]] && ! command -v kamailio >/dev/null 2>&1 && [[ ! -x /usr/sbin/kamailio ]]; then
  pkgs+=(kamailio)
fi

if [[ ${#pkgs[@]} -eq 0 ]]; then
  echo "install-sipp.sh: already installed: sipp$( [[ $want_kamailio == 1 ]] && echo ' kamailio' || true)"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  # Not root: use sudo non-interactively, so a missing password fails fast
  # instead of hanging on a prompt in CI.
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else
    echo "install-sipp.sh: need root (or sudo) to install ${pkgs[*]}" >&2; exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive   # no debconf prompts without a TTY
# apt >= 1.9 can wait for the lock itself; the timeout bounds that wait.
APT_LOCK_WAIT=${APT_LOCK_WAIT:-900}
apt_opts=(-o "DPkg::Lock::Timeout=${APT_LOCK_WAIT}" -o Dpkg::Use-Pty=0)

# Extra, explicit wait for the lock files (bounded), so that we also cope with
# a dpkg run that is in between two apt invocations, and print why we wait.
wait_for_dpkg_lock() {
  local deadline=$(( $(date +%s) + APT_LOCK_WAIT ))
  local locks=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)
  local said=0
  while :; do
    local busy=0
    if command -v fuser >/dev/null 2>&1; then
      fuser "${locks[@]}" >/dev/null 2>&1 && busy=1
    else
      # fallback without psmisc: any apt/dpkg process running?
      pgrep -x 'apt|apt-get|dpkg|unattended-upgr' >/dev/null 2>&1 && busy=1
    fi
    [[ $busy == 0 ]] && return 0
    if (( $(date +%s) >= deadline )); then
      echo "install-sipp.sh: dpkg lock still held after ${APT_LOCK_WAIT}s" >&2; return 1
    fi
    [[ $said == 0 ]] && { echo "install-sipp.sh: waiting for another apt/dpkg process to finish..."; said=1; }
    sleep 3
  done
}

wait_for_dpkg_lock
echo "install-sipp.sh: installing ${pkgs[*]}"
# `apt-get update` once per invocation; the package lists may be missing on a
# fresh image (Docker images ship without them).
"${SUDO[@]}" apt-get "${apt_opts[@]}" update -qq
wait_for_dpkg_lock
# If a concurrent process left dpkg half-configured, finish it first.
"${SUDO[@]}" dpkg --configure -a || true
"${SUDO[@]}" apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${pkgs[@]}"

command -v sipp >/dev/null || { echo "install-sipp.sh: sipp still missing" >&2; exit 1; }
sipp -v 2>&1 | grep -m1 -o 'SIPp v[0-9.]*' || true
if [[ $want_kamailio == 1 ]]; then
  /usr/sbin/kamailio -v | head -1
  # Debian enables the packaged service; the bench runs its own instance on
  # loopback, so keep the system one from holding port 5060.
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    "${SUDO[@]}" systemctl disable --now kamailio >/dev/null 2>&1 || true
  fi
fi
