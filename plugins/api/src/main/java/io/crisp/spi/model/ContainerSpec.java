package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.Experimental;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A container the core prepared inside a sandbox: its OCI bundle, where its CRI-format log goes,
 * and how its stdio is wired.
 *
 * <p>{@code config.json} is final: the handler's spec rules ({@code pod_annotations},
 * {@code container_annotations}, {@code privileged_without_host_devices}, {@code vm_annotations},
 * {@code ignore_image_defined_volumes}) are applied already, and so are CDI devices and image volumes;
 * a backend runs it as it is and never needs to parse it.
 *
 * @param annotations the container's annotations as the CRI request gave them
 * @param cgroupsPath the {@code linux.cgroupsPath} the core wrote into {@code config.json} (SPI 1.2; empty
 *     when built with the 1.1 constructor)
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
        Map<String, String> annotations,
        String cgroupsPath) {
    public ContainerSpec {
        requireNonNull(id, "id is null");
        requireNonNull(sandboxId, "sandboxId is null");
        requireNonNull(name, "name is null");
        requireNonNull(bundleDir, "bundleDir is null");
        requireNonNull(logPath, "logPath is null");
        annotations = Map.copyOf(requireNonNull(annotations, "annotations is null"));
        requireNonNull(cgroupsPath, "cgroupsPath is null");
    }

    /** SPI 1.1: without the cgroups path. */
    public ContainerSpec(String id, String sandboxId, String name, Path bundleDir, Optional<Path> logPath, boolean stdin,
            boolean stdinOnce, boolean tty, Map<String, String> annotations) {
        this(id, sandboxId, name, bundleDir, logPath, stdin, stdinOnce, tty, annotations, "");
    }
}
