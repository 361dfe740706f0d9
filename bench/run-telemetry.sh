#!/usr/bin/env bash
# Telemetry benchmark for Ferry: one command, from source tree to results table.
#
#   bench/run-telemetry.sh
#
# Builds the runnable jar through ./ferry when it is stale and unpacks its classes, then runs
# bench/TelemetryBench.java (single-file source launcher, the jar's classes on the class path):
#
#   1. throughput: FACTS realistic transfer facts over LINKS links are produced to an in-JVM KRaft
#      broker; then, REPEATS times, a fresh TelemetryService (exactly_once_v2, new application id,
#      empty state) aggregates them all; facts/s from RUNNING to "totals = FACTS", median reported.
#   2. lag: starts `ferry server --embedded` in a fresh data directory and runs JOBS copy jobs one
#      after another; for each, the time from its task's completion (committed in PostgreSQL) to
#      its transfers on /metrics; p50/p90/p99.
#
# The report goes to bench/results/telemetry-<UTC time>.md (and stdout). Needs: JDK 17+, curl,
# unzip. About 4 minutes on a quiet 2-core machine with the defaults.
#
# Knobs (environment):
#   FACTS=1000000  LINKS=300  TENANTS=10  PARTITIONS=3  THREADS=1  REPEATS=3   (throughput)
#   JOBS=200  FILES_PER_JOB=1  WARMUP_JOBS=10  POLL_MS=20                        (lag)
#   COMMIT_INTERVAL_MS    override the role's Kafka Streams commit.interval.ms (throughput)
#   STREAMS_PROPS=k=v,k=v extra Kafka Streams / client properties for the throughput runs
#   ONLY=throughput|lag   run one measurement only
#   BENCH_JAVA_OPTS  JVM options of the throughput JVM (default -Xmx2g)
#   FERRY_JAVA_OPTS  JVM options of the server (as for ./ferry)
#   PROFILE=1        record JFR in the throughput JVM; file kept next to the report
#   KEEP=1           keep the temporary directory
#   FERRY_JAR=path   benchmark this jar as it is instead of building the tree
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"

FACTS="${FACTS:-1000000}"
LINKS="${LINKS:-300}"
TENANTS="${TENANTS:-10}"
PARTITIONS="${PARTITIONS:-3}"
THREADS="${THREADS:-1}"
REPEATS="${REPEATS:-3}"
JOBS="${JOBS:-200}"
FILES_PER_JOB="${FILES_PER_JOB:-1}"
WARMUP_JOBS="${WARMUP_JOBS:-10}"
POLL_MS="${POLL_MS:-20}"
ONLY="${ONLY:-}"

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

for tool in java curl unzip; do
  command -v "$tool" >/dev/null || die "$tool is required"
done

stamp="$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$here/results"
report="$here/results/telemetry-$stamp.md"
work="$(mktemp -d "${TMPDIR:-/tmp}/ferry-tbench.XXXXXX")"
server_pid=""

stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    say "stopping the server (SIGTERM to $server_pid)"
    kill -TERM "$server_pid" 2>/dev/null || true
    for _ in $(seq 1 120); do
      kill -0 "$server_pid" 2>/dev/null || break
      sleep 0.5
    done
    if kill -0 "$server_pid" 2>/dev/null; then
      say "server did not stop within 60 s; SIGKILL"
      kill -KILL "$server_pid" 2>/dev/null || true
    fi
  fi
  server_pid=""
}

cleanup() {
  stop_server
  if [ "${KEEP:-0}" = 1 ]; then
    say "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- build ------------------------------------------------------------------------------------
if [ -n "${FERRY_JAR:-}" ]; then
  [ -f "$FERRY_JAR" ] || die "FERRY_JAR=$FERRY_JAR does not exist"
  jar="$FERRY_JAR"
  commit="given jar $(basename "$FERRY_JAR"), built $(date -u -r "$FERRY_JAR" '+%Y-%m-%d %H:%M UTC')"
else
  say "building ferry.jar if stale (./ferry --help) …"
  "$repo/ferry" --help >/dev/null || die "the build failed; see the Maven output above"
  jar="$repo/ferry-app/target/ferry.jar"
  commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if [ -n "$(git -C "$repo" status --porcelain -- 'ferry-*' pom.xml bench 2>/dev/null)" ]; then
    commit="$commit + uncommitted changes"
  fi
fi
# A private copy: other builds may replace ferry-app/target/ferry.jar while we run.
cp "$jar" "$work/ferry.jar"
unzip -q "$work/ferry.jar" -d "$work/jar"
cp_classes="$work/jar/BOOT-INF/classes:$work/jar/BOOT-INF/lib/*"
# The jar's logback.xml logs to stdout, which is the report here: log to stderr instead.
cat >"$work/logback.xml" <<'XML'
<configuration>
  <appender name="ERR" class="ch.qos.logback.core.ConsoleAppender">
    <target>System.err</target>
    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{0} %msg%n</pattern></encoder>
  </appender>
  <logger name="org.apache.kafka" level="WARN"/>
  <logger name="kafka" level="WARN"/>
  <logger name="state.change.logger" level="WARN"/>
  <root level="INFO"><appender-ref ref="ERR"/></root>
</configuration>
XML

cpu_model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
mem="$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
{
  echo "# Ferry telemetry benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- command: \`bench/run-telemetry.sh\` (FACTS=$FACTS LINKS=$LINKS TENANTS=$TENANTS" \
    "PARTITIONS=$PARTITIONS THREADS=$THREADS REPEATS=$REPEATS JOBS=$JOBS FILES_PER_JOB=$FILES_PER_JOB" \
    "WARMUP_JOBS=$WARMUP_JOBS POLL_MS=$POLL_MS BENCH_JAVA_OPTS=\"${BENCH_JAVA_OPTS:--Xmx2g}\")"
  echo "- code: $commit"
  echo "- machine: $(nproc) CPUs ($cpu_model), $mem RAM, $(uname -sr); load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- java: $(java -version 2>&1 | head -1)"
} | tee "$report"

# --- 1. throughput ----------------------------------------------------------------------------
if [ -z "$ONLY" ] || [ "$ONLY" = throughput ]; then
  jfr_opts=()
  if [ "${PROFILE:-0}" = 1 ]; then
    jfr_opts=("-XX:StartFlightRecording=filename=$here/results/telemetry-$stamp.jfr,settings=profile")
  fi
  say "throughput: $FACTS facts, $LINKS links, $REPEATS runs …"
  # shellcheck disable=SC2086
  java ${BENCH_JAVA_OPTS:--Xmx2g} "${jfr_opts[@]}" -Dlogback.configurationFile="$work/logback.xml" \
    -cp "$cp_classes" "$here/TelemetryBench.java" throughput \
    --facts "$FACTS" --links "$LINKS" --tenants "$TENANTS" --partitions "$PARTITIONS" \
    --threads "$THREADS" --repeats "$REPEATS" --work "$work/throughput" \
    ${COMMIT_INTERVAL_MS:+--commit-interval-ms "$COMMIT_INTERVAL_MS"} \
    ${STREAMS_PROPS:+--streams-props "$STREAMS_PROPS"} \
    2> >(tee "$work/throughput.log" | grep --line-buffered '^bench:' >&2) | tee -a "$report" \
    || { tail -40 "$work/throughput.log" >&2; die "the throughput measurement failed"; }
fi

# --- 2. lag -----------------------------------------------------------------------------------
if [ -z "$ONLY" ] || [ "$ONLY" = lag ]; then
  random=""
  while [ "${#random}" -lt 43 ]; do
    random="$random$(head -c 512 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')"
  done
  admin_token="ferry_${random:0:43}"
  say "starting ferry server --embedded in $work (port chosen by the OS) …"
  (
    cd "$work"
    FERRY_ADMIN_TOKEN="$admin_token" exec java ${FERRY_JAVA_OPTS:-} -jar "$work/ferry.jar" \
      server --embedded --data-dir "$work/data" --port 0 >"$work/server.log" 2>&1
  ) &
  server_pid=$!
  url="" pg_port=""
  for _ in $(seq 1 360); do
    kill -0 "$server_pid" 2>/dev/null || { tail -50 "$work/server.log" >&2; die "the server exited during start"; }
    if grep -q "Ferry is running" "$work/server.log" 2>/dev/null; then
      url="$(sed -n 's#^ *API *\(http://[^ ]*\)/api/v1 .*#\1#p' "$work/server.log" | head -1)"
      pg_port="$(sed -n 's#^ *PostgreSQL *jdbc:postgresql://[^:]*:\([0-9]*\)/.*#\1#p' "$work/server.log" | head -1)"
      break
    fi
    sleep 0.5
  done
  [ -n "$url" ] && [ -n "$pg_port" ] || { tail -50 "$work/server.log" >&2; die "no API URL / PostgreSQL port in the server output"; }
  health_up() { curl -fsS "$url/actuator/health" 2>/dev/null | grep -q '"status":"UP"}$'; }
  for _ in $(seq 1 240); do
    health_up && break
    sleep 0.5
  done
  health_up || die "$url/actuator/health is not UP"
  say "server up at $url (pid $server_pid); lag over $JOBS jobs …"
  java -Xmx512m -Dlogback.configurationFile="$work/logback.xml" -cp "$cp_classes" "$here/TelemetryBench.java" lag \
    --url "$url" --root-token "$admin_token" --pg-port "$pg_port" --fs "$work/fs" \
    --jobs "$JOBS" --files-per-job "$FILES_PER_JOB" --warmup "$WARMUP_JOBS" --poll-ms "$POLL_MS" \
    2> >(tee "$work/lag.log" | grep --line-buffered '^bench:' >&2) | tee -a "$report" \
    || { tail -40 "$work/lag.log" >&2; die "the lag measurement failed"; }
  stop_server
  grep -E "ERROR" "$work/server.log" | head -5 >&2 || true
fi
echo "- load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$report"
say "report: $report"
