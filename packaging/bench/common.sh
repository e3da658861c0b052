# Shared set-up of the benchmarks that run pods (sourced, not run): checks the build, makes a work
# directory, builds the busybox and pause images from the host's busybox-static, and writes a CNI
# config for a bridge and a /24 of the benchmark's own (10.199.x.0/24, a bridge named cb<hex>).
# Everything is removed on exit. Sets: here, launcher, home, work, bridge, net.
here=$(cd "$(dirname "$0")" && pwd)
launcher="$here/../bin/crisp"
home=$(cd "$here/../../shim-core/target/crisp" 2>/dev/null && pwd) || {
    echo "build first: mvn -B -DskipTests package" >&2; exit 1; }
work=$(mktemp -d /tmp/crisp-bench.XXXXXX)
bridge=cb$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
cleanup() { awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l; ip link del "$bridge" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
sh "$here/../busybox-image.sh" "$work/images/busybox" localhost/crisp/busybox:latest >/dev/null
sh "$here/../busybox-image.sh" "$work/images/pause" localhost/crisp/pause:latest '["sleep","2147483647"]' >/dev/null
net=""
for third in $(seq 0 255); do
    if ! ip -4 route | grep -q "^10\\.199\\.$third\\."; then net="10.199.$third"; break; fi
done
mkdir -p "$work/net.d"
cat > "$work/net.d/10-bench.conflist" <<CONF
{"cniVersion": "1.0.0", "name": "crisp-bench", "plugins": [
  {"type": "bridge", "bridge": "$bridge", "isGateway": true, "ipMasq": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$net.0/24"}]], "dataDir": "$work/ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
CONF
