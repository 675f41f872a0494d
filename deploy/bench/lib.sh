# Shared helpers for deploy/bench/*.sh (sourced, not run). Everything runs on
# 127.0.0.1 and every process is started and stopped by pid.

# utime+stime (clock ticks) of the given pids, from /proc/PID/stat
cpu_ticks() {
  local total=0 p
  for p in "$@"; do
    [[ -r /proc/$p/stat ]] || continue
    local rest; rest=$(sed 's/^.*) //' "/proc/$p/stat")
    set -- $rest
    total=$(( total + ${12} + ${13} ))
  done
  echo "$total"
}

wait_udp_listen() { # port, seconds
  local hex; hex=$(printf ':%04X ' "$1")
  for _ in $(seq 1 $(( $2 * 10 ))); do
    grep -q "$hex" /proc/net/udp && return 0
    sleep 0.1
  done
  return 1
}

# kernel UDP receive-buffer drops so far (netstat -su "receive buffer errors")
udp_rcvbuf_errors() {
  awk '/^Udp:/{if(!h){for(i=1;i<=NF;i++)n[i]=$i;h=1}else{for(i=1;i<=NF;i++)if(n[i]=="RcvbufErrors")print $i}}' /proc/net/snmp
}

# last row of a SIPp -trace_stat CSV: cumulative successful and failed calls
sipp_ok_failed() {
  awk -F';' 'NR==1{for(i=1;i<=NF;i++){if($i=="SuccessfulCall(C)")s=i;if($i=="FailedCall(C)")f=i};next}{o=$s;x=$f}END{print o+0, x+0}' "$1"
}

# stop a pid: signal, wait up to $3 s, then KILL
stop_pid() { # pid signal seconds
  local pid=$1 sig=${2:-TERM} secs=${3:-10}
  [[ -n $pid ]] || return 0
  kill -"$sig" "$pid" 2>/dev/null || true
  for _ in $(seq 1 $(( secs * 10 ))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# metric value from the switch's /metrics
metric() { # http_port name
  curl -fsS "http://127.0.0.1:$1/metrics" | awk -v n="$2" '$1==n{print $2}'
}

# live heap after a forced GC
gc_heap() { # http_port
  curl -fsS -X POST "http://127.0.0.1:$1/debug/gc" | sed -n 's/.*"heap_alloc_bytes":\([0-9]*\).*/\1/p'
}

# write a switch config: file data_dir sip_port http_port nusers [extra yaml]
# Users are u000000.. with password p000000.. (same numbering as users_csv).
write_switch_config() {
  local f=$1 data=$2 port=$3 http=$4 n=$5 extra=${6:-}
  {
    cat <<YAML
node_id: bench
data_dir: "$data"
sip:
  listen: "127.0.0.1:$port"
  realm: "bench.test"
  auth_algorithms: ["MD5"]
  ring_timeout: "120s"
  max_call_duration: "1h"
$extra
http:
  listen: "127.0.0.1:$http"
subscribers:
  - {user: "6000", password: "1234"}
  - {user: "6001", password: "1234"}
YAML
    awk -v n="$n" 'BEGIN{for(i=0;i<n;i++) printf "  - {user: \"u%06d\", password: \"p%06d\"}\n", i, i}'
  } >"$f"
}

# SIPp injection file for register_load.xml (see the comment there)
users_csv() { # file nusers
  { echo SEQUENTIAL
    awk -v n="$2" 'BEGIN{for(i=0;i<n;i++) printf "u%06d;p%06d;[authentication username=u%06d password=p%06d]\n", i, i, i, i}'
  } >"$1"
}

# start the switch in the background; sets SWITCH_PID. bin config log http_port
start_switch_bin() {
  local bin=$1 cfg=$2 log=$3 http=$4
  "$bin" run --config "$cfg" >"$log" 2>&1 &
  SWITCH_PID=$!
  for _ in $(seq 1 1200); do  # <= 120 s (provisioning 100k users)
    curl -fsS "http://127.0.0.1:$http/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$SWITCH_PID" 2>/dev/null || { echo "switch exited, see $log" >&2; return 1; }
    sleep 0.1
  done
  echo "switch not healthy, see $log" >&2; return 1
}
