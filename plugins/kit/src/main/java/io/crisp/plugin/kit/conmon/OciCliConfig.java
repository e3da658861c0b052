package io.crisp.plugin.kit.conmon;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

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
}
