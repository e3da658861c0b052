#!/usr/bin/env bash
# Restart to ready after kill -9 with P running pods, R times (issue 18: under 1 s with 20 pods).
# Build first (mvn -B -DskipTests package); run as root.
#
#   packaging/bench/restart.sh [pods=20] [rounds=10]
#
# Starts crisp from this checkout as packaging/conformance/lib.sh's conf_launch_crisp does (the
# launcher, runc handler only, its own root/state/socket/bridge; busybox and pause images built from
# the host's busybox-static and imported), runs P pods with one `sleep` container each (crictl), then
# R times: kill -9 the daemon, launch it again and poll, as versus-containerd.sh's step (d), until
# `crictl version` answers and `crictl pods -q --state ready` lists the P pods. Per round it prints
# the wall time from launch to ready, the time until the socket file appeared, the daemon's own
# "ready in N ms" (from reading the configuration) and "since exec" (its "N ms after the process
# started": the launcher's script, the JVM's own start and main's first steps before that), and the JVM's CPU time (user+sys from /proc/PID/stat) at ready, which depends less
# on the machine's load than the wall time; then the medians. Every container must still be running
# after the last round. Everything is removed on exit.
# Environment: CRICTL (default: beside critest, see conformance/lib.sh); CRISP_SERVE_ARGS and
# CRISP_JAVA_OPTS go to the daemon as there.
set -euo pipefail
pods=${1:-20} rounds=${2:-10}
prog=restart.sh
# shellcheck source=packaging/bench/common.sh
. "$(cd "$(dirname "$0")" && pwd)/common.sh"
repo=$(cd "$here/../.." && pwd)
# shellcheck source=packaging/conformance/lib.sh
. "$repo/packaging/conformance/lib.sh"
[ "$(id -u)" = 0 ] || die "must run as root"
conf_find_critools
[ -n "$crictl" ] && [ -x "$crictl" ] || die "no crictl (set CRICTL)"
hex=${bridge#cb}
cgparent=crisp-restart-$hex
crisp_pid=""
bench_cleanup() {
    set +e
    [ -n "$crisp_pid" ] && cc rmp -fa >/dev/null 2>&1
    conf_stop "$crisp_pid"
    conf_kill_under "$work/"
    conf_runc_delete_all "$work/state/runc"
    for h in $(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts); do
        [ -d "$h/$cgparent" ] && find "$h/$cgparent" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    iptables -t nat -S POSTROUTING 2>/dev/null | grep -F -- "-s $net." | while read -r rule; do
        eval "iptables -t nat ${rule/-A /-D }" 2>/dev/null
    done
    cleanup
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

conf_write_crisp_config "$work" unused "$home" "$work/net.d" runc
sed -i 's|^pause_image = .*|pause_image = "localhost/crisp/pause:latest"|' "$work/crisp.toml"
cc() { "$crictl" -r "unix://$work/crisp.sock" -i "unix://$work/crisp.sock" -t 60s "$@"; }
ms() { echo $(( (${EPOCHREALTIME/./} - $1) / 1000 )); }

conf_launch_crisp "$work"
"$launcher" images import -q -l "unix://$work/crisp.sock" "$work/images/busybox" "$work/images/pause" >/dev/null \
    || die "importing the images failed"
printf '{"metadata": {"name": "sleeper"}, "image": {"image": "localhost/crisp/busybox:latest"}, "command": ["sleep", "3600"], "log_path": "sleeper.log", "linux": {}}\n' \
    > "$work/container.json"
log "starting $pods pods"
for i in $(seq 1 "$pods"); do
    mkdir -p "$work/logs/$i"
    printf '{"metadata": {"name": "p%s", "uid": "p%s-%s", "namespace": "restart", "attempt": 0},
 "log_directory": "%s", "linux": {"cgroup_parent": "/%s"}}\n' "$i" "$i" "$hex" "$work/logs/$i" "$cgparent" > "$work/pod-$i.json"
    pid=$(cc runp "$work/pod-$i.json")
    cid=$(cc create "$pid" "$work/container.json" "$work/pod-$i.json")
    cc start "$cid" >/dev/null
done

printf '%-6s %10s %10s %12s %12s %10s\n' round "ready ms" "socket ms" "daemon says" "since exec" "cpu ms"
results=$work/results
: > "$results"
for r in $(seq 1 "$rounds"); do
    kill -KILL "$crisp_pid"; wait "$crisp_pid" 2>/dev/null || true
    lines=$(wc -l < "$work/crisp.log")
    t0=${EPOCHREALTIME/./}
    conf_launch_crisp "$work" 2>/dev/null
    sock=$(ms "$t0")
    while :; do
        if cc version >/dev/null 2>&1 && [ "$(cc pods -q --state ready 2>/dev/null | wc -l)" -ge "$pods" ]; then break; fi
        kill -0 "$crisp_pid" 2>/dev/null || die "crisp exited: $(tail -n 20 "$work/crisp.log")"
        [ "$(ms "$t0")" -lt 120000 ] || die "not ready within 120 s"
        sleep 0.02
    done
    ready=$(ms "$t0")
    cpu=$(conf_cpu_ms "$crisp_pid")
    line=$(tail -n +"$((lines + 1))" "$work/crisp.log" | grep -m 1 ' ready in ' || true)
    says=$(sed -n 's/.* ready in \([0-9]*\) ms.*/\1/p' <<<"$line")
    since=$(sed -n 's/.* (\([0-9]*\) ms after the process started).*/\1/p' <<<"$line")
    printf '%-6s %10s %10s %12s %12s %10s\n' "$r" "$ready" "$sock" "${says:--}" "${since:--}" "$cpu"
    echo "$ready $sock ${says:-0} ${since:-0} $cpu" >> "$results"
done
median() { sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
printf '%-6s %10s %10s %12s %12s %10s\n' median "$(cut -d' ' -f1 "$results" | median)" "$(cut -d' ' -f2 "$results" | median)" \
    "$(cut -d' ' -f3 "$results" | median)" "$(cut -d' ' -f4 "$results" | median)" "$(cut -d' ' -f5 "$results" | median)"
running=$(cc ps -q --state running | wc -l)
[ "$running" = "$pods" ] || die "after the restarts $running of $pods containers run"
