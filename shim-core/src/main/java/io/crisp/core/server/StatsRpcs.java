package io.crisp.core.server;

import io.crisp.core.convert.ContainerRequests;
import io.crisp.core.convert.SandboxRequests;
import io.crisp.core.convert.StatsResponses;
import io.crisp.core.stats.StatsService;
import io.crisp.cri.v1.ContainerStatsRequest;
import io.crisp.cri.v1.ContainerStatsResponse;
import io.crisp.cri.v1.ListContainerStatsRequest;
import io.crisp.cri.v1.ListContainerStatsResponse;
import io.crisp.cri.v1.ListPodSandboxMetricsRequest;
import io.crisp.cri.v1.ListPodSandboxMetricsResponse;
import io.crisp.cri.v1.ListPodSandboxStatsRequest;
import io.crisp.cri.v1.ListPodSandboxStatsResponse;
import io.crisp.cri.v1.PodSandboxStatsRequest;
import io.crisp.cri.v1.PodSandboxStatsResponse;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.grpc.ServerMethodDefinition;
import java.util.List;

/**
 * Stats RPCs: ContainerStats, ListContainerStats, PodSandboxStats, ListPodSandboxStats,
 * ListMetricDescriptors, ListPodSandboxMetrics. They answer from the stats collector's memory
 * ({@link StatsService}), never from a backend.
 */
public final class StatsRpcs implements RuntimeRpcs {
    private final StatsService stats;

    public StatsRpcs(StatsService stats) {
        this.stats = stats;
    }

    @Override
    public List<ServerMethodDefinition<?, ?>> methods() {
        return List.of(
                Rpc.unary(RuntimeServiceGrpc.getContainerStatsMethod(), this::containerStats),
                Rpc.unary(RuntimeServiceGrpc.getListContainerStatsMethod(), this::listContainerStats),
                Rpc.unary(RuntimeServiceGrpc.getPodSandboxStatsMethod(), this::podSandboxStats),
                Rpc.unary(RuntimeServiceGrpc.getListPodSandboxStatsMethod(), this::listPodSandboxStats),
                Rpc.unary(RuntimeServiceGrpc.getListMetricDescriptorsMethod(), request -> StatsResponses.descriptors()),
                Rpc.unary(RuntimeServiceGrpc.getListPodSandboxMetricsMethod(), this::listPodSandboxMetrics));
    }

    private ContainerStatsResponse containerStats(ContainerStatsRequest request) {
        return StatsResponses.containerStats(stats.container(ContainerRequests.containerId(request.getContainerId())));
    }

    private ListContainerStatsResponse listContainerStats(ListContainerStatsRequest request) {
        return StatsResponses.listContainerStats(stats.containers(StatsResponses.filter(request)));
    }

    private PodSandboxStatsResponse podSandboxStats(PodSandboxStatsRequest request) {
        return StatsResponses.podSandboxStats(stats.pod(SandboxRequests.podSandboxId(request.getPodSandboxId())));
    }

    private ListPodSandboxStatsResponse listPodSandboxStats(ListPodSandboxStatsRequest request) {
        return StatsResponses.listPodSandboxStats(stats.pods(StatsResponses.filter(request)));
    }

    private ListPodSandboxMetricsResponse listPodSandboxMetrics(ListPodSandboxMetricsRequest request) {
        return StatsResponses.listPodSandboxMetrics(stats.pods(StatsResponses.filter(request)));
    }
}
