package io.crisp.core.stream.session;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A validated CRI {@code PortForwardRequest}: the pod whose network namespace connections go into,
 * and the ports the request named (may be empty: SPDY clients name the port per stream; WebSocket
 * clients name them in the {@code ports} query parameter, else these are used).
 */
public record PortForwardTarget(String sandboxId, List<Integer> ports) implements StreamTarget {
    public PortForwardTarget {
        requireNonNull(sandboxId, "sandboxId is null");
        ports = List.copyOf(ports);
    }

    @Override
    public String kind() {
        return "portforward";
    }
}
