#!/bin/sh
# Writes an OCI image layout of the host's busybox (Debian's busybox-static) to DIR, named NAME,
# for nodes without a registry:  packaging/busybox-image.sh DIR [NAME [CMD]]  then  crisp images import DIR
# CMD is the image's Cmd as a JSON array (default ["sh"]); a pause image for pods without network
# access:  packaging/busybox-image.sh DIR localhost/crisp/pause:latest '["sleep","2147483647"]'

set -eu
out=${1:?usage: busybox-image.sh DIR [NAME]}
name=${2:-localhost/crisp/busybox:latest}
cmd=${3:-'["sh"]'}
busybox=$(command -v busybox)
case "$(file -b "$busybox" 2>/dev/null || echo static)" in *dynamic*) echo "need a static busybox (busybox-static)" >&2; exit 1;; esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sha() { sha256sum "$1" | cut -d' ' -f1; }

mkdir -p "$work/root/bin" "$work/root/etc" "$work/root/tmp" "$work/root/root" "$out/blobs/sha256"
cp "$busybox" "$work/root/bin/busybox"
for applet in sh ls cat echo sleep id ps top wget env true false printf head tail grep wc touch mkdir rm kill hostname \
        httpd nc dd seq date ifconfig ip tr readlink; do ln -s busybox "$work/root/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\nalice:x:1000:1000:alice:/tmp:/bin/sh\n' > "$work/root/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\nalice:x:1000:\nstaff:x:50:alice\n' > "$work/root/etc/group"
chmod 1777 "$work/root/tmp"
tar --numeric-owner --owner=0 --group=0 --mtime=@0 --sort=name -C "$work/root" -cf "$work/layer.tar" .
diff_id=$(sha "$work/layer.tar")
gzip -n -9 -c "$work/layer.tar" > "$work/layer.tgz"
layer=$(sha "$work/layer.tgz"); layer_size=$(stat -c %s "$work/layer.tgz")
cp "$work/layer.tgz" "$out/blobs/sha256/$layer"
printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":%s,"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$cmd" "$diff_id" > "$work/config.json"
config=$(sha "$work/config.json"); config_size=$(stat -c %s "$work/config.json")
cp "$work/config.json" "$out/blobs/sha256/$config"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$config" "$config_size" "$layer" "$layer_size" > "$work/manifest.json"
manifest=$(sha "$work/manifest.json"); manifest_size=$(stat -c %s "$work/manifest.json")
cp "$work/manifest.json" "$out/blobs/sha256/$manifest"
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s"}}]}' \
    "$manifest" "$manifest_size" "$name" > "$out/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$out/oci-layout"
echo "$out: $name (sha256:$config)"
