package io.crisp.core.stats;

import static io.crisp.core.stats.StatsFixtures.container;
import static io.crisp.core.stats.StatsFixtures.pod;
import static io.crisp.core.stats.StatsFixtures.sample;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.container.Container;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.spi.BackendException;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.model.ContainerStatsSample;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.mockito.Mockito;

final class StatsCollectorTest {
    /** Sources whose every part a test sets; the backend answers from {@link #samples}. */
    private final class FakeSources implements StatsCollector.Sources {
        final List<Container> running = new ArrayList<>();
        final List<Sandbox> ready = new ArrayList<>();
        final Map<String, RuntimeBackend> backends = new HashMap<>();
        final Map<String, String> netDev = new HashMap<>();
        final Map<String, Integer> layerWalks = new HashMap<>();
        long layerBytes = 4096;

        @Override
        public Collection<Container> runningContainers() {
            return running;
        }

        @Override
        public Collection<Sandbox> readySandboxes() {
            return ready;
        }

        @Override
        public Optional<RuntimeBackend> statsBackend(String sandboxId) {
            return Optional.ofNullable(backends.get(sandboxId));
        }

        @Override
        public ContainerFigures.LayerFigures writableLayer(String containerId) {
            layerWalks.merge(containerId, 1, Integer::sum);
            return new ContainerFigures.LayerFigures("/snapshots/" + containerId + "/upper", clock.get(), layerBytes, 3);
        }

        @Override
        public Optional<String> procNetDev(Sandbox sandbox) throws Exception {
            String text = netDev.get(sandbox.id());
            if ("fail".equals(text)) {
                throw new java.io.IOException("namespace gone");
            }
            return Optional.ofNullable(text);
        }
    }

    private final AtomicLong clock = new AtomicLong(1_000_000_000_000L);
    private final FakeSources sources = new FakeSources();
    private final StatsCollector collector = new StatsCollector(sources, Duration.ofSeconds(1), clock::get);
    private final Map<String, ContainerStatsSample> samples = new HashMap<>();
    private final RuntimeBackend backend = Mockito.mock(RuntimeBackend.class);

    StatsCollectorTest() {
        Mockito.when(backend.containerStats(Mockito.anyString())).thenAnswer(call -> {
            ContainerStatsSample s = samples.get(call.<String>getArgument(0));
            if (s == null) {
                throw BackendException.notFound("no such container %s", call.getArgument(0));
            }
            return s;
        });
    }

    private Container runningIn(String id, String pod) {
        Container c = container(id, pod, Container.State.RUNNING, Map.of());
        sources.running.add(c);
        return c;
    }

    @Test
    void rateIsCpuTimeOverWallTimeBetweenTheLastTwoSamples() {
        sources.backends.put("p1", backend);
        Container busy = runningIn("c1", "p1");
        samples.put("c1", sample("c1", 10_000_000_000L, 5_000_000_000L, 100));
        collector.collectOnce();
        assertEquals(ContainerFigures.UNKNOWN, collector.container("c1").nanoCores(), "one sample: no rate yet");
        // 2 s later, 1.5 s of CPU more: 0.75 cores
        samples.put("c1", sample("c1", 12_000_000_000L, 6_500_000_000L, 100));
        collector.collectOnce();
        assertEquals(750_000_000L, collector.container("c1").nanoCores());
        // then 1 s with 1 s of CPU: a full core; only the last two count
        samples.put("c1", sample("c1", 13_000_000_000L, 7_500_000_000L, 100));
        collector.collectOnce();
        assertEquals(1_000_000_000L, collector.container("c1").nanoCores());
        assertEquals(7_500_000_000L, collector.containerReport(busy).figures().latest().cpuUsageCoreNanos());
    }

    @Test
    void aContainerStartedSinceTheLastRoundIsSampledOnItsFirstStatsCall() {
        sources.backends.put("p1", backend);
        collector.collectOnce(); // a round before the container starts
        Container fresh = runningIn("c9", "p1");
        samples.put("c9", sample("c9", 10_000_000_000L, 5_000_000_000L, 100));
        ContainerFigures figures = collector.containerReport(fresh).figures();
        assertEquals(5_000_000_000L, figures.latest().cpuUsageCoreNanos(), "CPU and memory on the first call");
        assertEquals(4096, figures.layer().usedBytes(), "and the writable layer");
        assertSame(figures, collector.container("c9"), "kept for the next call and the next round");
        collector.containerReport(fresh);
        Mockito.verify(backend, Mockito.times(1)).containerStats("c9");
        assertEquals(1, sources.layerWalks.get("c9"));

        Sandbox p = pod("p1", Sandbox.State.READY, Map.of());
        samples.put("p1", sample("p1", 10_000_000_000L, 1_000_000L, 10));
        assertEquals(5_001_000_000L, collector.podReport(p, List.of(fresh)).usage().cpuUsageCoreNanos(),
                "the infra process is sampled on demand too");
        Container stopped = container("c8", "p1", Container.State.EXITED, Map.of());
        assertNull(collector.containerReport(stopped).figures().latest(), "a stopped container is never sampled");
    }

    @Test
    void rateIsUnknownWhenTimeDoesNotAdvanceOrCpuIsUnknownOrGoesBack() {
        assertEquals(ContainerFigures.UNKNOWN, ContainerFigures.nanoCores(sample("c", 5, 10, 0), sample("c", 5, 20, 0)));
        assertEquals(ContainerFigures.UNKNOWN, ContainerFigures.nanoCores(sample("c", 5, -1, 0), sample("c", 6, 20, 0)));
        assertEquals(ContainerFigures.UNKNOWN, ContainerFigures.nanoCores(sample("c", 5, 30, 0), sample("c", 6, 20, 0)));
        assertEquals(0, ContainerFigures.nanoCores(sample("c", 5, 30, 0), sample("c", 1_000_000_005L, 30, 0)));
        assertEquals(2_000_000_000L, ContainerFigures.nanoCores(sample("c", 0, 0, 0), sample("c", 500_000_000L, 1_000_000_000L, 0)));
    }

    @Test
    void aFailingBackendKeepsThePreviousSampleAndDoesNotStopTheOthers() {
        sources.backends.put("p1", backend);
        RuntimeBackend broken = Mockito.mock(RuntimeBackend.class);
        Mockito.when(broken.containerStats(Mockito.anyString())).thenThrow(new IllegalStateException("boom"));
        sources.backends.put("p2", broken);
        runningIn("c1", "p1");
        runningIn("c2", "p2");
        runningIn("c3", "p1");
        samples.put("c1", sample("c1", 1_000_000_000L, 1, 100));
        samples.put("c3", sample("c3", 1_000_000_000L, 1, 300));
        collector.collectOnce();
        assertEquals(100, collector.container("c1").latest().memory().workingSetBytes());
        assertNull(collector.container("c2").latest());
        assertEquals(300, collector.container("c3").latest().memory().workingSetBytes());

        ContainerStatsSample kept = collector.container("c1").latest();
        samples.remove("c1"); // now NOT_FOUND from the backend
        collector.collectOnce();
        assertSame(kept, collector.container("c1").latest());
    }

    @Test
    void handlerWithoutStatsIsNotAskedAndGoneContainersAreDropped() {
        runningIn("c1", "p-nostats");
        collector.collectOnce();
        assertNull(collector.container("c1").latest());
        assertTrue(collector.container("c1").writableLayer().isPresent(), "the layer does not need the backend");

        sources.backends.put("p1", backend);
        Container c2 = runningIn("c2", "p1");
        samples.put("c2", sample("c2", 1, 1, 1));
        collector.collectOnce();
        assertEquals(1, collector.container("c2").latest().cpuUsageCoreNanos());
        sources.running.remove(c2);
        collector.collectOnce();
        assertNull(collector.container("c2").latest(), "dropped once it is not running");
        Mockito.verify(backend, Mockito.never()).containerStats("c1");
    }

    @Test
    void writableLayerIsMeasuredFirstThenEveryTenthRound() {
        runningIn("c1", "p1");
        collector.collectOnce();
        assertEquals(1, sources.layerWalks.get("c1"));
        sources.layerBytes = 8192;
        for (int i = 1; i < StatsCollector.LAYER_EVERY; i++) {
            collector.collectOnce();
        }
        assertEquals(1, sources.layerWalks.get("c1"));
        assertEquals(4096, collector.container("c1").layer().usedBytes());
        collector.collectOnce();
        assertEquals(2, sources.layerWalks.get("c1"));
        assertEquals(8192, collector.container("c1").layer().usedBytes());
        assertEquals("/snapshots/c1/upper", collector.container("c1").layer().directory());
        // a container started later is measured in its first round
        runningIn("c2", "p1");
        collector.collectOnce();
        assertEquals(1, sources.layerWalks.get("c2"));
    }

    @Test
    void podSumsInfraAndRunningContainersAndCarriesItsNetwork() {
        Sandbox p = pod("p1", Sandbox.State.READY, Map.of());
        sources.ready.add(p);
        sources.backends.put("p1", backend);
        Container a = runningIn("a", "p1");
        Container b = runningIn("b", "p1");
        Container exited = container("x", "p1", Container.State.EXITED, Map.of());
        Container other = runningIn("o", "p2");
        sources.netDev.put("p1", "eth0: 100 1 2 0 0 0 0 0 200 2 3 0 0 0 0 0\n");
        samples.put("p1", sample("p1", 1_000_000_000L, 1_000_000L, 1_000_000));
        samples.put("a", sample("a", 1_000_000_000L, 1_000_000_000L, 50_000_000));
        samples.put("b", new ContainerStatsSample("b", 1_000_000_000L, 3_000_000_000L, ContainerStatsSample.MemoryUsage.UNKNOWN_ALL,
                ContainerStatsSample.UNKNOWN));
        collector.collectOnce();
        clock.addAndGet(1_000_000_000L);
        samples.put("p1", sample("p1", 2_000_000_000L, 1_000_000L, 1_000_000));
        samples.put("a", sample("a", 2_000_000_000L, 1_500_000_000L, 50_000_000));
        samples.put("b", new ContainerStatsSample("b", 2_000_000_000L, 4_000_000_000L, ContainerStatsSample.MemoryUsage.UNKNOWN_ALL,
                ContainerStatsSample.UNKNOWN));
        collector.collectOnce();

        StatsReports.PodReport report = collector.podReport(p, List.of(a, b, exited, other));
        assertEquals(List.of("a", "b"), report.containers().stream().map(r -> r.container().id()).toList(),
                "exited containers and other pods' are left out");
        PodUsage u = report.usage();
        assertEquals(2_000_000_000L, u.timestampNanos());
        assertEquals(1_000_000L + 1_500_000_000L + 4_000_000_000L, u.cpuUsageCoreNanos());
        assertEquals(0 + 500_000_000L + 1_000_000_000L, u.nanoCores());
        assertEquals(51_000_000L, u.workingSetBytes(), "unknown figures (b's) are left out of the sum");
        assertEquals(51_000_000L + 2000, u.usageBytes());
        assertEquals(6, u.processCount());
        NetworkFigures net = report.network().orElseThrow();
        assertEquals(List.of(new NetworkFigures.Interface("eth0", 100, 2, 200, 3)), net.interfaces());
        assertEquals(clock.get(), net.timestampNanos());

        // a failing namespace keeps the previous reading; a pod that is gone is dropped
        sources.netDev.put("p1", "fail");
        collector.collectOnce();
        assertEquals(net, collector.podReport(p, List.of()).network().orElseThrow());
        sources.ready.clear();
        samples.remove("p1"); // the backend no longer knows it either, so an on-demand sample finds nothing
        collector.collectOnce();
        assertEquals(Optional.empty(), collector.podReport(p, List.of()).network());
        assertEquals(ContainerFigures.UNKNOWN, collector.podReport(p, List.of()).usage().cpuUsageCoreNanos(),
                "the dropped infra sample is not reported");
    }

    @Test
    void notReadyPodHasNoFiguresAndNothingKnownIsUnknown() {
        Sandbox p = pod("p1", Sandbox.State.NOT_READY, Map.of());
        PodUsage u = collector.podReport(p, List.of()).usage();
        assertEquals(new PodUsage(0, -1, -1, -1, -1, -1, -1, -1, -1), u);
    }

    @Test
    void threadCollectsEveryPeriodUntilClosed() throws Exception {
        sources.backends.put("p1", backend);
        runningIn("c1", "p1");
        samples.put("c1", sample("c1", 1, 1, 1));
        try (StatsCollector fast = new StatsCollector(sources, Duration.ofMillis(100), clock::get)) {
            fast.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (fast.container("c1").latest() == null && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals(1, fast.container("c1").latest().cpuUsageCoreNanos());
        }
    }
}
