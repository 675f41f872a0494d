#!/usr/bin/env bash
# BYE -> CDR queryable in ClickHouse, under SIPp call load (issue 3).
#
# Usage:
#   cdr-latency.sh [--rate 500] [--duration 30] [--hold-ms 1000]
# Options:
#   --bin PATH            prebuilt softswitch binary (default: go build ./cmd/softswitch)
#   --port N              SIP port of the switch on 127.0.0.1 (default 21060;
#                         UAS N+10, REGISTER N+11, UAC N+12, admin HTTP N+20)
#   --flush-interval D    clickhouse.flush_interval for the switch (default:
#                         the switch's own default, 200ms)
#   --ship-batch N        kafka.ship_batch (default: the switch's, 5000)
#   --partitions N        kafka.partitions of the events topic (default: the switch's, 12)
#   --profile S           take an S-second CPU profile of the switch in the
#                         middle of the load (saved as cpu.pprof in the log dir)
#   --trace S             take an S-second execution trace too (trace.out; see
#                         go tool trace -pprof=sched|sync trace.out)
#   --wait S              longest wait for every CDR to reach ClickHouse (default 120)
#   --keep                keep the bench database and topics (default: dropped)
#
# What runs (all on 127.0.0.1; only processes started here are stopped, by pid):
#   1. Kafka (127.0.0.1:9092) and ClickHouse (127.0.0.1:9000) must answer;
#      deploy/local/up.sh (idempotent) is run when one does not. They are
#      left running.
#   2. the switch, with a fresh data dir and a config with
#      kafka: {brokers: [127.0.0.1:9092], topic_prefix: bench.cdrlat.<run>.}
#      clickhouse: {dsn: clickhouse://127.0.0.1:9000/bench_cdrlat_<run>}
#      (a unique topic prefix, consumer group and database per run)
#   3. a SIPp UAS (deploy/sipp/uas.xml) registered as 6001; the run waits
#      until the CDR consumer has read the REGISTER's events back from Kafka
#      (so the group join is not counted in the first calls' latency)
#   4. the UAC (deploy/sipp/uac.xml, digest auth as 6000) at --rate calls/s,
#      -d hold, -m rate*duration, -l rate*(5 + hold), bounded by timeout(1)
#   5. the UAS is stopped with SIGUSR1; then the run polls
#      SELECT count() FROM <db>.cdr FINAL until it equals SIPp's successful
#      calls (bounded by --wait)
# Printed: offered rate, successful/failed calls, the switch's
# softswitch_cdr_end_to_stored_seconds p50/p90/p99 (from the call's end
# event time to the return of its ClickHouse insert), the CDR count, an
# independent check from ClickHouse (count = successful calls, no id twice
# after FINAL, raw rows before merging, and how long after the last call's
# `end` the count was first seen complete), Kafka/CDR counters, and the CPU
# (cores) of the switch, SIPp, Kafka and ClickHouse over the load, from
# /proc/PID/stat (Kafka and ClickHouse are shared: other runs count too).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sippdir="$root/deploy/sipp"
state=${SOFTSWITCH_LOCAL_STATE:-/var/tmp/softswitch-local}

rate=500 duration=30 hold=1000 port=21060 bin="" flush="" ship_batch="" partitions="" profile=0 trace=0 maxwait=120 keep=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --rate) rate=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --hold-ms|--hold) hold=$2; shift 2 ;;
    --port) port=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    --flush-interval) flush=$2; shift 2 ;;
    --ship-batch) ship_batch=$2; shift 2 ;;
    --partitions) partitions=$2; shift 2 ;;
    --profile) profile=$2; shift 2 ;;
    --trace) trace=$2; shift 2 ;;
    --wait) maxwait=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,44p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
(( rate > 0 && rate <= 5000 )) || { echo "--rate must be 1..5000" >&2; exit 2; }
(( duration > 0 && duration <= 300 )) || { echo "--duration must be 1..300 s" >&2; exit 2; }
(( hold >= 0 && hold <= 60000 )) || { echo "--hold-ms must be 0..60000" >&2; exit 2; }
(( maxwait > 0 && maxwait <= 600 )) || { echo "--wait must be 1..600 s" >&2; exit 2; }
for c in sipp clickhouse-client kcat curl bc; do
  command -v "$c" >/dev/null || { echo "$c missing (sipp: deploy/local/install-sipp.sh; the rest: deploy/local/up.sh)" >&2; exit 1; }
done

source "$here/lib.sh"

work=$(mktemp -d /tmp/cdr-latency.XXXXXX)
echo "logs: $work"
run_id="$(date +%Y%m%d%H%M%S)_$$"
db="bench_cdrlat_$run_id"
prefix="bench.cdrlat.$run_id."
uas_port=$((port + 10)) reg_port=$((port + 11)) uac_port=$((port + 12)) http_port=$((port + 20))
clk_tck=$(getconf CLK_TCK)

metric_or0() { local v; v=$(metric "$http_port" "$1" 2>/dev/null || true); echo "${v:-0}"; }
SWITCH_PID="" uas_pid="" uac_pid="" prof_pid="" trace_pid="" mid_pid=""
ch() { timeout 60 clickhouse-client --host 127.0.0.1 --port 9000 --query "$1"; }
cleanup() {
  set +e
  # only what this script started, by pid
  [[ -n $prof_pid ]] && kill "$prof_pid" 2>/dev/null
  [[ -n $trace_pid ]] && kill "$trace_pid" 2>/dev/null
  [[ -n $mid_pid ]] && { kill "$mid_pid" 2>/dev/null; wait "$mid_pid" 2>/dev/null; }
  [[ -n $uac_pid ]] && stop_pid "$uac_pid" KILL 1
  [[ -n $uas_pid ]] && stop_pid "$uas_pid" KILL 1
  [[ -n $SWITCH_PID ]] && stop_pid "$SWITCH_PID" TERM 15
  if (( keep == 0 )); then
    ch "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 \
      && echo "dropped ClickHouse database $db" || echo "could not drop $db" >&2
    # the run's topics: unique per run, so nothing else uses them
    timeout 60 "$root/deploy/local/kafka/kafka-tool.sh" kafka-topics --bootstrap-server 127.0.0.1:9092 \
      --delete --topic "${prefix//./\\.}.*" >/dev/null 2>&1 \
      && echo "deleted Kafka topics ${prefix}*" || echo "could not delete Kafka topics ${prefix}* (harmless)" >&2
    timeout 60 "$root/deploy/local/kafka/kafka-tool.sh" kafka-consumer-groups --bootstrap-server 127.0.0.1:9092 \
      --delete --group "${prefix}cdr" >/dev/null 2>&1 || true
  else
    echo "kept database $db and topics ${prefix}*"
  fi
}
trap cleanup EXIT

# 1. servers
if ! ch 'SELECT 1' >/dev/null 2>&1 || ! timeout 10 kcat -b 127.0.0.1:9092 -L >/dev/null 2>&1; then
  echo "Kafka or ClickHouse not answering: running deploy/local/up.sh"
  "$root/deploy/local/up.sh" >"$work/up.log" 2>&1 || { cat "$work/up.log" >&2; exit 1; }
fi
kafka_pid=$(cat "$state/kafka/kafka.pid" 2>/dev/null || true)
ch_pid=$(cat "$state/clickhouse/clickhouse-server.pid" 2>/dev/null || true)

# 2. switch
if [[ -z $bin ]]; then
  bin="$work/softswitch"
  (cd "$root" && go build -o "$bin" ./cmd/softswitch)
fi
extra="kafka:
  brokers: [\"127.0.0.1:9092\"]
  topic_prefix: \"$prefix\""
[[ -n $ship_batch ]] && extra+="
  ship_batch: $ship_batch"
[[ -n $partitions ]] && extra+="
  partitions: $partitions"
extra+="
clickhouse:
  dsn: \"clickhouse://127.0.0.1:9000/$db\""
[[ -n $flush ]] && extra+="
  flush_interval: \"$flush\""
write_switch_config "$work/switch.yaml" "$work/switch-data" "$port" "$http_port" 0 "$extra"
start_switch_bin "$bin" "$work/switch.yaml" "$work/switch.log" "$http_port"

# wait for the CDR consumer to have opened ClickHouse (its counters appear)
for _ in $(seq 1 600); do  # <= 60 s
  [[ -n $(metric "$http_port" softswitch_cdr_events_total) ]] && break
  sleep 0.1
done
[[ -n $(metric "$http_port" softswitch_cdr_events_total) ]] || { echo "CDR consumer not up after 60 s, see $work/switch.log" >&2; exit 1; }

# 3. UAS, registered as 6001
common=(-i 127.0.0.1 -nostdin -buff_size 4194304)
sipp -sf "$sippdir/uas.xml" "${common[@]}" -p "$uas_port" -cp 18910 -mp 28000 -s 6001 >"$work/uas.out" 2>&1 &
uas_pid=$!
wait_udp_listen "$uas_port" 5 || { echo "UAS did not listen, see $work/uas.out" >&2; exit 1; }
timeout 20 sipp -sf "$sippdir/register.xml" "${common[@]}" -p "$reg_port" -cp 18911 -mp 28100 -m 1 \
     -au 6001 -ap 1234 -key user 6001 -key contact "127.0.0.1:$uas_port" -key expires 3600 \
     "127.0.0.1:$port" >"$work/reg.out" 2>&1 || { echo "REGISTER failed, see $work/reg.out" >&2; exit 1; }
# the consumer group has joined once it has read the REGISTER's events back
for _ in $(seq 1 600); do  # <= 60 s
  (( $(metric_or0 softswitch_cdr_events_total) > 0 )) && break
  sleep 0.1
done
ev0=$(metric_or0 softswitch_cdr_events_total)
(( ev0 > 0 )) || { echo "CDR consumer read nothing from Kafka in 60 s, see $work/switch.log" >&2; exit 1; }

# 4. load
total=$(( rate * duration ))
limit=$(( rate * (5 + (hold + 999) / 1000) ))
echo "=== $rate calls/s for ${duration}s, hold ${hold} ms: $total calls; db $db, topics ${prefix}*; flush_interval ${flush:-default}"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(date +%s.%N)
s0=$(cpu_ticks "$SWITCH_PID"); k0=$(cpu_ticks $kafka_pid); h0=$(cpu_ticks $ch_pid); u0=$(cpu_ticks "$uas_pid")
timeout $(( duration + hold / 1000 + 40 )) sipp -sf "$sippdir/uac.xml" "${common[@]}" -p "$uac_port" -cp 18912 -mp 28200 \
     -s 6001 -key caller 6000 -au 6000 -ap 1234 -auth_uri "6001@127.0.0.1:$port" -d "$hold" \
     -r "$rate" -l "$limit" -m "$total" -recv_timeout 10000 \
     -trace_stat -stf "$work/uac.stat.csv" -fd 1 \
     "127.0.0.1:$port" >"$work/uac.out" 2>&1 &
uac_pid=$!
if (( profile > 0 )); then
  ( sleep $(( (duration - profile) / 2 > 0 ? (duration - profile) / 2 : 0 ))
    curl -fsS -o "$work/cpu.pprof" "http://127.0.0.1:$http_port/debug/pprof/profile?seconds=$profile" ) &
  prof_pid=$!
fi
# timeline: once a second until the run ends, the pipeline's progress.
# consumer_lag = envelopes on Kafka not yet read by the CDR consumer;
# lat_mean_1s = mean BYE->stored latency of the CDRs stored in that second.
sample() {
  local m; m=$(curl -fsS --max-time 2 "http://127.0.0.1:$http_port/metrics" 2>/dev/null) || return 0
  awk -v t="$1" -v la="$(cut -d' ' -f1 /proc/loadavg)" '
    $1=="softswitch_kafka_shipped_total"{sh=$2} $1=="softswitch_cdr_events_total"{ev=$2}
    $1=="softswitch_kafka_ship_backlog"{bl=$2} $1=="softswitch_kafka_ship_lag_seconds"{lag=$2}
    $1=="softswitch_cdr_stored_total"{st=$2} $1=="softswitch_cdr_end_to_stored_seconds_count"{n=$2}
    $1=="softswitch_cdr_end_to_stored_seconds_sum"{sum=$2}
    END{printf "%s\t%s\t%d\t%.3f\t%d\t%d\t%d\t%.6f\t%s\n", t, la, bl, lag, sh, sh-ev, st, sum, n}' <<<"$m"
}
printf 't_s\tload1\tship_backlog\tship_lag_s\tshipped\tconsumer_lag\tstored\tlat_sum_s\tlat_n\n' >"$work/timeline.tsv"
( for _ in $(seq 1 $(( duration + hold / 1000 + 40 + maxwait ))); do
    sleep 1; sample "$(echo "$(date +%s.%N) - $t0" | bc -l | xargs printf '%.1f')" >>"$work/timeline.tsv"
  done ) &
mid_pid=$!
if (( trace > 0 )); then  # after the profile, if any: one at a time
  ( sleep $(( (duration - trace) / 2 + profile > 0 ? (duration - trace) / 2 + profile : 0 ))
    curl -fsS -o "$work/trace.out" "http://127.0.0.1:$http_port/debug/pprof/trace?seconds=$trace" ) &
  trace_pid=$!
fi
uac_rc=0; wait "$uac_pid" || uac_rc=$?; uac_pid=""
t1=$(date +%s.%N)
u1=$(cpu_ticks "$uas_pid"); s1=$(cpu_ticks "$SWITCH_PID"); k1=$(cpu_ticks $kafka_pid); h1=$(cpu_ticks $ch_pid)
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
[[ -n $prof_pid ]] && { wait "$prof_pid" 2>/dev/null || true; prof_pid=""; }
[[ -n $trace_pid ]] && { wait "$trace_pid" 2>/dev/null || true; trace_pid=""; }
stop_pid "$uas_pid" USR1 10; uas_pid=""

read -r ok failed < <(sipp_ok_failed "$work/uac.stat.csv")
(( uac_rc == 0 || uac_rc == 1 )) || echo "note: SIPp UAC exited with $uac_rc (124 = timeout), see $work/uac.out" >&2

# 5. wait until ClickHouse holds one CDR per successful call
t_load_end=$(date +%s%3N)
count=0 seen_ms=""
for _ in $(seq 1 $(( maxwait * 5 ))); do
  count=$(ch "SELECT count() FROM $db.cdr FINAL" 2>/dev/null || echo 0)
  if (( count >= ok )); then seen_ms=$(date +%s%3N); break; fi
  sleep 0.2
done

m=$(curl -fsS "http://127.0.0.1:$http_port/metrics")
mv() { awk -v n="$1" '$1==n{print $2}' <<<"$m"; }
q() { mv "softswitch_cdr_end_to_stored_seconds{quantile=\"$1\"}"; }
ms() { [[ -n $1 ]] && printf '%.0f ms' "$(echo "$1 * 1000" | bc -l)" || echo n/a; }
lat_n=$(mv softswitch_cdr_end_to_stored_seconds_count); lat_sum=$(mv softswitch_cdr_end_to_stored_seconds_sum)
lat_mean=""; [[ -n $lat_n && $lat_n != 0 ]] && lat_mean=$(echo "$lat_sum / $lat_n" | bc -l)

read -r rows_final uniq_final < <(ch "SELECT count(), uniqExact(id) FROM $db.cdr FINAL" | tr '\t' ' ')
read -r rows_raw uniq_raw last_end answered < <(ch "SELECT count(), uniqExact(id), max(\`end\`), countIf(disposition = 'answered') FROM $db.cdr" | tr '\t' ' ')
dups=$(ch "SELECT count() FROM (SELECT id FROM $db.cdr FINAL GROUP BY id HAVING count() > 1)")
parts=$(ch "SELECT count() FROM system.parts WHERE database = '$db' AND table = 'cdr' AND active")

el=$(echo "$t1 - $t0" | bc -l)
cores() { echo "($2 - $1) / $clk_tck / $el" | bc -l; }
fpct=0; (( ok + failed > 0 )) && fpct=$(echo "100 * $failed / ($ok + $failed)" | bc -l)

echo
printf 'offered            %d calls/s for %d s, hold %d ms (%d calls, -l %d)\n' "$rate" "$duration" "$hold" "$total" "$limit"
printf 'SIPp               %d successful, %d failed (%.3f %%), %.1f successful calls/s over %.1f s\n' \
  "$ok" "$failed" "$fpct" "$(echo "$ok / $el" | bc -l)" "$el"
printf 'BYE->CDR stored    p50 %s | p90 %s | p99 %s | mean %s | n %s   (switch /metrics, 5 ms buckets)\n' \
  "$(ms "$(q 0.5)")" "$(ms "$(q 0.9)")" "$(ms "$(q 0.99)")" "$(ms "$lat_mean")" "${lat_n:-n/a}"
printf 'CDRs in ClickHouse %s after FINAL (%s distinct ids, %s duplicated ids); %s raw rows before merge (%s distinct); %s answered; %s active parts\n' \
  "$rows_final" "$uniq_final" "$dups" "$rows_raw" "$uniq_raw" "$answered" "$parts"
if [[ -n $seen_ms ]]; then
  printf 'independent check  count FINAL = successful calls: %s; every id once: %s; last call ended %s ms before the complete count was seen (poll every 0.2 s; %s ms after SIPp exited)\n' \
    "$([[ $rows_final == "$ok" ]] && echo yes || echo "NO ($rows_final vs $ok)")" \
    "$([[ $dups == 0 && $uniq_final == "$rows_final" ]] && echo yes || echo NO)" \
    "$(( seen_ms - last_end ))" "$(( seen_ms - t_load_end ))"
else
  printf 'independent check  FAILED: %s CDRs after FINAL after %d s, expected %d\n' "$count" "$maxwait" "$ok"
fi
printf 'pipeline           kafka shipped %s, ship failures %s; cdr events %s, records %s, stored %s (rewrites incl.), flush errors %s, duplicates %s, open calls %s\n' \
  "$(mv softswitch_kafka_shipped_total)" "$(mv softswitch_kafka_ship_failures)" "$(mv softswitch_cdr_events_total)" \
  "$(mv softswitch_cdr_records_total)" "$(mv softswitch_cdr_stored_total)" "$(mv softswitch_cdr_flush_errors_total)" \
  "$(mv softswitch_cdr_duplicates_total)" "$(mv softswitch_cdr_open_calls)"
kill "$mid_pid" 2>/dev/null || true; wait "$mid_pid" 2>/dev/null || true; mid_pid=""
# per-second timeline, condensed: every 5th second, with the mean latency of
# the CDRs stored since the previous printed line
awk -F'\t' 'NR==1{next}
  $1 >= next5 {next5 = int($1/5)*5 + 5; dn=$9-pn; ds=$8-ps; printf "  t=%5.1fs load1 %-5s ship backlog %6d lag %.2fs | consumer behind %6d envelopes | stored %6d | mean latency of CDRs stored since the line before %s\n", $1, $2, $3, $4, $6, $7, (dn>0 ? sprintf("%.0f ms", 1000*ds/dn) : "-"); pn=$9; ps=$8}
  {if ($6 > maxlag) {maxlag=$6; at=$1}}
  END{printf "  max consumer lag %d envelopes at t=%.1fs\n", maxlag, at}' "$work/timeline.tsv"
printf 'CPU over the load  switch %.2f cores (%s us/call) | SIPp UAS %.2f | Kafka %.2f | ClickHouse %.2f   (per process, /proc/PID/stat; Kafka/ClickHouse shared)\n' \
  "$(cores "$s0" "$s1")" "$( (( ok > 0 )) && printf '%.0f' "$(echo "($s1 - $s0) / $clk_tck * 1000000 / $ok" | bc -l)" || echo n/a)" \
  "$(cores "$u0" "$u1")" "$(cores "$k0" "$k1")" "$(cores "$h0" "$h1")"
echo "load average after: $load_after; nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
[[ -f $work/trace.out ]] && echo "execution trace: $work/trace.out  (go tool trace -pprof=sched $work/trace.out > sched.pprof; go tool pprof -top $bin sched.pprof)"
[[ -f $work/cpu.pprof ]] && echo "CPU profile: $work/cpu.pprof  (go tool pprof -top $bin $work/cpu.pprof)"
echo "log dir: $work"

[[ -n $seen_ms && $rows_final == "$ok" && $dups == 0 && $failed == 0 ]]
