#!/usr/bin/env bash
# Footprint of `ferry demo`: start time, idle CPU, memory. One command, medians of REPEATS runs.
#
#   bench/run-demo-footprint.sh
#
# The demo runs through the ./ferry launcher (FERRY_JAR set, so it does not build), as a user runs
# it: from the extracted jar, C1 only, with the AppCDS archive the launcher keeps (see ./ferry).
# First, one run in its own data directory writes that archive when it stops ("first run after a
# build"; skipped when the archive exists). Then for each repeat, in a fresh temporary data
# directory:
#   1. cold start: `ferry demo --rate 0 --no-faults` on an empty data dir (PostgreSQL initdb,
#      Kafka format, migrations, topics, tenant, servers, datasets, SITE_C seed job), timed from
#      process start to the demo's "ferry demo: ready" line, and the CPU time the JVM had used by
#      then (user+sys: what the start costs, much less sensitive to a loaded machine than the
#      wall-clock time);
#   2. idle: after SETTLE seconds, CPU time of the JVM plus every embedded PostgreSQL process over
#      IDLE seconds, as % of one core (utime+stime from /proc, children included), and memory:
#      PSS (proportional set size, /proc/<pid>/smaps_rollup, which counts PostgreSQL's shared
#      buffers once) and plain RSS summed over the same processes;
#   3. stop with SIGTERM, then warm start on the same data dir (what a second `ferry demo` costs),
#      timed the same way, and stop again.
# The workload is paused (--rate 0) so that "idle" means the platform's own timers and loops.
# Writes bench/results/demo-footprint-<UTC time>.md (and stdout). Needs: JDK 17+, bc, pgrep.
#
# Knobs (environment):
#   REPEATS=3      runs (medians reported)      SETTLE=60   seconds after ready before sampling
#   IDLE=60        seconds of CPU sampling      FERRY_JAR   measure this jar instead of building
#   FERRY_JAVA_OPTS extra JVM options            KEEP=1      keep the temporary directory
#   PLAIN=1        run `java $FERRY_JAVA_OPTS -jar $FERRY_JAR` instead of the launcher (the way
#                  this benchmark ran before the launcher's start-up options, for comparison)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
REPEATS="${REPEATS:-3}"
SETTLE="${SETTLE:-60}"
IDLE="${IDLE:-60}"

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
for tool in java bc pgrep; do
  command -v "$tool" >/dev/null || die "$tool is required"
done

jar="${FERRY_JAR:-$repo/ferry-app/target/ferry.jar}"
if [ -z "${FERRY_JAR:-}" ]; then
  say "building the runnable jar when stale (./ferry --version)"
  "$repo/ferry" --version >/dev/null
fi
[ -f "$jar" ] || die "no jar at $jar"

stamp="$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$here/results"
report="$here/results/demo-footprint-$stamp.md"
work="$(mktemp -d "${TMPDIR:-/tmp}/ferry-demo-footprint.XXXXXX")"
pid=""

stop_demo() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 240); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    if kill -0 "$pid" 2>/dev/null; then
      say "demo did not stop within 60 s; SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  pid=""
}
cleanup() {
  stop_demo
  if [ "${KEEP:-}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

now() { date +%s.%N; }

# Starts the demo on $1 (data dir) with its log in $2; sets $pid and $ready (seconds to ready).
# Not to be called in a subshell: $pid must reach stop_demo.
start_demo() {
  local data="$1" log="$2" t0 t
  t0="$(now)"
  # setsid: a background job of a non-interactive shell ignores SIGINT; the demo stops on SIGTERM.
  # The launcher execs java, so $pid is the JVM's.
  if [ "${PLAIN:-}" = 1 ]; then
    setsid java ${FERRY_JAVA_OPTS:-} -jar "$jar" demo --rate 0 --no-faults --port 0 \
      --data-dir "$data" >"$log" 2>&1 &
  else
    FERRY_JAR="$jar" setsid "$repo/ferry" demo --rate 0 --no-faults --port 0 \
      --data-dir "$data" >"$log" 2>&1 &
  fi
  pid=$!
  while ! grep -q '^ferry demo: ready' "$log" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || { tail -30 "$log" >&2; die "the demo exited before it was ready"; }
    t="$(now)"
    if [ "$(echo "$t - $t0 > 600" | bc)" = 1 ]; then die "not ready within 600 s (log: $log)"; fi
    sleep 0.1
  done
  ready="$(printf '%.1f' "$(echo "$(now) - $t0" | bc)")"
  ready_cpu="$(printf '%.1f' "$(echo "$(cpu_ticks "$pid") / $hz" | bc -l)")"
}

# The JVM and every PostgreSQL process of data dir $1.
processes() {
  local pg
  pg="$(pgrep -f -- "-D $1/postgres/pgdata" | head -1 || true)"
  echo "$pid"
  if [ -n "$pg" ]; then
    echo "$pg"
    pgrep -P "$pg" || true
  fi
}

cpu_ticks() { # utime+stime+cutime+cstime summed over the given pids
  local t=0 p
  for p in "$@"; do
    [ -n "$p" ] && [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14+$15+$16+$17}' "/proc/$p/stat")))
  done
  echo "$t"
}

mem_kib() { # $1 = Pss or Rss; summed over the remaining args
  local what="$1" t=0 p v
  shift
  for p in "$@"; do
    [ -n "$p" ] || continue
    v="$(awk -v k="$what:" '$1==k {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)"
    t=$((t + ${v:-0}))
  done
  echo "$t"
}

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

hz="$(getconf CLK_TCK)"
cold=() warm=() cold_cpu=() warm_cpu=() cpu=() pss=() rss=() jvm_pss=()
first="" first_cpu="" first_stop=""
say "machine: $(nproc) cores, $(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "${PLAIN:-}" != 1 ] && ! ls "${jar%.jar}-extracted"/demo-*.jsa >/dev/null 2>&1; then
  say "first run after a build (extracts the jar, writes the CDS archive as it stops)"
  start_demo "$work/first" "$work/first.log"
  first="$ready" first_cpu="$ready_cpu"
  t="$(now)"
  stop_demo
  first_stop="$(printf '%.1f' "$(echo "$(now) - $t" | bc)")"
  say "  ready after $first s (JVM CPU $first_cpu s); stopped in $first_stop s"
fi
for i in $(seq 1 "$REPEATS"); do
  data="$work/run-$i"
  say "run $i/$REPEATS: cold start in $data"
  start_demo "$data" "$work/run-$i-cold.log"
  s="$ready"
  cold+=("$s") cold_cpu+=("$ready_cpu")
  say "  ready after $s s (JVM CPU $ready_cpu s); settling $SETTLE s"
  sleep "$SETTLE"
  mapfile -t procs < <(processes "$data")
  a="$(cpu_ticks "${procs[@]}")"
  sleep "$IDLE"
  mapfile -t procs < <(processes "$data") # a PostgreSQL backend may have come or gone
  b="$(cpu_ticks "${procs[@]}")"
  c="$(echo "scale=2; ($b - $a) * 100 / ($hz * $IDLE)" | bc)"
  p="$(mem_kib Pss "${procs[@]}")"
  r="$(mem_kib Rss "${procs[@]}")"
  j="$(mem_kib Pss "$pid")"
  cpu+=("$c") pss+=("$p") rss+=("$r") jvm_pss+=("$j")
  say "  idle CPU $c % of one core; PSS $((p / 1024)) MiB (JVM $((j / 1024)) MiB), RSS sum $((r / 1024)) MiB, ${#procs[@]} processes"
  stop_demo
  start_demo "$data" "$work/run-$i-warm.log"
  s="$ready"
  warm+=("$s") warm_cpu+=("$ready_cpu")
  say "  warm start (same data dir): ready after $s s (JVM CPU $ready_cpu s)"
  stop_demo
done

m_cold="$(printf '%s\n' "${cold[@]}" | median)"
m_warm="$(printf '%s\n' "${warm[@]}" | median)"
m_cold_cpu="$(printf '%s\n' "${cold_cpu[@]}" | median)"
m_warm_cpu="$(printf '%s\n' "${warm_cpu[@]}" | median)"
m_cpu="$(printf '%s\n' "${cpu[@]}" | median)"
m_pss="$(printf '%s\n' "${pss[@]}" | median)"
m_rss="$(printf '%s\n' "${rss[@]}" | median)"
m_jvm="$(printf '%s\n' "${jvm_pss[@]}" | median)"
verdict() { if [ "$(echo "$1" | bc)" = 1 ]; then echo "holds"; else echo "MISSED"; fi; }

{
  echo "# ferry demo footprint, $stamp UTC"
  echo
  echo "Machine: $(nproc) cores ($(awk -F: '/model name/ {print $2; exit}' /proc/cpuinfo | sed 's/^ //')), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load average at the end $(cut -d' ' -f1-3 /proc/loadavg); $(java -version 2>&1 | head -1)."
  echo "Jar: $jar ($(du -m "$jar" | cut -f1) MiB). $(if [ "${PLAIN:-}" = 1 ]; then echo "Run as java -jar (PLAIN=1)"; else echo "Run through ./ferry (extracted jar, C1 only, AppCDS)"; fi); extra JVM options: ${FERRY_JAVA_OPTS:-(none)}."
  echo "Command: bench/run-demo-footprint.sh (REPEATS=$REPEATS SETTLE=$SETTLE IDLE=$IDLE)"
  echo
  echo "| measure | median | runs | target |"
  echo "|---|---|---|---|"
  echo "| cold start, empty data dir (process start → ready) | ${m_cold} s | ${cold[*]} | < 20 s: $(verdict "$m_cold < 20") |"
  echo "| warm start, same data dir | ${m_warm} s | ${warm[*]} | < 20 s: $(verdict "$m_warm < 20") |"
  echo "| JVM CPU time by ready (with finished children: initdb, pg_ctl), cold start | ${m_cold_cpu} s | ${cold_cpu[*]} | |"
  echo "| JVM CPU time by ready, warm start | ${m_warm_cpu} s | ${warm_cpu[*]} | |"
  if [ -n "$first" ]; then
    echo "| first run after a build (writes the CDS archive; not in the medians) | $first s | CPU $first_cpu s, stop $first_stop s | |"
  fi
  echo "| idle CPU, JVM + PostgreSQL, % of one core over ${IDLE} s | ${m_cpu} % | ${cpu[*]} | < 5 %: $(verdict "$m_cpu < 5") |"
  echo "| memory, PSS of JVM + PostgreSQL | $((${m_pss%.*} / 1024)) MiB | $(for v in "${pss[@]}"; do printf '%s ' $((v / 1024)); done)| < 1536 MiB: $(verdict "${m_pss%.*} < 1572864") |"
  echo "| memory, RSS summed (counts shared pages per process) | $((${m_rss%.*} / 1024)) MiB | $(for v in "${rss[@]}"; do printf '%s ' $((v / 1024)); done)| |"
  echo "| of which the JVM (PSS) | $((${m_jvm%.*} / 1024)) MiB | | |"
} | tee "$report"
say "report: $report"
