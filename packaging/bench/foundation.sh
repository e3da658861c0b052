#!/bin/sh
# Foundation benchmark: readiness time, idle RSS, and Version / ListPodSandbox round trips of a real
# crisp daemon over its Unix socket. Build first (mvn -B -DskipTests package); run as root.
#   packaging/bench/foundation.sh [calls-per-rpc] [starts]
# CRISP_JAVA_OPTS, passed through the launcher, changes the daemon's JVM flags for comparisons.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
launcher="$here/../bin/crisp"
home=$(cd "$here/../../shim-core/target/crisp" 2>/dev/null && pwd) || {
    echo "build first: mvn -B -DskipTests package" >&2; exit 1; }
work=$(mktemp -d /tmp/crisp-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The benchmark client runs in its own JVM with default flags; only the daemon is measured.
java -cp "$home/lib/*" io.crisp.client.bench.FoundationBenchmark "$launcher" "$work" "${1:-20000}" "${2:-5}"
