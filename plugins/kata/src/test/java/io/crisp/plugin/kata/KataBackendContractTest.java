package io.crisp.plugin.kata;

import io.crisp.spi.Capability;
import io.crisp.spi.RuntimePlugin;
import io.crisp.spi.testing.BaseBackendContractTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The backend contract suite against a real containerd shim v2: Debian's containerd-shim-runc-v2,
 * which runs each pod's tasks with runc on the host (no VM), over the same ttrpc task API as Kata's
 * shim. Needs root.
 */
final class KataBackendContractTest extends BaseBackendContractTest {
    private static final Path SHIM = Path.of("/usr/bin/containerd-shim-runc-v2");
    /** Where containerd-shim-runc-v2 keeps runc's state for the k8s.io namespace. */
    private static final Path SHIM_RUNC_ROOT = Path.of("/run/containerd/runc", KataBackend.NAMESPACE);

    @Override
    protected RuntimePlugin plugin() {
        return new KataPlugin();
    }

    @Override
    protected Map<String, Object> options(Path dir) {
        return Map.of("shim_path", SHIM.toString());
    }

    @Override
    protected Set<Capability> supportedCapabilities() {
        return EnumSet.of(Capability.POD_LIFECYCLE, Capability.EXEC_SYNC, Capability.EXEC, Capability.ATTACH,
                Capability.UPDATE_RESOURCES, Capability.REOPEN_LOG, Capability.STATS);
    }

    @Override
    protected List<Path> prerequisites() {
        return List.of(SHIM, Path.of("/usr/sbin/runc"));
    }

    /** Shims outlive their backend by design: kill those of this test, then runc's state of their tasks. */
    @Override
    protected void cleanUpLeftovers(Path dir) throws Exception {
        String mine = dir.toString();
        ProcessHandle.allProcesses().filter(p -> commandLine(p.pid()).contains(SHIM.getFileName().toString())
                && commandLine(p.pid()).contains(mine)).forEach(shim -> {
                    shim.descendants().forEach(ProcessHandle::destroyForcibly);
                    shim.destroyForcibly();
                });
        List<String> mounts = Files.readAllLines(Path.of("/proc/mounts")).stream().map(l -> l.split(" ")[1])
                .filter(m -> m.startsWith(mine)).sorted(Comparator.reverseOrder()).toList();
        for (String m : mounts) {
            new ProcessBuilder("umount", "-l", m).inheritIO().start().waitFor();
        }
        if (Files.isDirectory(SHIM_RUNC_ROOT)) {
            try (Stream<Path> states = Files.list(SHIM_RUNC_ROOT)) {
                for (Path state : states.toList()) {
                    Path json = state.resolve("state.json");
                    if (Files.exists(json) && Files.readString(json).contains(mine)) {
                        new ProcessBuilder("runc", "--root", SHIM_RUNC_ROOT.toString(), "delete", "-f",
                                state.getFileName().toString()).inheritIO().start().waitFor();
                    }
                }
            }
        }
    }

    private static String commandLine(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }
}
