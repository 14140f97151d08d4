#!/usr/bin/env bash
# Measure what tracing costs: the same ZooKeeper workloads against a 3-node
# Warren cluster on 127.0.0.1 (fsync on), started four times: with trace
# sampling off, at 1% and at 100% with no cap on new traces per second
# (WARREN_TRACE_SAMPLE_RATIO, WARREN_TRACE_MAX_PER_SECOND=0), and with the
# default settings (every new trace, at most 100 per second per node).
# Writes the table into docs/benchmarks.md between the trace-cost markers.
#
#   go tool task bench:trace-cost             # DURATION=10s per run by default
#   DURATION=30s go tool task bench:trace-cost
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/bench-lib.sh
. scripts/bench-lib.sh

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
SERVERS=127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183

go build -o bin/warren ./cmd/warren
trap 'bash scripts/cluster.sh down >/dev/null 2>&1 || true' EXIT


declare -A ops p50 p99
ratios=("0" "0.01" "1" "default")
workloads=("set 32" "get 32" "mixed 32")
for ratio in "${ratios[@]}"; do
  bash scripts/cluster.sh down >/dev/null 2>&1 || true
  bash scripts/cluster.sh clean >/dev/null 2>&1 || true
  if [ "$ratio" = default ]; then
    bash scripts/cluster.sh up
    echo "bench: cluster up with the default trace settings"
  else
    WARREN_TRACE_SAMPLE_RATIO=$ratio WARREN_TRACE_MAX_PER_SECOND=0 bash scripts/cluster.sh up
    echo "bench: cluster up with trace sample ratio $ratio, no cap"
  fi
  for w in "${workloads[@]}"; do
    set -- $w
    out=$(bin/warren bench zk --servers "$SERVERS" --workload "$1" --sessions "$2" \
      --duration "$DURATION" --warmup "$WARMUP" --label "ratio=$ratio" 2>/dev/null)
    echo "$out"
    ops[$ratio/$1]=$(echo "$out" | field ops/s)
    p50[$ratio/$1]=$(echo "$out" | field p50)
    p99[$ratio/$1]=$(echo "$out" | field p99)
  done
done

rows=()
for w in "${workloads[@]}"; do
  set -- $w
  off=${ops[0/$1]}
  cells=""
  for ratio in "${ratios[@]}"; do
    o=${ops[$ratio/$1]}
    rel=$(awk -v a="$o" -v b="$off" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')
    cells+=" $o (${rel}×) | ${p50[$ratio/$1]} / ${p99[$ratio/$1]} |"
  done
  rows+=("| $1 | $2 |$cells")
done

table=$(
  echo "Measured $(date -u +%Y-%m-%d) with \`go tool task bench:trace-cost\` (DURATION=$DURATION, warm-up $WARMUP):"
  echo "a 3-node Warren cluster on 127.0.0.1 (fsync on), restarted for each setting, driven by"
  echo "\`warren bench zk\` (100-byte payloads). off, 1% and 100% have no cap on new traces per second;"
  echo "default is every new trace up to 100 per second per node. ops/s with the ratio to sampling off in brackets; latency p50 / p99."
  echo
  echo "| workload | sessions | off: ops/s | off: p50 / p99 | 1%: ops/s | 1%: p50 / p99 | 100%: ops/s | 100%: p50 / p99 | default: ops/s | default: p50 / p99 |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
)
echo "$table"

write_table trace-cost "The cost of tracing" "$table"
