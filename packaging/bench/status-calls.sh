#!/bin/sh
# Status-call benchmark: the calls the kubelet polls and crisp answers from memory (PodSandboxStatus,
# ContainerStatus, ImageStatus, ListImages, ListPodSandbox, ListContainers), first calls on a fresh
# daemon as critest's benchmark makes them and p50/p99 once warm, ListContainers/ListPodSandbox with C
# pods of one created container each (pods without an infra process: pid CONTAINER), and the daemon's
# RSS/PSS idle, with P pods and after removing them. Real runc and conmon, images built from the
# host's busybox-static. Build first; run as root.
#   packaging/bench/status-calls.sh [pods=20] [calls=5000] [containers=500]
# CRISP_JAVA_OPTS, passed through the launcher, changes the daemon's JVM flags for comparisons.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
java ${BENCH_JAVA_OPTS:-} -cp "$home/lib/*" io.crisp.client.bench.StatusCallsBenchmark "$launcher" "$work" "${1:-20}" "${2:-5000}" "${3:-500}"
