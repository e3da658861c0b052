package io.crisp.plugin.kata;

import io.crisp.plugin.kit.node.BinaryProbe;
import io.crisp.plugin.kit.node.KernelProbes;
import io.crisp.spi.NodeCheck;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The node checks of a shim v2 handler: the shim binary (as resolved when the handler was made)
 * with its version ({@code -v}, the containerd shim flag), its configuration file when one is set, and {@code /dev/kvm} when the shim is
 * a Kata VM shim (file name {@code containerd-shim-kata*}); a shim that runs containers on the
 * host, such as containerd-shim-runc-v2, needs no KVM. The backend's health is the first failure.
 */
final class KataChecks {
    private final KataConfig config;
    private final Optional<BinaryProbe> shim;
    private final KernelProbes kernel;

    KataChecks(KataConfig config, Optional<Path> resolvedShim, KernelProbes kernel) {
        this.config = config;
        this.kernel = kernel;
        this.shim = resolvedShim.map(p -> new BinaryProbe("shim", p, "ShimBinaryMissing", fix(), "-v"));
    }

    /** True for a Kata shim, which boots each pod in a VM. */
    static boolean isVmShim(Path shimPath) {
        Path name = shimPath.getFileName();
        return name != null && name.toString().startsWith("containerd-shim-kata");
    }

    private String fix() {
        return "install the shim (for Kata: kata-containers, which puts it in /opt/kata/bin) or set shim_path";
    }

    List<NodeCheck> all() {
        List<NodeCheck> checks = new ArrayList<>();
        if (shim.isEmpty()) {
            checks.add(NodeCheck.fail("shim", "ShimBinaryMissing", "shim " + config.shimPath()
                    + " is missing or not executable (looked on PATH and in /opt/kata/bin)", fix()));
        } else {
            checks.add(shim.get().check());
        }
        config.shimConfigPath().ifPresent(p -> checks.add(Files.isReadable(p) ? NodeCheck.ok("shim config", p.toString())
                : NodeCheck.fail("shim config", "ShimConfigMissing", p + " (shim_config_path) is missing or unreadable",
                        "install the runtime's configuration there, or fix shim_config_path")));
        if (isVmShim(config.shimPath())) {
            checks.add(kernel.kvm());
        }
        return checks;
    }
}
