#!/bin/sh
# Stats benchmark: N running containers (sleep; 10 per pod) under real runc and conmon, in pods on a
# CNI bridge of the benchmark's own. Measures ListContainerStats latency (p50/p99 over C calls, one
# client, sequential; answered from the collector's memory) and what the collector costs: the
# daemon's CPU time from /proc/<pid>/stat over S seconds with the containers idle, per container
# and per second. Build first; run as root.
#   packaging/bench/stats.sh [containers=100] [calls=2000] [seconds=30]
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
java ${BENCH_JAVA_OPTS:-} -cp "$home/lib/*" io.crisp.client.bench.StatsBenchmark "$launcher" "$work" "${1:-100}" "${2:-2000}" "${3:-30}"
