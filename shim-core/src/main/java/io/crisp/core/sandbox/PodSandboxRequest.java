package io.crisp.core.sandbox;

import static java.util.Objects.requireNonNull;

import io.crisp.core.network.cni.PortMapping;
import io.crisp.core.oci.PodSettings;
import io.crisp.spi.model.PodIdentity;
import java.util.List;
import java.util.Map;

/** A validated {@code RunPodSandbox} request, in core terms. */
public record PodSandboxRequest(PodIdentity pod, String hostname, String logDirectory, Map<String, String> labels,
        Map<String, String> annotations, String runtimeHandler, PodSettings settings, List<PortMapping> portMappings) {
    public PodSandboxRequest {
        requireNonNull(pod, "pod is null");
        requireNonNull(hostname, "hostname is null");
        requireNonNull(logDirectory, "logDirectory is null");
        labels = Map.copyOf(requireNonNull(labels, "labels is null"));
        annotations = Map.copyOf(requireNonNull(annotations, "annotations is null"));
        requireNonNull(runtimeHandler, "runtimeHandler is null");
        requireNonNull(settings, "settings is null");
        portMappings = List.copyOf(requireNonNull(portMappings, "portMappings is null"));
    }
}
