#!/bin/sh
# Streaming benchmark: Exec round trip (Exec call to the exit code of `true`, over SPDY and
# WebSocket, median of N) next to ExecSync and a plain `runc exec` of `true` from the shell (the
# floor), and port-forward throughput (MB/s reading 100 MB from a pod's web server over SPDY and
# WebSocket) next to the same download from the pod's IP. Real runc and conmon, a pod on a CNI bridge
# of the benchmark's own, images built from the host's busybox-static. Build first; run as root.
#   packaging/bench/streaming.sh [execs=50] [megabytes=100]
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
java ${BENCH_JAVA_OPTS:-} -cp "$home/lib/*" io.crisp.client.bench.StreamingBenchmark "$launcher" "$work" "${1:-50}" "${2:-100}"
