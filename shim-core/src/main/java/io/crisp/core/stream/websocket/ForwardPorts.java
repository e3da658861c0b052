package io.crisp.core.stream.websocket;

import io.crisp.core.stream.session.PortForwardTarget;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.ArrayList;
import java.util.List;

/**
 * The ports of a port-forward over WebSocket, from the request's query: the kubelet reads the
 * {@code port} parameter (repeated, or comma-separated values); crisp also reads {@code ports}.
 * Without either, the ports of the CRI {@code PortForwardRequest} are used. At most 127 ports fit
 * (two channels each, numbers below the reserved 255).
 */
final class ForwardPorts {
    static final int MAX_PORTS = 127;

    private ForwardPorts() {
    }

    /** The ports in request order (duplicates kept: each gets its own channels). */
    static List<Integer> of(String uri, PortForwardTarget target) {
        QueryStringDecoder query = new QueryStringDecoder(uri);
        List<String> values = new ArrayList<>();
        for (String name : List.of("port", "ports")) {
            values.addAll(query.parameters().getOrDefault(name, List.of()));
        }
        List<Integer> ports = new ArrayList<>();
        for (String value : values) {
            if (value.isEmpty()) {
                throw new IllegalArgumentException("query parameter \"port\" cannot be empty");
            }
            for (String part : value.split(",")) {
                ports.add(parse(part.trim()));
            }
        }
        if (ports.isEmpty()) {
            ports.addAll(target.ports());
        }
        if (ports.isEmpty()) {
            throw new IllegalArgumentException("query parameter \"port\" (or \"ports\") is required");
        }
        if (ports.size() > MAX_PORTS) {
            throw new IllegalArgumentException("at most " + MAX_PORTS + " ports can be forwarded over one WebSocket");
        }
        return ports;
    }

    private static int parse(String text) {
        int port;
        try {
            port = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("unable to parse \"" + text + "\" as a port");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port + " must be between 1 and 65535");
        }
        return port;
    }
}
