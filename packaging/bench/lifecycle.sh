#!/bin/sh
# Pod lifecycle benchmark: median per step of N sequential RunPodSandbox .. RemovePodSandbox cycles
# (hostNetwork pods, then pods on a CNI bridge network of the benchmark's own: the difference is what
# pod networking costs),
# daemon RSS and conmon PSS with P pods running, ListContainers with C containers present; real runc
# and conmon, images built from the host's busybox-static. With a shim v2 binary (default Debian's
# containerd-shim-runc-v2 when installed; "" for none) the cycles and the running pods are also
# measured on handler shimv2-runc (the kata plugin), side by side with runc. Build first; run as root.
#   packaging/bench/lifecycle.sh [cycles=20] [pods=20] [containers=500] [shim=/usr/bin/containerd-shim-runc-v2]
set -eu
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
java ${BENCH_JAVA_OPTS:-} -cp "$home/lib/*" io.crisp.client.bench.LifecycleBenchmark "$launcher" "$work" "${1:-20}" "${2:-20}" "${3:-500}" \
    "${4-$(command -v containerd-shim-runc-v2 || true)}"
