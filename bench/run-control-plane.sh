#!/usr/bin/env bash
# Control-plane benchmark for Ferry: one command, from source tree to results table.
#
#   bench/run-control-plane.sh
#
# Builds the runnable jar through ./ferry when it is stale, starts `ferry server --embedded` in a
# fresh temporary data directory on a free port, runs bench/SubmitBench.java against it
# (throughput, fixed-rate latency, dispatch latency; each repeated, medians reported), stops the
# server with SIGTERM and writes the report to bench/results/control-plane-<UTC time>.md (and
# stdout). Needs: JDK 17+, curl, psql (Debian: postgresql-client). Takes about 5 minutes on a
# quiet 2-core machine, longer when other processes compete for the CPU.
#
# Knobs (environment):
#   CLIENTS="16 32"    closed-loop client counts          REQUESTS=2000    submissions per run
#   RATE=200           open-loop requests/s               RATE_SECONDS=20  open-loop duration
#   DISPATCH_JOBS=200  sequential one-file jobs per run   REPEATS=3        runs of each measurement
#   WARMUP=6000        least warm-up submissions (more while throughput still rises)
#   IDEMPOTENCY_KEYS=true  send a fresh Idempotency-Key with every submission
#   FERRY_JAVA_OPTS    extra JVM options for the server (as for ./ferry)
#   PROFILE=1          record JFR on the server after warm-up; file kept next to the report
#   KEEP=1             keep the temporary directory (server log, data) for inspection
#   FERRY_JAR=path     benchmark this jar as it is instead of building the tree
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"

CLIENTS="${CLIENTS:-16 32}"
REQUESTS="${REQUESTS:-2000}"
RATE="${RATE:-200}"
RATE_SECONDS="${RATE_SECONDS:-20}"
DISPATCH_JOBS="${DISPATCH_JOBS:-200}"
REPEATS="${REPEATS:-3}"
WARMUP="${WARMUP:-6000}"
IDEMPOTENCY_KEYS="${IDEMPOTENCY_KEYS:-true}"

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }

for tool in java curl psql; do
  command -v "$tool" >/dev/null || die "$tool is required (psql: apt-get install postgresql-client)"
done

stamp="$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$here/results"
report="$here/results/control-plane-$stamp.md"
work="$(mktemp -d "${TMPDIR:-/tmp}/ferry-bench.XXXXXX")"
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
  say "using FERRY_JAR=$FERRY_JAR as it is (no build)"
  jar="$FERRY_JAR"
  commit="given jar $(basename "$FERRY_JAR"), built $(date -u -r "$FERRY_JAR" '+%Y-%m-%d %H:%M UTC')"
else
  say "building ferry.jar if stale (./ferry --help) …"
  "$repo/ferry" --help >/dev/null || die "the build failed; see the Maven output above"
  jar="$repo/ferry-app/target/ferry.jar"
  commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
  if [ -n "$(git -C "$repo" status --porcelain -- 'ferry-*' pom.xml 2>/dev/null)" ]; then
    commit="$commit + uncommitted changes"
  fi
fi
# Run a private copy: other people's builds may replace ferry-app/target/ferry.jar while we run.
cp "$jar" "$work/ferry.jar"

# --- start the server -------------------------------------------------------------------------
random=""
while [ "${#random}" -lt 43 ]; do
  random="$random$(head -c 512 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')"
done
admin_token="ferry_${random:0:43}"
say "starting ferry server --embedded in $work (port chosen by the OS) …"
(
  cd "$work"
  # exec: $! is the JVM itself, so SIGTERM reaches its shutdown hook
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
[ -n "$url" ] && [ -n "$pg_port" ] || { tail -50 "$work/server.log" >&2; die "no API URL / PostgreSQL port in the server output within 180 s"; }
# the overall status is the last member of the health document
health_up() { curl -fsS "$url/actuator/health" 2>/dev/null | grep -q '"status":"UP"}$'; }
for _ in $(seq 1 120); do
  health_up && break
  sleep 0.5
done
health_up || die "$url/actuator/health is not UP"
say "server up at $url (pid $server_pid, PostgreSQL port $pg_port)"

# --- machine ----------------------------------------------------------------------------------
cpu_model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
mem="$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
javav="$(java -version 2>&1 | head -1)"
{
  echo "# Ferry control-plane benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- command: \`bench/run-control-plane.sh\` (CLIENTS=\"$CLIENTS\" REQUESTS=$REQUESTS RATE=$RATE" \
    "RATE_SECONDS=$RATE_SECONDS DISPATCH_JOBS=$DISPATCH_JOBS REPEATS=$REPEATS WARMUP=$WARMUP" \
    "IDEMPOTENCY_KEYS=$IDEMPOTENCY_KEYS FERRY_JAVA_OPTS=\"${FERRY_JAVA_OPTS:-}\")"
  echo "- code: $commit"
  echo "- machine: $(nproc) CPUs ($cpu_model), $mem RAM, $(uname -sr); load average at start $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- java: $javav"
  echo "- server: \`ferry server --embedded\` (control plane + worker + telemetry, embedded PostgreSQL and Kafka) in a fresh data directory; load generator on the same machine"
} | tee "$report"

# --- measure ----------------------------------------------------------------------------------
jfr_args=()
if [ "${PROFILE:-0}" = 1 ]; then
  jfr_args=(--jfr "$here/results/control-plane-$stamp.jfr")
fi
java "$here/SubmitBench.java" \
  --url "$url" --root-token "$admin_token" --fs "$work/fs" --pg-port "$pg_port" \
  --server-pid "$server_pid" --clients "$CLIENTS" --requests "$REQUESTS" --warmup "$WARMUP" \
  --rate "$RATE" --rate-seconds "$RATE_SECONDS" --dispatch-jobs "$DISPATCH_JOBS" \
  --repeats "$REPEATS" --idempotency-keys "$IDEMPOTENCY_KEYS" "${jfr_args[@]}" | tee -a "$report"

stop_server
grep -E "ERROR|Exception" "$work/server.log" | head -5 >&2 || true
say "report: $report"
