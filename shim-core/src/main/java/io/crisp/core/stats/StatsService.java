package io.crisp.core.stats;

import io.crisp.core.container.Container;
import io.crisp.core.container.ContainerFilter;
import io.crisp.core.container.ContainerService;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.core.sandbox.SandboxFilter;
import io.crisp.core.sandbox.SandboxService;
import io.crisp.core.stats.StatsReports.ContainerReport;
import io.crisp.core.stats.StatsReports.PodReport;
import java.util.ArrayList;
import java.util.List;

/**
 * The stats calls: finds the containers and pods asked for and assembles their reports from what
 * the {@link StatsCollector} holds (sampling one the collector has not covered yet). Never a
 * backend call beyond that first sample.
 */
public final class StatsService {
    private final StatsCollector collector;
    private final SandboxService sandboxes;
    private final ContainerService containers;

    public StatsService(StatsCollector collector, SandboxService sandboxes, ContainerService containers) {
        this.collector = collector;
        this.sandboxes = sandboxes;
        this.containers = containers;
    }

    /** One container's report; NOT_FOUND for an unknown id. */
    public ContainerReport container(String idOrPrefix) {
        return collector.containerReport(containers.status(idOrPrefix));
    }

    /** The reports of the containers {@code filter} selects, in list order. */
    public List<ContainerReport> containers(ContainerFilter filter) {
        List<ContainerReport> out = new ArrayList<>();
        for (Container c : containers.list(filter)) {
            out.add(collector.containerReport(c));
        }
        return out;
    }

    /** One pod's report over its running containers; NOT_FOUND for an unknown id. */
    public PodReport pod(String idOrPrefix) {
        return report(sandboxes.status(idOrPrefix));
    }

    /** The reports of the pods {@code filter} selects, in list order. */
    public List<PodReport> pods(SandboxFilter filter) {
        List<PodReport> out = new ArrayList<>();
        for (Sandbox s : sandboxes.listPodSandbox(filter)) {
            out.add(report(s));
        }
        return out;
    }

    private PodReport report(Sandbox s) {
        return collector.podReport(s, containers.store().inSandbox(s.id()));
    }
}
