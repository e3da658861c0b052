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
launcher="$repo/packaging/bin/crisp"
die() { echo "critest.sh: $*" >&2; exit 2; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

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

kit=${CRISP_CONFORMANCE_KIT:-}
if [ -z "$kit" ]; then
    for k in "$repo/../shared/conformance" /work/shared/conformance; do
        if [ -f "$k/build-critools.sh" ]; then kit=$(cd "$k" && pwd); break; fi
    done
fi

# ---- critest ----
critest=${CRITEST:-$(command -v critest || true)}
if [ -z "$critest" ]; then
    cache=${CRITOOLS_CACHE:-/var/cache/crisp-ci/critools}
    [ -n "$kit" ] || die "no critest: put it on PATH, set CRITEST, or set CRISP_CONFORMANCE_KIT to the cri-tools kit"
    if [ ! -x "$cache/critest" ] || [ ! -x "$cache/crictl" ]; then
        log "building critest and crictl into $cache (once, about 80 s)"
        bash "$kit/build-critools.sh" "$cache" >&2
    fi
    critest=$cache/critest
fi
[ -x "$critest" ] || die "critest at $critest is not executable"
crictl=${CRICTL:-$(dirname "$critest")/crictl}
[ -x "$crictl" ] || crictl=$(command -v crictl || true)
command -v jq >/dev/null || { log "installing jq"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends jq >&2; }

work=$(mktemp -d /tmp/crisp-critest.XXXXXX)
report_dir=${report_dir:-$work/reports}
mkdir -p "$report_dir"
report_dir=$(cd "$report_dir" && pwd)
daemon_pid="" registry_pid="" bridge=""

cleanup() {
    set +e
    if [ -n "$daemon_pid" ]; then
        # Pods critest left behind (a failed spec's cleanup) go first, while the daemon can still stop them.
        if [ -n "$crictl" ]; then
            "$crictl" -r "unix://$work/crisp.sock" -i "unix://$work/crisp.sock" -t 60s rmp -fa >/dev/null 2>&1
        fi
        kill -TERM "$daemon_pid" 2>/dev/null
        for _ in $(seq 1 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$daemon_pid" 2>/dev/null
        cp -f "$work/crisp.log" "$report_dir/crisp.log" 2>/dev/null
    fi
    if [ -n "$registry_pid" ]; then
        kill -TERM "$registry_pid" 2>/dev/null
        wait "$registry_pid" 2>/dev/null
    fi
    # Whatever still runs from this daemon's directories (monitors, shims, containers).
    for pid in $(grep -ls -- "$work" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
        [ "$pid" = $$ ] || kill -KILL "$pid" 2>/dev/null
    done
    [ -d "$work/state/runc" ] && for c in $(runc --root "$work/state/runc" list -q 2>/dev/null); do
        runc --root "$work/state/runc" delete -f "$c" >/dev/null 2>&1
    done
    awk -v w="$work" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null
    [ -n "$bridge" ] && ip link del "$bridge" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
    local p
    for p in $(shuf -i 20000-29999 -n 50); do
        if ! ss -Hltn "sport = :$p" | grep -q .; then echo "$p"; return; fi
    done
    die "no free loopback port"
}

# ---- registry with critest's images ----
if [ -z "$registry" ] && [ -z "$endpoint" ]; then
    [ -n "$kit" ] || die "no --registry given and no conformance kit to build the images (CRISP_CONFORMANCE_KIT)"
    if ! command -v docker-registry >/dev/null; then
        log "installing docker-registry"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >&2
    fi
    port=$(free_port)
    registry=127.0.0.1:$port
    mkdir -p "$work/registry"
    cat > "$work/registry/config.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: $work/registry/data
http:
  addr: $registry
log:
  level: warn
EOF
    docker-registry serve "$work/registry/config.yml" > "$work/registry/log" 2>&1 &
    registry_pid=$!
    for _ in $(seq 1 100); do curl -sf "http://$registry/v2/" >/dev/null && break; sleep 0.1; done
    curl -sf "http://$registry/v2/" >/dev/null || die "docker-registry did not answer on $registry: $(cat "$work/registry/log")"
    log "pushing critest's images to $registry"
    IMAGES_WORK=$work/images bash "$kit/images/build-images.sh" "$registry" >"$work/images.log" 2>&1 \
        || die "building critest's images failed: $(tail -n 20 "$work/images.log")"
fi

# ---- a fresh daemon ----
if [ -z "$endpoint" ]; then
    home=$(cd "$repo/shim-core/target/crisp" 2>/dev/null && pwd) || die "build first: mvn -B -DskipTests package"
    bridge=cc$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
    net=""
    for third in $(shuf -i 0-255); do
        if ! ip -4 route | grep -q "^10\\.198\\.$third\\."; then net="10.198.$third"; break; fi
    done
    [ -n "$net" ] || die "no free 10.198.x.0/24 subnet"
    mkdir -p "$work/net.d" "$work/root" "$work/state"
    cat > "$work/net.d/10-critest.conflist" <<EOF
{"cniVersion": "1.0.0", "name": "crisp-critest", "plugins": [
  {"type": "bridge", "bridge": "$bridge", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$net.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}],
            "dataDir": "$work/ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
    {
        for r in registry.k8s.io gcr.io docker.io k8s.gcr.io quay.io; do
            printf '[[registry]]\nprefix = "%s"\nlocation = "%s"\ninsecure = true\n\n' "$r" "$registry"
        done
    } > "$work/registries.conf"
    echo '{}' > "$work/auth.json"
    cat > "$work/crisp.toml" <<EOF
root = "$work/root"
state = "$work/state"
[api]
listen = "unix://$work/crisp.sock"
[runtime]
default_runtime = "runc"
plugins_dir = "$home/plugins"
[image]
registries_conf = "$work/registries.conf"
auth_file = "$work/auth.json"
pause_image = "registry.k8s.io/pause:3.6"
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
    log "starting crisp (config $work/crisp.toml, log $work/crisp.log)"
    "$launcher" serve --config "$work/crisp.toml" --config-dir "$work/crisp.toml.d" ${CRISP_SERVE_ARGS:-} > "$work/crisp.log" 2>&1 &
    daemon_pid=$!
    endpoint=unix://$work/crisp.sock
    for _ in $(seq 1 300); do
        [ -S "$work/crisp.sock" ] && break
        kill -0 "$daemon_pid" 2>/dev/null || die "crisp exited: $(tail -n 20 "$work/crisp.log")"
        sleep 0.1
    done
    [ -S "$work/crisp.sock" ] || die "crisp did not listen within 30 s: $(tail -n 20 "$work/crisp.log")"
fi

# critest's benchmark sizes (all zero without a file): 40 pods and 40 containers, 2 at a time;
# -benchmarking-params-file after -- replaces them. The image benchmark pulls and removes an image no
# other benchmark runs: once, its RemoveImage of busybox met a busybox container an earlier benchmark
# still had (crisp refuses to remove an image a container uses; the container benchmarks report 38
# of their 40 samples, so their last ones may still be finishing).
cat > "$work/benchmark-params.yaml" <<EOF
containersNumber: 40
containersNumberParallel: 2
containerBenchmarkTimeoutSeconds: 600
podsNumber: 40
podsNumberParallel: 2
podBenchmarkTimeoutSeconds: 600
imagesNumber: 20
imagesNumberParallel: 2
imageBenchmarkTimeoutSeconds: 600
imagePullingBenchmarkImage: gcr.io/k8s-staging-cri-tools/test-image-1:latest
imageListingBenchmarkImages:
  - registry.k8s.io/e2e-test-images/busybox:1.29-2
  - registry.k8s.io/e2e-test-images/nginx:1.14-2
podContainerStartBenchmarkTimeoutSeconds: 120
EOF

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
