#!/bin/sh
# Installs the build output (shim-core/target/crisp after `mvn -B -DskipTests package`) as:
#   /usr/lib/crisp/{bin/crisp,lib/*.jar,plugins/*.jar}, /usr/bin/crisp -> /usr/lib/crisp/bin/crisp,
#   /etc/crisp/crisp.toml (kept if present), /etc/crisp/crisp.toml.d/,
#   /etc/systemd/system/crisp.service, /usr/share/doc/crisp/README.md
# Run as root. Re-running upgrades the JARs and keeps the configuration.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build="$src/shim-core/target/crisp"
prefix=${PREFIX:-/usr/lib/crisp}
if [ "$(id -u)" != 0 ]; then
    echo "install.sh: run as root" >&2; exit 1
fi
if ! ls "$build"/lib/crisp-shim-core-*.jar >/dev/null 2>&1; then
    echo "install.sh: no build output in $build; run 'mvn -B -DskipTests package' first" >&2; exit 1
fi

install -d -m 0755 "$prefix/bin" "$prefix/lib" "$prefix/plugins" /etc/crisp /etc/crisp/crisp.toml.d /usr/share/doc/crisp
# Replace the library set as a whole: an old JAR left beside a new one would shadow it.
rm -f "$prefix"/lib/*.jar "$prefix"/lib/crisp.jsa
install -m 0644 "$build"/lib/*.jar "$prefix/lib/"
for jar in "$build"/plugins/*.jar; do
    install -m 0644 "$jar" "$prefix/plugins/"
done
install -m 0755 "$src/packaging/bin/crisp" "$prefix/bin/crisp"
ln -sf "$prefix/bin/crisp" /usr/bin/crisp
if [ ! -f /etc/crisp/crisp.toml ]; then
    install -m 0644 "$src/packaging/config/crisp.toml" /etc/crisp/crisp.toml
fi
install -m 0644 "$src/README.md" /usr/share/doc/crisp/README.md
# A single-node pod network (bridge crisp0, 10.87.0.0/16), only where no CNI config exists yet: a
# cluster's network provider installs its own.
install -d -m 0755 /etc/cni/net.d
if ! ls /etc/cni/net.d/*.conf /etc/cni/net.d/*.conflist /etc/cni/net.d/*.json >/dev/null 2>&1; then
    install -m 0644 "$src/packaging/cni/10-crisp-bridge.conflist" /etc/cni/net.d/10-crisp-bridge.conflist
fi
install -m 0644 "$src/packaging/systemd/crisp.service" /etc/systemd/system/crisp.service
# Record the class-data-sharing archive now rather than on the first start.
/usr/bin/crisp version >/dev/null
echo "installed crisp in $prefix (configuration in /etc/crisp)"
