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
 * @param cgroupsPath the {@code linux.cgroupsPath} the core wrote into {@code config.json} (SPI 1.2; empty
 *     when built with the 1.1 constructor)
 * @param infra true: {@code bundleDir} holds the infra process's bundle, which the backend runs; false (SPI 1.5,
 *     only to a backend with {@link io.crisp.spi.Capability#PODS_WITHOUT_INFRA}): the pod has no infra
 *     process and no bundle; its namespaces are files the core pinned, named in each container's spec
 */
@Experimental(settledBy = "issue 4: pod and container lifecycle")
public record SandboxSpec(
        String id,
        PodIdentity pod,
        Path bundleDir,
        Optional<Path> networkNamespace,
        Optional<Path> logDirectory,
        Map<String, String> labels,
        Map<String, String> annotations,
        String cgroupsPath,
        boolean infra) {
    public SandboxSpec {
        requireNonNull(id, "id is null");
        requireNonNull(pod, "pod is null");
        requireNonNull(bundleDir, "bundleDir is null");
        requireNonNull(networkNamespace, "networkNamespace is null");
        requireNonNull(logDirectory, "logDirectory is null");
        labels = Map.copyOf(requireNonNull(labels, "labels is null"));
        annotations = Map.copyOf(requireNonNull(annotations, "annotations is null"));
        requireNonNull(cgroupsPath, "cgroupsPath is null");
    }

    /** SPI 1.2: a pod with an infra process. */
    public SandboxSpec(String id, PodIdentity pod, Path bundleDir, Optional<Path> networkNamespace, Optional<Path> logDirectory,
            Map<String, String> labels, Map<String, String> annotations, String cgroupsPath) {
        this(id, pod, bundleDir, networkNamespace, logDirectory, labels, annotations, cgroupsPath, true);
    }

    /** SPI 1.1: without the cgroups path. */
    public SandboxSpec(String id, PodIdentity pod, Path bundleDir, Optional<Path> networkNamespace, Optional<Path> logDirectory,
            Map<String, String> labels, Map<String, String> annotations) {
        this(id, pod, bundleDir, networkNamespace, logDirectory, labels, annotations, "");
    }
}
