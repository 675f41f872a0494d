#!/usr/bin/env bash
# Install when missing, then start, the servers the integration tests use:
#
#   up.sh [kafka|clickhouse|all]     (default: all)
#
#   kafka       Apache Kafka 4.3.1, KRaft, one broker+controller node,
#               PLAINTEXT 127.0.0.1:9092, controller 127.0.0.1:9093.
#               Jars from Maven Central (mvn) into $SOFTSWITCH_CACHE.
#               Also installs kcat (Debian), used to check the broker answers.
#   clickhouse  Debian's clickhouse-server 18.16, native 127.0.0.1:9000,
#               HTTP 127.0.0.1:8123, user default without password.
#
# Idempotent: a server that already answers (started by this script from any
# clone of the repository, since state is kept outside it) is reused as is.
# Returns only once each server answers (Kafka: a metadata request through
# kcat; ClickHouse: clickhouse-client SELECT 1); exits nonzero otherwise.
#
# Environment:
#   SOFTSWITCH_LOCAL_STATE   state dir (default /var/tmp/softswitch-local)
#   SOFTSWITCH_CACHE         jar cache (default $HOME/.cache/softswitch)
#   SOFTSWITCH_KAFKA_HEAP    Kafka -Xmx (default 768m)
#   SOFTSWITCH_START_TIMEOUT seconds to wait for a server to answer (default 120)
# See docs/local-servers.md. Stop with deploy/local/down.sh.
set -euo pipefail
PROG=up.sh
# shellcheck source=deploy/local/lib-servers.sh
source "$(dirname "$0")/lib-servers.sh"

what=${1:-all}
case "$what" in
  kafka|clickhouse|all) ;;
  -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
  *) echo "usage: up.sh [kafka|clickhouse|all]" >&2; exit 2 ;;
esac

T_ALL=$(now)
mkdir -p "$STATE" "$CACHE"

# One up.sh at a time per state dir (two clones starting at once). The
# servers are started with fd 9 closed, or they would hold the lock forever.
LOCK=$STATE/up.sh.lock
exec 9>"$LOCK"
if ! flock -n 9; then
  say "another up.sh holds $LOCK; waiting for it (up to 600 s)"
  flock -w 600 9 || die "timed out waiting for $LOCK (held by: $(fuser "$LOCK" 2>/dev/null || echo '?'))"
fi

# ---- packages ---------------------------------------------------------------

ensure_packages() {
  local pkgs=()
  if [[ $what == kafka || $what == all ]]; then
    command -v kcat >/dev/null 2>&1 || pkgs+=(kcat)
    command -v java >/dev/null 2>&1 || pkgs+=(openjdk-17-jre-headless)
    command -v mvn >/dev/null 2>&1 || pkgs+=(maven)
  fi
  if [[ $what == clickhouse || $what == all ]]; then
    command -v clickhouse-server >/dev/null 2>&1 || pkgs+=(clickhouse-server)
    command -v clickhouse-client >/dev/null 2>&1 || pkgs+=(clickhouse-client)
  fi
  if [[ ${#pkgs[@]} == 0 ]]; then
    say "packages: already installed"
    return 0
  fi
  say "packages: installing ${pkgs[*]} (apt)"
  apt_install "${pkgs[@]}" || die "apt-get install ${pkgs[*]} failed"
  # Belt and braces: if a packaged clickhouse-server got started anyway
  # (no policy-rc.d honoured), stop it so it does not hold port 9000.
  if [[ -f /var/run/clickhouse-server/clickhouse-server.pid ]] \
     && pid_alive /var/run/clickhouse-server/clickhouse-server.pid >/dev/null; then
    warn "the package started a system clickhouse-server; stopping it"
    stop_pidfile "system clickhouse-server" /var/run/clickhouse-server/clickhouse-server.pid
  fi
}

# ---- Kafka ------------------------------------------------------------------

# Metadata request through kcat: prints nothing, succeeds when the broker
# lists itself.
kafka_answers() {
  # port check first: kcat waits out its -m timeout when nothing listens
  port_open "$KAFKA_HOST" "$KAFKA_PORT" || return 1
  kcat -b "$KAFKA_HOST:$KAFKA_PORT" -L -m 3 2>/dev/null | grep -q "broker 1 at $KAFKA_HOST:$KAFKA_PORT"
}

kafka_fetch_jars() {
  if [[ -f $KAFKA_JARS/.complete ]]; then
    say "kafka: jars cached in $KAFKA_JARS"
    return 0
  fi
  local tmp="$KAFKA_JARS.tmp.$$"
  rm -rf "$tmp"
  mkdir -p "$tmp"
  say "kafka: fetching Kafka $KAFKA_VERSION and its runtime dependencies with mvn into $KAFKA_JARS"
  # A Maven repository of our own under the cache keeps the fetch
  # self-contained (and its cold time measurable).
  if ! mvn -B -q -f "$LOCAL_DIR/kafka/pom.xml" \
        -Dmaven.repo.local="$CACHE/m2" \
        org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
        -DoutputDirectory="$tmp" -DincludeScope=runtime >"$CACHE/mvn-kafka.log" 2>&1; then
    tail -30 "$CACHE/mvn-kafka.log" >&2
    rm -rf "$tmp"
    die "kafka: mvn could not fetch the Kafka jars (log: $CACHE/mvn-kafka.log)"
  fi
  [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar && -f $tmp/kafka-tools-$KAFKA_VERSION.jar ]] \
    || die "kafka: mvn ran but kafka_2.13/kafka-tools $KAFKA_VERSION jars are missing in $tmp"
  touch "$tmp/.complete"
  rm -rf "$KAFKA_JARS"
  mv "$tmp" "$KAFKA_JARS"
  say "kafka: $(find "$KAFKA_JARS" -name '*.jar' | wc -l) jars, $(du -sh "$KAFKA_JARS" | cut -f1)"
}

kafka_configure() {
  mkdir -p "$KAFKA_DIR/data" "$KAFKA_DIR/logs"
  render "$LOCAL_DIR/kafka/server.properties.in" "$KAFKA_DIR/server.properties"
  render "$LOCAL_DIR/kafka/log4j2.xml.in" "$KAFKA_DIR/log4j2.xml"
  cp -f "$LOCAL_DIR/kafka/tools-log4j2.xml" "$KAFKA_DIR/tools-log4j2.xml"
}

# Format the KRaft storage once; meta.properties marks it done. Formatting
# again would need --ignore-formatted and is never done: the data is kept.
kafka_format() {
  if [[ -f $KAFKA_DIR/data/meta.properties ]]; then
    say "kafka: storage already formatted ($(grep '^cluster.id=' "$KAFKA_DIR/data/meta.properties"))"
    return 0
  fi
  local cluster_id
  cluster_id=$(java -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.xml" \
                 -cp "$KAFKA_JARS/*" kafka.tools.StorageTool random-uuid)
  [[ -n $cluster_id ]] || die "kafka: StorageTool random-uuid printed nothing"
  java -Dlog4j2.configurationFile="$KAFKA_DIR/tools-log4j2.xml" \
       -cp "$KAFKA_JARS/*" kafka.tools.StorageTool format \
       -t "$cluster_id" -c "$KAFKA_DIR/server.properties" \
    || die "kafka: formatting the storage in $KAFKA_DIR/data failed"
}

kafka_start() {
  local pid
  rm -f "$KAFKA_PID"
  # setsid: its own session, so it outlives this script and the shell or CI
  # job that ran it; stdout/stderr (GC, crashes) to kafka.out.
  setsid nohup java -Xms512m -Xmx"$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
      -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true \
      -Dkafka.logs.dir="$KAFKA_DIR/logs" \
      -Dlog4j2.configurationFile="$KAFKA_DIR/log4j2.xml" \
      -Dsoftswitch.local=kafka \
      -cp "$KAFKA_JARS/*" kafka.Kafka "$KAFKA_DIR/server.properties" \
      </dev/null >>"$KAFKA_DIR/kafka.out" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$KAFKA_PID"
  say "kafka: started pid $pid (log $KAFKA_DIR/logs/server.log, stdout $KAFKA_DIR/kafka.out)"
}

kafka_wait() {
  local deadline=$(( $(date +%s) + START_TIMEOUT ))
  while ! kafka_answers; do
    if ! pid_alive "$KAFKA_PID" >/dev/null; then
      warn "kafka: the broker exited; last lines of its logs:"
      tail -20 "$KAFKA_DIR/kafka.out" >&2 || true
      tail -30 "$KAFKA_DIR/logs/server.log" >&2 || true
      die "kafka: did not start"
    fi
    if (( $(date +%s) >= deadline )); then
      tail -30 "$KAFKA_DIR/logs/server.log" >&2 || true
      die "kafka: no metadata answer on $KAFKA_HOST:$KAFKA_PORT after ${START_TIMEOUT}s (pid $(cat "$KAFKA_PID"))"
    fi
    sleep 0.5
  done
}

kafka_up() {
  local t0 pid
  t0=$(now)
  if pid=$(pid_alive "$KAFKA_PID") && kafka_answers; then
    say "kafka: already running (pid $pid) and answering on $KAFKA_HOST:$KAFKA_PORT"
    return 0
  fi
  if [[ -z ${pid:-} ]] && kafka_answers; then
    # Answers, but not started from this state dir: reuse it rather than
    # fail on the port (e.g. SOFTSWITCH_LOCAL_STATE differs between clones).
    say "kafka: a broker not started from $STATE already answers on $KAFKA_HOST:$KAFKA_PORT; reusing it"
    return 0
  fi
  if [[ -n ${pid:-} ]]; then
    # Alive but not answering: still starting (another clone just started
    # it), or hung. Give it the start timeout before giving up.
    say "kafka: pid $pid is running but not answering yet; waiting"
    step "kafka: wait for metadata answer" kafka_wait
    return 0
  fi
  if port_open "$KAFKA_HOST" "$KAFKA_PORT" || port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT"; then
    die "kafka: port $KAFKA_PORT or $KAFKA_CONTROLLER_PORT is taken by something that is not a Kafka broker we can talk to"
  fi
  java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])' \
    || die "kafka: Kafka $KAFKA_VERSION needs Java 17+; java -version says: $(java -version 2>&1 | head -1)"
  step "kafka: jars" kafka_fetch_jars
  kafka_configure
  step "kafka: format storage" kafka_format
  kafka_start
  step "kafka: wait for metadata answer" kafka_wait
  say "kafka: up on $KAFKA_HOST:$KAFKA_PORT in $(since "$t0")s"
}

# ---- ClickHouse -------------------------------------------------------------

ch_answers() {
  port_open "$CH_HOST" "$CH_TCP_PORT" || return 1
  [[ $(clickhouse-client --host "$CH_HOST" --port "$CH_TCP_PORT" --connect_timeout 2 \
        --query 'SELECT 1' 2>/dev/null) == 1 ]]
}

ch_configure() {
  mkdir -p "$CH_DIR"/{data,tmp,log,user_files,format_schemas}
  render "$LOCAL_DIR/clickhouse/config.xml.in" "$CH_DIR/config.xml"
  cp -f "$LOCAL_DIR/clickhouse/users.xml" "$CH_DIR/users.xml"
}

ch_start() {
  local pid bin
  bin=$(command -v clickhouse-server)
  rm -f "$CH_PID"
  # In the foreground of its own session (not --daemon), so that $! is its
  # pid and the pid file is ours.
  setsid nohup "$bin" --config-file="$CH_DIR/config.xml" \
      </dev/null >>"$CH_DIR/log/stdout.log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$CH_PID"
  say "clickhouse: started pid $pid (log $CH_DIR/log/clickhouse-server.log)"
}

ch_wait() {
  local deadline=$(( $(date +%s) + START_TIMEOUT ))
  while ! ch_answers; do
    if ! pid_alive "$CH_PID" >/dev/null; then
      warn "clickhouse: the server exited; last lines of its logs:"
      tail -20 "$CH_DIR/log/stdout.log" >&2 || true
      tail -20 "$CH_DIR/log/clickhouse-server.err.log" >&2 || true
      die "clickhouse: did not start"
    fi
    if (( $(date +%s) >= deadline )); then
      tail -20 "$CH_DIR/log/clickhouse-server.err.log" >&2 || true
      die "clickhouse: no answer to SELECT 1 on $CH_HOST:$CH_TCP_PORT after ${START_TIMEOUT}s"
    fi
    sleep 0.3
  done
  # The HTTP interface too (the Go driver speaks native, curl-style checks HTTP).
  local ok
  ok=$( (exec 3<>"/dev/tcp/$CH_HOST/$CH_HTTP_PORT" && printf 'GET /ping HTTP/1.0\r\n\r\n' >&3 && cat <&3) 2>/dev/null | tail -1 || true)
  [[ $ok == Ok.* ]] || die "clickhouse: native port answers but HTTP $CH_HOST:$CH_HTTP_PORT/ping does not"
}

clickhouse_up() {
  local t0 pid
  t0=$(now)
  if pid=$(pid_alive "$CH_PID") && ch_answers; then
    say "clickhouse: already running (pid $pid) and answering on $CH_HOST:$CH_TCP_PORT"
    return 0
  fi
  if [[ -z ${pid:-} ]] && ch_answers; then
    say "clickhouse: a server not started from $STATE already answers on $CH_HOST:$CH_TCP_PORT; reusing it"
    return 0
  fi
  if [[ -n ${pid:-} ]]; then
    say "clickhouse: pid $pid is running but not answering yet; waiting"
    step "clickhouse: wait for SELECT 1" ch_wait
    return 0
  fi
  if port_open "$CH_HOST" "$CH_TCP_PORT" || port_open "$CH_HOST" "$CH_HTTP_PORT"; then
    die "clickhouse: port $CH_TCP_PORT or $CH_HTTP_PORT is taken by something that does not answer SELECT 1"
  fi
  ch_configure
  ch_start
  step "clickhouse: wait for SELECT 1" ch_wait
  say "clickhouse: up on $CH_HOST:$CH_TCP_PORT (native) and :$CH_HTTP_PORT (HTTP) in $(since "$t0")s"
}

# ---- main -------------------------------------------------------------------

step "packages" ensure_packages
if [[ $what == kafka || $what == all ]]; then kafka_up; fi
if [[ $what == clickhouse || $what == all ]]; then clickhouse_up; fi
say "all requested servers up ($what) in $(since "$T_ALL")s; state in $STATE"
