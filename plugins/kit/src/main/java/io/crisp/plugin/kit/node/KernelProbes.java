package io.crisp.plugin.kit.node;

import io.crisp.spi.NodeCheck;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The kernel features a handler needs, read from {@code /proc}, {@code /sys} and {@code /dev} as
 * {@link NodeCheck}s: cgroup mode and controllers, seccomp, namespaces, {@code /dev/kvm}. Only file
 * reads, no process: cheap enough for every CRI Status. {@link #system()} reads this host; tests
 * give a directory laid out like one.
 */
public final class KernelProbes {
    /** Controllers that cgroup v2 builds into the core (device eBPF programs, cgroup.freeze) or merges into cpu. */
    private static final Set<String> V2_BUILT_IN = Set.of("devices", "freezer", "cpuacct");

    private final Path root;

    private KernelProbes(Path root) {
        this.root = root;
    }

    public static KernelProbes system() {
        return new KernelProbes(Path.of("/"));
    }

    /** Reads {@code proc/}, {@code sys/} and {@code dev/} under {@code root} instead of the host's. */
    public static KernelProbes under(Path root) {
        return new KernelProbes(root);
    }

    /** The namespaces of {@code kinds} (mnt, pid, net, ipc, uts, user, cgroup) exist: {@code /proc/self/ns/KIND}. */
    public NodeCheck namespaces(List<String> kinds) {
        List<String> missing = kinds.stream().filter(ns -> !Files.exists(path("proc/self/ns/" + ns), java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList();
        if (!missing.isEmpty()) {
            return NodeCheck.fail("namespaces", "KernelNamespacesMissing", "the kernel lacks namespaces " + missing
                    + " (/proc/self/ns); this handler needs " + kinds, "boot a kernel built with CONFIG_NAMESPACES and "
                    + String.join(", ", missing) + " namespaces (Debian's does)");
        }
        return NodeCheck.ok("namespaces", String.join(" ", kinds));
    }

    /**
     * The cgroup mode (v1, hybrid: v1 controllers plus a controller-less v2 mount, or v2) and that
     * each of {@code controllers} is enabled in it. On v2, devices, freezer and cpuacct are part of
     * the core or of cpu and are not looked for.
     */
    public NodeCheck cgroups(List<String> controllers) {
        String mountinfo;
        try {
            mountinfo = Files.readString(path("proc/self/mountinfo"));
        } catch (IOException e) {
            return NodeCheck.fail("cgroups", "CgroupsNotMounted", "cannot read /proc/self/mountinfo: " + e.getMessage(),
                    "mount /proc");
        }
        Set<String> v1 = new LinkedHashSet<>();
        Path unified = null;
        for (String line : mountinfo.split("\n")) {
            String[] f = line.trim().split(" ");
            int dash = List.of(f).indexOf("-");
            if (dash < 6 || f.length < dash + 4) {
                continue;
            }
            if (f[dash + 1].equals("cgroup2")) {
                if (unified == null || f[4].equals("/sys/fs/cgroup")) {
                    unified = Path.of(f[4]);
                }
            } else if (f[dash + 1].equals("cgroup")) {
                for (String option : f[dash + 3].split(",")) {
                    if (!option.equals("rw") && !option.equals("ro") && !option.contains("=")) {
                        v1.add(option);
                    }
                }
            }
        }
        v1.retainAll(subsystems(v1));
        if (v1.isEmpty() && unified == null) {
            return NodeCheck.fail("cgroups", "CgroupsNotMounted", "no cgroup hierarchy is mounted (/proc/self/mountinfo)",
                    "mount cgroup2 at /sys/fs/cgroup (mount -t cgroup2 none /sys/fs/cgroup), or the v1 controllers");
        }
        List<String> missing = new ArrayList<>();
        String mode;
        if (v1.isEmpty()) {
            mode = "v2 at " + unified;
            Set<String> enabled = v2Controllers(unified);
            controllers.stream().filter(c -> !V2_BUILT_IN.contains(c) && !enabled.contains(c)).forEach(missing::add);
        } else {
            mode = unified == null ? "v1" : "hybrid (v1 controllers, v2 at " + unified + ")";
            controllers.stream().filter(c -> !v1.contains(c)).forEach(missing::add);
        }
        if (!missing.isEmpty()) {
            return NodeCheck.fail("cgroups", "CgroupControllerMissing", "cgroup " + mode + " lacks controllers " + missing
                    + "; this handler needs " + controllers, v1.isEmpty()
                            ? "enable them in the root's cgroup.subtree_control, or boot with them not disabled (cgroup_disable=)"
                            : "mount the v1 hierarchies (mount -t cgroup -o CONTROLLER cgroup /sys/fs/cgroup/CONTROLLER)");
        }
        return NodeCheck.ok("cgroups", mode + "; controllers " + String.join(" ", controllers));
    }

    /** The controllers /proc/cgroups lists as enabled; {@code fallback} when it cannot be read. */
    private Set<String> subsystems(Set<String> fallback) {
        try {
            Set<String> names = new LinkedHashSet<>();
            for (String line : Files.readAllLines(path("proc/cgroups"))) {
                String[] f = line.trim().split("\\s+");
                if (f.length >= 4 && !f[0].startsWith("#") && f[3].equals("1")) {
                    names.add(f[0]);
                }
            }
            return names;
        } catch (IOException e) {
            return Set.copyOf(fallback);
        }
    }

    private Set<String> v2Controllers(Path mountPoint) {
        try {
            return Set.of(Files.readString(path(mountPoint.toString().substring(1) + "/cgroup.controllers")).trim().split("\\s+"));
        } catch (IOException e) {
            return Set.of();
        }
    }

    /** Seccomp filters are available: {@code /proc/sys/kernel/seccomp/actions_avail} lists errno and allow. */
    public NodeCheck seccomp() {
        try {
            List<String> actions = List.of(Files.readString(path("proc/sys/kernel/seccomp/actions_avail")).trim().split("\\s+"));
            if (actions.contains("errno") && actions.contains("allow")) {
                return NodeCheck.ok("seccomp", "filters available (" + String.join(" ", actions) + ")");
            }
            return NodeCheck.fail("seccomp", "SeccompUnavailable", "the kernel's seccomp actions are " + actions
                    + "; profiles need errno and allow", "boot a kernel built with CONFIG_SECCOMP_FILTER");
        } catch (IOException e) {
            return NodeCheck.fail("seccomp", "SeccompUnavailable", "no /proc/sys/kernel/seccomp/actions_avail: the kernel has no seccomp filters",
                    "boot a kernel built with CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER");
        }
    }

    /** {@code /dev/kvm} exists and is readable and writable: VM runtimes (Kata) boot their guests with it. */
    public NodeCheck kvm() {
        Path kvm = path("dev/kvm");
        if (!Files.exists(kvm)) {
            return NodeCheck.fail("/dev/kvm", "KvmUnavailable", "/dev/kvm does not exist: no hardware virtualization for VM pods",
                    "enable VT-x/AMD-V (or nested virtualization) and load kvm_intel or kvm_amd (modprobe kvm_intel)");
        }
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return NodeCheck.fail("/dev/kvm", "KvmUnavailable", "/dev/kvm is not readable and writable by crisp",
                    "run crisp as root, or give its user the kvm group");
        }
        return NodeCheck.ok("/dev/kvm", "present, read-write");
    }

    private Path path(String relative) {
        return root.resolve(relative);
    }
}
