package io.crisp.plugin.kata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Any;
import io.crisp.plugin.kata.proto.cgroups.v1.CPUStat;
import io.crisp.plugin.kata.proto.cgroups.v1.CPUUsage;
import io.crisp.plugin.kata.proto.cgroups.v1.MemoryEntry;
import io.crisp.plugin.kata.proto.cgroups.v1.MemoryStat;
import io.crisp.plugin.kata.proto.cgroups.v1.PidsStat;
import io.crisp.spi.BackendException;
import io.crisp.spi.model.ContainerStatsSample;
import org.junit.jupiter.api.Test;

class ShimStatsTest {
    @Test
    void mapsCgroupV1Metrics() {
        var metrics = io.crisp.plugin.kata.proto.cgroups.v1.Metrics.newBuilder()
                .setCpu(CPUStat.newBuilder().setUsage(CPUUsage.newBuilder().setTotal(5_000_000_000L)))
                .setMemory(MemoryStat.newBuilder().setTotalInactiveFile(10 << 20).setTotalRss(30 << 20).setTotalPgFault(100)
                        .setTotalPgMajFault(2).setUsage(MemoryEntry.newBuilder().setUsage(50 << 20).setLimit(200 << 20)))
                .setPids(PidsStat.newBuilder().setCurrent(3))
                .build();
        ContainerStatsSample s = ShimStats.sample("c1", any(metrics), 7);
        assertEquals(5_000_000_000L, s.cpuUsageCoreNanos());
        assertEquals(50 << 20, s.memory().usageBytes());
        assertEquals(40 << 20, s.memory().workingSetBytes());
        assertEquals(30 << 20, s.memory().rssBytes());
        assertEquals(100, s.memory().pageFaults());
        assertEquals(2, s.memory().majorPageFaults());
        assertEquals(160 << 20, s.memory().availableBytes());
        assertEquals(3, s.processCount());
        assertEquals(7, s.timestampNanos());
    }

    @Test
    void v1WithoutALimitHasNoAvailableFigure() {
        var metrics = io.crisp.plugin.kata.proto.cgroups.v1.Metrics.newBuilder()
                .setMemory(MemoryStat.newBuilder().setUsage(MemoryEntry.newBuilder().setUsage(1 << 20).setLimit(9223372036854771712L)))
                .build();
        ContainerStatsSample s = ShimStats.sample("c1", any(metrics), 0);
        assertEquals(ContainerStatsSample.UNKNOWN, s.memory().availableBytes());
        assertEquals(ContainerStatsSample.UNKNOWN, s.cpuUsageCoreNanos());
        assertEquals(ContainerStatsSample.UNKNOWN, s.processCount());
    }

    @Test
    void mapsCgroupV2Metrics() {
        var metrics = io.crisp.plugin.kata.proto.cgroups.v2.Metrics.newBuilder()
                .setCpu(io.crisp.plugin.kata.proto.cgroups.v2.CPUStat.newBuilder().setUsageUsec(1_500_000))
                .setMemory(io.crisp.plugin.kata.proto.cgroups.v2.MemoryStat.newBuilder().setUsage(64 << 20).setInactiveFile(4 << 20)
                        .setAnon(20 << 20).setPgfault(9).setPgmajfault(1).setUsageLimit(-1L))
                .setPids(io.crisp.plugin.kata.proto.cgroups.v2.PidsStat.newBuilder().setCurrent(2))
                .build();
        ContainerStatsSample s = ShimStats.sample("c1", any(metrics), 0);
        assertEquals(1_500_000_000L, s.cpuUsageCoreNanos());
        assertEquals(60 << 20, s.memory().workingSetBytes());
        assertEquals(20 << 20, s.memory().rssBytes());
        assertEquals(ContainerStatsSample.UNKNOWN, s.memory().availableBytes(), "max uint64 means no limit");
        assertEquals(2, s.processCount());
    }

    @Test
    void refusesStatsOfAnUnknownType() {
        BackendException e = assertThrows(BackendException.class,
                () -> ShimStats.sample("c1", Any.newBuilder().setTypeUrl("example.Metrics").build(), 0));
        assertEquals(BackendException.Kind.INTERNAL, e.kind());
    }

    private static Any any(com.google.protobuf.Message m) {
        return Any.newBuilder().setTypeUrl(m.getDescriptorForType().getFullName()).setValue(m.toByteString()).build();
    }
}
