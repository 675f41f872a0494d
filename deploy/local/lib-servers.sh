# shellcheck shell=bash disable=SC2034  # variables are used by the scripts that source this file
# Shared helpers for deploy/local/up.sh and deploy/local/down.sh (sourced,
# not executed). See docs/local-servers.md.
#
# State lives OUTSIDE the repository, so that every clone on the machine
# (main, ../ci-check, ...) finds and reuses the same running servers:
#   STATE  ${SOFTSWITCH_LOCAL_STATE:-/var/tmp/softswitch-local}   data, logs, pid files, rendered configs
#   CACHE  ${SOFTSWITCH_CACHE:-$HOME/.cache/softswitch}           Kafka jars (and the Maven repo they come from)

STATE=${SOFTSWITCH_LOCAL_STATE:-/var/tmp/softswitch-local}
CACHE=${SOFTSWITCH_CACHE:-${HOME:-/root}/.cache/softswitch}
LOCAL_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

KAFKA_VERSION=4.3.1
KAFKA_JARS=$CACHE/kafka-$KAFKA_VERSION
KAFKA_HOST=127.0.0.1
KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
KAFKA_HEAP=${SOFTSWITCH_KAFKA_HEAP:-768m}
KAFKA_DIR=$STATE/kafka
KAFKA_PID=$KAFKA_DIR/kafka.pid

CH_HOST=127.0.0.1
CH_TCP_PORT=9000
CH_HTTP_PORT=8123
CH_DIR=$STATE/clickhouse
CH_PID=$CH_DIR/clickhouse-server.pid

# How long to wait for a server to answer after starting it.
START_TIMEOUT=${SOFTSWITCH_START_TIMEOUT:-120}
# How long to wait for a server to exit after SIGTERM before SIGKILL.
STOP_TIMEOUT=${SOFTSWITCH_STOP_TIMEOUT:-30}

PROG=${PROG:-$(basename "$0")}

say()  { printf '%s: %s\n' "$PROG" "$*"; }
warn() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die()  { printf '%s: ERROR: %s\n' "$PROG" "$*" >&2; exit 1; }

# now: wall clock in seconds with microseconds (bash 5's EPOCHREALTIME).
now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
# since T0: seconds elapsed since T0, one decimal.
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

# step NAME CMD...: run CMD, then print how long it took; keep its status.
step() {
  local name=$1; shift
  local t0 rc=0
  t0=$(now)
  "$@" || rc=$?
  if [[ $rc == 0 ]]; then say "$name: done in $(since "$t0")s"
  else warn "$name: FAILED after $(since "$t0")s (status $rc)"; fi
  return "$rc"
}

# pid_alive PIDFILE: the pid in PIDFILE names a live process that is one of
# ours (its command line mentions kafka.Kafka or clickhouse: after a reboot
# a stale pid file in /var/tmp may name an unrelated process). Prints the pid.
pid_alive() {
  local f=$1 pid cmd
  [[ -s $f ]] || return 1
  pid=$(<"$f")
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # A zombie still answers kill -0; treat it as gone.
  [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) != Z ]] || return 1
  cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  # An empty command line is a process in the middle of execve (the
  # server just started, setsid exec'ing it): alive, not yet named. Taking
  # it for gone made up.sh report a starting ClickHouse as exited.
  [[ -z ${cmd// /} || $cmd == *kafka.Kafka* || $cmd == *clickhouse* ]] || return 1
  printf '%s' "$pid"
}

# port_open HOST PORT: something accepts TCP connections there.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# stop_pidfile NAME PIDFILE: SIGTERM, wait up to STOP_TIMEOUT s, then SIGKILL.
# A no-op when the pid file is missing or stale.
stop_pidfile() {
  local name=$1 f=$2 pid t0 i
  if ! pid=$(pid_alive "$f"); then
    say "$name: not running (no live pid in $f)"
    rm -f "$f"
    return 0
  fi
  t0=$(now)
  say "$name: stopping pid $pid (SIGTERM)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    pid_alive "$f" >/dev/null || break
    sleep 0.1
  done
  if pid_alive "$f" >/dev/null; then
    warn "$name: still running after ${STOP_TIMEOUT}s, sending SIGKILL to $pid"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do pid_alive "$f" >/dev/null || break; sleep 0.1; done
  fi
  pid_alive "$f" >/dev/null && die "$name: pid $pid did not exit"
  rm -f "$f"
  say "$name: stopped in $(since "$t0")s"
}

# render TEMPLATE OUT: copy TEMPLATE to OUT replacing @STATE@, @KAFKA_DIR@,
# @CH_DIR@ and the port placeholders. Writes OUT atomically.
render() {
  local tpl=$1 out=$2
  sed -e "s|@STATE@|$STATE|g" \
      -e "s|@KAFKA_DIR@|$KAFKA_DIR|g" \
      -e "s|@KAFKA_HOST@|$KAFKA_HOST|g" \
      -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
      -e "s|@KAFKA_CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
      -e "s|@CH_DIR@|$CH_DIR|g" \
      -e "s|@CH_HOST@|$CH_HOST|g" \
      -e "s|@CH_TCP_PORT@|$CH_TCP_PORT|g" \
      -e "s|@CH_HTTP_PORT@|$CH_HTTP_PORT|g" \
      "$tpl" >"$out.tmp"
  mv -f "$out.tmp" "$out"
}

# ---- apt ----------------------------------------------------------------

APT_LOCK_WAIT=${APT_LOCK_WAIT:-900}

wait_for_dpkg_lock() {
  local deadline=$(( $(date +%s) + APT_LOCK_WAIT ))
  local locks=(/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock /var/cache/apt/archives/lock)
  local said=0 busy
  while :; do
    busy=0
    if command -v fuser >/dev/null 2>&1; then
      fuser "${locks[@]}" >/dev/null 2>&1 && busy=1
    else
      pgrep -x 'apt|apt-get|dpkg|unattended-upgr' >/dev/null 2>&1 && busy=1
    fi
    [[ $busy == 0 ]] && return 0
    (( $(date +%s) >= deadline )) && { warn "dpkg lock still held after ${APT_LOCK_WAIT}s"; return 1; }
    [[ $said == 0 ]] && { say "waiting for another apt/dpkg process to finish..."; said=1; }
    sleep 3
  done
}

# Set while apt_install runs if we created /usr/sbin/policy-rc.d ourselves.
_POLICY_RC_CREATED=0
_remove_policy_rc() {
  if [[ $_POLICY_RC_CREATED == 1 ]]; then
    rm -f /usr/sbin/policy-rc.d
    _POLICY_RC_CREATED=0
  fi
}

# apt_install PKG...: install Debian packages without starting their services.
# A policy-rc.d that answers 101 ("action forbidden") keeps the packages'
# postinst from starting a system-wide server (clickhouse-server's would
# grab port 9000 as user clickhouse); there is no systemd here anyway.
# `apt-get update` only when the first try fails (lists missing or stale).
apt_install() {
  [[ $(id -u) == 0 ]] || die "need root to install $* (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  local opts=(-o "DPkg::Lock::Timeout=${APT_LOCK_WAIT}" -o Dpkg::Use-Pty=0)
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# written by softswitch deploy/local/up.sh while installing packages\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    _POLICY_RC_CREATED=1
    trap _remove_policy_rc EXIT
  fi
  local rc=0 log=$STATE/apt.log
  wait_for_dpkg_lock
  dpkg --configure -a >/dev/null 2>&1 || true
  # apt's output goes to a log; its tail is shown if the install fails.
  if ! apt-get "${opts[@]}" install -y -q --no-install-recommends "$@" >"$log" 2>&1; then
    say "apt-get install failed; running apt-get update and retrying"
    wait_for_dpkg_lock
    apt-get "${opts[@]}" update -q >>"$log" 2>&1 || true
    wait_for_dpkg_lock
    apt-get "${opts[@]}" install -y -q --no-install-recommends "$@" >>"$log" 2>&1 || rc=$?
    [[ $rc == 0 ]] || tail -25 "$log" >&2
  fi
  grep -E 'invoke-rc.d|policy-rc.d' "$log" | sed "s/^/$PROG: apt: /" || true
  _remove_policy_rc
  return "$rc"
}
