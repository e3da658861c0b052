# shellcheck shell=bash disable=SC2034,SC2154  # sets variables for its caller, reads `repo` from it
# Pieces of the conformance run that other commands reuse (sourced, not run): critest.sh and
# packaging/bench/versus-containerd.sh, jvm-ab.sh and restart.sh. The caller sets `repo` (the checkout) and `prog` (its name for
# messages), runs as root, and removes what it made with the cleanup helpers at the end.
#
#   conf_find_critools        sets critest and crictl (CRITEST / PATH / built once from the kit)
#   conf_free_port            a free loopback TCP port
#   conf_free_subnet PREFIX   a free /24 under PREFIX (e.g. 10.198): prints "10.198.N"
#   conf_start_registry DIR   Debian's docker-registry on loopback with critest's images pushed:
#                             sets registry (host:port) and registry_pid
#   conf_write_cni FILE NAME BRIDGE NET IPAMDIR       a bridge + host-local + portmap conflist
#   conf_write_crisp_config DIR REGISTRY HOME NETDIR [HANDLER...]
#                             DIR/crisp.toml, registries.conf, auth.json
#   conf_launch_crisp DIR     starts `crisp serve` on DIR/crisp.toml, waits for DIR/crisp.sock:
#                             sets crisp_pid
#   conf_stop PID             TERM, up to 10 s, then KILL
#   conf_kill_under DIR       KILL every process whose command line names DIR (monitors, shims)
#   conf_runc_delete_all ROOT / conf_umount_under DIR
#   conf_write_benchmark_params FILE PODS PARALLEL IMAGES   critest's -benchmarking-params-file
#   conf_remove_pods_settled ENDPOINT   removes every pod until none is left 2 s after a removal
#   conf_benchmark_samples DIR LABEL PREFIX   critest's benchmark data in DIR as sample lines
#   conf_cpu_ms PID           user+sys CPU time of PID so far, in ms
prog=${prog:-$(basename "$0")}
die() { echo "$prog: $*" >&2; exit 2; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

# The cri-tools kit: CRISP_CONFORMANCE_KIT, else ../shared/conformance beside the checkout, else
# /work/shared/conformance. Empty when none is found.
conf_find_kit() {
    kit=${CRISP_CONFORMANCE_KIT:-}
    [ -n "$kit" ] && return 0
    local k
    for k in "$repo/../shared/conformance" /work/shared/conformance; do
        if [ -f "$k/build-critools.sh" ]; then kit=$(cd "$k" && pwd); return 0; fi
    done
}

conf_find_critools() {
    [ -n "${kit+x}" ] || conf_find_kit
    critest=${CRITEST:-$(command -v critest || true)}
    if [ -z "$critest" ]; then
        local cache=${CRITOOLS_CACHE:-/var/cache/crisp-ci/critools}
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
}

conf_free_port() {
    local p
    for p in $(shuf -i 20000-29999 -n 50); do
        if ! ss -Hltn "sport = :$p" | grep -q .; then echo "$p"; return; fi
    done
    die "no free loopback port"
}

conf_free_subnet() {
    local third
    for third in $(shuf -i 0-255); do
        if ! ip -4 route | grep -q "^${1//./\\.}\\.$third\\."; then echo "$1.$third"; return; fi
    done
    die "no free $1.x.0/24 subnet"
}

conf_start_registry() {
    local dir=$1
    [ -n "${kit+x}" ] || conf_find_kit
    [ -n "$kit" ] || die "no registry given and no conformance kit to build the images (CRISP_CONFORMANCE_KIT)"
    if ! command -v docker-registry >/dev/null; then
        log "installing docker-registry"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >&2
    fi
    registry=127.0.0.1:$(conf_free_port)
    mkdir -p "$dir/registry"
    cat > "$dir/registry/config.yml" <<EOF
version: 0.1
storage:
  filesystem:
    rootdirectory: $dir/registry/data
http:
  addr: $registry
log:
  level: warn
EOF
    docker-registry serve "$dir/registry/config.yml" > "$dir/registry/log" 2>&1 &
    registry_pid=$!
    local _
    for _ in $(seq 1 100); do curl -sf "http://$registry/v2/" >/dev/null && break; sleep 0.1; done
    curl -sf "http://$registry/v2/" >/dev/null || die "docker-registry did not answer on $registry: $(cat "$dir/registry/log")"
    log "pushing critest's images to $registry"
    IMAGES_WORK=$dir/images bash "$kit/images/build-images.sh" "$registry" >"$dir/images.log" 2>&1 \
        || die "building critest's images failed: $(tail -n 20 "$dir/images.log")"
}

conf_write_cni() {
    local file=$1 name=$2 bridge=$3 net=$4 ipam=$5
    mkdir -p "$(dirname "$file")"
    cat > "$file" <<EOF
{"cniVersion": "1.0.0", "name": "$name", "plugins": [
  {"type": "bridge", "bridge": "$bridge", "isGateway": true, "ipMasq": true, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$net.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}],
            "dataDir": "$ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
}

# registries.conf sends the registries critest names to REGISTRY; handlers runc (default), and of
# shimv2-runc, nspawn and lxc those named (all three when none is); pause image
# registry.k8s.io/pause:3.6 (from REGISTRY).
conf_write_crisp_config() {
    local dir=$1 registry=$2 home=$3 netdir=$4 r h
    shift 4
    [ $# -gt 0 ] || set -- runc shimv2-runc nspawn lxc
    mkdir -p "$dir/root" "$dir/state"
    for r in registry.k8s.io gcr.io docker.io k8s.gcr.io quay.io; do
        printf '[[registry]]\nprefix = "%s"\nlocation = "%s"\ninsecure = true\n\n' "$r" "$registry"
    done > "$dir/registries.conf"
    echo '{}' > "$dir/auth.json"
    cat > "$dir/crisp.toml" <<EOF
root = "$dir/root"
state = "$dir/state"
[api]
listen = "unix://$dir/crisp.sock"
[runtime]
default_runtime = "runc"
plugins_dir = "$home/plugins"
[image]
registries_conf = "$dir/registries.conf"
auth_file = "$dir/auth.json"
pause_image = "registry.k8s.io/pause:3.6"
[network]
cni_conf_dir = "$netdir"
[runtimes.runc]
plugin = "runc"
runtime_root = "$dir/state/runc"
EOF
    for h in "$@"; do
        case $h in
            runc) ;;
            shimv2-runc) printf '[runtimes.shimv2-runc]\nplugin = "kata"\nshim_path = "%s"\n' \
                "$(command -v containerd-shim-runc-v2 || echo /usr/bin/containerd-shim-runc-v2)" ;;
            nspawn|lxc) printf '[runtimes.%s]\nplugin = "%s"\n' "$h" "$h" ;;
            *) die "no handler $h in the conformance config" ;;
        esac
    done >> "$dir/crisp.toml"
}

conf_launch_crisp() {
    local dir=$1 _
    log "starting crisp (config $dir/crisp.toml, log $dir/crisp.log)"
    # shellcheck disable=SC2086 # CRISP_SERVE_ARGS is a list of flags
    "$repo/packaging/bin/crisp" serve --config "$dir/crisp.toml" --config-dir "$dir/crisp.toml.d" ${CRISP_SERVE_ARGS:-} >> "$dir/crisp.log" 2>&1 &
    crisp_pid=$!
    for _ in $(seq 1 300); do
        [ -S "$dir/crisp.sock" ] && return 0
        kill -0 "$crisp_pid" 2>/dev/null || die "crisp exited: $(tail -n 20 "$dir/crisp.log")"
        sleep 0.1
    done
    die "crisp did not listen within 30 s: $(tail -n 20 "$dir/crisp.log")"
}

conf_stop() {
    local pid=$1 _
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 0
}

conf_kill_under() {
    local pid
    for pid in $(grep -ls -- "$1" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3); do
        [ "$pid" = $$ ] || kill -KILL "$pid" 2>/dev/null
    done
    return 0
}

conf_runc_delete_all() {
    local c
    [ -d "$1" ] || return 0
    for c in $(runc --root "$1" list -q 2>/dev/null); do
        runc --root "$1" delete -f "$c" >/dev/null 2>&1
    done
    return 0
}

conf_umount_under() {
    awk -v w="$1" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null
    return 0
}

# critest's benchmark sizes (all zero without a file). The image benchmark pulls and removes an
# image no other benchmark runs: once, its RemoveImage of busybox met a busybox container an earlier
# benchmark still had (crisp refuses to remove an image a container uses; the container benchmarks
# report 38 of their 40 samples, so their last ones may still be finishing).
conf_write_benchmark_params() {
    cat > "$1" <<EOF
containersNumber: $2
containersNumberParallel: $3
containerBenchmarkTimeoutSeconds: 600
podsNumber: $2
podsNumberParallel: $3
podBenchmarkTimeoutSeconds: 600
imagesNumber: $4
imagesNumberParallel: $3
imageBenchmarkTimeoutSeconds: 600
imagePullingBenchmarkImage: gcr.io/k8s-staging-cri-tools/test-image-1:latest
imageListingBenchmarkImages:
  - registry.k8s.io/e2e-test-images/busybox:1.29-2
  - registry.k8s.io/e2e-test-images/nginx:1.14-2
podContainerStartBenchmarkTimeoutSeconds: 120
EOF
}

# critest leaves the pods of its last parallel samples behind, and a RunPodSandbox it sent before
# exiting may still finish: pods go, untimed, until none is left 2 s after a removal (5 tries).
conf_remove_pods_settled() {
    local ep=$1 _
    for _ in 1 2 3 4 5; do
        "$crictl" -r "$ep" -i "$ep" -t 60s rmp -fa >/dev/null 2>&1 || true
        sleep 2
        [ "$("$crictl" -r "$ep" -i "$ep" -t 60s pods -q 2>/dev/null | wc -l)" = 0 ] && break
    done
    return 0
}

# Every sample of critest's benchmark data files in DIR, one line each:
# LABEL<TAB>PREFIX<operation><TAB>microseconds.
conf_benchmark_samples() {
    local f
    for f in "$1"/*_benchmark_data.json; do
        [ -f "$f" ] || continue
        jq -r --arg l "$2" --arg p "$3" '. as $r | range(0; $r.operationsNames | length) as $i
            | $r.datapoints[].operationsDurationsNs[$i] | "\($l)\t\($p)\($r.operationsNames[$i])\t\(. / 1000 | floor)"' "$f"
    done
}

# User+sys CPU time of PID in ms (fields 14 and 15 of /proc/PID/stat, in clock ticks).
conf_cpu_ms() {
    awk -v hz="$(getconf CLK_TCK)" '{sub(/.*\) /, ""); print int(($12 + $13) * 1000 / hz)}' "/proc/$1/stat"
}
