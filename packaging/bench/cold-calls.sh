#!/bin/sh
# Cold-call benchmark: PodSandboxStatus, ImageStatus, ContainerStatus, ListImages and ListContainers
# asked once per pod and container lifecycle, as critest -benchmark asks them, R rounds of C cycles on
# one fresh daemon; per round the medians of wall time, of the daemon's I/O thread CPU (these calls
# run on it) and of the daemon's CPU per call: what the JIT has not compiled yet shows here. Real runc
# and conmon, host-network pods, images built from the host's busybox-static. Build first; run as root.
#   packaging/bench/cold-calls.sh [rounds=3] [cycles=40]
# CRISP_JAVA_OPTS, passed through the launcher, changes the daemon's JVM flags for comparisons.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
java ${BENCH_JAVA_OPTS:-} -cp "$home/lib/*" io.crisp.client.bench.ColdCallsBenchmark "$launcher" "$work" "${1:-3}" "${2:-40}"
