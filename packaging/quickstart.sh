#!/bin/sh
# crisp quick start for a fresh Debian or Ubuntu machine, run as root:
# installs what the build needs with apt, builds crisp and its package (packaging/target/crisp_*.deb),
# installs the package with apt (which pulls in runc, conmon, a Java runtime, the CNI plugins and
# iptables), starts the daemon with the default
# runc handler and shows it answering on unix:///run/crisp/crisp.sock, then runs a pod of two
# containers from a busybox image built from the host's busybox-static (no network needed) and
# leaves it running. Re-running it replaces that pod.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
    echo "quickstart.sh: run as root (sudo $0)" >&2; exit 1
fi

echo "== installing packages (runc, conmon, JDK 17, Maven, test tools)"
export DEBIAN_FRONTEND=noninteractive
# runc and conmon run pods; the rest are what `mvn -B verify` needs (a registry, busybox, htpasswd,
# setfattr, skopeo, containerd's containerd-shim-runc-v2 for the kata plugin's tests) and the CRI
# validation suite needs (golang-go, umoci, catatonit, curl, jq: packaging/conformance/critest.sh;
# golang-go also builds the plugin kit's seccomp loader during the Maven build),
# so the README's test commands work on this machine too.
need=""
for pkg in runc conmon util-linux procps findutils docker-registry busybox-static apache2-utils attr skopeo \
        containernetworking-plugins iptables iproute2 containerd golang-go umoci catatonit curl jq; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || need="$need $pkg"
done
command -v javac >/dev/null 2>&1 || need="$need openjdk-17-jdk-headless"
command -v mvn >/dev/null 2>&1 || need="$need maven"
if [ -n "$need" ]; then
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $need >/dev/null
else
    echo "all installed already (no apt, so no network needed)"
fi

echo "== building (the last module packs packaging/target/crisp_*.deb)"
(cd "$src" && mvn -B -q -DskipTests package)
deb=$(ls -t "$src"/packaging/target/crisp_*_all.deb | head -n 1)

# An installation by the former packaging/install.sh (no package owns it): its JARs would stay on
# the class path beside the package's, and its unit in /etc/systemd/system would shadow the
# package's. The configuration in /etc/crisp stays (apt keeps it: --force-confold below).
if [ -d /usr/lib/crisp/lib ] && ! dpkg-query -W -f='${Status}' crisp 2>/dev/null | grep -q "ok installed"; then
    echo "== removing the files of an earlier install.sh installation (configuration kept)"
    if [ -d /run/systemd/system ]; then systemctl stop crisp 2>/dev/null || true; fi
    rm -rf /usr/lib/crisp/bin /usr/lib/crisp/lib /usr/lib/crisp/plugins
    rm -f /usr/bin/crisp /etc/systemd/system/crisp.service
fi

dropin=/etc/crisp/crisp.toml.d/10-quickstart.toml
if [ ! -f "$dropin" ]; then
    echo "== configuring a local pause image ($dropin)"
    mkdir -p /etc/crisp/crisp.toml.d
    cat > "$dropin" <<'EOF'
# Written by packaging/quickstart.sh. The quick start assumes the node has no network, so the pause
# image (every pod's infra process) is one it builds from the host's busybox-static and imports,
# instead of registry.k8s.io/pause pulled on first use. To pull the registry's image again:
#   rm /etc/crisp/crisp.toml.d/10-quickstart.toml && crisp reload
[image]
pause_image = "localhost/crisp/pause:latest"
EOF
fi

echo "== installing $(basename "$deb") with apt"
# --reinstall: a rebuild of the same version replaces the installed files too. Where systemd runs,
# the package's postinst enables and starts crisp.service; elsewhere it only says how to start it.
apt-get install -y -q --reinstall -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$deb"

echo "== starting crisp"
if [ -d /run/systemd/system ]; then
    # The package's postinst has (re)started it already; this only makes sure it is enabled and up.
    systemctl enable --now crisp >/dev/null 2>&1
else
    # No systemd (a container, a chroot): run it in its own session in the background. It writes
    # /var/log/crisp.log itself and rotates it (log_max_size, log_max_files); stdout and stderr,
    # which only see what happens before the log file opens (a refused configuration) or a JVM
    # crash, go to /var/log/crisp.out. Not nohup: it ignores SIGHUP, and SIGHUP is how crisp reloads.
    old=$(cat /run/crisp/crisp.pid 2>/dev/null || true)
    if [ -n "$old" ] && kill -0 "$old" 2>/dev/null; then
        kill "$old"
        while kill -0 "$old" 2>/dev/null; do sleep 0.2; done
    fi
    setsid /usr/bin/crisp serve --log-file /var/log/crisp.log </dev/null >>/var/log/crisp.out 2>&1 &
fi
i=0
until [ -S /run/crisp/crisp.sock ] && /usr/bin/crisp version >/tmp/crisp-version.$$ 2>&1 && grep -q "^daemon: crisp" /tmp/crisp-version.$$; do
    i=$((i + 1))
    if [ $i -gt 60 ]; then
        echo "crisp did not come up; see 'journalctl -u crisp' or /var/log/crisp.out and /var/log/crisp.log" >&2; exit 1
    fi
    sleep 0.5
done

echo "== crisp is answering"
cat /tmp/crisp-version.$$; rm -f /tmp/crisp-version.$$
/usr/bin/crisp plugins

echo
echo "== importing busybox and pause images built from this host's busybox-static (no network needed)"
layout=$(mktemp -d)
"$src/packaging/busybox-image.sh" "$layout/busybox" localhost/crisp/busybox:latest >/dev/null
"$src/packaging/busybox-image.sh" "$layout/pause" localhost/crisp/pause:latest '["sleep","2147483647"]' >/dev/null
/usr/bin/crisp images import "$layout/busybox" "$layout/pause"
rm -rf "$layout"
/usr/bin/crisp images ls

echo
echo "== running a pod: web serves a page on port 8080, client fetches it over the pod's loopback"
for old in $(/usr/bin/crisp pods ls -q --name quickstart --label io.crisp.quickstart=true); do
    echo "removing the pod of an earlier quick start: $old"
    /usr/bin/crisp pods rm "$old" >/dev/null
done
echo "crisp pods run quickstart"
pod=$(/usr/bin/crisp pods run quickstart --label io.crisp.quickstart=true)
echo "$pod"
echo "crisp containers run $pod --name web ..."
web=$(/usr/bin/crisp containers run "$pod" --name web --image localhost/crisp/busybox:latest -- \
    sh -c 'mkdir -p /www; echo hello from crisp > /www/index.html; echo web started; httpd -f -p 8080 -h /www')
echo "$web"
echo "crisp containers run $pod --name client ..."
client=$(/usr/bin/crisp containers run "$pod" --name client --image localhost/crisp/busybox:latest -- \
    sh -c 'sleep 1; wget -q -O- http://127.0.0.1:8080/; sleep 100000')
echo "$client"
sleep 2

echo
echo "== crisp pods ls"
/usr/bin/crisp pods ls
echo
echo "== crisp containers ls"
/usr/bin/crisp containers ls
echo
echo "== crisp containers logs $web   (web)"
/usr/bin/crisp containers logs "$web"
echo
echo "== crisp containers logs $client   (client: the page it fetched)"
/usr/bin/crisp containers logs "$client"
echo
echo "== crisp containers exec $client -- sh -c 'id; hostname; ps'"
/usr/bin/crisp containers exec "$client" -- sh -c 'id; hostname; ps'

echo
ip=$(/usr/bin/crisp pods inspect "$pod" | sed -n 's/.*"ip" *: *"\([0-9.]*\)".*/\1/p' | head -n 1)
echo "== the web container from this host, by the pod's IP ($ip, on the network from /etc/cni/net.d)"
# busybox nc, not wget: Debian's static busybox wget crashes on non-loopback addresses.
printf 'GET / HTTP/1.0\r\n\r\n' | busybox nc "$ip" 8080 | tail -n 1

echo
echo "The pod keeps running. Remove it with:  crisp pods rm $pod"
echo "Point the kubelet at crisp:  --container-runtime-endpoint=unix:///run/crisp/crisp.sock"
