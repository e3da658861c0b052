#!/bin/sh
# Pod lifecycle benchmark: median per step of N sequential RunPodSandbox .. RemovePodSandbox cycles,
# daemon RSS and conmon PSS with P pods running, ListContainers with C containers present; real runc
# and conmon, images built from the host's busybox-static. Build first; run as root.
#   packaging/bench/lifecycle.sh [cycles=20] [pods=20] [containers=500]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
launcher="$here/../bin/crisp"
home=$(cd "$here/../../shim-core/target/crisp" 2>/dev/null && pwd) || {
    echo "build first: mvn -B -DskipTests package" >&2; exit 1; }
work=$(mktemp -d /tmp/crisp-bench.XXXXXX)
cleanup() { awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l; rm -rf "$work"; }
trap cleanup EXIT
sh "$here/../busybox-image.sh" "$work/images/busybox" localhost/crisp/busybox:latest >/dev/null
sh "$here/../busybox-image.sh" "$work/images/pause" localhost/crisp/pause:latest '["sleep","2147483647"]' >/dev/null
java ${BENCH_JAVA_OPTS:-} -cp "$home/lib/*" io.crisp.core.bench.LifecycleBenchmark "$launcher" "$work" "${1:-20}" "${2:-20}" "${3:-500}"
