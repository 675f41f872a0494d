#!/usr/bin/env bash
# Memory per registered contact and per active call, on loopback.
#
# Usage:
#   memory.sh [--part contacts|calls|both] [--contacts 100000] [--reg-rate 3000]
#             [--calls 10000] [--cps 500] [--port 17060] [--bin PATH] [--settle 35]
#             [--media on|off]
#
# contacts: a switch with --contacts subscribers (u000000.., from the config's
#   subscribers list), live heap after a forced GC (POST /debug/gc) = baseline;
#   SIPp register_load.xml registers every user once (1 contact each,
#   Expires 3600) at --reg-rate/s; forced GC again; (after - before) divided
#   by softswitch_registered_contacts. Target <= 2 KB per contact.
# calls: a switch with 6000/6001 only; a SIPp UAS registered as 6001; forced
#   GC = idle baseline; SIPp uac.xml at --cps with -d 60000 (60 s hold, ring
#   timeout 120 s, so no call ends early), -m --calls, -l calls*1.2, until
#   softswitch_active_calls reaches --calls (or 60 s pass); forced GC; (heap -
#   baseline) / active calls. Target <= 16 KB per call.
#   --media on (the default, as the switch's): calls are anchored (the UAS
#   answers with SDP, uas_sdp.xml; no RTP flows, so media.timeout is set
#   past the hold); each call holds two port pairs, so the range is widened
#   to 10000-65000 and the open-files limit raised to 65536 (root). The
#   figure is Go heap: the relay's four goroutine stacks and four sockets
#   per call are kernel and stack memory, reported beside it.
#   --media off: media.enabled false, the issue 11 measurement.
# Each part reads the heap twice: right after the load, and --settle s later
# (default 35), once the transactions kept for Timers J/K/I (32 s on UDP) are
# gone; the RESULT line is the settled one (calls hold 60 s: a call ramp of
# 20 s + 2 + 35 s still finds every call up).
# Each part saves a heap profile (inuse_space top in heap.top) in the log dir.
# Every process is started here and stopped by pid; runs are bounded by
# timeout(1).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sippdir="$root/deploy/sipp"
source "$here/lib.sh"

settle=35 part=both contacts=100000 reg_rate=3000 calls=10000 cps=500 port=17060 bin="" media=on
while [[ $# -gt 0 ]]; do
  case "$1" in
    --part) part=$2; shift 2 ;;
    --contacts) contacts=$2; shift 2 ;;
    --reg-rate) reg_rate=$2; shift 2 ;;
    --calls) calls=$2; shift 2 ;;
    --cps) cps=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --settle) settle=$2; shift 2 ;;
    --media) media=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
command -v sipp >/dev/null || { echo "sipp missing" >&2; exit 1; }

work=$(mktemp -d /tmp/memory.XXXXXX)
echo "logs: $work"
http_port=$((port + 20)) uas_port=$((port + 10)) reg_port=$((port + 11)) uac_port=$((port + 12))
if [[ -z $bin ]]; then bin="$work/softswitch"; (cd "$root" && go build -o "$bin" ./cmd/softswitch); fi

SWITCH_PID="" uas_pid="" uac_pid=""
cleanup() {
  [[ -n $uac_pid ]] && kill -KILL "$uac_pid" 2>/dev/null || true
  [[ -n $uas_pid ]] && kill -KILL "$uas_pid" 2>/dev/null || true
  [[ -n $SWITCH_PID ]] && kill -KILL "$SWITCH_PID" 2>/dev/null || true
}
trap cleanup EXIT

heap_profile() { # dir
  curl -fsS -o "$1/heap.pprof" "http://127.0.0.1:$http_port/debug/pprof/heap" || return 0
  go tool pprof -top -sample_index=inuse_space "$bin" "$1/heap.pprof" 2>/dev/null | head -25 >"$1/heap.top" || true
  sed -n '1,22p' "$1/heap.top"
}

run_contacts() {
  local d="$work/contacts"; mkdir -p "$d"
  write_switch_config "$d/switch.yaml" "$d/data" "$port" "$http_port" "$contacts"
  users_csv "$d/users.csv" "$contacts"
  echo "=== contacts: provisioning $contacts subscribers"
  start_switch_bin "$bin" "$d/switch.yaml" "$d/switch.log" "$http_port"
  local h0; h0=$(gc_heap "$http_port")
  echo "heap after GC, $contacts subscribers, no contacts: $h0 bytes"
  timeout $(( contacts / reg_rate + 60 )) sipp -sf "$here/register_load.xml" -inf "$d/users.csv" \
      -i 127.0.0.1 -p "$reg_port" -cp 18893 -mp 27400 -nostdin -buff_size 4194304 \
      -key expires 3600 -r "$reg_rate" -l $(( reg_rate * 5 )) -m "$contacts" -recv_timeout 10000 \
      -trace_stat -stf "$d/reg.stat.csv" -fd 1 "127.0.0.1:$port" >"$d/reg.out" 2>&1 || true
  local ok failed; read -r ok failed < <(sipp_ok_failed "$d/reg.stat.csv")
  local n h1; n=$(metric "$http_port" softswitch_registered_contacts); h1=$(gc_heap "$http_port")
  printf 'REGISTERs ok %d failed %d; contacts %s; heap after GC %d bytes\n' "$ok" "$failed" "$n" "$h1"
  printf 'heap per registered contact, right after the load: %.0f bytes (includes lingering REGISTER transactions)\n' "$(echo "($h1 - $h0) / $n" | bc -l)"
  # non-INVITE server transactions linger for Timer J (32 s on UDP); wait
  # them out so only the bindings remain
  sleep "$settle"
  n=$(metric "$http_port" softswitch_registered_contacts); h1=$(gc_heap "$http_port")
  printf 'after %ds more: contacts %s; heap after GC %d bytes\n' "$settle" "$n" "$h1"
  printf 'RESULT heap per registered contact: %.0f bytes (target <= 2048)\n' "$(echo "($h1 - $h0) / $n" | bc -l)"
  heap_profile "$d"
  stop_pid "$SWITCH_PID" TERM 10; SWITCH_PID=""
  rm -rf "$d/data"
}

run_calls() {
  local d="$work/calls"; mkdir -p "$d"
  write_switch_config "$d/switch.yaml" "$d/data" "$port" "$http_port" 0
  local uas=uas.xml
  if [[ $media == on ]]; then
    uas=uas_sdp.xml
    printf 'media:\n  timeout: "2h"\n  port_min: 10000\n  port_max: 65000\n' >>"$d/switch.yaml"
    ulimit -n 65536 2>/dev/null || echo "could not raise the open-files limit ($(ulimit -n)): at most $(( ($(ulimit -n) - 1000) / 4 )) anchored calls" >&2
  else
    printf 'media:\n  enabled: false\n' >>"$d/switch.yaml"
  fi
  echo "=== calls: $calls concurrent at $cps cps, 60 s hold, media $media"
  start_switch_bin "$bin" "$d/switch.yaml" "$d/switch.log" "$http_port"
  local common=(-i 127.0.0.1 -nostdin -buff_size 4194304)
  local lim=$(( calls * 12 / 10 ))
  sipp -sf "$sippdir/$uas" "${common[@]}" -p "$uas_port" -cp 18894 -mp 27600 -s 6001 -l "$lim" \
       >"$d/uas.out" 2>&1 &
  uas_pid=$!
  wait_udp_listen "$uas_port" 5
  timeout 20 sipp -sf "$sippdir/register.xml" "${common[@]}" -p "$reg_port" -cp 18895 -mp 27800 -m 1 \
       -au 6001 -ap 1234 -key user 6001 -key contact "127.0.0.1:$uas_port" -key expires 3600 \
       "127.0.0.1:$port" >"$d/reg.out" 2>&1 || { echo "REGISTER of the UAS failed, see $d/reg.out" >&2; return 1; }
  local h0; h0=$(gc_heap "$http_port")
  echo "idle heap after GC (UAS registered, no calls): $h0 bytes"
  timeout $(( calls / cps + 150 )) sipp -sf "$sippdir/uac.xml" "${common[@]}" -p "$uac_port" -cp 18896 -mp 28000 \
       -s 6001 -key caller 6000 -au 6000 -ap 1234 -auth_uri "6001@127.0.0.1:$port" -d 60000 -r "$cps" -l "$lim" -m "$calls" \
       -recv_timeout 150000 -trace_stat -stf "$d/uac.stat.csv" -fd 1 "127.0.0.1:$port" >"$d/uac.out" 2>&1 &
  uac_pid=$!
  local active=0 t0=$SECONDS
  while (( SECONDS - t0 < calls / cps + 40 )); do
    active=$(metric "$http_port" softswitch_active_calls || echo 0)
    (( ${active%.*} >= calls )) && break
    sleep 1
  done
  sleep 2  # let the last ACKs land
  active=$(metric "$http_port" softswitch_active_calls)
  local h1; h1=$(gc_heap "$http_port")
  active=$(metric "$http_port" softswitch_active_calls)
  printf 'active calls %s after %ds; heap after GC %d bytes\n' "$active" $(( SECONDS - t0 )) "$h1"
  printf 'heap per active call, right after ramp-up: %.0f bytes (includes lingering transactions)\n' "$(echo "($h1 - $h0) / $active" | bc -l)"
  heap_profile "$d" >/dev/null; mv "$d/heap.top" "$d/heap.rampup.top"; mv "$d/heap.pprof" "$d/heap.rampup.pprof"
  # INVITE/ACK transactions linger up to 32 s; the calls hold 60 s, so
  # waiting $settle s more still finds them all up, without the transactions
  sleep "$settle"
  h1=$(gc_heap "$http_port"); active=$(metric "$http_port" softswitch_active_calls)
  printf 'after %ds more: active calls %s; heap after GC %d bytes\n' "$settle" "$active" "$h1"
  printf 'RESULT heap per active call: %.0f bytes (target <= 16384)\n' "$(echo "($h1 - $h0) / $active" | bc -l)"
  printf 'beside the heap: goroutines %s, media port pairs in use %s (media %s)\n' \
    "$(metric "$http_port" go_goroutines)" "$(metric "$http_port" softswitch_media_ports_in_use || echo 0)" "$media"
  heap_profile "$d"
  pkids=$(pgrep -P "$uac_pid" || true); for k in $pkids; do kill -KILL "$k" 2>/dev/null || true; done
  stop_pid "$uac_pid" KILL 5; uac_pid=""
  stop_pid "$uas_pid" KILL 5; uas_pid=""
  stop_pid "$SWITCH_PID" TERM 15; SWITCH_PID=""
  rm -rf "$d/data"
}

case $part in
  contacts) run_contacts ;;
  calls) run_calls ;;
  both) run_contacts; run_calls ;;
  *) echo "unknown --part $part" >&2; exit 2 ;;
esac
