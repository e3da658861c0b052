#!/usr/bin/env bash
# Builds CRIU 4.1.1 from Debian's source tarball (the one Debian trixie packages) into a cache
# directory, once, and prints the path of the criu binary.
#
# Why: bookworm's criu 3.17.1 fails `criu check` on kernels newer than it knows ("vdso: Unexpected
# rt vDSO area bounds", kerndat_vdso_fill_symtable failed: seen on 6.18), and trixie's criu binary
# needs glibc 2.38 (bookworm has 2.36). 4.1.1 built against bookworm's libraries passes `criu check`
# on 6.18 and takes about 90 s on 2 cores. Only the criu binary is built (no docs, no crit, no libcriu).
#
# Usage: build-criu.sh [CACHE_DIR]   (default $CRISP_CRIU_CACHE or /var/cache/crisp-ci/criu)
# The tarball comes from the Debian mirror apt is configured with, checked against its SHA-256.
set -euo pipefail

version=4.1.1
sha256=f80a66cb3726bb2116266d4759ce3bcbfab7abdb6b6d430bf20dd41911717afe
cache=${1:-${CRISP_CRIU_CACHE:-/var/cache/crisp-ci/criu}}
binary=$cache/$version/criu

if [ -x "$binary" ] && "$binary" --version 2>/dev/null | grep -q "Version: $version"; then
    echo "$binary"
    exit 0
fi

log() { echo "build-criu: $*" >&2; }

# bookworm's build dependencies of criu (as its source package lists them), without the doc tools.
# libprotobuf-dev: criu's images/Makefile copies google/protobuf/descriptor.proto from /usr/include
# (a bare machine has no such file and the build stops at images/built-in.o).
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends gcc make pkg-config libprotobuf-c-dev protobuf-c-compiler \
    protobuf-compiler libprotobuf-dev python3-protobuf libnl-3-dev libnet1-dev libcap-dev libbsd-dev libnftables-dev \
    libgnutls28-dev uuid-dev libaio-dev curl xz-utils ca-certificates >&2

# The first Debian mirror of apt's sources (deb822 URIs: or a one-line sources.list entry).
mirror=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2}' | grep -v -- '-security' | head -n1 || true)
if [ -z "$mirror" ]; then
    mirror=$(grep -h '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' \
        | grep -v -- '-security' | head -n1 || true)
fi
[ -n "$mirror" ] || { log "no Debian mirror found in apt's sources"; exit 1; }

work=$(mktemp -d /tmp/crisp-criu-build.XXXXXX)
trap 'rm -rf "$work"' EXIT
tarball=criu_$version.orig.tar.xz
log "fetching $tarball from $mirror"
curl -fsS --retry 3 -o "$work/$tarball" "${mirror%/}/pool/main/c/criu/$tarball"
echo "$sha256  $work/$tarball" | sha256sum -c --quiet - >&2
tar -xJf "$work/$tarball" -C "$work"
log "building criu $version (about 90 s on 2 cores)"
make -C "$work/criu-$version" -j"$(nproc)" criu >"$work/make.log" 2>&1 || { tail -n 40 "$work/make.log" >&2; exit 1; }
mkdir -p "$cache/$version"
install -m 0755 "$work/criu-$version/criu/criu" "$binary.new"
mv "$binary.new" "$binary"
log "installed $binary"
echo "$binary"
