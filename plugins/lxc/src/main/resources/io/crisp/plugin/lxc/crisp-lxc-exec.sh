# shellcheck shell=bash
# Part of crisp-lxc-oci, the lxc plugin's adapter: its exec command, sourced by it (uses its
# helpers: fail, need_root, load, status, init_pid).

cmd_exec() {
    local tty=false pidfile=""
    while [ $# -gt 0 ]; do
        case $1 in
            --tty|-t) tty=true; shift ;;
            --pid-file) pidfile=$2; shift 2 ;;
            --pid-file=*) pidfile=${1#*=}; shift ;;
            --detach|-d|--process|--process=*|--cwd|--cwd=*|--console-socket|--console-socket=*)
                fail "exec: $1 is not supported by the LXC adapter" ;;
            -*) fail "exec: unknown option $1" ;;
            *) break ;;
        esac
    done
    need_root
    load "${1:-}"
    shift
    [ $# -gt 0 ] || fail "exec: no command for container $id"
    [ "$(status)" = running ] || fail "container $id is not running"
    local vars=() e
    mapfile -d '' envs <"$bundle/lxc.env"
    for e in "${envs[@]}"; do vars+=(-v "$e"); done
    if [ -n "$EXEC_GROUPS" ] && [ ! -s "$bundle/lxc.seccomp" ] && ! $tty; then
        exec_with_groups "$pidfile" "${envs[@]}" -- "$@"
    fi
    local attach=(lxc-attach -P "$root" -n "$id" --clear-env "${vars[@]}" -u "$EXEC_UID" -g "$EXEC_GID" -- "$@")
    if [ -z "$pidfile" ]; then
        from_cwd "$EXEC_CWD" "${attach[@]}"
    fi
    # The pid file names the command itself, not lxc-attach: whoever kills it leaves lxc-attach to
    # reap it (killed first, lxc-attach would leave an orphan to the host's init, which on some hosts
    # never reaps it). lxc-attach forks a helper that enters the container and clones the command as
    # lxc-attach's child: the command is the child that no longer runs lxc-attach's program.
    from_cwd "$EXEC_CWD" "${attach[@]}" 0<&0 &
    local pid=$! command="" c i exe
    for ((i = 0; i < 1000; i++)); do
        # lxc-attach re-executes itself from a memfd: its exe reads "/memfd:lxc-attach (deleted)".
        if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == *lxc-attach* ]]; then
            for c in $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
                # The helper's exe reads empty (it is inside the container's namespaces, not yet its own).
                exe=$(readlink "/proc/$c/exe" 2>/dev/null || true)
                if [ -n "$exe" ] && [[ $exe != *lxc-attach* ]]; then
                    command=$c
                    break
                fi
            done
        fi
        [ -n "$command" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.005
    done
    printf '%s' "${command:-$pid}" >"$pidfile"
    wait "$pid"
}

# exec_with_groups PIDFILE ENV... -- COMMAND...: lxc-attach drops supplementary groups and has no
# option to set them, so a process with groups enters the container as lxc-attach would, without
# it: it joins the container's cgroups, its namespaces and root, goes to its working directory,
# forks (the PID namespace holds the child), and the child drops the bounding capabilities the
# container lacks, takes groups, gid and uid, no_new_privs if set, the environment, and execs.
# Only for a container without a seccomp profile (lxc-attach is what loads LXC's policy) and without
# a tty (lxc-attach gives the command a terminal of the container's own devpts).
exec_with_groups() {
    local pidfile=$1 init h f procs=() envs=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    init=$(init_pid)
    [ -n "$init" ] || fail "container $id is not running"
    for h in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
        f=$h$CGROUP/cgroup.procs
        [ -f "$f" ] && procs+=("$f")
    done
    local setns=308
    [ "$(uname -m)" = aarch64 ] && setns=268
    CRISP_INIT=$init CRISP_CWD=$EXEC_CWD CRISP_UID=$EXEC_UID CRISP_GID=$EXEC_GID CRISP_GROUPS=$EXEC_GROUPS \
        CRISP_CAPS=$EXEC_CAPS CRISP_NNP=$EXEC_NNP CRISP_PIDFILE=$pidfile CRISP_SETNS=$setns \
        exec perl "$HERE/crisp-lxc-enter.pl" "${#procs[@]}" "${procs[@]}" "${#envs[@]}" "${envs[@]}" "$@"
}

# from_cwd DIR COMMAND...: execs COMMAND (lxc-attach) in DIR. lxc-attach starts the attached command
# in its caller's working directory, by path, when the container has it. A host without DIR gets it
# only in a private mount namespace: its root a tmpfs holding the host's top-level entries (bound),
# DIR made in a tmpfs of its own below the deepest directory the host has, never on the host's
# disks. Where that directory is one lxc-attach itself needs (its libraries, /etc, /proc, /sys, /dev,
# the LXC path), the command starts in / instead.
from_cwd() {
    local cwd=$1
    shift
    if [ -d "$cwd" ] || [ "$cwd" = / ]; then
        cd "$cwd" && exec "$@"
    fi
    mkdir -p "$dir/view" || fail "container $id: cannot create $dir/view"
    exec unshare --mount --propagation private -- /bin/bash -c '
        set -e
        view=$1 cwd=$2 keep=$3
        shift 3
        mount -t tmpfs -o mode=755 crisp-lxc-exec "$view"
        for e in /* /.[!.]*; do
            n=${e#/}
            if [ -L "$e" ]; then
                cp -P "$e" "$view/$n"
            elif [ -d "$e" ]; then
                mkdir "$view/$n" && mount --rbind "$e" "$view/$n"
            elif [ -e "$e" ]; then
                : >"$view/$n" && mount --bind "$e" "$view/$n"
            fi
        done
        anc=${cwd%/*}
        while [ -n "$anc" ] && [ ! -d "$view$anc" ]; do anc=${anc%/*}; done
        anc=${anc:-/}
        if [ "$anc" = / ]; then
            mkdir -p "$view$cwd"
        elif [[ $keep/ == "$anc"/* ]]; then
            cwd=/
        else
            case $anc in
                /usr|/usr/lib*|/usr/bin|/usr/sbin|/usr/libexec|/etc|/proc|/proc/*|/sys|/sys/*|/dev|/dev/*) cwd=/ ;;
                *) mount -t tmpfs -o mode=755 crisp-lxc-cwd "$view$anc" && mkdir -p "$view$cwd" ;;
            esac
        fi
        exec chroot "$view" /bin/bash -c "cd \"\$1\" && shift && exec \"\$@\"" from-cwd "$cwd" "$@"
    ' from-cwd "$dir/view" "$cwd" "$root" "$@"
}
