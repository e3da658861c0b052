#!/usr/bin/env bash
# Runs the Kubernetes CRI validation suite (critest, cri-tools v1.26.1) against crisp.
#
#   packaging/conformance/critest.sh [--handler NAME]... [--endpoint URL] [--registry HOST:PORT]
#                                    [--expect-passed N] [--benchmark] [--report-dir DIR] [-- CRITEST_ARGS...]
#
# Without --endpoint it starts a fresh daemon through the real launcher (build first: mvn -B
# -DskipTests package), with a root, state, socket, CNI bridge and subnet of its own, handlers `runc`
# (default), `shimv2-runc` (the kata plugin driving Debian's containerd-shim-runc-v2) and `lxc` (the lxc
# plugin: LXC containers supervised by conmon), and a
# registries.conf that sends registry.k8s.io, gcr.io, docker.io, k8s.gcr.io and quay.io to the test
# registry. With --endpoint unix:///path it tests that running daemon instead (whose own
# registries.conf must then map those names; see README "Conformance").
#
#   --handler NAME     run the suite once per handler (-runtime-handler NAME); "" or "default" means the
#                      daemon's default handler (no -runtime-handler); default: one run on the default
#   --registry H:P     a registry already holding critest's images; default: start Debian's
#                      docker-registry on a free loopback port and push stand-ins built by the kit
#   --expect-passed N  also fail unless exactly N specs passed on every handler (CI: 79)
#   --benchmark        run critest's benchmark specs instead, print one median per operation
#   --report-dir DIR   keep the JSON reports, the daemon log and benchmark data there
#
# Environment: CRISP_SERVE_ARGS (extra flags of `crisp serve`, e.g. --log-level=debug for the RPC
# timings in the daemon log), CRITEST (default: critest on PATH, else built from the kit into CRITOOLS_CACHE),
# CRITOOLS_CACHE (/var/cache/crisp-ci/critools), CRISP_CONFORMANCE_KIT (the cri-tools kit: its
# build-critools.sh and images/build-images.sh; default ../shared/conformance beside the checkout,
# then /work/shared/conformance). Runs as root; prints the ginkgo summary and one line per spec
# for each handler; removes every pod, mount, bridge, process and file it made. Exit 0 only when no
# spec failed on any handler (and, with --expect-passed, the counts match).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
prog=critest.sh
# shellcheck source=packaging/conformance/lib.sh
. "$here/lib.sh"

handlers=() endpoint="" registry="" expect="" benchmark=false report_dir="" extra=()
while [ $# -gt 0 ]; do
    case $1 in
        --handler) [ $# -ge 2 ] || die "--handler needs a name"; handlers+=("$2"); shift 2 ;;
        --endpoint) [ $# -ge 2 ] || die "--endpoint needs a URL"; endpoint=$2; shift 2 ;;
        --registry) [ $# -ge 2 ] || die "--registry needs host:port"; registry=$2; shift 2 ;;
        --expect-passed) [ $# -ge 2 ] || die "--expect-passed needs a number"; expect=$2; shift 2 ;;
        --benchmark) benchmark=true; shift ;;
        --report-dir) [ $# -ge 2 ] || die "--report-dir needs a directory"; report_dir=$2; shift 2 ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument $1 (see --help)" ;;
    esac
done
[ ${#handlers[@]} -gt 0 ] || handlers=("")
[ "$(id -u)" = 0 ] || die "must run as root (it starts a runtime)"
case $endpoint in ''|unix:///*) ;; *) die "--endpoint must be unix:///PATH, got $endpoint" ;; esac

# ---- critest ----
conf_find_critools
command -v jq >/dev/null || { log "installing jq"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jq >&2; }

work=$(mktemp -d /tmp/crisp-critest.XXXXXX)
report_dir=${report_dir:-$work/reports}
mkdir -p "$report_dir"
report_dir=$(cd "$report_dir" && pwd)
crisp_pid="" registry_pid="" bridge=""

cleanup() {
    set +e
    if [ -n "$crisp_pid" ]; then
        # Pods critest left behind (a failed spec's cleanup) go first, while the daemon can still stop them.
        if [ -n "$crictl" ]; then
            "$crictl" -r "unix://$work/crisp.sock" -i "unix://$work/crisp.sock" -t 60s rmp -fa >/dev/null 2>&1
        fi
        conf_stop "$crisp_pid"
        cp -f "$work/crisp.log" "$report_dir/crisp.log" 2>/dev/null
    fi
    conf_stop "$registry_pid"
    # Whatever still runs from this daemon's directories (monitors, shims, containers).
    conf_kill_under "$work"
    conf_runc_delete_all "$work/state/runc"
    conf_umount_under "$work"
    [ -n "$bridge" ] && ip link del "$bridge" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- registry with critest's images ----
if [ -z "$registry" ] && [ -z "$endpoint" ]; then
    conf_start_registry "$work"
fi

# ---- a fresh daemon ----
if [ -z "$endpoint" ]; then
    home=$(cd "$repo/shim-core/target/crisp" 2>/dev/null && pwd) || die "build first: mvn -B -DskipTests package"
    bridge=cc$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
    net=$(conf_free_subnet 10.198)
    conf_write_cni "$work/net.d/10-critest.conflist" crisp-critest "$bridge" "$net" "$work/ipam"
    conf_write_crisp_config "$work" "$registry" "$home" "$work/net.d"
    conf_launch_crisp "$work"
    endpoint=unix://$work/crisp.sock
fi

# critest's benchmark sizes: 40 pods and 40 containers, 2 at a time, 20 images (see lib.sh);
# -benchmarking-params-file after -- replaces them.
conf_write_benchmark_params "$work/benchmark-params.yaml" 40 2 20

# ---- the suite, once per handler ----
label() { [ -z "$1" ] || [ "$1" = default ] && echo default || echo "$1"; }
status=0
summary=()
for h in "${handlers[@]}"; do
    name=$(label "$h")
    args=(-runtime-endpoint "$endpoint" -image-endpoint "$endpoint" -ginkgo.no-color)
    [ "$name" = default ] || args+=(-runtime-handler "$h")
    if $benchmark; then
        out=$report_dir/benchmark-$name
        mkdir -p "$out"
        params=()
        case " ${extra[*]} " in
            *" -benchmarking-params-file"*) ;;
            *) params=(-benchmarking-params-file "$work/benchmark-params.yaml") ;;
        esac
        log "critest -benchmark on handler $name"
        if "$critest" "${args[@]}" -benchmark -benchmarking-output-dir "$out" "${params[@]}" "${extra[@]}" \
                > "$out/critest.log" 2>&1; then
            summary+=("$name: benchmark specs passed")
        else
            tail -n 40 "$out/critest.log"; status=1; summary+=("$name: benchmark specs FAILED (log above)")
        fi
        grep -E '^Ran [0-9]+ of|Passed \|' "$out/critest.log" || true
        echo "medians on handler $name (ms):"
        for f in "$out"/*_benchmark_data.json; do
            [ -f "$f" ] || continue
            jq -r '. as $r | range(0; $r.operationsNames | length) as $i
                   | [$r.datapoints[].operationsDurationsNs[$i]] | sort as $d
                   | "  \($r.operationsNames[$i])\t\(if ($d|length) == 0 then "-" else ($d[(($d|length) / 2 | floor)] / 1e6 * 10 | round / 10) end)\t(n=\($d|length))"' "$f"
        done
        continue
    fi
    json=$report_dir/critest-$name.json
    log "critest on handler $name"
    rc=0
    "$critest" "${args[@]}" -ginkgo.skip 'public image with digest' -ginkgo.json-report "$json" "${extra[@]}" \
        > "$report_dir/critest-$name.log" 2>&1 || rc=$?
    grep -E '^(Ran [0-9]+ of [0-9]+ Specs|FAIL!|SUCCESS!)' "$report_dir/critest-$name.log" || true
    if [ ! -s "$json" ]; then
        tail -n 40 "$report_dir/critest-$name.log"
        echo "handler $name: critest wrote no report (exit $rc)"; status=1; summary+=("$name: no report"); continue
    fi
    echo "specs on handler $name:"
    jq -r '.[].SpecReports[] | select(.LeafNodeType == "It")
           | "  \(.State)\t\((.ContainerHierarchyTexts // []) + [.LeafNodeText] | join(" "))"' "$json" | sort -k1,1 -s
    jq -r '.[].SpecReports[] | select(.LeafNodeType == "It" and (.State == "failed" or .State == "panicked"
               or .State == "timedout" or .State == "interrupted" or .State == "aborted"))
           | "FAILED [\((.ContainerHierarchyTexts // []) + [.LeafNodeText] | join(" "))]\n  \(.Failure.Message // "" | .[0:2000])\n  at \(.Failure.Location.FileName // ""):\(.Failure.Location.LineNumber // "")"' "$json"
    passed=$(jq '[.[].SpecReports[] | select(.LeafNodeType == "It" and .State == "passed")] | length' "$json")
    failed=$(jq '[.[].SpecReports[] | select(.LeafNodeType == "It" and .State != "passed" and .State != "skipped" and .State != "pending")] | length' "$json")
    line="$name: $passed passed, $failed failed"
    summary+=("$line")
    if [ "$rc" != 0 ] || [ "$failed" != 0 ]; then status=1; fi
    if [ -n "$expect" ] && [ "$passed" != "$expect" ]; then
        echo "handler $name: $passed specs passed, $expect expected"; status=1
    fi
done

echo "critest summary:"
for s in "${summary[@]}"; do echo "  $s"; done
[ "$report_dir" = "$work/reports" ] || echo "reports in $report_dir"
exit $status
