package io.crisp.core.network.cni;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the pod's addresses out of a CNI result. Understands the 0.3.x, 0.4.0 and 1.x formats
 * ({@code ips} with an optional {@code interface} index into {@code interfaces}) and the old 0.2.0
 * form ({@code ip4}/{@code ip6}). Container-side addresses are those on an interface with a
 * {@code sandbox} or named like the pod interface, or with no interface index at all.
 */
public final class CniResult {
    private CniResult() {}

    public static PodNetworkStatus status(String networkName, String ifName, JsonNode result) {
        List<String> addresses = containerAddresses(result, ifName);
        String primary = addresses.stream().filter(a -> !a.contains(":")).findFirst()
                .orElse(addresses.isEmpty() ? "" : addresses.get(0));
        List<String> others = new ArrayList<>(addresses);
        others.remove(primary);
        return new PodNetworkStatus(networkName, ifName, primary, others);
    }

    /** Container-side addresses without prefix length, in result order, each once. */
    static List<String> containerAddresses(JsonNode result, String ifName) {
        List<String> addresses = new ArrayList<>();
        if (result == null || !result.isObject()) {
            return addresses;
        }
        JsonNode interfaces = result.path("interfaces");
        for (JsonNode ip : result.path("ips")) {
            JsonNode index = ip.get("interface");
            if (index != null && index.canConvertToInt()) {
                JsonNode iface = interfaces.path(index.asInt());
                boolean inSandbox = !iface.path("sandbox").asText("").isEmpty()
                        || ifName.equals(iface.path("name").asText(""));
                if (!iface.isMissingNode() && !inSandbox) {
                    continue;
                }
            }
            add(addresses, ip.path("address").asText(""));
        }
        add(addresses, result.path("ip4").path("ip").asText(""));
        add(addresses, result.path("ip6").path("ip").asText(""));
        return addresses;
    }

    private static void add(List<String> addresses, String cidr) {
        String address = cidr.contains("/") ? cidr.substring(0, cidr.indexOf('/')) : cidr;
        if (!address.isEmpty() && !addresses.contains(address)) {
            addresses.add(address);
        }
    }
}
