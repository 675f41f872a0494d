#!/usr/bin/env bash
# SIPp call-rate load on loopback against the softswitch or a Kamailio
# reference proxy, so both can be measured in the same run and compared as a
# ratio (absolute numbers on a 2-vCPU VM mean little; see
# ../shared/benchmarking-notes.md for the measured pitfalls this follows).
#
# Usage:
#   sipp-load.sh --target switch   --rate 500 [--duration 15]
#   sipp-load.sh --target kamailio --rate 500 [--duration 15]
#   sipp-load.sh --target both     --rate 500        # switch, then Kamailio, + ratio
#   sipp-load.sh --target media    --rate 500        # switch with media.enabled: false, then anchored, + ratio
# Options:
# Environment: SOFTSWITCH_BENCH_EXTRA_YAML is appended to the switch's
# config (top-level keys other than sip/http/subscribers);
# SOFTSWITCH_BENCH_SIP_YAML is one more line inside its sip: block, for
# example 'udp_shards: 2'.
#   --bin PATH     prebuilt softswitch binary (default: go build ./cmd/softswitch)
#   --hold MS      call hold time before the BYE (default 0)
#   --port N       SIP port of the target on 127.0.0.1 (default 15060)
#   --profile S    CPU profile of the switch for S seconds from 3 s into the
#                  load (admin /debug/pprof/profile), saved as
#                  <label>.cpu.pprof in the log dir with its -top head
#   --shed         overload step: the UAC is uac_shed.xml, for which a 503
#                  (the switch shedding, sip.overload_queue_delay) is an
#                  expected outcome; shed calls are counted apart, and
#                  "failed" is then calls that got neither an answer nor a
#                  503 (in-progress failures)
#
# What runs, per target (all on 127.0.0.1, one load at a time: SIPp also
# binds control/media ports):
#   1. the target, started here (switch: temp config + data dir; Kamailio:
#      kamailio.cfg with -x tlsf -m 4096)
#   2. a SIPp UAS (deploy/sipp/uas_sdp.xml, answering with SDP) on its own
#      port, registered as 6001
#   3. the UAC (deploy/sipp/uac.xml: transaction-tagged recvs, so a 180 that
#      arrives after the 200 is ignored; digest auth when the switch asks),
#      at --rate calls/s, -l = 5 s worth of calls, -m = rate*duration, for
#      --duration seconds, bounded by timeout(1) as well
#   4. the UAS is stopped with SIGUSR1 (SIGTERM would count its lingering
#      calls as failed), the target with SIGTERM, each by pid
# Printed: offered rate, successful calls/s, failed %, target CPU (cores and
# µs per call) from /proc/PID/stat (machine-wide figures are wrong on this VM),
# and the SIPp UAC's and UAS's CPU in cores (on 2 vCPUs, a step whose SIPp
# needs more than the target leaves is the load generator's ceiling).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sippdir="$root/deploy/sipp"

target="" rate="" duration=15 hold=0 port=15060 bin="" shed=0 profile=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --target) target=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --hold) hold=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --shed) shed=1; shift ;;
    --profile) profile=$2; shift 2 ;;
    -h|--help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n $target && -n $rate ]] || { echo "usage: $0 --target switch|kamailio|both|media --rate N [--duration S]" >&2; exit 2; }
command -v sipp >/dev/null || { echo "sipp missing: deploy/local/install-sipp.sh" >&2; exit 1; }
(( duration > 0 && duration <= 300 )) || { echo "--duration must be 1..300 s" >&2; exit 2; }

work=$(mktemp -d /tmp/sipp-load.XXXXXX)
echo "logs: $work"
uas_port=$((port + 10)) reg_port=$((port + 11)) uac_port=$((port + 12)) http_port=$((port + 20))
clk_tck=$(getconf CLK_TCK)
declare -A RESULT_CPS RESULT_CPU

target_pid=""
uas_pid=""
cleanup() {
  # only what this script started, by pid
  [[ -n $uas_pid ]] && kill -KILL "$uas_pid" 2>/dev/null || true
  [[ -n $target_pid ]] && kill -KILL "$target_pid" 2>/dev/null || true
}
trap cleanup EXIT

# cpu_ticks and wait_udp_listen are shared with the other bench scripts.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

family() { # pid and its direct children (Kamailio forks workers)
  echo "$1"; pgrep -P "$1" 2>/dev/null || true
}

start_switch() {
  if [[ -z $bin ]]; then
    bin="$work/softswitch"
    (cd "$root" && go build -o "$bin" ./cmd/softswitch)
  fi
  cat >"$work/switch.yaml" <<EOF
node_id: bench
data_dir: "$work/switch-data"
sip:
  listen: "127.0.0.1:$port"
  realm: "bench.test"
  auth_algorithms: ["MD5"]
  ring_timeout: "30s"
  max_call_duration: "1h"
${SOFTSWITCH_BENCH_SIP_YAML:+  $SOFTSWITCH_BENCH_SIP_YAML}
http:
  listen: "127.0.0.1:$http_port"
subscribers:
  - {user: "6000", password: "1234"}
  - {user: "6001", password: "1234"}
${SOFTSWITCH_BENCH_EXTRA_YAML:-}
EOF
  rm -rf "$work/switch-data"
  "$bin" run --config "$work/switch.yaml" >"$work/switch.log" 2>&1 &
  target_pid=$!
  for _ in $(seq 1 100); do  # <= 10 s for /healthz
    curl -fsS "http://127.0.0.1:$http_port/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$target_pid" 2>/dev/null || { echo "switch exited, see $work/switch.log" >&2; return 1; }
    sleep 0.1
  done
  echo "switch not healthy" >&2; return 1
}

start_kamailio() {
  local kam; kam=$(command -v kamailio || echo /usr/sbin/kamailio)
  [[ -x $kam ]] || { echo "kamailio missing: deploy/local/install-kamailio.sh" >&2; return 1; }
  # -DD: stay in foreground (so $! is the main process), -E: log to stderr
  "$kam" -f "$here/kamailio.cfg" -DD -E -x tlsf -m 4096 -M 16 \
     -l "udp:127.0.0.1:$port" -Y "$work" -w "$work" >"$work/kamailio.log" 2>&1 &
  target_pid=$!
  wait_udp_listen "$port" 10 || { echo "kamailio did not listen, see $work/kamailio.log" >&2; return 1; }
}

run_one() { # target [label]
  local t=$1 auth=()
  local label=${2:-$1}
  echo "=== $label: $rate calls/s for ${duration}s (hold ${hold} ms)"
  case $t in
    switch) start_switch; auth=(-au 6000 -ap 1234 -auth_uri "6001@127.0.0.1:$port") ;;
    kamailio) start_kamailio ;;
  esac
  local common=(-i 127.0.0.1 -nostdin -buff_size 4194304)

  # UAS answering every call; ends only by our SIGUSR1
  sipp -sf "$sippdir/uas_sdp.xml" "${common[@]}" -p "$uas_port" -cp 18888 -mp 26000 -s 6001 \
       >"$work/$t.uas.out" 2>&1 &
  uas_pid=$!
  wait_udp_listen "$uas_port" 5

  # register the UAS as 6001 (digest is answered when challenged)
  timeout 20 sipp -sf "$sippdir/register.xml" "${common[@]}" -p "$reg_port" -cp 18889 -mp 26100 -m 1 \
       -au 6001 -ap 1234 -key user 6001 -key contact "127.0.0.1:$uas_port" -key expires 3600 \
       "127.0.0.1:$port" >"$work/$t.reg.out" 2>&1 || { echo "REGISTER failed, see $work/$t.reg.out" >&2; return 1; }

  local limit=$(( rate * 5 )) total=$(( rate * duration ))
  local fam; fam=$(family "$target_pid")
  local t0 c0; t0=$(date +%s.%N); c0=$(cpu_ticks $fam)
  local prof_pid=""
  if (( profile > 0 )) && [[ $t == switch ]]; then
    ( sleep 3; curl -fsS -o "$work/$label.cpu.pprof" "http://127.0.0.1:$http_port/debug/pprof/profile?seconds=$profile"
      if [[ -n ${SOFTSWITCH_BENCH_TRACE:-} ]]; then  # then a short execution trace
        curl -fsS -o "$work/$label.trace.out" "http://127.0.0.1:$http_port/debug/pprof/trace?seconds=2"; fi ) &
    prof_pid=$!
  fi
  # bounded twice: -m calls, and timeout(1) well past the nominal duration
  local uac=uac.xml shedargs=()
  if (( shed )); then uac=uac_shed.xml; shedargs=(-trace_logs -log_file "$work/$label.shed.log"); fi
  local u0; u0=$(cpu_ticks "$uas_pid")
  # bash's time reports the UAC's CPU (user + sys of the reaped child), so
  # a run says whether the load generator, not the target, filled the box
  local TIMEFORMAT='%U %S'
  { time timeout $(( duration + 30 )) sipp -sf "$sippdir/$uac" "${shedargs[@]}" "${common[@]}" -p "$uac_port" -cp 18890 -mp 26200 \
       -s 6001 -key caller 6000 "${auth[@]}" -d "$hold" \
       -r "$rate" -l "$limit" -m "$total" -recv_timeout 10000 \
       -trace_stat -stf "$work/$t.uac.stat.csv" -fd 1 \
       "127.0.0.1:$port" >"$work/$t.uac.out" 2>&1 || true; } 2>"$work/$t.uac.time"
  local t1 c1; t1=$(date +%s.%N); fam=$(family "$target_pid"); c1=$(cpu_ticks $fam)
  local u1; u1=$(cpu_ticks "$uas_pid")
  if [[ -n $prof_pid ]]; then
    wait "$prof_pid" 2>/dev/null || true
    go tool pprof -top "$bin" "$work/$label.cpu.pprof" 2>/dev/null | head -40 >"$work/$label.cpu.top" || true
    echo "CPU profile: $work/$label.cpu.pprof (top: $work/$label.cpu.top)"
  fi

  kill -USR1 "$uas_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$uas_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$uas_pid" 2>/dev/null || true; wait "$uas_pid" 2>/dev/null || true; uas_pid=""
  kill -TERM "$target_pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$target_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$target_pid" 2>/dev/null || true; wait "$target_pid" 2>/dev/null || true; target_pid=""

  # last row of the stat CSV: cumulative successful / failed calls
  local ok failed
  read -r ok failed < <(awk -F';' 'NR==1{for(i=1;i<=NF;i++){if($i=="SuccessfulCall(C)")s=i;if($i=="FailedCall(C)")f=i};next}{o=$s;x=$f}END{print o+0, x+0}' "$work/$t.uac.stat.csv")
  local el; el=$(echo "$t1 - $t0" | bc -l)
  local cores; cores=$(echo "($c1 - $c0) / $clk_tck / $el" | bc -l)
  local cps; cps=$(echo "$ok / $el" | bc -l)
  local us_per_call="n/a"
  (( ok > 0 )) && us_per_call=$(printf '%.0f' "$(echo "($c1 - $c0) / $clk_tck * 1000000 / $ok" | bc -l)")
  local fpct="0"; (( ok + failed > 0 )) && fpct=$(echo "100 * $failed / ($ok + $failed)" | bc -l)
  local shedn=0
  if (( shed )); then
    shedn=$(grep -c '^SHED\|SHED ' "$work/$label.shed.log" 2>/dev/null || true)
    shedn=${shedn:-0}
    ok=$(( ok - shedn ))
    cps=$(echo "$ok / $el" | bc -l)
    (( ok > 0 )) && us_per_call=$(printf '%.0f' "$(echo "($c1 - $c0) / $clk_tck * 1000000 / $ok" | bc -l)")
    printf '%-13s shed %d of %d calls (%.2f %%) with 503\n' "$label" "$shedn" "$(( ok + shedn + failed ))" \
      "$(echo "100 * $shedn / ($ok + $shedn + $failed)" | bc -l)"
  fi
  local uac_cpu; uac_cpu=$(awk '{print $1 + $2}' "$work/$t.uac.time" 2>/dev/null || echo 0)
  printf '%-13s SIPp CPU: UAC %.2f cores, UAS %.2f cores\n' "$label" \
    "$(echo "${uac_cpu:-0} / $el" | bc -l)" "$(echo "($u1 - $u0) / $clk_tck / $el" | bc -l)"
  printf '%-13s offered %6d cps | successful %8.1f cps (%d calls in %.1fs) | failed %6.3f %% | CPU %.2f cores, %s us/call\n' \
    "$label" "$rate" "$cps" "$ok" "$el" "$fpct" "$cores" "$us_per_call"
  RESULT_CPS[$label]=$cps
  RESULT_CPU[$label]=$us_per_call
}

case $target in
  switch|kamailio) run_one "$target" ;;
  both)
    run_one switch
    run_one kamailio
    if [[ ${RESULT_CPU[switch]} != n/a && ${RESULT_CPU[kamailio]} != n/a ]]; then
      printf 'ratio switch/kamailio: successful cps %.2f, CPU per call %.2f\n' \
        "$(echo "${RESULT_CPS[switch]} / ${RESULT_CPS[kamailio]}" | bc -l)" \
        "$(echo "${RESULT_CPU[switch]} / ${RESULT_CPU[kamailio]}" | bc -l)"
    fi ;;
  media)
    # anchoring's cost on call setup: the same load without and with it
    extra=${SOFTSWITCH_BENCH_EXTRA_YAML:-}
    SOFTSWITCH_BENCH_EXTRA_YAML=$(printf '%s\nmedia: {enabled: false}\n' "$extra") run_one switch switch-direct
    SOFTSWITCH_BENCH_EXTRA_YAML=$extra run_one switch switch-anchored
    if [[ ${RESULT_CPU[switch-direct]} != n/a && ${RESULT_CPU[switch-anchored]} != n/a ]]; then
      printf 'ratio anchored/direct: successful cps %.2f, CPU per call %.2f\n' \
        "$(echo "${RESULT_CPS[switch-anchored]} / ${RESULT_CPS[switch-direct]}" | bc -l)" \
        "$(echo "${RESULT_CPU[switch-anchored]} / ${RESULT_CPU[switch-direct]}" | bc -l)"
    fi ;;
  *) echo "unknown target $target" >&2; exit 2 ;;
esac
