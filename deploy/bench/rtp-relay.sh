#!/usr/bin/env bash
# RTP relay load on loopback: G.711-like 20 ms streams (50 packets/s each way
# per call, 172-byte packets) through rtpengine in userspace, or through the
# softswitch's anchored media, or both in the same run, compared as a ratio
# (absolute numbers on a 2-vCPU VM mean little; see docs/rtp-bench.md).
#
# Usage:
#   rtp-relay.sh --target rtpengine [--calls 1000] [--duration 20]
#   rtp-relay.sh --target switch    [--calls 1000] [--duration 20]
#   rtp-relay.sh --target both      [--calls 1000] [--duration 20]  # switch, then rtpengine, + ratio
# Options:
#   --warmup S          sending before the measured window (default 2)
#   --rtpload PATH      prebuilt rtpload (default: go build ./cmd/rtpload)
#   --bin PATH          prebuilt softswitch (default: go build ./cmd/softswitch)
#   --port N            switch SIP port on 127.0.0.1 (default 16060; +10.. for SIPp, +20 HTTP)
#   --ng-port N         rtpengine ng port on 127.0.0.1 (default 22223)
#   --rtpe-threads N    rtpengine --num-threads (default: its own, max(cores, 4))
#   --cps N             SIPp call rate when setting up the switch's calls (default 200)
#   --nice N            run rtpload at this nice value (e.g. -5), default 0
#
# What runs, per target, one at a time (on 2 cores two loads would measure
# each other), everything on 127.0.0.1, every process bounded by timeout(1)
# and stopped by pid:
#   rtpengine: the Debian daemon (deploy/local/install-rtpengine.sh) with no
#     kernel forwarding (--table=-1), foreground, ng on loopback, interface
#     127.0.0.1, its own port range, in a temp work dir; rtpload creates the
#     N calls itself with ng offer/answer and deletes them afterwards.
#   switch: the softswitch with a SIPp UAS registered as 6001 answering with
#     SDP, and a SIPp UAC placing N calls with a hold longer than the run;
#     rtpload then reads the calls' relay addresses from GET /api/v1/calls.
#     This needs the switch to anchor media and to list it in the API
#     (issue 13); until then this part fails cleanly and says so. Extra
#     switch YAML (e.g. the media section) can be given in
#     $RTP_BENCH_SWITCH_YAML.
# Printed: one line per target (offered and delivered packets/s, loss,
# one-way latency p50/p99/p99.9/max, the relay's CPU in cores and packets
# per core-second, rtpload's own CPU), and with --target both the ratios.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sippdir="$root/deploy/sipp"

target="" calls=1000 duration=20 warmup=2 rtpload="" bin="" port=16060 ng_port=22223
rtpe_threads="" cps=200 nice_rtpload=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --target) target=$2; shift 2 ;;
    --calls) calls=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --rtpload) rtpload=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --ng-port) ng_port=$2; shift 2 ;;
    --rtpe-threads) rtpe_threads=$2; shift 2 ;;
    --cps) cps=$2; shift 2 ;;
    --nice) nice_rtpload=$2; shift 2 ;;
    -h|--help) sed -n '2,42p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $target =~ ^(rtpengine|switch|both)$ ]] || { echo "usage: $0 --target rtpengine|switch|both [--calls N] [--duration S]" >&2; exit 2; }
[[ $calls =~ ^[0-9]+$ ]] && (( calls >= 1 && calls <= 2400 )) || { echo "--calls must be 1..2400" >&2; exit 2; }
[[ $duration =~ ^[0-9]+$ ]] && (( duration >= 1 && duration <= 300 )) || { echo "--duration must be 1..300 s" >&2; exit 2; }
[[ $warmup =~ ^[0-9]+$ ]] && (( warmup <= 30 )) || { echo "--warmup must be 0..30 s" >&2; exit 2; }

work=$(mktemp -d /tmp/rtp-relay.XXXXXX)
echo "logs: $work"
source "$here/lib.sh"   # wait_udp_listen, stop_pid

relay_pid="" wrapper_pid="" uas_pid="" uac_pid=""
# Every long-running process runs under timeout(1), so the pids we hold are
# timeout's; its child is the program. Signal the child itself: timeout
# forwards TERM but dies of USR1 and leaves SIPp behind.
child_of() { pgrep -P "$1" 2>/dev/null | head -1 || true; }
stop_wrapped() { # wrapper_pid signal seconds
  [[ -n $1 ]] || return 0
  local c; c=$(child_of "$1")
  [[ -n $c ]] && stop_pid "$c" "$2" "$3"
  stop_pid "$1" TERM 5
}
cleanup() {
  # only what this script started, by pid (children of our timeouts first)
  local p c
  for p in $uac_pid $uas_pid $relay_pid $wrapper_pid; do
    c=$(child_of "$p"); [[ -n $c ]] && kill -KILL "$c" 2>/dev/null || true
    kill -KILL "$p" 2>/dev/null || true
  done
  # keep the logs, not the binaries built here (tens of MB per run)
  rm -f "$work/rtpload" "$work/softswitch"
}
trap cleanup EXIT

if [[ -z $rtpload ]]; then
  rtpload="$work/rtpload"
  (cd "$root" && go build -o "$rtpload" ./cmd/rtpload)
fi
# rtpload's own bound: setup, warm-up, the window, drain and teardown.
rtpload_timeout=$(( warmup + duration + 120 ))
run_rtpload() { # label, then rtpload arguments
  local label=$1; shift
  nice -n "$nice_rtpload" timeout "$rtpload_timeout" "$rtpload" --label "$label" \
    --calls "$calls" --duration "$duration" --warmup "$warmup" --json "$work/$label.json" "$@" \
    >"$work/$label.out" 2>"$work/$label.err"
}

# jnum FILE KEY: a top-level number from rtpload's indented JSON report
jnum() { awk -v k="\"$2\":" '$1==k{gsub(/,/,"",$2); print $2; exit}' "$1"; }

declare -A DONE

run_rtpengine() {
  local rtpe; rtpe=$(command -v rtpengine || echo /usr/bin/rtpengine)
  [[ -x $rtpe ]] || { echo "rtpengine missing: deploy/local/install-rtpengine.sh" >&2; return 1; }
  echo "=== rtpengine (userspace, --table=-1): $calls calls, $((calls * 100)) packets/s for ${duration}s"
  # 4 ports per call (RTP and RTCP on each side), below the ephemeral range
  # our endpoints bind in.
  local pmin=20000 pmax=$(( 20000 + calls * 4 + 1000 ))
  if grep -q "$(printf ':%04X ' "$ng_port")" /proc/net/udp; then
    echo "UDP port $ng_port is already in use (another rtpengine?); pick --ng-port" >&2; return 1
  fi
  local extra=()
  [[ -n $rtpe_threads ]] && extra+=(--num-threads="$rtpe_threads")
  # --config-file=none: not the packaged /etc config (kernel table 0, other
  # ports). --media-num-threads=0: no playback threads. Its own timeout is
  # well past the run; timeout(1) bounds it as well.
  (cd "$work" && exec timeout $(( rtpload_timeout + 30 )) "$rtpe" --config-file=none --table=-1 \
      --interface=127.0.0.1 --listen-ng=127.0.0.1:"$ng_port" \
      --port-min="$pmin" --port-max="$pmax" --foreground --log-stderr --log-level=5 \
      --delete-delay=0 --media-num-threads=0 --timeout=$(( rtpload_timeout + 60 )) "${extra[@]}" \
      >"$work/rtpengine.log" 2>&1) &
  wrapper_pid=$!
  if ! wait_udp_listen "$ng_port" 10; then
    echo "rtpengine did not listen on $ng_port, see $work/rtpengine.log" >&2; return 1
  fi
  relay_pid=$(pgrep -P "$wrapper_pid" -x rtpengine || true)
  [[ -n $relay_pid ]] || { echo "no rtpengine process under $wrapper_pid" >&2; return 1; }
  local rc=0
  run_rtpload rtpengine --ng "127.0.0.1:$ng_port" --pid "$relay_pid" || rc=$?
  stop_pid "$relay_pid" TERM 10; relay_pid=""
  stop_pid "$wrapper_pid" TERM 5; wrapper_pid=""
  report rtpengine "$rc"
}

# SIPp UAS answering with SDP (the relay needs the callee's media address),
# then waiting for the BYE. Written here so deploy/sipp stays as it is.
write_uas_sdp() {
  cat >"$work/uas_sdp.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="uas with SDP answer">
  <recv request="INVITE" crlf="true" rrs="true"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_Record-Route:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag01[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[service]@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=uas 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000

    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
XML
}

run_switch() {
  command -v sipp >/dev/null || { echo "sipp missing: deploy/local/install-sipp.sh" >&2; return 1; }
  echo "=== switch (anchored media): $calls calls, $((calls * 100)) packets/s for ${duration}s"
  local uas_port=$((port + 10)) reg_port=$((port + 11)) uac_port=$((port + 12)) http_port=$((port + 20))
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
http:
  listen: "127.0.0.1:$http_port"
subscribers:
  - {user: "6000", password: "1234"}
  - {user: "6001", password: "1234"}
${RTP_BENCH_SWITCH_YAML:-}
EOF
  rm -rf "$work/switch-data"
  timeout $(( rtpload_timeout + 120 )) "$bin" run --config "$work/switch.yaml" >"$work/switch.log" 2>&1 &
  wrapper_pid=$!
  local ok=0
  for _ in $(seq 1 100); do  # <= 10 s for /healthz
    if curl -fsS "http://127.0.0.1:$http_port/healthz" >/dev/null 2>&1; then ok=1; break; fi
    kill -0 "$wrapper_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ $ok == 1 ]] || { echo "switch not healthy, see $work/switch.log" >&2; return 1; }
  relay_pid=$(pgrep -P "$wrapper_pid" || true)
  [[ -n $relay_pid ]] || { echo "no softswitch process under $wrapper_pid" >&2; return 1; }

  write_uas_sdp
  local common=(-i 127.0.0.1 -nostdin -buff_size 4194304)
  timeout $(( rtpload_timeout + 120 )) sipp -sf "$work/uas_sdp.xml" "${common[@]}" -p "$uas_port" \
      -cp 18988 -mp 27000 -s 6001 >"$work/uas.out" 2>&1 &
  uas_pid=$!
  wait_udp_listen "$uas_port" 5 || { echo "SIPp UAS did not listen" >&2; return 1; }
  timeout 20 sipp -sf "$sippdir/register.xml" "${common[@]}" -p "$reg_port" -cp 18989 -mp 27100 -m 1 \
      -au 6001 -ap 1234 -key user 6001 -key contact "127.0.0.1:$uas_port" -key expires 3600 \
      "127.0.0.1:$port" >"$work/reg.out" 2>&1 || { echo "REGISTER failed, see $work/reg.out" >&2; return 1; }

  # N calls held past the whole measurement: set-up time at --cps, then
  # rtpload's warm-up, window and drain, plus a margin.
  local setup=$(( calls / cps + 5 ))
  local hold_ms=$(( (setup + warmup + duration + 30) * 1000 ))
  timeout $(( setup + warmup + duration + 90 )) sipp -sf "$sippdir/uac.xml" "${common[@]}" -p "$uac_port" \
      -cp 18990 -mp 27200 -s 6001 -key caller 6000 -au 6000 -ap 1234 -auth_uri "6001@127.0.0.1:$port" \
      -d "$hold_ms" -r "$cps" -l "$calls" -m "$calls" -recv_timeout 10000 \
      -trace_stat -stf "$work/uac.stat.csv" -fd 1 \
      "127.0.0.1:$port" >"$work/uac.out" 2>&1 &
  uac_pid=$!

  local rc=0
  SOFTSWITCH_ADMIN_TOKEN=${SOFTSWITCH_ADMIN_TOKEN:-} run_rtpload switch \
      --switch "http://127.0.0.1:$http_port" --switch-wait "$(( setup + 30 ))s" --pid "$relay_pid" || rc=$?

  stop_wrapped "$uac_pid" TERM 5; uac_pid=""
  # SIGUSR1: SIPp ends without counting its open calls as failed
  stop_wrapped "$uas_pid" USR1 5; uas_pid=""
  stop_pid "$relay_pid" TERM 10; relay_pid=""
  stop_pid "$wrapper_pid" TERM 5; wrapper_pid=""
  if [[ $rc != 0 ]] && grep -q 'err="sessions' "$work/switch.err" 2>/dev/null; then
    echo "switch: GET /api/v1/calls gave no calls with relay addresses (\"media\", issue 13): $(grep -m1 -o 'err=".*' "$work/switch.err")" >&2
  fi
  report switch "$rc"
}

report() { # label rc
  local label=$1 rc=$2
  if [[ $rc != 0 && $rc != 3 ]] || [[ ! -s $work/$label.json ]]; then
    echo "$label: rtpload failed (exit $rc), see $work/$label.err" >&2
    tail -3 "$work/$label.err" >&2 || true
    return 1
  fi
  tail -1 "$work/$label.out"
  DONE[$label]=1
}

case $target in
  rtpengine) run_rtpengine ;;
  switch) run_switch ;;
  both)
    run_switch || true
    run_rtpengine || true
    if [[ -n ${DONE[switch]:-} && -n ${DONE[rtpengine]:-} ]]; then
      s="$work/switch.json" r="$work/rtpengine.json"
      awk -v sd="$(jnum "$s" delivered_pps)" -v rd="$(jnum "$r" delivered_pps)" \
          -v sc="$(jnum "$s" target_cores)" -v rc="$(jnum "$r" target_cores)" \
          -v sl="$(jnum "$s" loss_pct)" -v rl="$(jnum "$r" loss_pct)" \
          -v sp="$(awk '/"latency": \{/{f++} f==3&&/"p99_us"/{gsub(/,/,"",$2);print $2;exit}' "$s")" \
          -v rp="$(awk '/"latency": \{/{f++} f==3&&/"p99_us"/{gsub(/,/,"",$2);print $2;exit}' "$r")" \
          'BEGIN{ printf "ratio switch/rtpengine: delivered pps %.2f, CPU cores %.2f, CPU per packet %.2f, p99 latency %.2f (loss %.4f %% vs %.4f %%)\n",
                  (rd>0?sd/rd:0), (rc>0?sc/rc:0), ((rc>0&&sd>0)?(sc/sd)/(rc/rd):0), (rp>0?sp/rp:0), sl, rl }'
    else
      echo "ratio: not available (a target did not complete; see above)"
    fi ;;
esac
