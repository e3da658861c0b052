package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.Experimental;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A pod sandbox the core prepared: an OCI bundle ({@code config.json} and {@code rootfs/} under
 * {@code bundleDir}) for the sandbox's infra process, and what the backend needs to place it.
 *
 * @param networkNamespace the pinned network namespace the core created, empty for host network
 * @param annotations the pod's annotations, untouched (CRI: must not be altered)
 */
@Experimental(settledBy = "issue 4: pod and container lifecycle")
public record SandboxSpec(
        String id,
        PodIdentity pod,
        Path bundleDir,
        Optional<Path> networkNamespace,
        Optional<Path> logDirectory,
        Map<String, String> labels,
        Map<String, String> annotations) {
    public SandboxSpec {
        requireNonNull(id, "id is null");
        requireNonNull(pod, "pod is null");
        requireNonNull(bundleDir, "bundleDir is null");
        requireNonNull(networkNamespace, "networkNamespace is null");
        requireNonNull(logDirectory, "logDirectory is null");
        labels = Map.copyOf(requireNonNull(labels, "labels is null"));
        annotations = Map.copyOf(requireNonNull(annotations, "annotations is null"));
    }
}
