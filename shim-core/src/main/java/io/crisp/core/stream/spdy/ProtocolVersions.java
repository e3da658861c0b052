package io.crisp.core.stream.spdy;

import io.netty.handler.codec.http.HttpHeaders;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code X-Stream-Protocol-Version} values crisp speaks over SPDY, and their negotiation.
 * Clients may send the header several times and each value may be a comma-separated list
 * (apimachinery's {@code httpstream.Handshake} accepts both).
 */
public final class ProtocolVersions {
    public static final String HEADER = "X-Stream-Protocol-Version";
    public static final String ACCEPTED_HEADER = "X-Accepted-Stream-Protocol-Versions";

    public static final String V4 = "v4.channel.k8s.io";
    public static final String V3 = "v3.channel.k8s.io";
    public static final String V2 = "v2.channel.k8s.io";
    public static final String V1 = "channel.k8s.io";
    public static final String PORT_FORWARD = "portforward.k8s.io";

    /** Exec and attach versions, most preferred first. */
    public static final List<String> STDIO = List.of(V4, V3, V2, V1);

    /** Port-forward versions. */
    public static final List<String> FORWARD = List.of(PORT_FORWARD);

    private ProtocolVersions() {
    }

    /** Every version the request offers, in the client's order. */
    public static List<String> offered(HttpHeaders headers) {
        List<String> result = new ArrayList<>();
        for (String value : headers.getAll(HEADER)) {
            for (String part : value.split(",")) {
                String trimmed = part.trim();
                if (!trimmed.isEmpty()) {
                    result.add(trimmed);
                }
            }
        }
        return result;
    }

    /** The first of {@code supported} (the server's preference order) that the client offers. */
    public static Optional<String> negotiate(List<String> offered, List<String> supported) {
        return supported.stream().filter(offered::contains).findFirst();
    }

    /** Whether exec/attach over {@code version} reports the outcome as a {@code metav1.Status} JSON. */
    static boolean statusAsJson(String version) {
        return V4.equals(version);
    }

    /** Whether {@code version} has a resize stream (v3 and later). */
    static boolean resizes(String version) {
        return V4.equals(version) || V3.equals(version);
    }
}
