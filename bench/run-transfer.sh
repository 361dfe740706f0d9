#!/usr/bin/env bash
# Transfer benchmark for Ferry: one command, same machine, same run.
#
#   bench/run-transfer.sh
#
# Times local -> local copies of (a) 2 x 1 GiB random files and (b) 20,000 x 4 KiB random files
# (20 directories of 1,000) with:
#   ferry   the whole platform: `ferry server --embedded` (control plane, worker, embedded
#           PostgreSQL and Kafka) in a fresh temporary data directory on a free port; a tenant, two
#           sites and two file:// endpoints created over REST; one job per run submitted with
#           POST /api/v1/jobs (checksum crc32c: every file is hashed while copied, re-read and
#           verified before it is published, and durable before the job says so: fdatasync per
#           file, or one syncfs per batch task); timed from the submission to the moment
#           GET /api/v1/jobs/{id} says SUCCEEDED (polled every 50 ms). One untimed warm-up job of
#           one small file runs first, so that the first timed job does not wait for the
#           server's Kafka consumers to join their groups
#   rclone  `rclone copy --checksum` (Debian package rclone; installed with apt-get if missing)
#   cp      `cp -r`
# Each tool runs REPEATS times per data set, interleaved (rep 1: ferry, rclone, cp; rep 2: ...),
# into a fresh destination. Before every run the previous destination is removed, `sync` runs and
# the page cache is dropped (`echo 3 > /proc/sys/vm/drop_caches`); where that is not permitted
# (containers) every source file is read once instead, so that all tools start equally warm. After
# every run `sync` is timed separately: cp and rclone leave their data in the page cache, Ferry has
# already fsynced it.
#
# Output: a markdown report with the machine, the load, every run, medians, MB/s (10^6 bytes/s),
# files/s and the ratios Ferry/rclone and Ferry/cp, written to bench/results/transfer-<UTC>.md
# and stdout. Takes 10-20 minutes; needs about 5 GiB free under TMPDIR.
#
# Knobs (environment):
#   REPEATS=3            runs per tool and data set      DATASETS="large small"
#   TOOLS="ferry rclone cp"                              LARGE_FILES=2  LARGE_MIB=1024
#   SMALL_FILES=20000    SMALL_BYTES=4096                 SMALL_PER_DIR=1000
#   FERRY_JAVA_OPTS      extra JVM options for the server (as for ./ferry)
#   FERRY_SERVER_ARGS    extra arguments for `ferry server`, e.g. "--worker-concurrency 8"
#   PROFILE=1            after the timed runs, one more Ferry run per data set under JFR
#                        (settings=profile); the recording and a summary of where the server's
#                        CPU samples fall are kept next to the report
#   KEEP=1               keep the temporary directory (server log, data)
#   FERRY_JAR=path       benchmark this jar as it is instead of building the tree
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"

REPEATS="${REPEATS:-3}"
DATASETS="${DATASETS:-large small}"
TOOLS="${TOOLS:-ferry rclone cp}"
LARGE_FILES="${LARGE_FILES:-2}"
LARGE_MIB="${LARGE_MIB:-1024}"
SMALL_FILES="${SMALL_FILES:-20000}"
SMALL_BYTES="${SMALL_BYTES:-4096}"
SMALL_PER_DIR="${SMALL_PER_DIR:-1000}"
POLL_SECONDS=0.05
JOB_TIMEOUT_SECONDS="${JOB_TIMEOUT_SECONDS:-1800}"

say() { echo "bench: $*" >&2; }
die() { echo "bench: $*" >&2; exit 1; }
now_ns() { date +%s%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
load1() { cut -d' ' -f1 /proc/loadavg; }

for tool in java curl awk sed split head find; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
case " $TOOLS " in
  *" rclone "*)
    if ! command -v rclone >/dev/null; then
      say "rclone is missing: apt-get install -y rclone"
      if ! { apt-get install -y rclone >/dev/null 2>&1 \
          || { apt-get update >/dev/null 2>&1 && apt-get install -y rclone >/dev/null 2>&1; }; }; then
        die "could not install rclone (apt-get install -y rclone); install it or run with TOOLS=\"ferry cp\""
      fi
    fi
    ;;
esac

stamp="$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$here/results"
report="$here/results/transfer-$stamp.md"
work="$(mktemp -d "${TMPDIR:-/tmp}/ferry-transfer.XXXXXX")"
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

# --- data sets --------------------------------------------------------------------------------
src="$work/src"
mkdir -p "$src/large" "$src/small"
say "writing $LARGE_FILES x $LARGE_MIB MiB random files …"
for i in $(seq 1 "$LARGE_FILES"); do
  head -c "$((LARGE_MIB * 1024 * 1024))" /dev/urandom >"$src/large/file-$i.bin"
done
say "writing $SMALL_FILES x $SMALL_BYTES B random files ($SMALL_PER_DIR per directory) …"
left="$SMALL_FILES" d=0
while [ "$left" -gt 0 ]; do
  n=$((left < SMALL_PER_DIR ? left : SMALL_PER_DIR))
  dir="$src/small/d$(printf '%03d' "$d")"
  mkdir -p "$dir"
  head -c "$((n * SMALL_BYTES))" /dev/urandom | (cd "$dir" && split -b "$SMALL_BYTES" -a 4 -d - f)
  left=$((left - n)) d=$((d + 1))
done
# %.0f, not %d: mawk's %d stops at 2^31 - 1
bytes_of() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }'; }
files_of() { find "$1" -type f | wc -l | tr -d ' '; }
declare -A DS_BYTES DS_FILES
for ds in large small; do
  DS_BYTES[$ds]="$(bytes_of "$src/$ds")"
  DS_FILES[$ds]="$(files_of "$src/$ds")"
done
mkdir -p "$src/warmup"
head -c 4096 /dev/urandom >"$src/warmup/w.bin"
sync

# --- page cache -------------------------------------------------------------------------------
cache_mode="dropped before every run (sync; echo 3 > /proc/sys/vm/drop_caches)"
if ! (echo 3 >/proc/sys/vm/drop_caches) 2>/dev/null; then
  cache_mode="could not be dropped here (/proc/sys/vm/drop_caches is not writable in this sandbox); instead every source file was read once before every run, so all tools started with the source in the page cache"
  say "cannot drop the page cache here; warming the source before every run instead"
  can_drop=0
else
  can_drop=1
fi
prepare_cache() { # $1 = data set
  sync
  if [ "$can_drop" = 1 ]; then
    echo 3 >/proc/sys/vm/drop_caches
  else
    find "$src/$1" -type f -exec cat {} + >/dev/null
  fi
}

# --- build and start the server ---------------------------------------------------------------
case " $TOOLS " in *" ferry "*) with_ferry=1 ;; *) with_ferry=0 ;; esac
commit="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ "$with_ferry" = 1 ]; then
  if [ -n "${FERRY_JAR:-}" ]; then
    [ -f "$FERRY_JAR" ] || die "FERRY_JAR=$FERRY_JAR does not exist"
    jar="$FERRY_JAR"
    commit="given jar $(basename "$FERRY_JAR"), built $(date -u -r "$FERRY_JAR" '+%Y-%m-%d %H:%M UTC')"
  else
    say "building ferry.jar if stale (./ferry --help) …"
    "$repo/ferry" --help >/dev/null || die "the build failed; see the Maven output above"
    jar="$repo/ferry-app/target/ferry.jar"
    if [ -n "$(git -C "$repo" status --porcelain -- 'ferry-*' pom.xml 2>/dev/null)" ]; then
      commit="$commit + uncommitted changes"
    fi
  fi
  # a private copy: other people's builds may replace ferry-app/target/ferry.jar while we run
  cp "$jar" "$work/ferry.jar"

  random=""
  while [ "${#random}" -lt 43 ]; do
    random="$random$(head -c 512 /dev/urandom | LC_ALL=C tr -dc 'A-Za-z0-9')"
  done
  admin_token="ferry_${random:0:43}"
  say "starting ferry server --embedded in $work (port chosen by the OS) …"
  (
    cd "$work"
    # exec: $! is the JVM itself, so SIGTERM reaches its shutdown hook and jcmd finds it
    # shellcheck disable=SC2086
    FERRY_ADMIN_TOKEN="$admin_token" exec java ${FERRY_JAVA_OPTS:-} -jar "$work/ferry.jar" \
      server --embedded --data-dir "$work/data" --port 0 ${FERRY_SERVER_ARGS:-} >"$work/server.log" 2>&1
  ) &
  server_pid=$!
  url=""
  for _ in $(seq 1 360); do
    kill -0 "$server_pid" 2>/dev/null || { tail -50 "$work/server.log" >&2; die "the server exited during start"; }
    if grep -q "Ferry is running" "$work/server.log" 2>/dev/null; then
      url="$(sed -n 's#^ *API *\(http://[^ ]*\)/api/v1 .*#\1#p' "$work/server.log" | head -1)"
      break
    fi
    sleep 0.5
  done
  [ -n "$url" ] || { tail -50 "$work/server.log" >&2; die "no API URL in the server output within 180 s"; }
  for _ in $(seq 1 120); do
    curl -fsS "$url/actuator/health" 2>/dev/null | grep -q '"status":"UP"' && break
    sleep 0.5
  done
  curl -fsS "$url/actuator/health" | grep -q '"status":"UP"' || die "$url/actuator/health is not UP"
  say "server up at $url (pid $server_pid)"

  api() { # method path [body] -> body on stdout; fails on HTTP >= 400
    local method="$1" path="$2" body="${3:-}" token="${TOKEN:-$admin_token}"
    if [ -n "$body" ]; then
      curl -fsS -X "$method" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
        -d "$body" "$url$path"
    else
      curl -fsS -X "$method" -H "Authorization: Bearer $token" "$url$path"
    fi
  }
  field() { grep -o "\"$1\" *: *\"[^\"]*\"" | head -1 | sed 's/.*: *"\(.*\)"$/\1/'; }
  TOKEN="$admin_token"
  tenant="$(api POST /api/v1/tenants "{\"name\":\"transfer-bench-$stamp\"}")" \
    || die "creating the tenant failed"
  TOKEN="$(printf '%s' "$tenant" | grep -o '"token" *: *"ferry_[A-Za-z0-9]*"' | sed 's/.*"\(ferry_[A-Za-z0-9]*\)"/\1/')"
  [ -n "$TOKEN" ] || die "no token in the tenant answer: $tenant"
  mkdir -p "$work/dst-ferry"
  api POST /api/v1/sites '{"name":"SITE_A"}' >/dev/null || die "creating SITE_A failed"
  api POST /api/v1/sites '{"name":"SITE_B"}' >/dev/null || die "creating SITE_B failed"
  api POST /api/v1/endpoints "{\"name\":\"src\",\"site\":\"SITE_A\",\"uri\":\"file://$src\"}" >/dev/null \
    || die "creating endpoint src failed"
  api POST /api/v1/endpoints "{\"name\":\"dst\",\"site\":\"SITE_B\",\"uri\":\"file://$work/dst-ferry\"}" >/dev/null \
    || die "creating endpoint dst failed"
fi

# --- runs -------------------------------------------------------------------------------------
raw="$work/runs.csv" # rep,dataset,tool,seconds,sync_seconds,load1
: >"$raw"

run_ferry() { # $1 dataset $2 rep -> seconds on stdout
  local ds="$1" rep="$2" t0 t1 answer id state deadline
  local body="{\"source\":{\"endpoint\":\"src\",\"path\":\"$ds\"},\"destination\":{\"endpoint\":\"dst\",\"path\":\"r$rep/$ds\"},\"checksum\":\"crc32c\"}"
  t0="$(now_ns)"
  answer="$(api POST /api/v1/jobs "$body")" || die "submitting the $ds job failed"
  id="$(printf '%s' "$answer" | field id)"
  [ -n "$id" ] || die "no job id in: $answer"
  deadline=$(($(date +%s) + JOB_TIMEOUT_SECONDS))
  while true; do
    answer="$(api GET "/api/v1/jobs/$id")" || die "reading job $id failed"
    state="$(printf '%s' "$answer" | field state)"
    case "$state" in
      SUCCEEDED) t1="$(now_ns)"; break ;;
      FAILED | PARTIALLY_SUCCEEDED | CANCELLED) die "job $id ($ds, rep $rep) ended $state: $answer" ;;
    esac
    [ "$(date +%s)" -lt "$deadline" ] || die "job $id ($ds, rep $rep) not done after $JOB_TIMEOUT_SECONDS s: $answer"
    sleep "$POLL_SECONDS"
  done
  secs "$t0" "$t1"
}

destination() { # tool dataset rep
  case "$1" in
    ferry) echo "$work/dst-ferry/r$3/$2" ;;
    *) echo "$work/dst-$1/r$3/$2" ;;
  esac
}

run_tool() { # tool dataset rep -> seconds on stdout
  local tool="$1" ds="$2" rep="$3" dst t0 t1
  dst="$(destination "$tool" "$ds" "$rep")"
  case "$tool" in
    ferry) run_ferry "$ds" "$rep" ;;
    rclone)
      mkdir -p "$(dirname "$dst")"
      t0="$(now_ns)"
      RCLONE_CONFIG="$work/rclone.conf" rclone copy --checksum "$src/$ds" "$dst" \
        || die "rclone failed on $ds"
      t1="$(now_ns)"
      secs "$t0" "$t1"
      ;;
    cp)
      mkdir -p "$(dirname "$dst")"
      t0="$(now_ns)"
      cp -r "$src/$ds" "$dst" || die "cp failed on $ds"
      t1="$(now_ns)"
      secs "$t0" "$t1"
      ;;
    *) die "unknown tool $tool" ;;
  esac
}

verify() { # tool dataset rep: same file count and bytes; large files byte-identical on rep 1
  local dst files bytes
  dst="$(destination "$1" "$2" "$3")"
  files="$(files_of "$dst")"
  bytes="$(bytes_of "$dst")"
  [ "$files" = "${DS_FILES[$2]}" ] && [ "$bytes" = "${DS_BYTES[$2]}" ] \
    || die "$1 $2 rep $3: $files files / $bytes bytes at the destination, expected ${DS_FILES[$2]} / ${DS_BYTES[$2]}"
  if [ "$2" = large ] && [ "$3" = 1 ]; then
    for f in "$src/large"/*; do
      cmp -s "$f" "$dst/$(basename "$f")" || die "$1: $(basename "$f") differs from the source"
    done
  fi
}

touch "$work/rclone.conf"
if [ "$with_ferry" = 1 ]; then
  say "warm-up job (not timed): $(run_ferry warmup 0) s"
  rm -rf "$work/dst-ferry/r0"
fi
load_start="$(cat /proc/loadavg)"
uptime_start="$(uptime)"
say "load at start: $uptime_start"
for rep in $(seq 1 "$REPEATS"); do
  for ds in $DATASETS; do
    for tool in $TOOLS; do
      prepare_cache "$ds"
      l="$(load1)"
      t="$(run_tool "$tool" "$ds" "$rep")"
      s0="$(now_ns)"
      sync
      s="$(secs "$s0" "$(now_ns)")"
      verify "$tool" "$ds" "$rep"
      rm -rf "$(destination "$tool" "$ds" "$rep")"
      echo "$rep,$ds,$tool,$t,$s,$l" >>"$raw"
      say "rep $rep/$REPEATS $ds $tool: $t s (then sync $s s; load $l)"
    done
  done
done
load_end="$(cat /proc/loadavg)"
uptime_end="$(uptime)"

# --- optional profile -------------------------------------------------------------------------
profile_notes=""
if [ "${PROFILE:-0}" = 1 ] && [ "$with_ferry" = 1 ]; then
  for ds in $DATASETS; do
    jfr_file="$here/results/transfer-$stamp-$ds.jfr"
    prepare_cache "$ds"
    jcmd "$server_pid" JFR.start name=transfer settings=profile filename="$jfr_file" >/dev/null
    t="$(run_ferry "$ds" profile)"
    jcmd "$server_pid" JFR.stop name=transfer >/dev/null
    rm -rf "$work/dst-ferry/rprofile"
    summary="$here/results/transfer-$stamp-$ds-profile.txt"
    {
      echo "JFR of one Ferry run of '$ds' ($t s, not counted above): $jfr_file"
      echo
      echo "Top frames of the server's CPU samples (jdk.ExecutionSample, settings=profile):"
      jfr print --events jdk.ExecutionSample "$jfr_file" \
        | awk '/stackTrace = \[/ { getline; sub(/^[ \t]+/, ""); sub(/line:.*/, ""); print }' \
        | sort | uniq -c | sort -rn | head -25
      echo
      echo "Innermost dev.ferry frame of each sample:"
      jfr print --stack-depth 64 --events jdk.ExecutionSample "$jfr_file" \
        | awk '/stackTrace = \[/ { inside = 1; found = 0; next }
               inside && /^[ \t]*\]/ { if (!found) print "(no dev.ferry frame)"; inside = 0; next }
               inside && !found && /dev\.ferry\./ { l = $0; sub(/^[ \t]+/, "", l); sub(/line:.*/, "", l); print l; found = 1 }' \
        | sort | uniq -c | sort -rn | head -25
      echo
      echo "Blocking I/O and waits (count, total ms; events above the profile thresholds):"
      for ev in jdk.FileForce jdk.FileRead jdk.FileWrite jdk.SocketRead jdk.ThreadPark jdk.JavaMonitorWait; do
        jfr print --events "$ev" "$jfr_file" \
          | awk -v ev="$ev" '/duration = / { n++; v = $3; u = $4; if (u == "s") v *= 1000; else if (u == "us") v /= 1000; else if (u == "ns") v /= 1e6; t += v }
                             END { printf "  %-20s %8d %12.0f\n", ev, n, t }'
      done
    } >"$summary"
    profile_notes="$profile_notes
- profile of '$ds': \`$(basename "$summary")\` (recording \`$(basename "$jfr_file")\`)"
    say "profile of $ds: $summary"
  done
fi
stop_server

# --- report -----------------------------------------------------------------------------------
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.3f", v[(NR + 1) / 2]; else printf "%.3f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -F, -v ds="$1" -v tool="$2" -v c="$3" '$2 == ds && $3 == tool { print $c }' "$raw"; }
declare -A MED
cpu_model="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)"
mem="$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
javav="$(java -version 2>&1 | head -1)"
{
  echo "# Ferry transfer benchmark — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- command: \`bench/run-transfer.sh\` (REPEATS=$REPEATS DATASETS=\"$DATASETS\" TOOLS=\"$TOOLS\"" \
    "LARGE_FILES=$LARGE_FILES LARGE_MIB=$LARGE_MIB SMALL_FILES=$SMALL_FILES SMALL_BYTES=$SMALL_BYTES" \
    "FERRY_JAVA_OPTS=\"${FERRY_JAVA_OPTS:-}\" FERRY_SERVER_ARGS=\"${FERRY_SERVER_ARGS:-}\")"
  echo "- code: $commit"
  echo "- machine: $(nproc) CPUs ($cpu_model), $mem RAM, $(uname -sr); file system of the data: $(df -T "$work" | awk 'NR == 2 { print $2 " on " $1 }')"
  echo "- java: $javav; rclone: $({ rclone version 2>/dev/null || echo n/a; } | sed -n 1p); cp: $(cp --version | head -1)"
  echo "- load: at start \`$uptime_start\`; at end \`$uptime_end\`"
  echo "- page cache: $cache_mode"
  echo "- data: large = $LARGE_FILES x $LARGE_MIB MiB (${DS_BYTES[large]} bytes), small = ${DS_FILES[small]} x $SMALL_BYTES B (${DS_BYTES[small]} bytes) in directories of $SMALL_PER_DIR; random content"
  echo "- ferry: submit -> SUCCEEDED through REST, Kafka, worker and PostgreSQL; checksum crc32c, every file re-read and verified before an atomic, durable publish; one untimed warm-up job first"
  echo
  echo "## Runs"
  echo
  echo "| rep | data | tool | seconds | then \`sync\` s | load1 before |"
  echo "|---:|---|---|---:|---:|---:|"
  awk -F, '{ printf "| %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6 }' "$raw"
  echo
  echo "## Medians"
  echo
  echo "| data | tool | median s | MB/s | files/s | median s incl. the \`sync\` after |"
  echo "|---|---|---:|---:|---:|---:|"
  for ds in $DATASETS; do
    for tool in $TOOLS; do
      m="$(col "$ds" "$tool" 4 | median)"
      ms="$(awk -F, -v ds="$ds" -v tool="$tool" '$2 == ds && $3 == tool { printf "%.3f\n", $4 + $5 }' "$raw" | median)"
      MED[$ds,$tool]="$m"
      awk -v ds="$ds" -v tool="$tool" -v m="$m" -v ms="$ms" -v b="${DS_BYTES[$ds]}" -v f="${DS_FILES[$ds]}" \
        'BEGIN { printf "| %s | %s | %.2f | %.0f | %.1f | %.2f |\n", ds, tool, m, b / 1e6 / m, f / m, ms }'
    done
  done
  if [ "$with_ferry" = 1 ]; then
    echo
    echo "## Ratios (throughput of Ferry / throughput of the other tool, from the medians)"
    echo
    echo "| data | Ferry/rclone | Ferry/cp | target | met |"
    echo "|---|---:|---:|---|---|"
    for ds in $DATASETS; do
      f="${MED[$ds,ferry]}"
      r="${MED[$ds,rclone]:-}"
      c="${MED[$ds,cp]:-}"
      if [ "$ds" = large ]; then target="Ferry ≥ 2× rclone MB/s"; need=2; else target="Ferry ≥ 1× rclone files/s"; need=1; fi
      awk -v ds="$ds" -v f="$f" -v r="$r" -v c="$c" -v target="$target" -v need="$need" 'BEGIN {
        rr = r == "" ? "n/a" : sprintf("%.2f", r / f); cc = c == "" ? "n/a" : sprintf("%.2f", c / f)
        met = r == "" ? "n/a" : (r / f >= need ? "yes" : "no")
        printf "| %s | %s | %s | %s | %s |\n", ds, rr, cc, target, met }'
    done
  fi
  if [ -n "$profile_notes" ]; then
    echo
    echo "## Profiles"
    echo "$profile_notes"
  fi
  echo
  echo "Numbers from a shared machine are indicative: compare tools within one run, not across runs."
} | tee "$report"
grep -E "ERROR|Exception" "$work/server.log" 2>/dev/null | head -5 >&2 || true
say "report: $report"
