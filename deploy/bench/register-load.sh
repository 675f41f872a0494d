#!/usr/bin/env bash
# REGISTER-rate load with digest auth against the softswitch on loopback.
#
# Usage:
#   register-load.sh [--rates "1000 2000 3000 5000"] [--users 20000]
#                    [--duration 15] [--port 16060] [--bin PATH] [--profile]
#
# Per rate step (a fresh switch each step, so no step inherits another's
# journal or bindings):
#   1. a config with --users subscribers (u000000/p000000 ...), provisioned at
#      start through the config's subscribers list, data dir in a temp dir;
#      the journal is the default one (every event durably written)
#   2. SIPp deploy/bench/register_load.xml with -inf users.csv (SEQUENTIAL):
#      REGISTER -> 401 -> REGISTER with digest -> 200, one user per call,
#      Expires 3600, at R/s, -m R*duration, -l 5 s worth, -buff_size 4 MiB,
#      bounded by timeout(1); SIPp and the switch stopped by pid
#   3. printed: offered rate, successful REGISTER/s (one "call" = the full
#      401+200 exchange), failed %, switch CPU in cores and µs per REGISTER
#      (/proc/PID/stat), SIPp's CPU, and kernel UDP receive-buffer drops
#   --profile: a 10 s CPU profile of the switch during each step, saved
#      next to the logs with its `go tool pprof -top` head.
# At the end: the highest clean rate (< 0.1 % failed and >= 95 % of offered).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
source "$here/lib.sh"

rates="1000 2000 3000 5000" users=20000 duration=15 port=16060 bin="" profile=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rates) rates=$2; shift 2 ;;
    --users) users=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --profile) profile=1; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v sipp >/dev/null || { echo "sipp missing" >&2; exit 1; }
(( duration > 0 && duration <= 120 )) || { echo "--duration must be 1..120 s" >&2; exit 2; }

work=$(mktemp -d /tmp/register-load.XXXXXX)
echo "logs: $work"
http_port=$((port + 20)) uac_port=$((port + 12))
clk_tck=$(getconf CLK_TCK)
if [[ -z $bin ]]; then bin="$work/softswitch"; (cd "$root" && go build -o "$bin" ./cmd/softswitch); fi

SWITCH_PID="" sipp_pid="" prof_pid=""
cleanup() {
  [[ -n $prof_pid ]] && kill "$prof_pid" 2>/dev/null || true
  [[ -n $sipp_pid ]] && kill -KILL "$sipp_pid" 2>/dev/null || true
  [[ -n $SWITCH_PID ]] && kill -KILL "$SWITCH_PID" 2>/dev/null || true
}
trap cleanup EXIT

users_csv "$work/users.csv" "$users"
best=0
for rate in $rates; do
  step="$work/r$rate"; mkdir -p "$step"
  write_switch_config "$step/switch.yaml" "$step/data" "$port" "$http_port" "$users"
  t_prov=$(date +%s.%N)
  start_switch_bin "$bin" "$step/switch.yaml" "$step/switch.log" "$http_port"
  printf '=== %d REGISTER/s for %ds (%d users provisioned in %.1fs)\n' "$rate" "$duration" "$users" \
    "$(echo "$(date +%s.%N) - $t_prov" | bc -l)"

  limit=$(( rate * 5 )) total=$(( rate * duration ))
  drops0=$(udp_rcvbuf_errors)
  t0=$(date +%s.%N); c0=$(cpu_ticks "$SWITCH_PID")
  timeout $(( duration + 30 )) sipp -sf "$here/register_load.xml" -inf "$work/users.csv" \
      -i 127.0.0.1 -p "$uac_port" -cp 18892 -mp 27200 -nostdin -buff_size 4194304 \
      -key expires 3600 -r "$rate" -l "$limit" -m "$total" -recv_timeout 10000 \
      -trace_stat -stf "$step/uac.stat.csv" -fd 1 "127.0.0.1:$port" >"$step/uac.out" 2>&1 &
  sipp_pid=$!
  if (( profile )); then
    sleep 2
    curl -fsS -o "$step/cpu.pprof" "http://127.0.0.1:$http_port/debug/pprof/profile?seconds=10" &
    prof_pid=$!
  fi
  s0=0  # SIPp is a fresh process: all its ticks are this run
  # SIPp's own CPU, sampled just before it exits
  sc=0
  # ($sipp_pid is timeout(1); SIPp is its child)
  while kill -0 "$sipp_pid" 2>/dev/null; do
    kids=$(pgrep -P "$sipp_pid" || true); [[ -n $kids ]] && sc=$(cpu_ticks $kids); sleep 0.2
  done
  wait "$sipp_pid" 2>/dev/null || true; sipp_pid=""
  t1=$(date +%s.%N); c1=$(cpu_ticks "$SWITCH_PID")
  drops1=$(udp_rcvbuf_errors)
  if [[ -n $prof_pid ]]; then wait "$prof_pid" 2>/dev/null || true; prof_pid=""
    go tool pprof -top "$bin" "$step/cpu.pprof" 2>/dev/null | head -30 >"$step/cpu.top" || true; fi
  contacts=$(metric "$http_port" softswitch_registered_contacts || echo "?")
  stop_pid "$SWITCH_PID" TERM 10; SWITCH_PID=""

  read -r ok failed < <(sipp_ok_failed "$step/uac.stat.csv")
  el=$(echo "$t1 - $t0" | bc -l)
  ps=$(echo "$ok / $el" | bc -l)
  cores=$(echo "($c1 - $c0) / $clk_tck / $el" | bc -l)
  us="n/a"; (( ok > 0 )) && us=$(printf '%.0f' "$(echo "($c1 - $c0) / $clk_tck * 1000000 / $ok" | bc -l)")
  fpct=0; (( ok + failed > 0 )) && fpct=$(echo "100 * $failed / ($ok + $failed)" | bc -l)
  sipp_cores=$(echo "($sc - ${s0:-0}) / $clk_tck / $el" | bc -l)
  clean=no
  if (( ok > 0 )) && (( $(echo "$fpct < 0.1 && $ps >= 0.95 * $rate" | bc -l) )); then clean=yes; best=$rate; fi
  printf 'offered %5d/s | successful %7.1f REGISTER/s (%d in %.1fs) | failed %6.3f %% | switch CPU %.2f cores, %s us/REGISTER | SIPp %.2f cores | rcvbuf drops %d | contacts %s | clean %s\n' \
    "$rate" "$ps" "$ok" "$el" "$fpct" "$cores" "$us" "$sipp_cores" $(( drops1 - drops0 )) "$contacts" "$clean"
  [[ -s $step/cpu.top ]] && sed -n '1,18p' "$step/cpu.top"
  rm -rf "$step/data"
done
echo "highest clean REGISTER rate: $best/s (target >= 5000/s)"
