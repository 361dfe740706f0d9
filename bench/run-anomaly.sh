#!/usr/bin/env bash
# Anomaly detection benchmark: the cost of one RCF update of a link's model on this machine, and
# of the model's round trip to bytes that the Kafka Streams processor pays per window.
#
#   bench/run-anomaly.sh            # 5 runs x 20,000 updates after 5,000 warm-up updates
#   RUNS=7 UPDATES=50000 bench/run-anomaly.sh
#
# Compiles ferry-model and ferry-telemetry (offline Maven), then runs bench/RcfUpdateBench.java
# with the JDK's source launcher on their classpath. Prints medians; nothing is timed in tests.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(dirname "$here")"
RUNS="${RUNS:-5}"
UPDATES="${UPDATES:-20000}"
WARMUP="${WARMUP:-5000}"
cd "$repo"
mvn -B -o -q -pl ferry-model,ferry-telemetry compile
cpfile="$(mktemp)"
trap 'rm -f "$cpfile"' EXIT
mvn -B -o -q -pl ferry-telemetry dependency:build-classpath -Dmdep.outputFile="$cpfile" >/dev/null
cp="ferry-telemetry/target/classes:ferry-model/target/classes:$(cat "$cpfile")"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(java -version 2>&1 | head -1)"
java -cp "$cp" "$here/RcfUpdateBench.java" "$RUNS" "$UPDATES" "$WARMUP" 2> >(grep -v SLF4J >&2)
