#!/usr/bin/env bash
# crisp side by side with containerd's CRI plugin (Debian's containerd 1.6) on this machine, one
# command. Build crisp first (mvn -B -DskipTests package); run as root.
#
#   packaging/bench/versus-containerd.sh [--rounds R] [--iterations N] [--pods P] [--quick] [--report-dir DIR]
#
# It starts, each with its own root, state, socket and CNI bridge and /24 (bridge + host-local +
# portmap from /usr/lib/cni), one local registry holding critest's images (the conformance kit's),
# and two daemons pulling from it: crisp fresh from this checkout's build, configured as
# packaging/conformance/critest.sh configures it (packaging/conformance/lib.sh), and containerd with
# a config.toml of its own (CRI plugin, overlayfs snapshotter, runc v2 shim, cgroupfs,
# restrict_oom_score_adj, hosts.toml mirrors to the registry, sandbox_image the same pause image as
# crisp's). Then, alternating which daemon goes first so machine drift cancels:
#   (a) critest -benchmark against each, R rounds (default 3; 40 pods, 40 containers, 20 images, 2 in
#       parallel, as critest.sh --benchmark);
#   (b) a crictl lifecycle loop, N iterations (default 20), one cycle on each daemon per iteration:
#       runp, create, start, exec -s, inspectp, inspect, pods, ps, inspecti, images, stop, rm, stopp, rmp
#       (its pods, and those of (c) and (d), are what the kubelet asks for without shareProcessNamespace:
#       a PID namespace per container, so crisp runs them without an infra process, drop_infra_ctr)
#       (each timed around the crictl process; "crictl --version" is the floor a call cannot go under);
#   (c) memory: each daemon's RSS and PSS (/proc/PID/smaps_rollup) idle (images pulled, before a
#       warm-up of 2 uncounted cycles each), with P running pods (default 20; one busybox `sleep`
#       container each), after removing them; the PSS of the monitors (crisp: conmon, containerd:
#       containerd-shim-runc-v2) summed; the time to start the P pods, and to remove them;
#   (d) restart to ready after kill -9 with the P pods: from launching the daemon to Version answering
#       and ListPodSandbox listing all P pods ready, R times.
#   State: each daemon's state directory (crisp's <state>, containerd's state and runc root) is a
#   tmpfs of its own, as /run/crisp and /run/containerd are on a systemd node; roots stay on disk.
#   VERSUS_STATE_ON_DISK=1 keeps the state directories on the disk of /tmp instead.
#   CPU: each daemon runs in a CPU-accounting cgroup of its own (v1 cpuacct, else the v2 hierarchy),
#   which its monitors, runc invocations and CNI plugins inherit (containers go to cgroups of their
#   own): the CPU time each used per critest round and per crictl iteration; for crisp, how much of
#   a round went to the JVM's JIT compiler threads.
# It prints one table: operation, containerd median, crisp median, crisp/containerd; then CPU and memory.
# Under the critest lifecycle sum, its ratio in each round: their spread is how far the machine
# drifted, and a change smaller than it is noise.
#   --quick          a smoke run: 1 round, 3 iterations, 3 pods, critest sized 6 pods/containers
#   --report-dir D   keep the samples, critest's data and both daemons' logs in D
# Environment: CONTAINERD (default: containerd on PATH); CRISP_DROP_IN (TOML, printf %b escapes, written to
# crisp's crisp.toml.d: "[runtimes.runc]\ndrop_infra_ctr = false" measures pods with infra processes); as critest.sh: CRITEST, CRICTL,
# CRITOOLS_CACHE, CRISP_CONFORMANCE_KIT. A missing prerequisite stops it first with a message; exit 0
# when every step ran. Everything it starts is stopped and removed on exit: pods, daemons, registry,
# mounts, bridges, iptables rules, cgroups.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
prog=versus-containerd.sh
# shellcheck source=packaging/conformance/lib.sh
. "$repo/packaging/conformance/lib.sh"

rounds=3 iterations=20 pods=20 bench_n=40 bench_images=20 report_dir=""
while [ $# -gt 0 ]; do
    case $1 in
        --rounds) [ $# -ge 2 ] || die "--rounds needs a number"; rounds=$2; shift 2 ;;
        --iterations) [ $# -ge 2 ] || die "--iterations needs a number"; iterations=$2; shift 2 ;;
        --pods) [ $# -ge 2 ] || die "--pods needs a number"; pods=$2; shift 2 ;;
        --quick) rounds=1 iterations=3 pods=3 bench_n=6 bench_images=4; shift ;;
        --report-dir) [ $# -ge 2 ] || die "--report-dir needs a directory"; report_dir=$2; shift 2 ;;
        -h|--help) awk 'NR > 1 && !/^#/ {exit} NR > 1 {sub(/^# ?/, ""); print}' "$0"; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
for n in "$rounds" "$iterations" "$pods"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || die "--rounds, --iterations and --pods take a positive number, got $n"
done
[ "$(id -u)" = 0 ] || die "must run as root (it starts two runtimes)"
containerd_bin=${CONTAINERD:-$(command -v containerd || true)}
[ -n "$containerd_bin" ] && [ -x "$containerd_bin" ] \
    || die "no containerd binary${CONTAINERD:+ at $CONTAINERD} (Debian: apt-get install containerd; or set CONTAINERD)"
command -v containerd-shim-runc-v2 >/dev/null || die "no containerd-shim-runc-v2 on PATH (Debian's containerd package ships it)"
runc_bin=$(command -v runc) || die "no runc on PATH"
command -v conmon >/dev/null || die "no conmon on PATH (crisp's runc handler needs it)"
for p in bridge host-local portmap loopback; do
    [ -x "/usr/lib/cni/$p" ] || die "no CNI plugin /usr/lib/cni/$p (Debian: containernetworking-plugins)"
done
command -v jq >/dev/null || die "no jq on PATH"
home=$(cd "$repo/shim-core/target/crisp" 2>/dev/null && pwd) || die "build crisp first: mvn -B -DskipTests package"
conf_find_critools
[ -n "$crictl" ] && [ -x "$crictl" ] || die "no crictl beside critest ($critest) nor on PATH (set CRICTL)"

work=$(mktemp -d /tmp/crisp-versus.XXXXXX)
C=$work/crisp D=$work/containerd
mkdir -p "$C" "$D" "$work/cfg" "$work/critest"
hex=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
cbridge=vc$hex dbridge=vd$hex cgparent=crisp-versus-$hex
cnet=$(conf_free_subnet 10.197)
dnet=$cnet
while [ "$dnet" = "$cnet" ]; do dnet=$(conf_free_subnet 10.197); done
crisp_pid="" ctd_pid="" registry_pid="" status=0
# containerd puts critest's pods (no cgroup parent) under /k8s.io: the levels this run makes go at the end.
new_k8s_cgroups=$(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts | while read -r h; do
    [ -d "$h/k8s.io" ] || echo "$h/k8s.io"; done)
# CPU: each daemon runs in a CPU-accounting cgroup of its own, which what it starts inherits (its
# monitors, runc, the CNI plugins; runc moves containers out into theirs): cgroup v1's cpuacct
# hierarchy where it is mounted, the unified (v2) hierarchy otherwise.
cpu_hier=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpuacct(,|$)/ {print $2; exit}' /proc/self/mounts)
cpu_v=1
if [ -z "$cpu_hier" ]; then
    cpu_hier=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/self/mounts); cpu_v=2
fi
[ -n "$cpu_hier" ] || die "no cpuacct (v1) nor unified (v2) cgroup hierarchy mounted: the CPU rows need one"
declare -A cpu_cg=([crisp]="$cpu_hier/crisp-versus-cpu-$hex-crisp" [containerd]="$cpu_hier/crisp-versus-cpu-$hex-containerd")
samples=$work/samples.tsv
: > "$samples"
declare -A url=([crisp]="unix://$C/crisp.sock" [containerd]="unix://$D/containerd.sock")

cc() { local ep=$1; shift; "$crictl" -r "${url[$ep]}" -i "${url[$ep]}" -t 60s "$@"; }

# Processes a daemon started that outlive a daemon restart: conmon (crisp) or the shims (containerd).
monitor_pids() {
    local pattern pid
    if [ "$1" = crisp ]; then pattern="$C/"; else pattern="$D/containerd.sock"; fi
    for pid in $(grep -ls -- "$pattern" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
        [ "$pid" = "$crisp_pid" ] || [ "$pid" = "$ctd_pid" ] || [ "$pid" = $$ ] || echo "$pid"
    done
}

purge_nat() {  # the bridge plugin's masquerade rules of a subnet, should a pod's CNI DEL never run
    local rule chain
    iptables -t nat -S POSTROUTING 2>/dev/null | grep -F -- "-s $1." | while read -r rule; do
        chain=$(sed -n 's/.* -j \(CNI-[0-9a-f]*\).*/\1/p' <<<"$rule")
        eval "iptables -t nat ${rule/-A /-D }" 2>/dev/null
        [ -n "$chain" ] && iptables -t nat -F "$chain" 2>/dev/null && iptables -t nat -X "$chain" 2>/dev/null
    done
    return 0
}

cleanup() {
    set +e
    [ -n "$crisp_pid" ] && cc crisp rmp -fa >/dev/null 2>&1
    [ -n "$ctd_pid" ] && cc containerd rmp -fa >/dev/null 2>&1
    conf_stop "$crisp_pid"; conf_stop "$ctd_pid"; conf_stop "$registry_pid"
    conf_kill_under "$work/"
    # A shim's socket is /run/containerd/s/<sha256 of "<address>/<namespace>/<id>">; a clean exit removes it.
    local t h
    for t in "$D"/state/io.containerd.runtime.v2.task/k8s.io/*; do
        [ -d "$t" ] || continue
        h=$(printf '%s' "$D/containerd.sock/k8s.io/$(basename "$t")" | sha256sum | cut -d' ' -f1)
        rm -f "/run/containerd/s/$h"
    done
    conf_runc_delete_all "$C/state/runc"
    for t in "$D"/state/runc/*; do conf_runc_delete_all "$t"; done
    conf_umount_under "$work/"
    for h in $(awk '$3 == "cgroup" || $3 == "cgroup2" {print $2}' /proc/self/mounts); do
        [ -d "$h/$cgparent" ] || continue
        # shellcheck disable=SC2038  # cgroup.procs holds pids, one a line
        find "$h/$cgparent" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null
        sleep 0.2
        find "$h/$cgparent" -depth -type d -exec rmdir {} + 2>/dev/null
    done
    for h in $new_k8s_cgroups; do rmdir "$h" 2>/dev/null; done
    for h in "${cpu_cg[@]}"; do
        [ -d "$h" ] || continue
        for p in $(cat "$h/cgroup.procs" 2>/dev/null); do echo "$p" > "$cpu_hier/cgroup.procs"; done 2>/dev/null
        rmdir "$h" 2>/dev/null
    done
    purge_nat "$cnet"; purge_nat "$dnet"
    ip link del "$cbridge" 2>/dev/null; ip link del "$dbridge" 2>/dev/null
    if [ -n "$report_dir" ]; then
        mkdir -p "$report_dir"
        cp -rf "$samples" "$work/critest" "$C/crisp.log" "$D/containerd.log" "$D/config.toml" "$work/monitors" "$report_dir/" 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
if [ "${VERSUS_STATE_ON_DISK:-0}" != 1 ]; then  # see "State" above
    for state_dir in "$C/state" "$D/state"; do
        mkdir -p "$state_dir" && mount -t tmpfs -o mode=0711,size=1g crisp-versus-state "$state_dir" \
            || die "cannot mount a tmpfs on $state_dir"
    done
fi

# ---- registry, CNI, both daemons ----
conf_start_registry "$work"
conf_write_cni "$C/net.d/10-versus.conflist" crisp-versus "$cbridge" "$cnet" "$C/ipam"
conf_write_cni "$D/net.d/10-versus.conflist" containerd-versus "$dbridge" "$dnet" "$D/ipam"
conf_write_crisp_config "$C" "$registry" "$home" "$C/net.d" runc  # the one handler containerd has too
if [ -n "${CRISP_DROP_IN:-}" ]; then  # e.g. "[runtimes.runc]\ndrop_infra_ctr = false" to compare a setting
    mkdir -p "$C/crisp.toml.d" && printf '%b\n' "$CRISP_DROP_IN" > "$C/crisp.toml.d/50-versus.toml"
fi
for r in registry.k8s.io gcr.io docker.io k8s.gcr.io quay.io; do
    mkdir -p "$D/certs.d/$r"
    printf 'server = "http://%s"\n\n[host."http://%s"]\n  capabilities = ["pull", "resolve"]\n' \
        "$registry" "$registry" > "$D/certs.d/$r/hosts.toml"
done
cat > "$D/config.toml" <<EOF
version = 2
root = "$D/root"
state = "$D/state"
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "$D/containerd.sock"
[ttrpc]
  address = "$D/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.6"
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$runc_bin"
        Root = "$D/state/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$D/net.d"
    max_conf_num = 1
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$D/certs.d"
EOF

launch() {
    local pid
    if [ "$1" = crisp ]; then
        conf_launch_crisp "$C"; pid=$crisp_pid
    else
        "$containerd_bin" --config "$D/config.toml" >> "$D/containerd.log" 2>&1 &
        ctd_pid=$!; pid=$ctd_pid
    fi
    mkdir -p "${cpu_cg[$1]}"
    echo "$pid" > "${cpu_cg[$1]}/cgroup.procs" || die "cannot move $1 (pid $pid) into ${cpu_cg[$1]}"
}
cpu_us() {  # cpu_us EP: CPU time (us) used so far in EP's cgroup: the daemon and all it started
    if [ "$cpu_v" = 1 ]; then echo $(( $(cat "${cpu_cg[$1]}/cpuacct.usage") / 1000 ))
    else awk '$1 == "usage_usec" {print $2}' "${cpu_cg[$1]}/cpu.stat"; fi
}
jit_us() {  # jit_us: CPU time (us) of crisp's JIT compiler threads so far (/proc/PID/task/*/stat, clock ticks)
    local hz; hz=$(getconf CLK_TCK)
    cat /proc/"$crisp_pid"/task/*/stat 2>/dev/null | awk -v hz="$hz" '{
        n = $0; sub(/^[0-9]+ \(/, "", n); sub(/\).*/, "", n)
        if (n ~ /^C[12] CompilerThre/) { r = $0; sub(/^.*\) /, "", r); split(r, f, " "); t += f[12] + f[13] } }
        END {printf "%d\n", t * 1000000 / hz}'
}
# Milliseconds until Version answers and ListPodSandbox lists $2 ready pods.
wait_ready() {
    local ep=$1 want=$2 t0=${EPOCHREALTIME/./} pid
    while :; do
        if cc "$ep" version >/dev/null 2>&1 && [ "$(cc "$ep" pods -q --state ready 2>/dev/null | wc -l)" -ge "$want" ]; then
            echo $(( (${EPOCHREALTIME/./} - t0) / 1000 )); return 0
        fi
        if [ "$ep" = crisp ]; then pid=$crisp_pid; else pid=$ctd_pid; fi
        kill -0 "$pid" 2>/dev/null || die "$ep exited: $(tail -n 20 "$([ "$ep" = crisp ] && echo "$C/crisp.log" || echo "$D/containerd.log")")"
        [ $(( ${EPOCHREALTIME/./} - t0 )) -lt 120000000 ] || die "$ep not ready with $want pods within 120 s"
        sleep 0.02
    done
}
launch containerd; wait_ready containerd 0 >/dev/null
launch crisp; wait_ready crisp 0 >/dev/null
log "containerd pid $ctd_pid ($D, $dbridge $dnet.0/24), crisp pid $crisp_pid ($C, $cbridge $cnet.0/24), registry $registry"
busybox=registry.k8s.io/e2e-test-images/busybox:1.29-2
for ep in containerd crisp; do
    cc "$ep" pull "$busybox" >/dev/null || die "$ep could not pull $busybox"
    cc "$ep" pull registry.k8s.io/pause:3.6 >/dev/null || die "$ep could not pull the pause image"
done

# ---- measuring ----
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$samples"; }  # endpoint, operation, microseconds
timed() {  # timed EP OP CMD...: runs CMD, records its time, prints its stdout
    local ep=$1 op=$2 t0 out; shift 2
    t0=${EPOCHREALTIME/./}
    out=$("$@") || { log "$ep: $op failed: $*"; : > "$work/failed"; return 1; }
    record "$ep" "$op" $(( ${EPOCHREALTIME/./} - t0 ))
    printf '%s' "$out"
}
order() { if [ $(( $1 % 2 )) = 1 ]; then echo containerd crisp; else echo crisp containerd; fi; }
memory() {  # memory EP LABEL: daemon RSS and PSS, monitors' PSS (kB)
    local ep=$1 pid m rss pss mpss=0 n=0 names
    if [ "$ep" = crisp ]; then pid=$crisp_pid; else pid=$ctd_pid; fi
    read -r rss pss < <(awk '/^Rss:/ {r=$2} /^Pss:/ {p=$2} END {print r, p}' "/proc/$pid/smaps_rollup")
    record "$ep" "mem:$2 daemon RSS" "$rss"; record "$ep" "mem:$2 daemon PSS" "$pss"
    names=""
    for m in $(monitor_pids "$ep"); do
        p=$(awk '/^Pss:/ {print $2}' "/proc/$m/smaps_rollup" 2>/dev/null) || continue
        mpss=$((mpss + ${p:-0})); n=$((n + 1)); names="$names $(cat "/proc/$m/comm" 2>/dev/null)"
    done
    record "$ep" "mem:$2 monitors PSS" "$mpss"; record "$ep" "mem:$2 monitors" "$n"
    mkdir -p "$work/monitors"
    ps -o pid,ppid,etimes,rss,args -p "$(monitor_pids "$ep" | paste -sd, -)" > "$work/monitors/$ep-${2// /-}.txt" 2>&1 || true
    record "$ep" "mem:$2 monitor names" "$(tr ' ' '\n' <<<"$names" | sed '/^$/d' | sort | uniq -c | awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}')"
}
pod_json() {  # pod_json EP NAME: as the kubelet asks for a pod without shareProcessNamespace (pid CONTAINER)
    mkdir -p "$work/logs/$1/$2"
    printf '{"metadata": {"name": "%s", "uid": "%s-%s", "namespace": "versus", "attempt": 0},
 "log_directory": "%s", "linux": {"cgroup_parent": "/%s", "security_context": {"namespace_options": {"pid": 1}}}}\n' \
        "$2" "$2" "$hex" "$work/logs/$1/$2" "$cgparent" > "$work/cfg/$1-$2.pod.json"
}
printf '{"metadata": {"name": "sleeper"}, "image": {"image": "%s"}, "command": ["sleep", "3600"], "log_path": "sleeper.log",
 "linux": {"security_context": {"namespace_options": {"pid": 1}}}}\n' \
    "$busybox" > "$work/cfg/container.json"
start_pod() {  # start_pod EP NAME [OP-PREFIX]: a pod with one container; prints the pod id
    local pid cid
    pod_json "$1" "$2"
    pid=$(timed "$1" "${3}runp" cc "$1" runp "$work/cfg/$1-$2.pod.json") || return 1
    cid=$(timed "$1" "${3}create" cc "$1" create "$pid" "$work/cfg/container.json" "$work/cfg/$1-$2.pod.json") || return 1
    timed "$1" "${3}start" cc "$1" start "$cid" >/dev/null || return 1
    echo "$pid $cid"
}

sleep 5
for ep in containerd crisp; do memory "$ep" idle; done
log "idle memory taken; warm-up: 2 cycles on each, not counted"
for i in 1 2; do
    for ep in containerd crisp; do
        ids=$(start_pod "$ep" "warmup-$i" "warm-up ") || die "$ep: the warm-up pod did not start"
        read -r pid cid <<<"$ids"
        cc "$ep" exec -s "$cid" true >/dev/null && cc "$ep" stop -t 0 "$cid" >/dev/null && cc "$ep" rm "$cid" >/dev/null \
            && cc "$ep" stopp "$pid" >/dev/null && cc "$ep" rmp "$pid" >/dev/null || die "$ep: the warm-up cycle failed"
    done
done

# (a) critest's benchmark
conf_write_benchmark_params "$work/benchmark-params.yaml" "$bench_n" 2 "$bench_images"
for r in $(seq 1 "$rounds"); do
    for ep in $(order "$r"); do
        out=$work/critest/$ep-$r
        mkdir -p "$out"
        log "round $r/$rounds: critest -benchmark on $ep"
        u0=$(cpu_us "$ep"); j0=$(jit_us)
        if ! "$critest" -runtime-endpoint "${url[$ep]}" -image-endpoint "${url[$ep]}" -ginkgo.no-color -benchmark \
                -benchmarking-output-dir "$out" -benchmarking-params-file "$work/benchmark-params.yaml" > "$out/critest.log" 2>&1; then
            log "critest -benchmark failed on $ep (round $r):"; tail -n 30 "$out/critest.log" >&2; status=1
        else  # a round cut short would pull the CPU medians down
            record "$ep" "cpu:critest round" $(( $(cpu_us "$ep") - u0 ))
            if [ "$ep" = crisp ]; then record crisp "cpu:critest round JIT" $(( $(jit_us) - j0 )); fi
        fi
        conf_remove_pods_settled "${url[$ep]}"
        conf_benchmark_samples "$out" "$ep" "critest " >> "$samples"
        conf_benchmark_samples "$out" "$ep" "round $r critest " >> "$samples"
    done
done

# (b) the crictl lifecycle loop
log "crictl lifecycle loop: $iterations iterations"
for i in $(seq 1 "$iterations"); do
    for ep in $(order "$i"); do
        timed "$ep" "crictl --version (floor)" "$crictl" --version >/dev/null || true
        u0=$(cpu_us "$ep")
        ids=$(start_pod "$ep" "loop-$i" "crictl ") || continue
        read -r pid cid <<<"$ids"
        timed "$ep" "crictl exec -s" cc "$ep" exec -s "$cid" true >/dev/null || true
        timed "$ep" "crictl inspectp" cc "$ep" inspectp -q "$pid" >/dev/null || true
        timed "$ep" "crictl inspect" cc "$ep" inspect -q "$cid" >/dev/null || true
        timed "$ep" "crictl pods" cc "$ep" pods >/dev/null || true
        timed "$ep" "crictl ps" cc "$ep" ps -a >/dev/null || true
        timed "$ep" "crictl inspecti" cc "$ep" inspecti -q "$busybox" >/dev/null || true
        timed "$ep" "crictl images" cc "$ep" images >/dev/null || true
        timed "$ep" "crictl stop" cc "$ep" stop -t 0 "$cid" >/dev/null || true
        timed "$ep" "crictl rm" cc "$ep" rm "$cid" >/dev/null || true
        timed "$ep" "crictl stopp" cc "$ep" stopp "$pid" >/dev/null || true
        timed "$ep" "crictl rmp" cc "$ep" rmp "$pid" >/dev/null || true
        record "$ep" "cpu:crictl iteration" $(( $(cpu_us "$ep") - u0 ))
    done
done

# (c) memory with P pods, after teardown; (d) restart to ready after kill -9
start_pods() {  # start_pods BATCH: P pods on each daemon, interleaved; records each daemon's total
    local i ep t
    declare -A total=([crisp]=0 [containerd]=0)
    for i in $(seq 1 "$pods"); do
        for ep in $(order "$i"); do
            t=${EPOCHREALTIME/./}
            start_pod "$ep" "pod$1-$i" "pods " >/dev/null || die "$ep: starting pod $i of $pods failed"
            total[$ep]=$(( total[$ep] + ${EPOCHREALTIME/./} - t ))
        done
    done
    for ep in crisp containerd; do record "$ep" "start $pods pods in sequence" "${total[$ep]}"; done
}
teardown() {
    local ep
    for ep in $(order "$1"); do timed "$ep" "remove $pods pods (crictl rmp -fa)" cc "$ep" rmp -fa >/dev/null || true; done
}
log "starting $pods pods on each"
start_pods 1
sleep 5
for ep in containerd crisp; do memory "$ep" "with $pods pods"; done
teardown 1
sleep 5
for ep in containerd crisp; do memory "$ep" "after teardown"; done
log "starting $pods pods on each again, then kill -9 and restart, $rounds rounds"
start_pods 2
for r in $(seq 1 "$rounds"); do
    for ep in $(order "$r"); do
        if [ "$ep" = crisp ]; then pid=$crisp_pid; else pid=$ctd_pid; fi
        kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
        t0=${EPOCHREALTIME/./}
        launch "$ep"
        wait_ready "$ep" "$pods" >/dev/null
        record "$ep" "restart to ready, $pods pods (kill -9)" $(( ${EPOCHREALTIME/./} - t0 ))
    done
done
teardown 2

# ---- the table ----
median() {  # median EP OP, of the recorded values
    awk -F'\t' -v e="$1" -v o="$2" '$1 == e && $2 == o {print $3}' "$samples" | sort -n \
        | awk '{a[NR] = $1} END {if (NR == 0) print ""; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}
count() { awk -F'\t' -v e="$1" -v o="$2" '$1 == e && $2 == o' "$samples" | wc -l; }
row() {  # row OP LABEL DIVISOR: medians in the unit of the samples divided by DIVISOR
    local d c
    d=$(median containerd "$1"); c=$(median crisp "$1")
    awk -v l="$2" -v d="$d" -v c="$c" -v k="$3" -v n="$(count crisp "$1")/$(count containerd "$1")" 'BEGIN {
        if (d == "" || c == "") { printf "%-44s %10s %10s %8s\n", l, (d == "" ? "-" : sprintf("%.1f", d / k)), (c == "" ? "-" : sprintf("%.1f", c / k)), "-"; exit }
        printf "%-44s %10.1f %10.1f %8s   n=%s\n", l, d / k, c / k, (d > 0 ? sprintf("%.2f", c / d) : "-"), n }'
}
sum_row() {  # sum_row LABEL DIVISOR OP...: sums of medians
    local label=$1 k=$2 ep op; shift 2
    declare -A s=([crisp]=0 [containerd]=0)
    for ep in crisp containerd; do
        for op in "$@"; do s[$ep]=$(awk -v a="${s[$ep]}" -v b="$(median "$ep" "$op")" 'BEGIN {print a + b}'); done
    done
    awk -v l="$label" -v d="${s[containerd]}" -v c="${s[crisp]}" \
-v k="$k" 'BEGIN {printf "%-44s %10.1f %10.1f %8s\n", l, d / k, c / k, (d > 0 ? sprintf("%.2f", c / d) : "-")}'
}
echo
echo "crisp $(git -C "$repo" describe --always --dirty 2>/dev/null) versus $("$containerd_bin" --version | awk '{print $1, $3}') (CRI plugin), same runc, images, registry"
echo "$rounds critest rounds ($bench_n pods, $bench_n containers, $bench_images images, 2 in parallel), $iterations crictl iterations, $pods pods; interleaved"
printf '%-44s %10s %10s %8s\n' "operation (median, ms)" containerd crisp ratio
for op in CreatePod StatusPod StopPod RemovePod CreateContainer StartContainer StatusContainer StopContainer \
          RemoveContainer PullImage StatusImage RemoveImage ListImages; do
    row "critest $op" "critest $op" 1000
done
lifecycle=(CreatePod StopPod RemovePod CreateContainer StartContainer StopContainer RemoveContainer)
sum_row "critest lifecycle sum (7 operations)" 1000 "${lifecycle[@]/#/critest }"
# The same sum's ratio in each round: how far the machine drifted between rounds.
per_round=""
for r in $(seq 1 "$rounds"); do
    per_round="$per_round $(sum_row x 1000 "${lifecycle[@]/#/round $r critest }" | awk '{print $NF}')"
done
printf '%-44s %s\n' "  its ratio in each round" "${per_round# }"
steps=(runp create start "exec -s" inspectp inspect pods ps inspecti images stop rm stopp rmp)
for op in "--version (floor)" "${steps[@]}"; do row "crictl $op" "crictl $op" 1000; done
cycle=(); for op in runp create start stop rm stopp rmp; do cycle+=("crictl $op"); done
sum_row "crictl cycle runp..rmp (7 calls)" 1000 "${cycle[@]}"
row "start $pods pods in sequence" "start $pods pods in sequence" 1000
row "remove $pods pods (crictl rmp -fa)" "remove $pods pods (crictl rmp -fa)" 1000
row "restart to ready, $pods pods (kill -9)" "restart to ready, $pods pods (kill -9)" 1000
printf '%-44s %10s %10s %8s\n' "CPU (median, ms; daemon + what it starts)" containerd crisp ratio
row "cpu:critest round" "per critest round" 1000
row "cpu:critest round JIT" "  of it crisp's JIT compiler threads" 1000
row "cpu:crictl iteration" "per crictl iteration (runp..rmp, 14 calls)" 1000
printf '%-44s %10s %10s %8s\n' "memory (MiB)" containerd crisp ratio
for m in idle "with $pods pods" "after teardown"; do
    row "mem:$m daemon RSS" "daemon RSS, $m" 1024
    row "mem:$m daemon PSS" "daemon PSS, $m" 1024
done
row "mem:with $pods pods monitors PSS" "monitors PSS, with $pods pods" 1024
for ep in containerd crisp; do
    echo "  monitors with $pods pods on $ep: $(awk -F'\t' -v e="$ep" -v o="mem:with $pods pods monitor names" '$1 == e && $2 == o {print $3}' "$samples")"
done
sum_row "daemon + monitors PSS, with $pods pods" 1024 "mem:with $pods pods daemon PSS" "mem:with $pods pods monitors PSS"
[ -e "$work/failed" ] && status=1
[ "$status" = 0 ] || echo "some steps failed (see the log lines above); their samples are missing"
exit "$status"
