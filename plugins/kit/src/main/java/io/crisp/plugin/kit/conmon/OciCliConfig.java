package io.crisp.plugin.kit.conmon;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.BackendHealth;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The programs a {@link ConmonBackend} drives.
 *
 * @param runtimePath the OCI-CLI program: runc or a compatible runtime, or a plugin's adapter that
 *     speaks the protocol described in {@link ConmonBackend}
 * @param runtimeRoot the program's own state directory, passed as {@code --root} on every call
 * @param monitorPath conmon, the per-container monitor that holds stdio and writes the CRI log
 */
public record OciCliConfig(Path runtimePath, Path runtimeRoot, Path monitorPath) {
    public OciCliConfig {
        requireNonNull(runtimePath, "runtimePath is null");
        requireNonNull(runtimeRoot, "runtimeRoot is null");
        requireNonNull(monitorPath, "monitorPath is null");
    }

    /** The programs are present and executable, then the plugin's binaries, then its own check. */
    BackendHealth check(ConmonHooks hooks) {
        if (!Files.isExecutable(runtimePath)) {
            return BackendHealth.unhealthy("RuntimeBinaryMissing",
                    "OCI runtime " + runtimePath + " is missing or not executable (set runtime_path)");
        }
        if (!Files.isExecutable(monitorPath)) {
            return BackendHealth.unhealthy("MonitorBinaryMissing",
                    "conmon " + monitorPath + " is missing or not executable (set monitor_path)");
        }
        for (Map.Entry<Path, String> binary : hooks.requiredBinaries().entrySet()) {
            if (!Files.isExecutable(binary.getKey())) {
                return BackendHealth.unhealthy("AdapterBinaryMissing", binary.getValue() + " (" + binary.getKey()
                        + ") is missing or not executable; the runtime " + runtimePath + " needs it");
            }
        }
        return hooks.health();
    }
}
