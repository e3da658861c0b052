package io.crisp.core.stats;

import io.crisp.spi.model.ContainerStatsSample;
import java.util.ArrayList;
import java.util.List;

/**
 * A pod's CPU, memory and process figures: the sum over its infra process and its containers. A
 * figure is the sum of those that know it, and {@link ContainerFigures#UNKNOWN} when none does.
 *
 * @param timestampNanos the newest sample's time; 0 when there is none
 */
public record PodUsage(long timestampNanos, long cpuUsageCoreNanos, long nanoCores, long usageBytes, long workingSetBytes,
        long rssBytes, long pageFaults, long majorPageFaults, long processCount) {
    private static final long UNKNOWN = ContainerFigures.UNKNOWN;

    /** @param parts the infra process's figures and the containers', any of them without samples */
    public static PodUsage sumOf(List<ContainerFigures> parts) {
        List<ContainerStatsSample> samples = new ArrayList<>();
        long timestamp = 0;
        long nanoCores = UNKNOWN;
        for (ContainerFigures f : parts) {
            if (f.latest() == null) {
                continue;
            }
            samples.add(f.latest());
            timestamp = Math.max(timestamp, f.latest().timestampNanos());
            nanoCores = add(nanoCores, f.nanoCores());
        }
        long cpu = UNKNOWN;
        long usage = UNKNOWN;
        long workingSet = UNKNOWN;
        long rss = UNKNOWN;
        long faults = UNKNOWN;
        long majorFaults = UNKNOWN;
        long processes = UNKNOWN;
        for (ContainerStatsSample s : samples) {
            cpu = add(cpu, s.cpuUsageCoreNanos());
            usage = add(usage, s.memory().usageBytes());
            workingSet = add(workingSet, s.memory().workingSetBytes());
            rss = add(rss, s.memory().rssBytes());
            faults = add(faults, s.memory().pageFaults());
            majorFaults = add(majorFaults, s.memory().majorPageFaults());
            processes = add(processes, s.processCount());
        }
        return new PodUsage(timestamp, cpu, nanoCores, usage, workingSet, rss, faults, majorFaults, processes);
    }

    private static long add(long sum, long figure) {
        if (figure < 0) {
            return sum;
        }
        return sum < 0 ? figure : sum + figure;
    }
}
