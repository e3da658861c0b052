package io.crisp.core.it;

import static io.crisp.cri.v1.ContainerState.CONTAINER_EXITED;
import static io.crisp.cri.v1.ContainerState.CONTAINER_RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerStats;
import io.crisp.cri.v1.ContainerStatsFilter;
import io.crisp.cri.v1.ContainerStatsRequest;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ExecSyncResponse;
import io.crisp.cri.v1.ListContainerStatsRequest;
import io.crisp.cri.v1.ListMetricDescriptorsRequest;
import io.crisp.cri.v1.ListPodSandboxMetricsRequest;
import io.crisp.cri.v1.ListPodSandboxStatsRequest;
import io.crisp.cri.v1.Metric;
import io.crisp.cri.v1.MetricDescriptor;
import io.crisp.cri.v1.NetworkInterfaceUsage;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetrics;
import io.crisp.cri.v1.PodSandboxStats;
import io.crisp.cri.v1.PodSandboxStatsFilter;
import io.crisp.cri.v1.PodSandboxStatsRequest;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stats RPCs end to end: a pod on a CNI bridge network of the test's own, with a container
 * spinning a CPU, one holding 50 MB of memory (and serving HTTP, so the host can make traffic), and
 * one that exited. The daemon collects every 200 ms; the figures come from the runc backend's
 * {@code containerStats}, the writable layer from the snapshot and the network from the pod's
 * namespace.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
final class StatsIT {
    private static final int WAIT_SECONDS = 20;
    private static final long MB50 = 50_000_000L;

    private TestNetwork network;
    private DaemonProcess daemon;
    private CriClient client;
    private String podId;
    private String podIp;
    private String busy;
    private String memory;
    private String exited;

    @BeforeAll
    void startPod(@TempDir Path dir) {
        network = TestNetwork.create(dir);
        Pods.requirePrerequisites();
        daemon = Pods.configure(new DaemonProcess(dir.resolve("daemon")))
                .writeDropIn("stats.toml", "[stats]\nstats_collect_period = \"200ms\"\n");
        network.writeTo(Pods.cniConfDir(daemon));
        daemon.start();
        Pods.importImages(daemon, dir.resolve("images"));
        client = daemon.client();
        PodSandboxConfig pod = Pods.pod("stats", dir.resolve("logs")).build();
        podId = Pods.run(client, pod);
        busy = Pods.createAndStart(client, podId, pod, Pods.container("busy", "sh", "-c", "while :; do :; done").build());
        // httpd answers the host's requests; dd holds a 50 MB buffer it filled, blocked writing to a pipe nobody reads.
        memory = Pods.createAndStart(client, podId, pod, Pods.container("memory", "sh", "-c",
                "mkdir -p /www && echo hello > /www/index.html && httpd -p 8081 -h /www && echo ready > /tmp/ready"
                        + " && dd if=/dev/zero bs=" + MB50 + " count=1 | sleep 100000").build());
        exited = Pods.createAndStart(client, podId, pod, Pods.container("done", "true").build());
        Pods.awaitState(client, busy, CONTAINER_RUNNING, WAIT_SECONDS);
        Pods.awaitState(client, memory, CONTAINER_RUNNING, WAIT_SECONDS);
        Pods.awaitState(client, exited, CONTAINER_EXITED, WAIT_SECONDS);
        podIp = client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).build())
                .getStatus().getNetwork().getIp();
        Pods.await(() -> execSync(memory, "cat", "/tmp/ready").getStdout().toStringUtf8().contains("ready"), WAIT_SECONDS,
                "the memory container's httpd");
    }

    @AfterAll
    void stopPod() {
        try {
            if (client != null) {
                Pods.removeAll(client);
            }
        } finally {
            if (daemon != null) {
                daemon.close();
            }
            if (network != null) {
                network.close();
            }
        }
    }

    private ExecSyncResponse execSync(String id, String... cmd) {
        return client.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id).setTimeout(20).addAllCmd(List.of(cmd)).build());
    }

    private ContainerStats stats(String id) {
        return client.runtime().containerStats(ContainerStatsRequest.newBuilder().setContainerId(id).build()).getStats();
    }

    private PodSandboxStats podStats() {
        return client.runtime().podSandboxStats(PodSandboxStatsRequest.newBuilder().setPodSandboxId(podId).build()).getStats();
    }

    private List<String> listed(ContainerStatsFilter filter) {
        return client.runtime().listContainerStats(ListContainerStatsRequest.newBuilder().setFilter(filter).build()).getStatsList()
                .stream().map(s -> s.getAttributes().getId()).sorted().toList();
    }

    // ---- what needs no backend figures: attributes, filters, writable layer, network ----

    @Test
    void containerStatsOfUnknownIdIsNotFoundAndOfAnExitedOneHasAttributesOnly() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stats("0123456789abcdef-no-such-container"));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        ContainerStats s = stats(exited);
        assertEquals(exited, s.getAttributes().getId());
        assertEquals("done", s.getAttributes().getMetadata().getName());
        assertFalse(s.hasCpu());
        assertFalse(s.hasMemory());
    }

    @Test
    void listContainerStatsFiltersRunningContainersByIdPodAndLabels() {
        List<String> running = List.of(busy, memory).stream().sorted().toList();
        assertEquals(running, client.runtime().listContainerStats(ListContainerStatsRequest.getDefaultInstance()).getStatsList()
                .stream().map(s -> s.getAttributes().getId()).sorted().toList(), "no filter: every running container");
        assertEquals(List.of(busy), listed(ContainerStatsFilter.newBuilder().setId(busy.substring(0, 12)).build()));
        assertEquals(running, listed(ContainerStatsFilter.newBuilder().setPodSandboxId(podId).build()));
        assertEquals(List.of(), listed(ContainerStatsFilter.newBuilder().setPodSandboxId("ffffffffffff").build()));
        assertEquals(List.of(memory), listed(ContainerStatsFilter.newBuilder().putLabelSelector("container", "memory").build()));
        assertEquals(List.of(), listed(ContainerStatsFilter.newBuilder().putLabelSelector("container", "done").build()),
                "exited containers are not listed");
        ContainerStats one = stats(busy);
        assertEquals(Map.of("container", "busy"), one.getAttributes().getLabelsMap());
    }

    @Test
    void writableLayerGrowsAfterWritingAFile() {
        Pods.await(() -> stats(memory).hasWritableLayer(), WAIT_SECONDS, "a writable layer measurement");
        long before = stats(memory).getWritableLayer().getUsedBytes().getValue();
        assertTrue(stats(memory).getWritableLayer().getInodesUsed().getValue() > 0, "mkdir /www, index.html, /tmp/ready");
        assertTrue(stats(memory).getWritableLayer().getFsId().getMountpoint().endsWith("/upper"));
        ExecSyncResponse dd = execSync(memory, "dd", "if=/dev/zero", "of=/grown", "bs=1048576", "count=5");
        assertEquals(0, dd.getExitCode(), dd.getStderr().toStringUtf8());
        Pods.await(() -> stats(memory).getWritableLayer().getUsedBytes().getValue() >= before + 5 * 1048576, WAIT_SECONDS,
                "the writable layer to grow by 5 MiB from " + before);
    }

    @Test
    void podNetworkCountersGrowWithTraffic() {
        Pods.await(() -> podStats().getLinux().hasNetwork(), WAIT_SECONDS, "network counters of the pod");
        NetworkInterfaceUsage before = podStats().getLinux().getNetwork().getDefaultInterface();
        assertEquals("eth0", before.getName());
        assertTrue(podStats().getLinux().getNetwork().getInterfacesList().stream().noneMatch(i -> i.getName().equals("lo")));
        for (int i = 0; i < 5; i++) {
            assertTrue(httpGet(podIp, 8081).contains("hello"));
        }
        Pods.await(() -> {
            NetworkInterfaceUsage now = podStats().getLinux().getNetwork().getDefaultInterface();
            return now.getRxBytes().getValue() > before.getRxBytes().getValue() + 500
                    && now.getTxBytes().getValue() > before.getTxBytes().getValue() + 500;
        }, WAIT_SECONDS, "rx and tx bytes of eth0 to grow from " + before);
    }

    @Test
    void listPodSandboxStatsFiltersAndCarriesRunningContainers() {
        List<PodSandboxStats> all = client.runtime().listPodSandboxStats(ListPodSandboxStatsRequest.getDefaultInstance()).getStatsList();
        assertEquals(List.of(podId), all.stream().map(s -> s.getAttributes().getId()).toList());
        assertEquals(List.of(busy, memory).stream().sorted().toList(), all.get(0).getLinux().getContainersList().stream()
                .map(c -> c.getAttributes().getId()).sorted().toList());
        assertEquals(1, client.runtime().listPodSandboxStats(ListPodSandboxStatsRequest.newBuilder().setFilter(
                PodSandboxStatsFilter.newBuilder().putLabelSelector("app", "stats")).build()).getStatsCount());
        assertEquals(0, client.runtime().listPodSandboxStats(ListPodSandboxStatsRequest.newBuilder().setFilter(
                PodSandboxStatsFilter.newBuilder().setId("ffffffffffff")).build()).getStatsCount());
        assertEquals("stats", podStats().getAttributes().getMetadata().getName());
    }

    @Test
    void metricDescriptorsAndPodNetworkMetrics() {
        Map<String, MetricDescriptor> descriptors = client.runtime().listMetricDescriptors(ListMetricDescriptorsRequest.getDefaultInstance())
                .getDescriptorsList().stream().collect(Collectors.toMap(MetricDescriptor::getName, d -> d));
        for (String name : List.of("container_cpu_usage_seconds_total", "container_memory_working_set_bytes", "container_memory_usage_bytes",
                "container_memory_rss", "container_spec_memory_limit_bytes", "container_processes", "container_fs_usage_bytes",
                "container_network_receive_bytes_total", "container_network_transmit_bytes_total",
                "container_network_receive_errors_total", "container_network_transmit_errors_total")) {
            assertTrue(descriptors.containsKey(name), name);
        }
        Pods.await(() -> podMetrics().getMetricsList().stream().anyMatch(m -> m.getName().equals("container_network_receive_bytes_total")),
                WAIT_SECONDS, "network metrics of the pod");
        Metric rx = podMetrics().getMetricsList().stream().filter(m -> m.getName().equals("container_network_receive_bytes_total"))
                .filter(m -> m.getLabelValuesList().contains("eth0")).findFirst().orElseThrow();
        assertEquals(descriptors.get(rx.getName()).getLabelKeysCount(), rx.getLabelValuesCount());
        Pods.await(() -> podMetrics().getContainerMetricsList().stream().anyMatch(c -> c.getContainerId().equals(memory)
                && c.getMetricsList().stream().anyMatch(m -> m.getName().equals("container_fs_usage_bytes"))), WAIT_SECONDS,
                "container_fs_usage_bytes of the memory container");
    }

    private PodSandboxMetrics podMetrics() {
        return client.runtime().listPodSandboxMetrics(ListPodSandboxMetricsRequest.getDefaultInstance()).getPodMetricsList().stream()
                .filter(p -> p.getPodSandboxId().equals(podId)).findFirst().orElseThrow();
    }

    // ---- figures from the backend (runc's containerStats) ----

    @Test
    void busyContainerUsesNearlyACore() {
        Pods.await(() -> stats(busy).getCpu().getUsageNanoCores().getValue() > 300_000_000L, WAIT_SECONDS,
                "usage_nano_cores of the busy container above 0.3 cores");
        assertTrue(stats(busy).getCpu().getUsageCoreNanoSeconds().getValue() > 0);
    }

    @Test
    void memoryContainerHasItsWorkingSet() {
        awaitOrShow(() -> stats(memory).getMemory().getWorkingSetBytes().getValue() > MB50, () -> stats(memory).getMemory(),
                "working set of the memory container above 50 MB");
        Pods.await(() -> podMetrics().getContainerMetricsList().stream().filter(c -> c.getContainerId().equals(memory))
                .flatMap(c -> c.getMetricsList().stream())
                .anyMatch(m -> m.getName().equals("container_memory_working_set_bytes") && m.getValue().getValue() > MB50), WAIT_SECONDS,
                "container_memory_working_set_bytes above 50 MB");
    }

    @Test
    void podSandboxStatsSumsItsContainersAndInfra() {
        awaitOrShow(() -> {
            PodSandboxStats s = podStats();
            return s.getLinux().getContainersCount() == 2 && s.getLinux().getContainersList().stream().allMatch(ContainerStats::hasCpu)
                    && s.getLinux().getProcess().getProcessCount().getValue() >= 3;
        }, () -> podStats().getLinux(), "pod stats with both containers' figures and processes");
        PodSandboxStats s = podStats();
        long containersCpu = s.getLinux().getContainersList().stream().mapToLong(c -> c.getCpu().getUsageCoreNanoSeconds().getValue()).sum();
        long containersMemory = s.getLinux().getContainersList().stream().mapToLong(c -> c.getMemory().getWorkingSetBytes().getValue()).sum();
        assertTrue(s.getLinux().getCpu().getUsageCoreNanoSeconds().getValue() >= containersCpu, s.getLinux().toString());
        assertTrue(s.getLinux().getMemory().getWorkingSetBytes().getValue() >= containersMemory, s.getLinux().toString());
        assertTrue(s.getLinux().getMemory().getWorkingSetBytes().getValue() > MB50, s.getLinux().toString());
        // The busy container spins a core; on a loaded 2-core machine it gets less, but never idle figures.
        assertTrue(s.getLinux().getCpu().getUsageNanoCores().getValue() > 100_000_000L, s.getLinux().toString());
    }

    /** Waits for {@code condition}; a timeout shows what was there last. */
    private static void awaitOrShow(java.util.function.BooleanSupplier condition, java.util.function.Supplier<Object> shown, String what) {
        try {
            Pods.await(condition, WAIT_SECONDS, what);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last seen: " + shown.get(), e);
        }
    }

    private static String httpGet(String host, int port) {
        try (Socket socket = new Socket(host, port)) {
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /index.html HTTP/1.0\r\nHost: " + host + "\r\nUser-Agent: crisp-stats-it-padding-padding-padding-padding"
                    + "-padding-padding-padding-padding-padding-padding-padding-padding-padding-padding-padding\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("GET http://" + host + ":" + port + "/: " + e.getMessage(), e);
        }
    }
}
