#!/bin/bash
# Image pull benchmark: builds an image of about 100 MB in 5 layers of incompressible data, pushes
# it to Debian's docker-registry on loopback, then times, in the same run,
#   skopeo copy docker://... dir:...   (download only: the point of comparison)
#   crisp PullImage                    (download, verify, unpack to layer directories)
# and prints MB/s, the unpack time from the daemon's log, and the crisp/skopeo ratio.
# Needs root, docker-registry and skopeo; build crisp first (mvn -B -DskipTests package).
#   packaging/bench/image-pull.sh [layers] [MiB-per-layer]
set -euo pipefail
layers=${1:-5}
mib=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
crisp="$here/../bin/crisp"
w=$(mktemp -d /tmp/crisp-image-bench.XXXXXX)
registry_pid=""
daemon_pid=""
cleanup() {
    [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
    [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null && wait "$registry_pid" 2>/dev/null || true
    rm -rf "$w"
}
trap cleanup EXIT
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
sha() { sha256sum "$1" | cut -d' ' -f1; }

# 1. An OCI layout with $layers gzip layers of random bytes.
mkdir -p "$w/layout/blobs/sha256" "$w/src"
diff_ids=""; descriptors=""; total=0
for i in $(seq 1 "$layers"); do
    mkdir -p "$w/src/$i"
    head -c $((mib * 1048576)) /dev/urandom > "$w/src/$i/data-$i.bin"
    tar -C "$w/src/$i" -cf "$w/layer.tar" .
    diff_ids="$diff_ids\"sha256:$(sha "$w/layer.tar")\","
    gzip -1 -c "$w/layer.tar" > "$w/layer.tgz"
    d=$(sha "$w/layer.tgz"); s=$(stat -c %s "$w/layer.tgz"); total=$((total + s))
    mv "$w/layer.tgz" "$w/layout/blobs/sha256/$d"
    descriptors="$descriptors{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$d\",\"size\":$s},"
done
printf '{"architecture":"amd64","os":"linux","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":[%s]}}' "${diff_ids%,}" > "$w/config.json"
cd_=$(sha "$w/config.json"); cs=$(stat -c %s "$w/config.json"); cp "$w/config.json" "$w/layout/blobs/sha256/$cd_"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
    "$cd_" "$cs" "${descriptors%,}" > "$w/manifest.json"
md=$(sha "$w/manifest.json"); ms=$(stat -c %s "$w/manifest.json"); cp "$w/manifest.json" "$w/layout/blobs/sha256/$md"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"bench"}}]}' "$md" "$ms" > "$w/layout/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$w/layout/oci-layout"

# 2. Debian's registry on a free loopback port.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$w/registry.yml" <<YML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $w/registry}}
http: {addr: 127.0.0.1:$port, secret: bench}
YML
docker-registry serve "$w/registry.yml" >"$w/registry.log" 2>&1 & registry_pid=$!
until curl -fs "http://127.0.0.1:$port/v2/" >/dev/null 2>&1; do sleep 0.1; done
skopeo copy -q --dest-tls-verify=false "oci:$w/layout:bench" "docker://127.0.0.1:$port/bench/big:1"
image="127.0.0.1:$port/bench/big:1"

# 3. crisp with the registry marked insecure (plain HTTP).
printf '[[registry]]\nlocation = "127.0.0.1:%s"\ninsecure = true\n' "$port" > "$w/registries.conf"
printf '[image]\nregistries_conf = "%s"\n[runtimes.runc]\nplugin = "runc"\n' "$w/registries.conf" > "$w/crisp.toml"
flags=(--config "$w/crisp.toml" --listen "unix://$w/crisp.sock" --root "$w/root" --state "$w/state")
"$crisp" serve "${flags[@]}" >"$w/daemon.log" 2>&1 & daemon_pid=$!
until "$crisp" version "${flags[@]}" 2>/dev/null | grep -q "^daemon: crisp"; do sleep 0.2; done

mb=$(echo "scale=1; $total / 1000000" | bc)
echo "image: $layers layers, $mb MB compressed ($image)"
t0=$(now_ms)
skopeo copy -q --src-tls-verify=false "docker://$image" "dir:$w/skopeo-out"
skopeo_ms=$(( $(now_ms) - t0 ))
out=$("$crisp" images pull "${flags[@]}" "$image")
crisp_ms=$(echo "$out" | sed -n 's/.*(\([0-9]*\) ms)$/\1/p')
# Layers unpack while others still download: the unpack figure is the sum over layers.
unpack_ms=$(sed -n 's/.*Unpacked layer .* in \([0-9]*\) ms.*/\1/p' "$w/daemon.log" | paste -sd+ | bc)
echo "skopeo copy (download only):      $skopeo_ms ms, $(echo "scale=1; $total / 1000 / $skopeo_ms" | bc) MB/s"
echo "crisp pull (download+verify+unpack): $crisp_ms ms, $(echo "scale=1; $total / 1000 / $crisp_ms" | bc) MB/s (unpacking, summed over layers, $unpack_ms ms)"
echo "ratio crisp/skopeo: $(echo "scale=2; $crisp_ms / $skopeo_ms" | bc)"
