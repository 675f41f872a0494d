#!/usr/bin/env bash
# SIPp call-rate load through the outbound gateway path (issue 4): a
# registered subscriber (6000, digest) calls a number, the switch routes it to
# a carrier's trunks, and SIPp gateways answer. The same UAC load and the same
# measurement as sipp-load.sh (so the two figures sit side by side), with
# ../shared/benchmarking-notes.md's pitfalls followed (4 MiB buffers, bounded
# runs, processes stopped by pid, CPU from /proc/PID/stat).
#
# Usage:
#   trunk-load.sh [--rate 1000] [--duration 15] [--failover]
# Options:
#   --failover     the first trunk (cm-a) refuses EVERY call with 503, so every
#                  call fails over to cm-b (the worst case of "failover
#                  enabled"); without it both trunks answer and failover is
#                  only configured (every call goes to cm-a)
#   --bin PATH     prebuilt softswitch binary (default: go build ./cmd/softswitch)
#   --hold MS      call hold time before the BYE (default 0)
#   --port N       SIP port of the switch on 127.0.0.1 (default 15160); the
#                  gateways use N+13 (cm-a) and N+14 (cm-b), the UAC N+12,
#                  the admin HTTP port N+20
#   --number DIGITS  dialled number (default 13800138000, China Mobile)
#   --profile S    CPU profile of the switch for S seconds from 3 s into the
#                  load (admin /debug/pprof/profile), saved as cpu.pprof in
#                  the logs directory with `go tool pprof -top` beside it
#
# What runs (all on 127.0.0.1, one load at a time: SIPp also binds
# control/media ports):
#   1. two SIPp gateways: cm-b deploy/sipp/gw_answer.xml; cm-a gw_answer.xml,
#      or gw_code.xml -key code 503 with --failover. No -m, no OPTIONS
#      keepalives configured, no -trace_logs (logging every INVITE would
#      cost the gateways CPU); their -trace_stat CSVs count the INVITEs.
#   2. the switch with a temp config + data dir: carrier china-mobile (mno),
#      trunks cm-a, cm-b, route {prefix: "86", trunks: [cm-a, cm-b]}
#   3. the UAC (deploy/sipp/uac.xml, digest as 6000, -s NUMBER) at --rate
#      calls/s, -l = 5 s worth of calls, -m = rate*duration, bounded by
#      timeout(1) as well
#   4. the gateways stopped with SIGUSR1, the switch with SIGTERM, by pid
# Printed, as sipp-load.sh: offered rate, successful calls/s, failed %,
# switch CPU (cores, µs per call); plus the INVITEs each gateway got, and the
# kernel's UDP receive-buffer drops during the run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sippdir="$root/deploy/sipp"

rate=1000 duration=15 hold=0 port=15160 bin="" failover=0 number=13800138000 profile=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --failover) failover=1; shift ;;
    --hold) hold=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --number) number=$2; shift 2 ;;
    --profile) profile=$2; shift 2 ;;
    -h|--help) sed -n '2,39p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v sipp >/dev/null || { echo "sipp missing: deploy/local/install-sipp.sh" >&2; exit 1; }
(( duration > 0 && duration <= 300 )) || { echo "--duration must be 1..300 s" >&2; exit 2; }
(( rate > 0 )) || { echo "--rate must be > 0" >&2; exit 2; }
(( profile >= 0 && profile + 3 <= duration + 30 )) || { echo "--profile too long" >&2; exit 2; }

# cpu_ticks, wait_udp_listen, udp_rcvbuf_errors, sipp_ok_failed, stop_pid,
# write_switch_config, start_switch_bin
source "$here/lib.sh"

work=$(mktemp -d /tmp/trunk-load.XXXXXX)
echo "logs: $work"
uac_port=$((port + 12)) gwa_port=$((port + 13)) gwb_port=$((port + 14)) http_port=$((port + 20))
clk_tck=$(getconf CLK_TCK)

SWITCH_PID="" gwa_pid="" gwb_pid="" prof_pid=""
cleanup() {
  # only what this script started, by pid
  local p
  for p in "$prof_pid" "$gwa_pid" "$gwb_pid" "$SWITCH_PID"; do
    [[ -n $p ]] && kill -KILL "$p" 2>/dev/null || true
  done
}
trap cleanup EXIT

if [[ -z $bin ]]; then
  bin="$work/softswitch"
  (cd "$root" && go build -o "$bin" ./cmd/softswitch)
fi

mode=plain; (( failover )) && mode=failover
common=(-i 127.0.0.1 -nostdin -buff_size 4194304)

# 1. gateways (cm-b answers; cm-a answers, or 503 for every call)
sipp -sf "$sippdir/gw_answer.xml" "${common[@]}" -p "$gwb_port" -cp 18898 -mp 27100 \
     -trace_stat -stf "$work/gw-b.stat.csv" -fd 1 >"$work/gw-b.out" 2>&1 &
gwb_pid=$!
if (( failover )); then
  sipp -sf "$sippdir/gw_code.xml" "${common[@]}" -p "$gwa_port" -cp 18897 -mp 27000 -key code 503 \
       -trace_stat -stf "$work/gw-a.stat.csv" -fd 1 >"$work/gw-a.out" 2>&1 &
else
  sipp -sf "$sippdir/gw_answer.xml" "${common[@]}" -p "$gwa_port" -cp 18897 -mp 27000 \
       -trace_stat -stf "$work/gw-a.stat.csv" -fd 1 >"$work/gw-a.out" 2>&1 &
fi
gwa_pid=$!
wait_udp_listen "$gwa_port" 5 || { echo "gateway cm-a did not listen, see $work/gw-a.out" >&2; exit 1; }
wait_udp_listen "$gwb_port" 5 || { echo "gateway cm-b did not listen, see $work/gw-b.out" >&2; exit 1; }

# 2. the switch: the sipp-load.sh config plus the interconnect sections
write_switch_config "$work/switch.yaml" "$work/switch-data" "$port" "$http_port" 0 "numbering: {country_code: \"86\"}
carriers:
  - name: china-mobile
    kind: mno
    trunks:
      - {name: cm-a, address: \"127.0.0.1:$gwa_port\"}
      - {name: cm-b, address: \"127.0.0.1:$gwb_port\"}
routes:
  - {prefix: \"86\", trunks: [cm-a, cm-b]}"
rm -rf "$work/switch-data"
start_switch_bin "$bin" "$work/switch.yaml" "$work/switch.log" "$http_port"

# 3. the load
limit=$(( rate * 5 )) total=$(( rate * duration ))
echo "=== trunk ($mode): $rate calls/s for ${duration}s (hold ${hold} ms) to $number; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if (( profile > 0 )); then
  ( sleep 3; curl -fsS -o "$work/cpu.pprof" "http://127.0.0.1:$http_port/debug/pprof/profile?seconds=$profile" ) &
  prof_pid=$!
fi
drops0=$(udp_rcvbuf_errors)
t0=$(date +%s.%N); c0=$(cpu_ticks "$SWITCH_PID")
# bounded twice: -m calls, and timeout(1) well past the nominal duration
timeout $(( duration + 30 )) sipp -sf "$sippdir/uac.xml" "${common[@]}" -p "$uac_port" -cp 18890 -mp 26200 \
     -s "$number" -key caller 6000 -au 6000 -ap 1234 -auth_uri "$number@127.0.0.1:$port" -d "$hold" \
     -r "$rate" -l "$limit" -m "$total" -recv_timeout 10000 \
     -trace_stat -stf "$work/uac.stat.csv" -fd 1 \
     "127.0.0.1:$port" >"$work/uac.out" 2>&1 || true
t1=$(date +%s.%N); c1=$(cpu_ticks "$SWITCH_PID")
drops1=$(udp_rcvbuf_errors)
if [[ -n $prof_pid ]]; then wait "$prof_pid" 2>/dev/null || true; prof_pid=""; fi

# 4. stop: gateways with SIGUSR1 (SIGTERM would count open calls as failed)
stop_pid "$gwa_pid" USR1 10; gwa_pid=""
stop_pid "$gwb_pid" USR1 10; gwb_pid=""
stop_pid "$SWITCH_PID" TERM 10; SWITCH_PID=""

read -r ok failed < <(sipp_ok_failed "$work/uac.stat.csv")
read -r a_ok a_failed < <(sipp_ok_failed "$work/gw-a.stat.csv" 2>/dev/null || echo "0 0")
read -r b_ok b_failed < <(sipp_ok_failed "$work/gw-b.stat.csv" 2>/dev/null || echo "0 0")
el=$(echo "$t1 - $t0" | bc -l)
cores=$(echo "($c1 - $c0) / $clk_tck / $el" | bc -l)
cps=$(echo "$ok / $el" | bc -l)
us_per_call="n/a"
(( ok > 0 )) && us_per_call=$(printf '%.0f' "$(echo "($c1 - $c0) / $clk_tck * 1000000 / $ok" | bc -l)")
fpct="0"; (( ok + failed > 0 )) && fpct=$(echo "100 * $failed / ($ok + $failed)" | bc -l)
printf '%-16s offered %6d cps | successful %8.1f cps (%d calls in %.1fs) | failed %6.3f %% | CPU %.2f cores, %s us/call\n' \
  "trunk-$mode" "$rate" "$cps" "$ok" "$el" "$fpct" "$cores" "$us_per_call"
printf 'gateways: cm-a %d calls ok / %d failed, cm-b %d ok / %d failed | UDP rcvbuf drops during the load: %d | load average after: %s\n' \
  "$a_ok" "$a_failed" "$b_ok" "$b_failed" "$(( drops1 - drops0 ))" "$(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -s $work/cpu.pprof ]]; then
  (cd "$root" && go tool pprof -top -nodecount 40 "$bin" "$work/cpu.pprof" >"$work/pprof-top.txt" 2>&1 \
     && go tool pprof -top -cum -nodecount 60 "$bin" "$work/cpu.pprof" >"$work/pprof-cum.txt" 2>&1) || true
  echo "profile: $work/cpu.pprof ($work/pprof-top.txt, $work/pprof-cum.txt)"
fi
