package io.crisp.core.network;

import io.crisp.spi.BackendException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;

/**
 * What the kubelet tells the runtime about the node: the pod CIDR, from {@code UpdateRuntimeConfig}.
 * Held in memory; the kubelet sends it again after every runtime restart.
 */
public final class NodeState {
    private static final Pattern CIDR = Pattern.compile("([0-9a-fA-F.:]+)/(\\d{1,3})");

    private final AtomicReference<String> podCidr = new AtomicReference<>("");

    public String podCidr() {
        return podCidr.get();
    }

    /**
     * Stores the pod CIDR; several ranges (dual stack) come comma-separated. An empty string is
     * ignored, as the kubelet may send one before the node has a CIDR.
     *
     * @throws BackendException INVALID_ARGUMENT naming the field when a range does not parse
     */
    public void updatePodCidr(String cidr) {
        if (cidr.isEmpty()) {
            return;
        }
        for (String part : cidr.split(",")) {
            validate(part.trim());
        }
        podCidr.set(cidr);
    }

    private static void validate(String range) {
        var m = CIDR.matcher(range);
        if (!m.matches()) {
            throw invalid(range);
        }
        String address = m.group(1);
        int prefix = Integer.parseInt(m.group(2));
        boolean v6 = address.contains(":");
        if (!v6 && !address.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
            throw invalid(range);
        }
        if (!v6) {
            for (String octet : address.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    throw invalid(range); // checked here so getByName below never falls back to DNS
                }
            }
        }
        try {
            InetAddress.getByName(address); // literal only: no lookup happens for a numeric address
        } catch (UnknownHostException e) {
            throw invalid(range);
        }
        if (prefix > (v6 ? 128 : 32)) {
            throw invalid(range);
        }
    }

    private static BackendException invalid(String range) {
        return BackendException.invalidArgument("runtime_config.network_config.pod_cidr: \"%s\" is not a CIDR (e.g. 10.244.0.0/24)", range);
    }
}
