#!/bin/sh
# Prints the path of a minimal Debian 12 (bookworm) root for the package tests, making it first
# when it is missing or older than two weeks: debootstrap --variant=minbase, apt's sources as on a
# stock Debian 12 (bookworm, bookworm-updates, bookworm-security) and their lists fetched, so that
# `apt-get install ./crisp_*.deb` in a copy of it resolves the package's dependencies.
# The root is kept under $CRISP_CI_CACHE (default /var/cache/crisp-ci/deb), outside any checkout;
# the tests copy it, never change it. The packages they download are kept beside it (archives/).
# Needs root, debootstrap and the Debian mirror ($DEBIAN_MIRROR) only when it makes the root.
set -eu
cache=${CRISP_CI_CACHE:-/var/cache/crisp-ci/deb}
base="$cache/bookworm-minbase"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}

stamp="$cache/bookworm-minbase.made"
fresh() {
    [ -d "$base" ] && [ -f "$stamp" ] && [ -z "$(find "$stamp" -mtime +14)" ]
}
if fresh; then echo "$base"; exit 0; fi
if ! command -v debootstrap >/dev/null 2>&1; then
    echo "bookworm-root.sh: debootstrap is not installed (apt-get install debootstrap)" >&2; exit 2
fi
mkdir -p "$cache/archives/partial"
exec 9>"$cache/.lock"
flock 9
if fresh; then echo "$base"; exit 0; fi

new="$cache/bookworm-minbase.new"
rm -rf --one-file-system "$new"
echo "bookworm-root.sh: making a bookworm root with debootstrap in $new" >&2
debootstrap --variant=minbase --cache-dir="$cache/archives" bookworm "$new" "$mirror" >&2
cat > "$new/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security bookworm-security main
SOURCES
# A throwaway root: dpkg need not fsync every file it unpacks (as in container images).
echo force-unsafe-io > "$new/etc/dpkg/dpkg.cfg.d/unsafe-io"
# apt's lists, fetched in the root's own mount namespace so that no mount outlives the command.
unshare -m --propagation private sh -c 'mount -t proc proc "$1/proc" && chroot "$1" apt-get update -q' sh "$new" >&2
rm -f "$stamp"
rm -rf --one-file-system "$base"
mv "$new" "$base"
date -u > "$stamp"
echo "$base"
