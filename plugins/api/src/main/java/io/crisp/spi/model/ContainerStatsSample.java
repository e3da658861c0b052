package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.Experimental;

/**
 * One reading of a container's (or a sandbox's infra process's) resource use, as a backend sees it:
 * for the runc plugin, the container's cgroup; for a VM backend, what the guest reports. Counters
 * are cumulative since the container started; the core derives rates (CPU cores in use) from two
 * samples. A figure the backend cannot know is negative ({@link #UNKNOWN}).
 *
 * @param containerId the container (or sandbox) id
 * @param timestampNanos when the figures were read, in nanoseconds since the epoch
 * @param cpuUsageCoreNanos CPU time used, all cores together, in nanoseconds (CRI {@code usage_core_nano_seconds})
 * @param memory memory figures
 * @param processCount processes (tasks) in the container, {@link #UNKNOWN} if not known
 */
@Experimental(settledBy = "issue 7: stats, events and metrics")
public record ContainerStatsSample(String containerId, long timestampNanos, long cpuUsageCoreNanos, MemoryUsage memory, long processCount) {
    /** A figure the backend cannot report. */
    public static final long UNKNOWN = -1;

    public ContainerStatsSample {
        requireNonNull(containerId, "containerId is null");
        requireNonNull(memory, "memory is null");
    }

    /**
     * Memory figures in bytes, as the kubelet reads them (CRI {@code MemoryUsage}).
     *
     * @param usageBytes all memory charged, page cache included ({@code memory.usage_in_bytes} / {@code memory.current})
     * @param workingSetBytes usage minus inactive file pages: what eviction looks at
     * @param rssBytes anonymous memory and swap cache ({@code total_rss} / {@code anon})
     * @param pageFaults cumulative page faults
     * @param majorPageFaults cumulative major page faults
     * @param availableBytes limit minus working set; {@link #UNKNOWN} without a limit
     */
    public record MemoryUsage(long usageBytes, long workingSetBytes, long rssBytes, long pageFaults, long majorPageFaults,
            long availableBytes) {
        public static final MemoryUsage UNKNOWN_ALL = new MemoryUsage(UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN, UNKNOWN);
    }
}
