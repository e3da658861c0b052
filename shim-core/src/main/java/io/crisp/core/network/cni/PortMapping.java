package io.crisp.core.network.cni;

/** One port a pod publishes on the host, as the portmap plugin takes it; hostIp "" means every host address. */
public record PortMapping(String protocol, int containerPort, int hostPort, String hostIp) {
    public PortMapping {
        protocol = protocol == null || protocol.isEmpty() ? "tcp" : protocol;
        hostIp = hostIp == null ? "" : hostIp;
    }
}
