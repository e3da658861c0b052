#!/bin/sh
# crisp quick start for a fresh Debian or Ubuntu machine, run as root:
# installs what crisp needs with apt, builds it, installs it, starts the daemon with the default
# runc handler and shows it answering on unix:///run/crisp/crisp.sock.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "quickstart.sh: run as root (sudo $0)" >&2; exit 1
fi

echo "== installing packages (runc, conmon, JDK 17, Maven, test tools)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# runc and conmon run pods; the rest are what `mvn -B verify` needs (a registry, busybox, htpasswd,
# setfattr, skopeo) so the README's second command works on this machine too.
need="runc conmon util-linux procps findutils docker-registry busybox-static apache2-utils attr skopeo"
command -v javac >/dev/null 2>&1 || need="$need openjdk-17-jdk-headless"
command -v mvn >/dev/null 2>&1 || need="$need maven"
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need >/dev/null

echo "== building"
(cd "$src" && mvn -B -q -DskipTests package)

echo "== installing to /usr/lib/crisp"
"$src/packaging/install.sh"

echo "== starting crisp"
if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable crisp >/dev/null 2>&1
    systemctl restart crisp
else
    # No systemd (a container, a chroot): run it in its own session in the background, logging to
    # /var/log/crisp.log. Not nohup: it ignores SIGHUP, and SIGHUP is how crisp reloads.
    old=$(cat /run/crisp/crisp.pid 2>/dev/null || true)
    if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
        kill "$old"
        while kill -0 "$old" 2>/dev/null; do sleep 0.2; done
    fi
    setsid /usr/bin/crisp serve </dev/null >>/var/log/crisp.log 2>&1 &
fi
i=0
until [ -S /run/crisp/crisp.sock ] && /usr/bin/crisp version >/tmp/crisp-version.$$ 2>&1 && grep -q "^daemon: crisp" /tmp/crisp-version.$$; do
    i=$((i + 1))
    if [ $i -gt 60 ]; then
        echo "crisp did not come up; see 'journalctl -u crisp' or /var/log/crisp.log" >&2; exit 1
    fi
    sleep 0.5
done

echo "== crisp is answering"
cat /tmp/crisp-version.$$; rm -f /tmp/crisp-version.$$
/usr/bin/crisp plugins

echo
echo "== importing a busybox image built from this host's busybox-static (no network needed)"
layout=$(mktemp -d)
"$src/packaging/busybox-image.sh" "$layout/busybox" localhost/crisp/busybox:latest >/dev/null
/usr/bin/crisp images import "$layout/busybox"
rm -rf "$layout"
/usr/bin/crisp images ls
echo
echo "Point the kubelet at it:  --container-runtime-endpoint=unix:///run/crisp/crisp.sock"
