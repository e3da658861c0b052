package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.Experimental;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A container the core prepared inside a sandbox: its OCI bundle, where its CRI-format log goes,
 * and how its stdio is wired.
 */
@Experimental(settledBy = "issue 4: pod and container lifecycle")
public record ContainerSpec(
        String id,
        String sandboxId,
        String name,
        Path bundleDir,
        Optional<Path> logPath,
        boolean stdin,
        boolean stdinOnce,
        boolean tty,
        Map<String, String> annotations) {
    public ContainerSpec {
        requireNonNull(id, "id is null");
        requireNonNull(sandboxId, "sandboxId is null");
        requireNonNull(name, "name is null");
        requireNonNull(bundleDir, "bundleDir is null");
        requireNonNull(logPath, "logPath is null");
        annotations = Map.copyOf(requireNonNull(annotations, "annotations is null"));
    }
}
