package io.crisp.plugin.kit.conmon;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The programs a {@link ConmonBackend} drives.
 *
 * @param runtimePath the OCI-CLI program: runc or a compatible runtime, or a plugin's adapter that
 *     speaks the protocol described in {@link ConmonBackend}
 * @param runtimeRoot the program's own state directory, passed as {@code --root} on every call
 * @param monitorPath conmon, the per-container monitor that holds stdio and writes the CRI log
 * @param systemdCgroup the systemd cgroup driver: {@code --systemd-cgroup} on every runtime call
 *     (a global option, before the command) and on conmon; the cgroupsPath is then
 *     {@code slice:prefix:name}. {@link ConmonBackend} sets it when the daemon's driver is systemd.
 * @param criuPath CRIU, for a program that checkpoints with it as runc does ({@code --criu PATH} on
 *     {@code checkpoint} and {@code restore}); empty: the handler does not checkpoint (no
 *     CHECKPOINT_RESTORE capability), as for an adapter that cannot
 */
public record OciCliConfig(Path runtimePath, Path runtimeRoot, Path monitorPath, boolean systemdCgroup, Optional<Path> criuPath) {
    public OciCliConfig {
        requireNonNull(runtimePath, "runtimePath is null");
        requireNonNull(runtimeRoot, "runtimeRoot is null");
        requireNonNull(monitorPath, "monitorPath is null");
        requireNonNull(criuPath, "criuPath is null");
    }

    /** With the cgroupfs driver and no checkpoints. */
    public OciCliConfig(Path runtimePath, Path runtimeRoot, Path monitorPath) {
        this(runtimePath, runtimeRoot, monitorPath, false, Optional.empty());
    }

    /** This configuration with the systemd cgroup driver on. */
    public OciCliConfig withSystemdCgroup() {
        return new OciCliConfig(runtimePath, runtimeRoot, monitorPath, true, criuPath);
    }

    /** This configuration checkpointing and restoring with the CRIU binary {@code criu}. */
    public OciCliConfig withCriu(Path criu) {
        return new OciCliConfig(runtimePath, runtimeRoot, monitorPath, systemdCgroup, Optional.of(criu));
    }
}
