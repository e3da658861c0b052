package io.crisp.plugin.kit.conmon;

import io.crisp.plugin.kit.node.BinaryProbe;
import io.crisp.plugin.kit.node.KernelProbes;
import io.crisp.spi.NodeCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The node checks of a {@link ConmonBackend}, in order: the OCI-CLI program and conmon with their
 * versions, the plugin's {@link ConmonHooks#requiredBinaries()}, the kernel (namespaces, cgroup
 * controllers, seccomp) and then the plugin's own {@link ConmonHooks#nodeChecks()}. The backend's
 * health is the first failure of this list, so doctor and Status never disagree.
 */
final class ConmonChecks {
    private final OciCliConfig config;
    private final ConmonHooks hooks;
    private final KernelProbes kernel;
    private final BinaryProbe runtime;
    private final BinaryProbe monitor;

    ConmonChecks(OciCliConfig config, ConmonHooks hooks, KernelProbes kernel) {
        this.config = config;
        this.hooks = hooks;
        this.kernel = kernel;
        // Probed once, off the start path: the daemon should not wait for the binaries to start serving.
        this.runtime = hooks.runtimeProbe(config.runtimePath());
        this.monitor = new BinaryProbe("conmon", config.monitorPath(), "MonitorBinaryMissing",
                "install it (apt-get install conmon) or set monitor_path", "--version");
    }

    String runtimeVersion() {
        return runtime.version();
    }

    String monitorVersion() {
        return monitor.version();
    }

    List<NodeCheck> all() {
        List<NodeCheck> checks = new ArrayList<>();
        checks.add(runtime.check());
        checks.add(monitor.check());
        for (Map.Entry<Path, String> binary : hooks.requiredBinaries().entrySet()) {
            Path path = binary.getKey();
            String name = path.getFileName() == null ? path.toString() : path.getFileName().toString();
            if (Files.isExecutable(path)) {
                checks.add(NodeCheck.ok(name, path.toString()));
            } else {
                checks.add(NodeCheck.fail(name, "AdapterBinaryMissing", binary.getValue() + " (" + path
                        + ") is missing or not executable; the runtime " + config.runtimePath() + " needs it", "install " + binary.getValue()));
            }
        }
        checks.add(kernel.namespaces(hooks.namespaces()));
        checks.add(kernel.cgroups(hooks.cgroupControllers()));
        checks.add(kernel.seccomp());
        checks.addAll(hooks.nodeChecks());
        return checks;
    }
}
