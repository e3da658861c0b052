#!/bin/bash
# Kubelet load: starts a fresh daemon (its own root, state, socket, CNI bridge and /24, images built
# from the host's busybox-static) and plays the kubelet against it for a given time: N pods of one
# container each, the PLEG's relist every second (ListPodSandbox, ListContainers, PodSandboxStatus and
# ContainerStatus of everything listed), ListContainerStats and ListPodSandboxStats every 10 s, an
# ExecSync probe per container every 10 s, one pod replaced every 2 s. Prints failures by RPC and
# status code, latency percentiles per RPC per window, the daemon's RSS, heap, threads and fds over
# time, and a leak snapshot (mounts, netns pins, cgroups, conmon/runc processes, veths, IPAM addresses,
# files in root and state) after removing every pod, against one taken before the first. Build first
# (mvn -B -DskipTests package); run as root.
#
#   packaging/bench/kubelet-load.sh [--pods N] [--duration 30m] [--replace-every 2s] [--handler runc]
#                                   [--window 60s] [--warmup 5m] [--report-dir DIR]
#
#   --pods N            pods kept running (default 100)
#   --duration D        how long the load runs, pod start-up included (default 30m; 90s, 2h, ...)
#   --replace-every D   one pod stopped and removed, a new one run, every D (default 2s)
#   --handler NAME      runtime handler of the pods: runc (default), shimv2-runc, nspawn, lxc
#   --window D          latency percentiles per window of D (a multiple of 10 s; default 60s)
#   --warmup D          when the "after warm-up" figures are taken (default duration/6, 20 s to 5 min)
#   --report-dir DIR    where output.txt, summary.txt, latency.csv, daemon.csv and crisp.log go
#                       (default /tmp/crisp-kubelet-load-<time>)
# Exit status 0 only when no call failed (races with a replacement aside) and nothing leaked.
set -euo pipefail
die() { echo "kubelet-load.sh: $*" >&2; exit 2; }
driver_args=() report="" handler=runc
while [ $# -gt 0 ]; do
    case $1 in
        --pods|--duration|--replace-every|--window|--warmup)
            [ $# -ge 2 ] || die "$1 needs a value"; driver_args+=("$1" "$2"); shift 2 ;;
        --handler) [ $# -ge 2 ] || die "--handler needs a name"; handler=$2; shift 2 ;;
        --report-dir) [ $# -ge 2 ] || die "--report-dir needs a directory"; report=$2; shift 2 ;;
        -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
[ "$(id -u)" = 0 ] || die "must run as root (it starts a runtime)"
command -v jcmd >/dev/null || die "needs jcmd (the JDK's) for the daemon's heap figures"
report=${report:-/tmp/crisp-kubelet-load-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$report"
report=$(cd "$report" && pwd)

. "$(cd "$(dirname "$0")" && pwd)/common.sh"   # work, bridge, net, images; its cleanup runs last
cgparent=crisp-load-${bridge#cb}
daemon_pid=""
stop_all() {
    set +e
    if [ -n "$daemon_pid" ]; then
        kill -TERM "$daemon_pid" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$daemon_pid" 2>/dev/null
        cp -f "$work/crisp.log" "$report/crisp.log" 2>/dev/null
    fi
    # Whatever a failed run left: processes of this run's directories and cgroups, runc's containers.
    for pid in $(grep -ls -- "$work/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
        [ "$pid" = $$ ] || kill -KILL "$pid" 2>/dev/null
    done
    for h in $(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts); do
        [ -d "$h/$cgparent" ] || continue
        find "$h/$cgparent" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        sleep 0.2
        find "$h/$cgparent" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    [ -d "$work/state/runc" ] && for c in $(runc --root "$work/state/runc" list -q 2>/dev/null); do
        runc --root "$work/state/runc" delete -f "$c" >/dev/null 2>&1
    done
    cleanup
}
trap stop_all EXIT
trap 'exit 130' INT TERM

mkdir -p "$work/root" "$work/state"
cat > "$work/crisp.toml" <<EOF
root = "$work/root"
state = "$work/state"
[api]
listen = "unix://$work/crisp.sock"
[runtime]
default_runtime = "runc"
plugins_dir = "$home/plugins"
[image]
pause_image = "localhost/crisp/pause:latest"
[network]
cni_conf_dir = "$work/net.d"
[runtimes.runc]
plugin = "runc"
runtime_root = "$work/state/runc"
[runtimes.shimv2-runc]
plugin = "kata"
shim_path = "$(command -v containerd-shim-runc-v2 || echo /usr/bin/containerd-shim-runc-v2)"
[runtimes.nspawn]
plugin = "nspawn"
[runtimes.lxc]
plugin = "lxc"
EOF
"$launcher" serve --config "$work/crisp.toml" > "$work/crisp.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 300); do
    [ -S "$work/crisp.sock" ] && break
    kill -0 "$daemon_pid" 2>/dev/null || die "crisp exited: $(tail -n 20 "$work/crisp.log")"
    sleep 0.1
done
[ -S "$work/crisp.sock" ] || die "crisp did not listen within 30 s: $(tail -n 20 "$work/crisp.log")"
echo "daemon pid $daemon_pid, work $work, bridge $bridge ($net.0/24), cgroup parent /$cgparent, report $report"

status=0
java ${BENCH_JAVA_OPTS:-} -cp "$home/lib/*" io.crisp.client.bench.KubeletLoad --socket "$work/crisp.sock" \
    --daemon-pid "$daemon_pid" --work "$work" --bridge "$bridge" --cgroup-parent "$cgparent" --handler "$handler" \
    --report-dir "$report" "${driver_args[@]}" 2>&1 | tee "$report/output.txt" || status=$?
grep -c ' ERROR ' "$work/crisp.log" | sed 's/^/daemon log ERROR lines: /' || true
exit $status
