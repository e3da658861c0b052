package io.crisp.plugin.kata;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.crisp.spi.BackendException;
import io.crisp.spi.model.ContainerStatsSample;
import io.crisp.spi.model.ContainerStatsSample.MemoryUsage;

/**
 * Turns a shim's {@code Stats} answer into the SPI's sample. The answer is an Any holding
 * containerd's cgroup metrics: {@code io.containerd.cgroups.v1.Metrics} on cgroup v1 (and hybrid)
 * hosts, {@code io.containerd.cgroups.v2.Metrics} on unified ones; for a VM runtime the figures are
 * the guest's. The working set is usage minus inactive file pages, as the kubelet and cAdvisor
 * compute it.
 */
final class ShimStats {
    private static final long UNKNOWN = ContainerStatsSample.UNKNOWN;
    /** cgroup v1 reports "no limit" as the largest page-aligned value, v2 as max uint64. */
    private static final long NO_LIMIT_FLOOR = Long.MAX_VALUE / 2;

    private ShimStats() {}

    static ContainerStatsSample sample(String id, Any stats, long timestampNanos) {
        String type = ShimEvents.typeName(stats.getTypeUrl());
        try {
            if (type.equals(io.crisp.plugin.kata.proto.cgroups.v1.Metrics.getDescriptor().getFullName())) {
                return v1(id, io.crisp.plugin.kata.proto.cgroups.v1.Metrics.parseFrom(stats.getValue()), timestampNanos);
            }
            if (type.equals(io.crisp.plugin.kata.proto.cgroups.v2.Metrics.getDescriptor().getFullName())) {
                return v2(id, io.crisp.plugin.kata.proto.cgroups.v2.Metrics.parseFrom(stats.getValue()), timestampNanos);
            }
        } catch (InvalidProtocolBufferException e) {
            throw new BackendException(BackendException.Kind.INTERNAL,
                    "container " + id + ": unreadable " + type + " from the shim: " + e.getMessage(), e);
        }
        throw new BackendException(BackendException.Kind.INTERNAL,
                "container " + id + ": the shim sent stats of unknown type '" + stats.getTypeUrl() + "'");
    }

    static ContainerStatsSample v1(String id, io.crisp.plugin.kata.proto.cgroups.v1.Metrics m, long timestampNanos) {
        long cpu = m.hasCpu() && m.getCpu().hasUsage() ? m.getCpu().getUsage().getTotal() : UNKNOWN;
        MemoryUsage memory = MemoryUsage.UNKNOWN_ALL;
        if (m.hasMemory()) {
            var mem = m.getMemory();
            long usage = mem.hasUsage() ? mem.getUsage().getUsage() : UNKNOWN;
            long limit = mem.hasUsage() ? mem.getUsage().getLimit() : 0;
            long workingSet = usage < 0 ? UNKNOWN : Math.max(0, usage - mem.getTotalInactiveFile());
            memory = new MemoryUsage(usage, workingSet, mem.getTotalRss(), mem.getTotalPgFault(), mem.getTotalPgMajFault(),
                    available(limit, workingSet));
        }
        long pids = m.hasPids() ? m.getPids().getCurrent() : UNKNOWN;
        return new ContainerStatsSample(id, timestampNanos, cpu, memory, pids);
    }

    static ContainerStatsSample v2(String id, io.crisp.plugin.kata.proto.cgroups.v2.Metrics m, long timestampNanos) {
        long cpu = m.hasCpu() ? m.getCpu().getUsageUsec() * 1000 : UNKNOWN;
        MemoryUsage memory = MemoryUsage.UNKNOWN_ALL;
        if (m.hasMemory()) {
            var mem = m.getMemory();
            long usage = mem.getUsage();
            long workingSet = Math.max(0, usage - mem.getInactiveFile());
            memory = new MemoryUsage(usage, workingSet, mem.getAnon(), mem.getPgfault(), mem.getPgmajfault(),
                    available(mem.getUsageLimit(), workingSet));
        }
        long pids = m.hasPids() ? m.getPids().getCurrent() : UNKNOWN;
        return new ContainerStatsSample(id, timestampNanos, cpu, memory, pids);
    }

    private static long available(long limit, long workingSet) {
        if (limit <= 0 || limit >= NO_LIMIT_FLOOR || limit < 0 || workingSet < 0) {
            return UNKNOWN;
        }
        return Math.max(0, limit - workingSet);
    }
}
