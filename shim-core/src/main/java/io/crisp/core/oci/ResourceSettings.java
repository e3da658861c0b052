package io.crisp.core.oci;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * A container's (or pod's) Linux resources (CRI {@code LinuxContainerResources}). As in the CRI, 0 and
 * "" mean "not set".
 *
 * @param cpuPeriod CFS period in microseconds
 * @param cpuQuota CFS quota in microseconds
 * @param cpuShares relative CPU weight (cgroup v1 shares)
 * @param memoryLimitInBytes memory limit
 * @param oomScoreAdj the OOM score adjustment the kubelet asks for (clamped when the spec is built)
 * @param cpusetCpus CPUs allowed, like {@code 0-3,6}
 * @param cpusetMems memory nodes allowed
 * @param hugepageLimits page size (like {@code 2MB}) to limit in bytes
 * @param unified cgroup v2 files to values, passed through on cgroup v2 hosts
 * @param memorySwapLimitInBytes memory plus swap limit
 */
public record ResourceSettings(long cpuPeriod, long cpuQuota, long cpuShares, long memoryLimitInBytes, long oomScoreAdj,
        String cpusetCpus, String cpusetMems, Map<String, Long> hugepageLimits, Map<String, String> unified,
        long memorySwapLimitInBytes) {
    public static final ResourceSettings NONE = new ResourceSettings(0, 0, 0, 0, 0, "", "", Map.of(), Map.of(), 0);

    public ResourceSettings {
        cpusetCpus = cpusetCpus == null ? "" : cpusetCpus;
        cpusetMems = cpusetMems == null ? "" : cpusetMems;
        hugepageLimits = hugepageLimits == null ? Map.of() : Collections.unmodifiableSortedMap(new TreeMap<>(hugepageLimits));
        unified = unified == null ? Map.of() : Collections.unmodifiableSortedMap(new TreeMap<>(unified));
    }
}
