#!/usr/bin/env bash
# Runs the JMH benchmarks (all, or those matching the regular expressions given) and prints medians and ratios.
# Results go to benchmarks/results/<date>.json. Build first: mvn -q -DskipTests install (from the root).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$HERE/results"
OUT="$HERE/results/$(date -u +%Y%m%dT%H%M%SZ).json"
java -jar "$HERE/target/benchmarks.jar" -rf json -rff "$OUT" "$@"
java -cp "$HERE/target/benchmarks.jar" io.isolate.benchmarks.Ratios "$OUT"
