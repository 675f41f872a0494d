#!/usr/bin/env bash
# Idempotently install rtpengine (Debian package rtpengine-daemon), the media
# relay that deploy/bench/rtp-relay.sh measures beside the switch's relay.
#
#   install-rtpengine.sh         installs rtpengine-daemon if `rtpengine` is missing
#
# Only the userspace daemon is installed: no kernel module (rtpengine-kernel-dkms),
# no recording daemon, no Docker. The bench starts its own instance on
# loopback (--table=-1, its own ports), so the packaged service is stopped and
# disabled here on every run, installed just now or not: left running it
# would hold the ng port 2223 and a slice of the RTP port range.
#
# Designed for a fresh Debian 12 machine, run as root, without a TTY (CI).
# Another apt/dpkg process may already be running: we wait for the dpkg lock
# instead of failing (same approach as install-sipp.sh).
set -euo pipefail

for arg in "$@"; do
  case "$arg" in
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "install-rtpengine.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

have_rtpengine() { command -v rtpengine >/dev/null 2>&1 || [[ -x /usr/bin/rtpengine ]]; }

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  # Not root: sudo without a prompt, so a missing password fails fast in CI.
  if command -v sudo >/dev/null 2>&1; then SUDO=(sudo -n); else SUDO=(false); fi
fi

# The packaged service: Debian names it rtpengine-daemon (older ngcp builds
# ngcp-rtpengine-daemon). Stop and disable whichever exists; harmless if none.
quiet_packaged_service() {
  local svc
  for svc in rtpengine-daemon ngcp-rtpengine-daemon; do
    if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
      "${SUDO[@]}" systemctl disable --now "$svc" >/dev/null 2>&1 || true
    elif command -v systemctl >/dev/null 2>&1 && [[ -f /lib/systemd/system/$svc.service ]]; then
      # systemd installed but not running (a container, a chroot): the
      # postinst still enabled the unit for the next boot; an offline
      # disable removes that link without a manager.
      "${SUDO[@]}" systemctl disable "$svc" >/dev/null 2>&1 || true
    fi
    if [[ -x /etc/init.d/$svc && ! -d /run/systemd/system ]]; then
      # No systemd (containers): the postinst may have started it via the
      # init script; stop it and drop its rc links.
      "${SUDO[@]}" /etc/init.d/"$svc" stop >/dev/null 2>&1 || true
      command -v update-rc.d >/dev/null 2>&1 && { "${SUDO[@]}" update-rc.d "$svc" disable >/dev/null 2>&1 || true; }
    fi
  done
  # Belt and braces: a daemon still running from the packaged config (its
  # pidfile) is stopped by that pid only, never by name.
  local pf pid
  for pf in /run/rtpengine/rtpengine-daemon.pid /run/rtpengine-daemon.pid /run/ngcp-rtpengine-daemon.pid; do
    [[ -r $pf ]] || continue
    pid=$(cat "$pf" 2>/dev/null || true)
    [[ $pid =~ ^[0-9]+$ ]] && "${SUDO[@]}" kill -TERM "$pid" 2>/dev/null || true
  done
}

if have_rtpengine; then
  quiet_packaged_service
  echo "install-rtpengine.sh: already installed: $(rtpengine --version 2>&1 | head -1)"
  exit 0
fi

if [[ ${SUDO[*]} == false ]]; then
  echo "install-rtpengine.sh: need root (or sudo) to install rtpengine-daemon" >&2; exit 1
fi

export DEBIAN_FRONTEND=noninteractive   # no debconf prompts without a TTY
APT_LOCK_WAIT=${APT_LOCK_WAIT:-900}
apt_opts=(-o "DPkg::Lock::Timeout=${APT_LOCK_WAIT}" -o Dpkg::Use-Pty=0)

# Explicit, bounded wait for the lock files, so that a dpkg run between two
# apt invocations is waited for too, with a word on why we wait.
wait_for_dpkg_lock() {
  local deadline=$(( $(date +%s) + APT_LOCK_WAIT ))
  local locks=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)
  local said=0
  while :; do
    local busy=0
    if command -v fuser >/dev/null 2>&1; then
      fuser "${locks[@]}" >/dev/null 2>&1 && busy=1
    else
      pgrep -x 'apt|apt-get|dpkg|unattended-upgr' >/dev/null 2>&1 && busy=1
    fi
    [[ $busy == 0 ]] && return 0
    if (( $(date +%s) >= deadline )); then
      echo "install-rtpengine.sh: dpkg lock still held after ${APT_LOCK_WAIT}s" >&2; return 1
    fi
    [[ $said == 0 ]] && { echo "install-rtpengine.sh: waiting for another apt/dpkg process to finish..."; said=1; }
    sleep 3
  done
}

wait_for_dpkg_lock
echo "install-rtpengine.sh: installing rtpengine-daemon"
"${SUDO[@]}" apt-get "${apt_opts[@]}" update -qq
wait_for_dpkg_lock
"${SUDO[@]}" dpkg --configure -a || true
# --no-install-recommends: the recording daemon and utils are not needed.
"${SUDO[@]}" apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends rtpengine-daemon

quiet_packaged_service
have_rtpengine || { echo "install-rtpengine.sh: rtpengine still missing" >&2; exit 1; }
rtpengine --version 2>&1 | head -1 || true
