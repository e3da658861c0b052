package io.crisp.core.stats;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * A pod's network counters as its namespace's {@code /proc/net/dev} showed them, loopback left out.
 *
 * @param timestampNanos when they were read, nanoseconds since the epoch
 */
public record NetworkFigures(long timestampNanos, List<Interface> interfaces) {
    /** The interface CRI reports as the default one, as the kubelet and CNI name it. */
    public static final String DEFAULT_INTERFACE = "eth0";

    public NetworkFigures {
        interfaces = List.copyOf(requireNonNull(interfaces, "interfaces is null"));
    }

    /** {@code eth0} when the pod has it. */
    public Optional<Interface> defaultInterface() {
        return interfaces.stream().filter(i -> i.name().equals(DEFAULT_INTERFACE)).findFirst();
    }

    /** Cumulative counters of one interface. */
    public record Interface(String name, long rxBytes, long rxErrors, long txBytes, long txErrors) {
        public Interface {
            requireNonNull(name, "name is null");
        }
    }
}
