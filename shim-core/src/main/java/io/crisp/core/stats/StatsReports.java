package io.crisp.core.stats;

import static java.util.Objects.requireNonNull;

import io.crisp.core.container.Container;
import io.crisp.core.sandbox.Sandbox;
import java.util.List;
import java.util.Optional;

/** What the stats RPCs answer with, put together from the records and the collector's memory. */
public final class StatsReports {
    private StatsReports() {}

    /** A container and its figures; without a sample yet, {@link ContainerFigures#empty}. */
    public record ContainerReport(Container container, ContainerFigures figures) {
        public ContainerReport {
            requireNonNull(container, "container is null");
            requireNonNull(figures, "figures is null");
        }
    }

    /**
     * A pod: its sum over infra process and containers, its network, and each running container's figures.
     *
     * @param network empty for hostNetwork pods and before the first reading
     */
    public record PodReport(Sandbox sandbox, PodUsage usage, Optional<NetworkFigures> network, List<ContainerReport> containers) {
        public PodReport {
            requireNonNull(sandbox, "sandbox is null");
            requireNonNull(usage, "usage is null");
            requireNonNull(network, "network is null");
            containers = List.copyOf(containers);
        }
    }
}
