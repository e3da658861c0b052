package io.crisp.core.convert;

import static io.crisp.core.stats.StatsFixtures.container;
import static io.crisp.core.stats.StatsFixtures.pod;
import static io.crisp.core.stats.StatsFixtures.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.container.Container;
import io.crisp.core.container.ContainerFilter;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.core.sandbox.SandboxFilter;
import io.crisp.core.stats.ContainerFigures;
import io.crisp.core.stats.NetworkFigures;
import io.crisp.core.stats.PodUsage;
import io.crisp.core.stats.StatsReports.ContainerReport;
import io.crisp.core.stats.StatsReports.PodReport;
import io.crisp.cri.v1.ContainerStats;
import io.crisp.cri.v1.ContainerStatsFilter;
import io.crisp.cri.v1.ListContainerStatsRequest;
import io.crisp.cri.v1.ListPodSandboxStatsRequest;
import io.crisp.cri.v1.Metric;
import io.crisp.cri.v1.MetricDescriptor;
import io.crisp.cri.v1.MetricType;
import io.crisp.cri.v1.PodSandboxMetrics;
import io.crisp.cri.v1.PodSandboxStats;
import io.crisp.cri.v1.PodSandboxStatsFilter;
import io.crisp.spi.BackendException;
import io.crisp.spi.model.ContainerStatsSample;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

final class StatsResponsesTest {
    private final Sandbox pod = pod("p1", Sandbox.State.READY, Map.of("app", "web"));
    private final Container app = container("c1", "p1", Container.State.RUNNING, Map.of("tier", "front"));
    private final ContainerFigures figures = ContainerFigures.empty("c1")
            .withSample(sample("c1", 1_000_000_000L, 2_000_000_000L, 60_000_000))
            .withSample(sample("c1", 2_000_000_000L, 2_500_000_000L, 60_000_000))
            .withLayer(new ContainerFigures.LayerFigures("/var/lib/crisp/snapshots/c1/upper", 3, 8192, 4));

    @Test
    void containerFiltersAskForRunningOnesByIdPodAndLabels() {
        assertEquals(new ContainerFilter(Optional.empty(), Optional.of(Container.State.RUNNING), Optional.empty(), Map.of()),
                StatsResponses.filter(ListContainerStatsRequest.getDefaultInstance()));
        ContainerFilter f = StatsResponses.filter(ListContainerStatsRequest.newBuilder().setFilter(ContainerStatsFilter.newBuilder()
                .setId("c").setPodSandboxId("p1").putLabelSelector("tier", "front")).build());
        assertTrue(f.matches(app));
        assertFalse(f.matches(container("c2", "p2", Container.State.RUNNING, Map.of("tier", "front"))));
        assertFalse(f.matches(container("c3", "p1", Container.State.RUNNING, Map.of("tier", "back"))));
        assertFalse(f.matches(container("c4", "p1", Container.State.EXITED, Map.of("tier", "front"))));
        assertThrows(BackendException.class, () -> StatsResponses.filter(ListContainerStatsRequest.newBuilder()
                .setFilter(ContainerStatsFilter.newBuilder().putLabelSelector("bad key!", "x")).build()));
    }

    @Test
    void podFiltersAskForReadyOnesByIdAndLabels() {
        assertEquals(new SandboxFilter(Optional.empty(), Optional.of(Sandbox.State.READY), Map.of()),
                StatsResponses.filter(ListPodSandboxStatsRequest.getDefaultInstance()));
        SandboxFilter f = StatsResponses.filter(ListPodSandboxStatsRequest.newBuilder().setFilter(PodSandboxStatsFilter.newBuilder()
                .setId("p").putLabelSelector("app", "web")).build());
        assertTrue(f.matches(pod));
        assertFalse(f.matches(pod("p2", Sandbox.State.READY, Map.of("app", "db"))));
        assertFalse(f.matches(pod("p3", Sandbox.State.NOT_READY, Map.of("app", "web"))));
    }

    @Test
    void containerWithFigures() {
        ContainerStats s = StatsResponses.container(new ContainerReport(app, figures));
        assertEquals("c1", s.getAttributes().getId());
        assertEquals("app-c1", s.getAttributes().getMetadata().getName());
        assertEquals(Map.of("tier", "front"), s.getAttributes().getLabelsMap());
        assertEquals(2_000_000_000L, s.getCpu().getTimestamp());
        assertEquals(2_500_000_000L, s.getCpu().getUsageCoreNanoSeconds().getValue());
        assertEquals(500_000_000L, s.getCpu().getUsageNanoCores().getValue());
        assertEquals(60_000_000L, s.getMemory().getWorkingSetBytes().getValue());
        assertFalse(s.getMemory().hasAvailableBytes(), "unknown: absent, not zero");
        assertEquals(8192, s.getWritableLayer().getUsedBytes().getValue());
        assertEquals(4, s.getWritableLayer().getInodesUsed().getValue());
        assertEquals("/var/lib/crisp/snapshots/c1/upper", s.getWritableLayer().getFsId().getMountpoint());
    }

    @Test
    void containerWithoutSamplesHasAttributesOnlyAndOneSampleHasNoRate() {
        ContainerStats none = StatsResponses.container(new ContainerReport(app, ContainerFigures.empty("c1")));
        assertEquals("c1", none.getAttributes().getId());
        assertFalse(none.hasCpu());
        assertFalse(none.hasMemory());
        assertFalse(none.hasWritableLayer());
        ContainerStats one = StatsResponses.container(new ContainerReport(app,
                ContainerFigures.empty("c1").withSample(sample("c1", 5, 10, 20))));
        assertTrue(one.getCpu().hasUsageCoreNanoSeconds());
        assertFalse(one.getCpu().hasUsageNanoCores());
    }

    private PodReport report() {
        NetworkFigures net = new NetworkFigures(7, List.of(new NetworkFigures.Interface("eth0", 10, 1, 20, 2),
                new NetworkFigures.Interface("net1", 30, 0, 40, 0)));
        return new PodReport(pod, PodUsage.sumOf(List.of(figures)), Optional.of(net), List.of(new ContainerReport(app, figures)));
    }

    @Test
    void podCarriesSumsNetworkAndContainers() {
        PodSandboxStats s = StatsResponses.pod(report());
        assertEquals("p1", s.getAttributes().getId());
        assertEquals("web-p1", s.getAttributes().getMetadata().getName());
        assertEquals(2_500_000_000L, s.getLinux().getCpu().getUsageCoreNanoSeconds().getValue());
        assertEquals(60_000_000L, s.getLinux().getMemory().getWorkingSetBytes().getValue());
        assertEquals(3, s.getLinux().getProcess().getProcessCount().getValue());
        assertEquals("eth0", s.getLinux().getNetwork().getDefaultInterface().getName());
        assertEquals(20, s.getLinux().getNetwork().getDefaultInterface().getTxBytes().getValue());
        assertEquals(2, s.getLinux().getNetwork().getInterfacesCount());
        assertEquals(1, s.getLinux().getContainersCount());
        assertEquals("c1", s.getLinux().getContainers(0).getAttributes().getId());

        PodSandboxStats empty = StatsResponses.pod(new PodReport(pod, PodUsage.sumOf(List.of()), Optional.empty(), List.of()));
        assertFalse(empty.getLinux().hasCpu());
        assertFalse(empty.getLinux().hasNetwork());
    }

    @Test
    void metricsMatchTheirDescriptors() {
        Map<String, MetricDescriptor> descriptors = StatsResponses.descriptors().getDescriptorsList().stream()
                .collect(Collectors.toMap(MetricDescriptor::getName, d -> d));
        assertTrue(descriptors.keySet().containsAll(List.of("container_cpu_usage_seconds_total", "container_memory_working_set_bytes",
                "container_memory_usage_bytes", "container_memory_rss", "container_spec_memory_limit_bytes", "container_processes",
                "container_fs_usage_bytes", "container_network_receive_bytes_total", "container_network_transmit_bytes_total",
                "container_network_receive_errors_total", "container_network_transmit_errors_total")));
        assertEquals(List.of("container", "id", "image", "name", "namespace", "pod", "interface"),
                descriptors.get("container_network_receive_bytes_total").getLabelKeysList());

        PodSandboxMetrics m = StatsResponses.metrics(report());
        assertEquals("p1", m.getPodSandboxId());
        assertEquals(8, m.getMetricsCount(), "four network metrics per interface");
        Metric rx = m.getMetricsList().stream().filter(x -> x.getName().equals("container_network_receive_bytes_total")).findFirst()
                .orElseThrow();
        assertEquals(List.of("POD", "p1", "", "p1", "default", "web-p1", "eth0"), rx.getLabelValuesList());
        assertEquals(MetricType.COUNTER, rx.getMetricType());
        assertEquals(10, rx.getValue().getValue());
        List<Metric> container = m.getContainerMetrics(0).getMetricsList();
        for (Metric x : m.getMetricsList()) {
            assertEquals(descriptors.get(x.getName()).getLabelKeysCount(), x.getLabelValuesCount(), x.getName());
        }
        for (Metric x : container) {
            assertEquals(descriptors.get(x.getName()).getLabelKeysCount(), x.getLabelValuesCount(), x.getName());
        }
        Map<String, Long> values = container.stream().collect(Collectors.toMap(Metric::getName, x -> x.getValue().getValue()));
        assertEquals(Map.of("container_cpu_usage_seconds_total", 2L, "container_memory_working_set_bytes", 60_000_000L,
                "container_memory_usage_bytes", 60_001_000L, "container_memory_rss", 30_000_000L,
                "container_spec_memory_limit_bytes", 256L << 20, "container_processes", 3L, "container_fs_usage_bytes", 8192L), values);
        assertEquals("app-c1", container.get(0).getLabelValues(0));
        assertEquals(MetricType.GAUGE, container.stream().filter(x -> x.getName().equals("container_memory_rss")).findFirst()
                .orElseThrow().getMetricType());
    }

    @Test
    void unknownFiguresAreNotReportedAsMetrics() {
        ContainerFigures unknown = ContainerFigures.empty("c1").withSample(new ContainerStatsSample("c1", 1, -1,
                ContainerStatsSample.MemoryUsage.UNKNOWN_ALL, -1));
        PodSandboxMetrics m = StatsResponses.metrics(new PodReport(pod, PodUsage.sumOf(List.of(unknown)), Optional.empty(),
                List.of(new ContainerReport(app, unknown))));
        assertEquals(List.of("container_spec_memory_limit_bytes"),
                m.getContainerMetrics(0).getMetricsList().stream().map(Metric::getName).toList());
    }
}
