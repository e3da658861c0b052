package io.crisp.core.convert;

import io.crisp.core.container.Container;
import io.crisp.core.container.ContainerFilter;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.core.sandbox.SandboxFilter;
import io.crisp.core.stats.ContainerFigures;
import io.crisp.core.stats.NetworkFigures;
import io.crisp.core.stats.PodUsage;
import io.crisp.core.stats.StatsReports.ContainerReport;
import io.crisp.core.stats.StatsReports.PodReport;
import io.crisp.cri.v1.ContainerAttributes;
import io.crisp.cri.v1.ContainerMetadata;
import io.crisp.cri.v1.ContainerMetrics;
import io.crisp.cri.v1.ContainerStats;
import io.crisp.cri.v1.CpuUsage;
import io.crisp.cri.v1.FilesystemIdentifier;
import io.crisp.cri.v1.FilesystemUsage;
import io.crisp.cri.v1.LinuxPodSandboxStats;
import io.crisp.cri.v1.ContainerStatsResponse;
import io.crisp.cri.v1.ListContainerStatsRequest;
import io.crisp.cri.v1.ListContainerStatsResponse;
import io.crisp.cri.v1.ListMetricDescriptorsResponse;
import io.crisp.cri.v1.ListPodSandboxMetricsRequest;
import io.crisp.cri.v1.ListPodSandboxMetricsResponse;
import io.crisp.cri.v1.ListPodSandboxStatsRequest;
import io.crisp.cri.v1.ListPodSandboxStatsResponse;
import io.crisp.cri.v1.PodSandboxStatsResponse;
import io.crisp.cri.v1.MemoryUsage;
import io.crisp.cri.v1.Metric;
import io.crisp.cri.v1.MetricDescriptor;
import io.crisp.cri.v1.MetricType;
import io.crisp.cri.v1.NetworkInterfaceUsage;
import io.crisp.cri.v1.NetworkUsage;
import io.crisp.cri.v1.PodSandboxAttributes;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.PodSandboxMetrics;
import io.crisp.cri.v1.PodSandboxStats;
import io.crisp.cri.v1.ProcessUsage;
import io.crisp.cri.v1.UInt64Value;
import io.crisp.spi.model.ContainerStatsSample;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The CRI stats and metrics messages, from the collector's reports. A figure nobody knows
 * ({@link ContainerFigures#UNKNOWN}) is an absent {@code UInt64Value}, never a made-up zero; a
 * metric nobody knows is left out.
 *
 * <p>Metric names and label keys are those of cAdvisor, which the kubelet serves on
 * {@code /metrics/cadvisor}: {@code container}, {@code id}, {@code image}, {@code name},
 * {@code namespace}, {@code pod}, and {@code interface} for network metrics (pod level, reported as
 * cAdvisor reports the pod's network: with {@code container="POD"}, the infra process).
 */
public final class StatsResponses {
    /** cAdvisor's name for a pod's infra (pause) container in pod-level series. */
    static final String POD_CONTAINER = "POD";
    private static final List<String> LABELS = List.of("container", "id", "image", "name", "namespace", "pod");
    private static final List<String> NETWORK_LABELS = List.of("container", "id", "image", "name", "namespace", "pod", "interface");
    private static final List<String> FS_LABELS = List.of("container", "id", "image", "name", "namespace", "pod", "device");

    /** cAdvisor metric names this runtime reports through ListPodSandboxMetrics. */
    public enum Name {
        CPU_USAGE_SECONDS_TOTAL("container_cpu_usage_seconds_total", "Cumulative cpu time consumed in seconds.", LABELS, MetricType.COUNTER),
        MEMORY_WORKING_SET_BYTES("container_memory_working_set_bytes", "Current working set in bytes.", LABELS, MetricType.GAUGE),
        MEMORY_USAGE_BYTES("container_memory_usage_bytes", "Current memory usage in bytes, including all memory regardless of when it was accessed",
                LABELS, MetricType.GAUGE),
        MEMORY_RSS("container_memory_rss", "Size of RSS in bytes.", LABELS, MetricType.GAUGE),
        SPEC_MEMORY_LIMIT_BYTES("container_spec_memory_limit_bytes", "Memory limit for the container.", LABELS, MetricType.GAUGE),
        PROCESSES("container_processes", "Number of processes running inside the container.", LABELS, MetricType.GAUGE),
        FS_USAGE_BYTES("container_fs_usage_bytes", "Number of bytes that are consumed by the container on this filesystem.", FS_LABELS,
                MetricType.GAUGE),
        NETWORK_RECEIVE_BYTES_TOTAL("container_network_receive_bytes_total", "Cumulative count of bytes received", NETWORK_LABELS,
                MetricType.COUNTER),
        NETWORK_RECEIVE_ERRORS_TOTAL("container_network_receive_errors_total", "Cumulative count of errors encountered while receiving",
                NETWORK_LABELS, MetricType.COUNTER),
        NETWORK_TRANSMIT_BYTES_TOTAL("container_network_transmit_bytes_total", "Cumulative count of bytes transmitted", NETWORK_LABELS,
                MetricType.COUNTER),
        NETWORK_TRANSMIT_ERRORS_TOTAL("container_network_transmit_errors_total", "Cumulative count of errors encountered while transmitting",
                NETWORK_LABELS, MetricType.COUNTER);

        private final String metric;
        private final String help;
        private final List<String> labels;
        private final MetricType type;

        Name(String metric, String help, List<String> labels, MetricType type) {
            this.metric = metric;
            this.help = help;
            this.labels = labels;
            this.type = type;
        }

        public String metric() {
            return metric;
        }
    }

    private static final ListMetricDescriptorsResponse DESCRIPTORS = descriptorsOnce();

    private StatsResponses() {}

    // ---- filters ----

    /** ListContainerStats' filter: running containers only, by id prefix, pod id prefix and labels. */
    public static ContainerFilter filter(ListContainerStatsRequest request) {
        if (!request.hasFilter()) {
            return new ContainerFilter(Optional.empty(), Optional.of(Container.State.RUNNING), Optional.empty(), java.util.Map.of());
        }
        var f = request.getFilter();
        return new ContainerFilter(nonEmpty(f.getId()), Optional.of(Container.State.RUNNING), nonEmpty(f.getPodSandboxId()),
                LabelSelectors.check(f.getLabelSelectorMap(), "filter.label_selector"));
    }

    /** ListPodSandboxStats' filter: ready pods only, by id prefix and labels. */
    public static SandboxFilter filter(ListPodSandboxStatsRequest request) {
        if (!request.hasFilter()) {
            return new SandboxFilter(Optional.empty(), Optional.of(Sandbox.State.READY), java.util.Map.of());
        }
        var f = request.getFilter();
        return new SandboxFilter(nonEmpty(f.getId()), Optional.of(Sandbox.State.READY),
                LabelSelectors.check(f.getLabelSelectorMap(), "filter.label_selector"));
    }

    /** ListPodSandboxMetrics' pods: every ready pod (the request has no filter). */
    public static SandboxFilter filter(ListPodSandboxMetricsRequest request) {
        return new SandboxFilter(Optional.empty(), Optional.of(Sandbox.State.READY), java.util.Map.of());
    }

    // ---- responses ----

    public static ContainerStatsResponse containerStats(ContainerReport report) {
        return ContainerStatsResponse.newBuilder().setStats(container(report)).build();
    }

    public static ListContainerStatsResponse listContainerStats(List<ContainerReport> reports) {
        ListContainerStatsResponse.Builder response = ListContainerStatsResponse.newBuilder();
        reports.forEach(r -> response.addStats(container(r)));
        return response.build();
    }

    public static PodSandboxStatsResponse podSandboxStats(PodReport report) {
        return PodSandboxStatsResponse.newBuilder().setStats(pod(report)).build();
    }

    public static ListPodSandboxStatsResponse listPodSandboxStats(List<PodReport> reports) {
        ListPodSandboxStatsResponse.Builder response = ListPodSandboxStatsResponse.newBuilder();
        reports.forEach(r -> response.addStats(pod(r)));
        return response.build();
    }

    public static ListPodSandboxMetricsResponse listPodSandboxMetrics(List<PodReport> reports) {
        ListPodSandboxMetricsResponse.Builder response = ListPodSandboxMetricsResponse.newBuilder();
        reports.forEach(r -> response.addPodMetrics(metrics(r)));
        return response.build();
    }

    // ---- stats ----

    public static ContainerStats container(ContainerReport report) {
        Container c = report.container();
        ContainerFigures f = report.figures();
        ContainerStats.Builder out = ContainerStats.newBuilder().setAttributes(ContainerAttributes.newBuilder()
                .setId(c.id())
                .setMetadata(ContainerMetadata.newBuilder().setName(c.settings().name()).setAttempt(c.settings().attempt()))
                .putAllLabels(c.settings().labels())
                .putAllAnnotations(c.settings().annotations()));
        ContainerStatsSample s = f.latest();
        if (s != null) {
            out.setCpu(cpu(s.timestampNanos(), s.cpuUsageCoreNanos(), f.nanoCores()));
            ContainerStatsSample.MemoryUsage m = s.memory();
            out.setMemory(memory(s.timestampNanos(), m.usageBytes(), m.workingSetBytes(), m.rssBytes(), m.pageFaults(),
                    m.majorPageFaults(), m.availableBytes()));
        }
        f.writableLayer().ifPresent(layer -> out.setWritableLayer(FilesystemUsage.newBuilder()
                .setTimestamp(layer.timestampNanos())
                .setFsId(FilesystemIdentifier.newBuilder().setMountpoint(layer.directory()))
                .setUsedBytes(u64(layer.usedBytes()))
                .setInodesUsed(u64(layer.inodesUsed()))));
        return out.build();
    }

    public static PodSandboxStats pod(PodReport report) {
        Sandbox s = report.sandbox();
        PodSandboxStats.Builder out = PodSandboxStats.newBuilder().setAttributes(PodSandboxAttributes.newBuilder()
                .setId(s.id())
                .setMetadata(PodSandboxMetadata.newBuilder().setName(s.pod().name()).setNamespace(s.pod().namespace())
                        .setUid(s.pod().uid()).setAttempt(s.pod().attempt()))
                .putAllLabels(s.labels())
                .putAllAnnotations(s.annotations()));
        LinuxPodSandboxStats.Builder linux = LinuxPodSandboxStats.newBuilder();
        PodUsage u = report.usage();
        if (u.timestampNanos() > 0) {
            linux.setCpu(cpu(u.timestampNanos(), u.cpuUsageCoreNanos(), u.nanoCores()));
            linux.setMemory(memory(u.timestampNanos(), u.usageBytes(), u.workingSetBytes(), u.rssBytes(), u.pageFaults(),
                    u.majorPageFaults(), ContainerFigures.UNKNOWN));
            linux.setProcess(ProcessUsage.newBuilder().setTimestamp(u.timestampNanos()).setProcessCount(u64(u.processCount())));
        }
        report.network().ifPresent(n -> {
            NetworkUsage.Builder network = NetworkUsage.newBuilder().setTimestamp(n.timestampNanos());
            n.defaultInterface().ifPresent(i -> network.setDefaultInterface(networkInterface(i)));
            n.interfaces().forEach(i -> network.addInterfaces(networkInterface(i)));
            linux.setNetwork(network);
        });
        for (ContainerReport c : report.containers()) {
            linux.addContainers(container(c));
        }
        return out.setLinux(linux).build();
    }

    // ---- metrics ----

    public static ListMetricDescriptorsResponse descriptors() {
        return DESCRIPTORS;
    }

    private static ListMetricDescriptorsResponse descriptorsOnce() {
        ListMetricDescriptorsResponse.Builder out = ListMetricDescriptorsResponse.newBuilder();
        for (Name n : Name.values()) {
            out.addDescriptors(MetricDescriptor.newBuilder().setName(n.metric).setHelp(n.help).addAllLabelKeys(n.labels));
        }
        return out.build();
    }

    /** One pod's metrics: its network per interface, and per running container CPU, memory, processes and writable layer. */
    public static PodSandboxMetrics metrics(PodReport report) {
        Sandbox s = report.sandbox();
        PodSandboxMetrics.Builder out = PodSandboxMetrics.newBuilder().setPodSandboxId(s.id());
        report.network().ifPresent(n -> {
            for (NetworkFigures.Interface i : n.interfaces()) {
                List<String> labels = labels(POD_CONTAINER, s.id(), "", s, i.name());
                add(out::addMetrics, Name.NETWORK_RECEIVE_BYTES_TOTAL, n.timestampNanos(), labels, i.rxBytes());
                add(out::addMetrics, Name.NETWORK_RECEIVE_ERRORS_TOTAL, n.timestampNanos(), labels, i.rxErrors());
                add(out::addMetrics, Name.NETWORK_TRANSMIT_BYTES_TOTAL, n.timestampNanos(), labels, i.txBytes());
                add(out::addMetrics, Name.NETWORK_TRANSMIT_ERRORS_TOTAL, n.timestampNanos(), labels, i.txErrors());
            }
        });
        for (ContainerReport r : report.containers()) {
            Container c = r.container();
            ContainerMetrics.Builder metrics = ContainerMetrics.newBuilder().setContainerId(c.id());
            List<String> labels = labels(c.settings().name(), c.id(), c.imageRef(), s, null);
            ContainerStatsSample sample = r.figures().latest();
            if (sample != null) {
                long at = sample.timestampNanos();
                add(metrics::addMetrics, Name.CPU_USAGE_SECONDS_TOTAL, at, labels,
                        sample.cpuUsageCoreNanos() < 0 ? -1 : sample.cpuUsageCoreNanos() / 1_000_000_000L);
                add(metrics::addMetrics, Name.MEMORY_WORKING_SET_BYTES, at, labels, sample.memory().workingSetBytes());
                add(metrics::addMetrics, Name.MEMORY_USAGE_BYTES, at, labels, sample.memory().usageBytes());
                add(metrics::addMetrics, Name.MEMORY_RSS, at, labels, sample.memory().rssBytes());
                long limit = c.resources().memoryLimitInBytes();
                add(metrics::addMetrics, Name.SPEC_MEMORY_LIMIT_BYTES, at, labels, limit > 0 ? limit : -1);
                add(metrics::addMetrics, Name.PROCESSES, at, labels, sample.processCount());
            }
            r.figures().writableLayer().ifPresent(layer -> add(metrics::addMetrics, Name.FS_USAGE_BYTES, layer.timestampNanos(),
                    labels(c.settings().name(), c.id(), c.imageRef(), s, layer.directory()), layer.usedBytes()));
            out.addContainerMetrics(metrics);
        }
        return out.build();
    }

    private static List<String> labels(String container, String id, String image, Sandbox s, String extra) {
        List<String> values = new ArrayList<>(List.of(container, id, image, id, s.pod().namespace(), s.pod().name()));
        if (extra != null) {
            values.add(extra);
        }
        return values;
    }

    private static void add(java.util.function.Consumer<Metric> sink, Name name, long timestamp, List<String> labels, long value) {
        if (value < 0) {
            return;
        }
        sink.accept(Metric.newBuilder().setName(name.metric).setTimestamp(timestamp).setMetricType(name.type)
                .addAllLabelValues(labels).setValue(UInt64Value.newBuilder().setValue(value)).build());
    }

    // ---- pieces ----

    private static CpuUsage cpu(long timestamp, long coreNanos, long nanoCores) {
        CpuUsage.Builder cpu = CpuUsage.newBuilder().setTimestamp(timestamp);
        if (coreNanos >= 0) {
            cpu.setUsageCoreNanoSeconds(u64(coreNanos));
        }
        if (nanoCores >= 0) {
            cpu.setUsageNanoCores(u64(nanoCores));
        }
        return cpu.build();
    }

    private static MemoryUsage memory(long timestamp, long usage, long workingSet, long rss, long faults, long majorFaults, long available) {
        MemoryUsage.Builder m = MemoryUsage.newBuilder().setTimestamp(timestamp);
        if (usage >= 0) {
            m.setUsageBytes(u64(usage));
        }
        if (workingSet >= 0) {
            m.setWorkingSetBytes(u64(workingSet));
        }
        if (rss >= 0) {
            m.setRssBytes(u64(rss));
        }
        if (faults >= 0) {
            m.setPageFaults(u64(faults));
        }
        if (majorFaults >= 0) {
            m.setMajorPageFaults(u64(majorFaults));
        }
        if (available >= 0) {
            m.setAvailableBytes(u64(available));
        }
        return m.build();
    }

    private static NetworkInterfaceUsage networkInterface(NetworkFigures.Interface i) {
        return NetworkInterfaceUsage.newBuilder().setName(i.name()).setRxBytes(u64(i.rxBytes())).setRxErrors(u64(i.rxErrors()))
                .setTxBytes(u64(i.txBytes())).setTxErrors(u64(i.txErrors())).build();
    }

    private static UInt64Value u64(long value) {
        return UInt64Value.newBuilder().setValue(value).build();
    }

    private static Optional<String> nonEmpty(String s) {
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }
}
