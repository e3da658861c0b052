package io.crisp.core.network.cni;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** What the runtime knows about the pod when wiring it. podCidr is "" unless UpdateRuntimeConfig gave one. */
public record PodNetworkRequest(String sandboxId, String podName, String podNamespace, String podUid, Path netns,
        List<PortMapping> portMappings, List<String> dnsServers, List<String> dnsSearches, List<String> dnsOptions,
        String podCidr, Map<String, String> podAnnotations) {
    public PodNetworkRequest {
        podName = podName == null ? "" : podName;
        podNamespace = podNamespace == null ? "" : podNamespace;
        podUid = podUid == null ? "" : podUid;
        portMappings = portMappings == null ? List.of() : List.copyOf(portMappings);
        dnsServers = dnsServers == null ? List.of() : List.copyOf(dnsServers);
        dnsSearches = dnsSearches == null ? List.of() : List.copyOf(dnsSearches);
        dnsOptions = dnsOptions == null ? List.of() : List.copyOf(dnsOptions);
        podCidr = podCidr == null ? "" : podCidr;
        podAnnotations = podAnnotations == null ? Map.of() : Map.copyOf(podAnnotations);
    }
}
