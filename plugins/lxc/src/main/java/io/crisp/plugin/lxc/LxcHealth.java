package io.crisp.plugin.lxc;

import io.crisp.spi.BackendHealth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The kernel features an lxc handler needs, checked after the base found conmon, the adapter and the
 * binaries of {@link LxcHooks#requiredBinaries()}.
 */
final class LxcHealth {
    private static final List<String> NAMESPACES = List.of("mnt", "pid", "net", "ipc", "uts");

    private LxcHealth() {}

    static BackendHealth check(LxcHost host) {
        for (String ns : NAMESPACES) {
            if (!Files.exists(Path.of("/proc/self/ns/" + ns))) {
                return BackendHealth.unhealthy("KernelFeatureMissing", "the kernel has no " + ns + " namespaces (/proc/self/ns/"
                        + ns + " is missing)");
            }
        }
        if (host.cgroupV2()) {
            if (!Files.exists(Path.of("/sys/fs/cgroup/cgroup.subtree_control"))) {
                return BackendHealth.unhealthy("CgroupControllerMissing", "cgroup v2 at /sys/fs/cgroup has no cgroup.subtree_control");
            }
        } else {
            for (String controller : List.of("memory", "cpu", "pids")) {
                if (!Files.isDirectory(Path.of("/sys/fs/cgroup", controller))) {
                    return BackendHealth.unhealthy("CgroupControllerMissing", "no cgroup v1 " + controller
                            + " hierarchy at /sys/fs/cgroup/" + controller + " (and no cgroup v2): LXC cannot limit or account "
                            + controller);
                }
            }
        }
        return BackendHealth.healthy();
    }
}
