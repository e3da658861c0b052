package io.crisp.core.network.cni;

import java.util.List;

/** The pod's address as the network plugins gave it; ip is "" when there is none. Persisted by the core as JSON. */
public record PodNetworkStatus(String networkName, String interfaceName, String ip, List<String> additionalIps) {
    public PodNetworkStatus {
        ip = ip == null ? "" : ip;
        additionalIps = additionalIps == null ? List.of() : List.copyOf(additionalIps);
    }
}
