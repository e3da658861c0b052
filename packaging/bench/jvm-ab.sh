#!/usr/bin/env bash
# crisp against crisp: two or more sets of JVM flags, each on a daemon of its own, through critest's
# benchmark in interleaved rounds (the order rotates and reverses every round, so machine drift
# cancels), for settling a launcher flag over several runs. Build first; run as root.
#
#   packaging/bench/jvm-ab.sh [--rounds R] FLAGS_A FLAGS_B [FLAGS_C ...]
#   packaging/bench/jvm-ab.sh --rounds 6 '' '-XX:MaxInlineLevel=15'
#
# Each FLAGS is added after the launcher's own (CRISP_JAVA_EXTRA_OPTS; '' is the launcher as it is).
# Each daemon has its own root, state, socket, CNI bridge and /24, and pulls critest's images from one
# local registry (packaging/conformance/lib.sh); critest's benchmark is sized as in
# versus-containerd.sh (40 pods, 40 containers, 20 images, 2 in parallel), R rounds (default 4).
# Prints per operation the median of each set over all rounds, the lifecycle sum (and under it the
# same sum in each round: ratios that move between rounds as much as between sets are drift), and
# per round the CPU time (user + sys) of each daemon's JVM, whose first rounds are mostly the JIT
# compiling.
# Environment: as critest.sh: CRITEST, CRICTL, CRITOOLS_CACHE, CRISP_CONFORMANCE_KIT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
prog=jvm-ab.sh
# shellcheck source=packaging/conformance/lib.sh
. "$repo/packaging/conformance/lib.sh"

rounds=4
if [ "${1:-}" = --rounds ]; then
    [ $# -ge 2 ] && [[ $2 =~ ^[1-9][0-9]*$ ]] || die "--rounds takes a positive number"
    rounds=$2; shift 2
fi
[ $# -ge 2 ] || die "give two or more sets of JVM flags ('' for the launcher's own); see the header"
[ $# -le 8 ] || die "at most 8 sets"
[ "$(id -u)" = 0 ] || die "must run as root"
command -v jq >/dev/null || die "no jq on PATH"
home=$(cd "$repo/shim-core/target/crisp" 2>/dev/null && pwd) || die "build crisp first: mvn -B -DskipTests package"
conf_find_critools
flags=("$@")
labels=(A B C D E F G H)
sets=$#

work=$(mktemp -d /tmp/crisp-jvm-ab.XXXXXX)
hex=$(od -An -N2 -tx1 /dev/urandom | tr -d ' \n')
registry_pid=""
declare -A pids urls nets bridges
samples=$work/samples.tsv
: > "$samples"
cc() { local u=${urls[$1]}; shift; "$crictl" -r "$u" -i "$u" -t 60s "$@"; }
cleanup() {
    set +e
    local l
    for l in "${!urls[@]}"; do cc "$l" rmp -fa >/dev/null 2>&1; conf_stop "${pids[$l]:-}"; done
    conf_stop "$registry_pid"
    conf_kill_under "$work/"
    for l in "${!urls[@]}"; do conf_runc_delete_all "$work/$l/state/runc"; done
    conf_umount_under "$work/"
    for l in "${!bridges[@]}"; do
        ip link del "${bridges[$l]}" 2>/dev/null
        iptables -t nat -S | grep -F -- "${nets[$l]}." | sed 's/^-A/-D/' | while read -r rule; do
            # shellcheck disable=SC2086  # a rule is a list of arguments
            iptables -t nat $rule
        done
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

conf_start_registry "$work"
for i in $(seq 0 $((sets - 1))); do
    l=${labels[$i]} C=$work/${labels[$i]}
    bridges[$l]=ab$l$hex nets[$l]=$(conf_free_subnet 10.193)
    while [[ " ${nets[*]} " == *" ${nets[$l]} "*" ${nets[$l]} "* ]]; do nets[$l]=$(conf_free_subnet 10.193); done  # random: not twice
    conf_write_cni "$C/net.d/10-ab.conflist" "crisp-ab-$l" "${bridges[$l]}" "${nets[$l]}" "$C/ipam"
    conf_write_crisp_config "$C" "$registry" "$home" "$C/net.d" runc
    CRISP_JAVA_EXTRA_OPTS=${flags[$i]} conf_launch_crisp "$C"
    pids[$l]=$crisp_pid urls[$l]=unix://$C/crisp.sock
    for image in registry.k8s.io/e2e-test-images/busybox:1.29-2 registry.k8s.io/pause:3.6; do
        cc "$l" pull "$image" >/dev/null || die "$l could not pull $image"
    done
    log "$l: ${flags[$i]:-(none: the launcher as it is)}"
done
conf_write_benchmark_params "$work/params.yaml" 40 2 20

for r in $(seq 1 "$rounds"); do
    order=()
    for i in $(seq 0 $((sets - 1))); do order+=("${labels[$(( (i + r) % sets ))]}"); done
    if [ $((r % 2)) = 0 ]; then mapfile -t order < <(printf '%s\n' "${order[@]}" | tac); fi
    for l in "${order[@]}"; do
        out=$work/critest/$l-$r
        mkdir -p "$out"
        log "round $r/$rounds: $l"
        c0=$(conf_cpu_ms "${pids[$l]}")
        if ! "$critest" -runtime-endpoint "${urls[$l]}" -image-endpoint "${urls[$l]}" -ginkgo.no-color -benchmark \
                -benchmarking-output-dir "$out" -benchmarking-params-file "$work/params.yaml" > "$out/critest.log" 2>&1; then
            tail -n 20 "$out/critest.log" >&2; die "critest failed on $l in round $r"
        fi
        printf '%s\tcpu round %s\t%s\n' "$l" "$r" $(( $(conf_cpu_ms "${pids[$l]}") - c0 )) >> "$samples"
        conf_remove_pods_settled "${urls[$l]}"
        conf_benchmark_samples "$out" "$l" "" >> "$samples"
        conf_benchmark_samples "$out" "$l" "round $r " >> "$samples"
    done
done

median_ms() {
    awk -F'\t' -v l="$1" -v o="$2" '$1 == l && $2 == o {print $3}' "$samples" | sort -n \
        | awk '{a[NR] = $1} END {if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2] / 1000; else print (a[NR / 2] + a[NR / 2 + 1]) / 2000}'
}
used=("${labels[@]:0:$sets}")
echo
echo "crisp $(git -C "$repo" describe --always --dirty 2>/dev/null), $rounds critest rounds per set, interleaved"
for i in $(seq 0 $((sets - 1))); do echo "  ${labels[$i]}: ${flags[$i]:-(none: the launcher as it is)}"; done
printf '%-26s' "median (ms)"; printf ' %9s' "${used[@]}"; for l in "${used[@]:1}"; do printf ' %9s' "$l/A"; done; echo
lifecycle=(CreatePod StopPod RemovePod CreateContainer StartContainer StopContainer RemoveContainer)
# One row: TITLE, each set's figure (FIGURE LABEL ARG) and each set's ratio to A's.
row() {
    local title=$1 figure=$2 arg=$3 l
    declare -A v=()
    printf '%-26s' "$title"
    for l in "${used[@]}"; do v[$l]=$("$figure" "$l" "$arg"); printf ' %9.2f' "${v[$l]}"; done
    for l in "${used[@]:1}"; do awk -v a="${v[A]}" -v b="${v[$l]}" 'BEGIN {printf " %9s", (a > 0 ? sprintf("%.2f", b / a) : "-")}'; done
    echo
}
# The sum of LABEL's medians of the lifecycle operations, their samples named PREFIX and the operation.
lifecycle_sum() {
    local op s=0
    for op in "${lifecycle[@]}"; do s=$(awk -v s="$s" -v v="$(median_ms "$1" "$2$op")" 'BEGIN {print s + v}'); done
    echo "$s"
}
for op in "${lifecycle[@]}" StatusPod StatusContainer PullImage StatusImage RemoveImage ListImages; do
    row "$op" median_ms "$op"
done
row "lifecycle sum (7 ops)" lifecycle_sum ""
# The same sum in each round: when the ratios move between rounds as much as between sets, the
# difference is the machine's drift, not the flags.
for r in $(seq 1 "$rounds"); do
    row "  round $r" lifecycle_sum "round $r "
done
for r in $(seq 1 "$rounds"); do
    printf '%-26s' "JVM CPU, round $r (ms)"
    for l in "${used[@]}"; do
        awk -F'\t' -v l="$l" -v o="cpu round $r" '$1 == l && $2 == o {printf " %9d", $3}' "$samples"
    done
    echo
done
