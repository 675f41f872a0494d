#!/usr/bin/env bash
# A notification campaign (issue 15) driven as fast as its channels allow
# against a SIPp gateway that answers at once, on 127.0.0.1: the dialer's
# attempts per second, and the switch process's CPU per attempt (the dialer
# runs in it, so the figure is the switch's two calls' worth per attempt —
# the dialer's leg in and the trunk leg out — plus pacing, compliance, the
# relay and the prompt), beside the same switch's CPU per plain SIPp call
# from sipp-load.sh for the ratio.
#
# Usage: campaign-load.sh [--leads 3000] [--channels 100] [--prompt-ms 200]
#                         [--port 17060] [--bin PATH] [--profile S]
#   --profile S  a CPU profile of the switch for S seconds from 2 s into the
#                campaign; prints the pacing loop's share of it (the
#                cumulative samples under dialer.(*Dialer).pace: next lead,
#                compliance decision, the decision's durable event; the
#                attempts' own goroutines are not under it) as µs per attempt
# What runs (one load at a time, everything started and stopped by pid):
#   1. SIPp deploy/sipp/gw_answer.xml as the carrier's gateway (-d 0)
#   2. the switch with the dialer on (subscriber "dialer"), media anchored,
#      a route for 86138 to the gateway, a prompt of --prompt-ms of tone
#   3. a notification campaign (no agents, no digit) of --leads numbers,
#      caps off (one attempt per number anyway), open all day; started,
#      then polled until every lead is done (bounded: 10 min)
# Printed: attempts, elapsed, attempts/s, outcomes, switch CPU (cores, µs
# per attempt), SIPp's CPU.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
leads=3000 channels=100 prompt_ms=200 port=17060 bin="" profile=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --leads) leads=$2; shift 2 ;;
    --channels) channels=$2; shift 2 ;;
    --prompt-ms) prompt_ms=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --profile) profile=$2; shift 2 ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
(( leads > 0 && leads <= 100000 )) || { echo "--leads must be 1..100000" >&2; exit 2; }
command -v sipp >/dev/null || { echo "sipp missing: deploy/local/install-sipp.sh" >&2; exit 1; }
source "$here/lib.sh"

work=$(mktemp -d /tmp/campaign-load.XXXXXX)
echo "logs: $work"
gw_port=$((port + 10)) http_port=$((port + 20))
clk_tck=$(getconf CLK_TCK)
gw_pid="" sw_pid=""
cleanup() {
  [[ -n $gw_pid ]] && kill -KILL "$gw_pid" 2>/dev/null || true
  [[ -n $sw_pid ]] && kill -KILL "$sw_pid" 2>/dev/null || true
}
trap cleanup EXIT

if [[ -z $bin ]]; then
  bin="$work/softswitch"
  (cd "$root" && go build -o "$bin" ./cmd/softswitch)
fi

# The prompt: a 450 Hz tone, 16-bit mono 8 kHz WAV.
python3 - "$work/prompt.wav" "$prompt_ms" <<'EOF'
import math, struct, sys, wave
path, ms = sys.argv[1], int(sys.argv[2])
with wave.open(path, "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 450 * i / 8000))) for i in range(8 * ms)))
EOF

sipp -sf "$root/deploy/sipp/gw_answer.xml" -i 127.0.0.1 -p "$gw_port" -nostdin -buff_size 4194304 -d 0 \
     >"$work/gw.out" 2>&1 &
gw_pid=$!
wait_udp_listen "$gw_port" 5

# The pool caps each caller ID at 300 calls a day: enough of them, each
# one of the dialer account's identities (the switch presents no other).
cids=$(for i in $(seq 0 $(( leads / 300 ))); do printf '"02155%06d",' "$i"; done); cids=${cids%,}
idents=$(for i in $(seq 0 $(( leads / 300 ))); do printf '"862155%06d",' "$i"; done); idents=${idents%,}

cat >"$work/switch.yaml" <<EOF
node_id: bench
data_dir: "$work/switch-data"
sip:
  listen: "127.0.0.1:$port"
  realm: "bench.test"
  auth_algorithms: ["MD5"]
http:
  listen: "127.0.0.1:$http_port"
subscribers:
  - {user: "dialer", password: "d1al3r", identities: [$idents]}
carriers:
  - name: cm
    kind: mno
    trunks:
      - {name: gw, address: "127.0.0.1:$gw_port"}
routes:
  - {prefix: "86138", trunks: [gw]}
dialer:
  enabled: true
  account: dialer
  port_min: 42000
  port_max: 50000
  prompts:
    - {name: tone, file: "$work/prompt.wav"}
EOF
"$bin" run --config "$work/switch.yaml" >"$work/switch.log" 2>&1 &
sw_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$http_port/healthz" >/dev/null 2>&1 && break
  kill -0 "$sw_pid" 2>/dev/null || { echo "switch exited, see $work/switch.log" >&2; exit 1; }
  sleep 0.1
done

api() { curl -fsS -X "$1" "http://127.0.0.1:$http_port$2" "${@:3}"; }
api POST /api/v1/campaigns -H 'Content-Type: application/json' -d "{\"name\":\"load\",\"mode\":\"notification\",\"prompt\":\"tone\",
  \"channels\":$channels,\"caller_ids\":[$cids],\"hours\":[{\"days\":[\"mon-sun\"],\"start\":\"00:00\",\"end\":\"24:00\"}],
  \"caps\":[{\"window_seconds\":60,\"max\":20}],\"ring_seconds\":10}" >/dev/null
{ echo number; for i in $(seq 1 "$leads"); do printf '1380%07d\n' "$i"; done; } >"$work/leads.csv"
api POST /api/v1/campaigns/load/leads -H 'Content-Type: text/csv' --data-binary @"$work/leads.csv" >/dev/null

c0=$(cpu_ticks "$sw_pid") g0=$(cpu_ticks "$gw_pid") t0=$(date +%s.%N)
api POST /api/v1/campaigns/load/start >/dev/null
prof_pid=""
if (( profile > 0 )); then
  ( sleep 2; curl -fsS -o "$work/switch.cpu.pprof" "http://127.0.0.1:$http_port/debug/pprof/profile?seconds=$profile" ) &
  prof_pid=$!
fi
done_n=0
for _ in $(seq 1 6000); do  # <= 10 min
  done_n=$(api GET /api/v1/campaigns/load | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["done"])')
  (( done_n >= leads )) && break
  sleep 0.1
done
t1=$(date +%s.%N) c1=$(cpu_ticks "$sw_pid") g1=$(cpu_ticks "$gw_pid")
api GET /api/v1/campaigns/load >"$work/campaign.json"

el=$(echo "$t1 - $t0" | bc -l)
printf 'attempts %d of %d in %.1fs: %.1f attempts/s with %d channels\n' "$done_n" "$leads" "$el" "$(echo "$done_n / $el" | bc -l)" "$channels"
python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counters"]; print("outcomes:", {k: v for k, v in c.items() if v})' "$work/campaign.json"
printf 'switch (with the dialer) CPU %.2f cores, %.0f us per attempt; SIPp gateway %.2f cores\n' \
  "$(echo "($c1 - $c0) / $clk_tck / $el" | bc -l)" "$(echo "($c1 - $c0) / $clk_tck * 1000000 / ($done_n + 0.000001)" | bc -l)" \
  "$(echo "($g1 - $g0) / $clk_tck / $el" | bc -l)"
if [[ -n $prof_pid ]]; then
  wait "$prof_pid" 2>/dev/null || true
  go tool pprof -top -cum -nodecount=2000 "$bin" "$work/switch.cpu.pprof" >"$work/switch.cpu.top" 2>/dev/null || true
  # The share of the profile under the pacing loop, and the whole
  # profile's samples per second of it: the loop's µs per attempt is its
  # share of the switch's CPU over the attempts placed meanwhile.
  pace=$(awk '/dialer\.\(\*Dialer\)\.pace$/ {gsub("%","",$5); print $5; exit}' "$work/switch.cpu.top")
  attempt=$(awk '/dialer\.\(\*Dialer\)\.placeAttempt$/ {gsub("%","",$5); print $5; exit}' "$work/switch.cpu.top")
  printf 'profile (%ss, %s): pacing loop %s%% of the switch CPU = %.0f us per attempt; the attempts themselves %s%%\n' \
    "$profile" "$work/switch.cpu.top" "${pace:-0}" \
    "$(echo "${pace:-0} / 100 * ($c1 - $c0) / $clk_tck * 1000000 / ($done_n + 0.000001)" | bc -l)" "${attempt:-0}"
fi
stop_pid "$sw_pid" TERM 15; sw_pid=""
stop_pid "$gw_pid" USR1 5; gw_pid=""
