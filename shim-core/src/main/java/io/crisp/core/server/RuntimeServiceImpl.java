package io.crisp.core.server;

import io.crisp.core.CrispBuild;
import io.crisp.core.container.Bundles;
import io.crisp.core.container.ContainerFilter;
import io.crisp.core.sandbox.SandboxFilter;
import io.crisp.core.container.ContainerService;
import io.crisp.core.convert.ContainerResponses;
import io.crisp.core.convert.ContainerSettingsFromCri;
import io.crisp.core.convert.SandboxRequests;
import io.crisp.core.convert.SandboxResponses;
import io.crisp.core.convert.StatsResponses;
import io.crisp.core.convert.StatusResponses;
import io.crisp.core.stats.StatsCollector;
import io.crisp.cri.v1.ContainerStatsRequest;
import io.crisp.cri.v1.ContainerStatsResponse;
import io.crisp.cri.v1.ListContainerStatsRequest;
import io.crisp.cri.v1.ListContainerStatsResponse;
import io.crisp.cri.v1.ListMetricDescriptorsRequest;
import io.crisp.cri.v1.ListMetricDescriptorsResponse;
import io.crisp.cri.v1.ListPodSandboxMetricsRequest;
import io.crisp.cri.v1.ListPodSandboxMetricsResponse;
import io.crisp.cri.v1.ListPodSandboxStatsRequest;
import io.crisp.cri.v1.ListPodSandboxStatsResponse;
import io.crisp.cri.v1.PodSandboxStatsRequest;
import io.crisp.cri.v1.PodSandboxStatsResponse;
import io.crisp.core.runtime.NodeState;
import io.crisp.core.runtime.RuntimeInfoService;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.core.sandbox.SandboxService;
import io.crisp.cri.v1.ContainerEventResponse;
import io.crisp.cri.v1.ContainerStatusRequest;
import io.crisp.cri.v1.GetEventsRequest;
import io.crisp.cri.v1.ContainerStatusResponse;
import io.crisp.cri.v1.CreateContainerRequest;
import io.crisp.cri.v1.CreateContainerResponse;
import io.crisp.cri.v1.AttachRequest;
import io.crisp.cri.v1.AttachResponse;
import io.crisp.cri.v1.ExecRequest;
import io.crisp.cri.v1.ExecResponse;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.PortForwardRequest;
import io.crisp.cri.v1.PortForwardResponse;
import io.crisp.cri.v1.ExecSyncResponse;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListContainersResponse;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.ListPodSandboxResponse;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.PodSandboxStatusResponse;
import io.crisp.cri.v1.RemoveContainerRequest;
import io.crisp.cri.v1.RemoveContainerResponse;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.RemovePodSandboxResponse;
import io.crisp.cri.v1.ReopenContainerLogRequest;
import io.crisp.cri.v1.ReopenContainerLogResponse;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.RunPodSandboxResponse;
import io.crisp.cri.v1.RuntimeConfigRequest;
import io.crisp.cri.v1.RuntimeConfigResponse;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.crisp.cri.v1.StartContainerRequest;
import io.crisp.cri.v1.StartContainerResponse;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.StatusResponse;
import io.crisp.cri.v1.StopContainerRequest;
import io.crisp.cri.v1.StopContainerResponse;
import io.crisp.cri.v1.StopPodSandboxRequest;
import io.crisp.cri.v1.StopPodSandboxResponse;
import io.crisp.cri.v1.UpdateContainerResourcesRequest;
import io.crisp.cri.v1.UpdateContainerResourcesResponse;
import io.crisp.cri.v1.UpdateRuntimeConfigRequest;
import io.crisp.cri.v1.UpdateRuntimeConfigResponse;
import io.crisp.cri.v1.VersionRequest;
import io.crisp.cri.v1.VersionResponse;
import io.crisp.core.container.Container;
import io.crisp.core.stream.AttachTarget;
import io.crisp.core.stream.ExecTarget;
import io.crisp.core.stream.PortForwardTarget;
import io.crisp.core.stream.StreamTarget;
import io.crisp.core.stream.StreamTokens;
import io.crisp.spi.BackendException;
import io.crisp.spi.Capability;
import io.crisp.spi.model.StdioWiring;
import io.grpc.Status;
import io.crisp.spi.model.ExecResult;
import io.grpc.stub.StreamObserver;
import com.google.protobuf.ByteString;
import java.time.Duration;
import java.util.function.Function;

/**
 * CRI {@code RuntimeService}: each method converts, calls one core service and converts back.
 * Methods not overridden here answer UNIMPLEMENTED naming the method (the generated base does so),
 * never a made-up success.
 */
public final class RuntimeServiceImpl extends RuntimeServiceGrpc.RuntimeServiceImplBase {
    private static final VersionResponse VERSION = VersionResponse.newBuilder()
            .setVersion("0.1.0") // the CRI "kubelet API version" field, fixed by the spec
            .setRuntimeName(CrispBuild.RUNTIME_NAME)
            .setRuntimeVersion(CrispBuild.VERSION)
            .setRuntimeApiVersion(CrispBuild.CRI_API_VERSION)
            .build();

    private final RuntimeInfoService info;
    private final NodeState node;
    private final SandboxService sandboxes;
    private final ContainerService containers;
    private final Bundles bundles;
    /** The stats RPCs answer from what it collected; they never call a backend. */
    private final StatsCollector stats;
    /** Issues the single-use streaming URL of a validated Exec, Attach or PortForward. */
    private final Function<StreamTarget, String> streamUrls;
    /** GetContainerEvents streams; null answers UNIMPLEMENTED. */
    private final ContainerEventStreams events;
    private final ListCache<ListPodSandboxResponse> allPods = new ListCache<>();
    private final ListCache<ListContainersResponse> allContainers = new ListCache<>();

    public RuntimeServiceImpl(RuntimeInfoService info, NodeState node, SandboxService sandboxes, ContainerService containers, Bundles bundles,
            Function<StreamTarget, String> streamUrls, StatsCollector stats) {
        this(info, node, sandboxes, containers, bundles, streamUrls, stats, null);
    }

    public RuntimeServiceImpl(RuntimeInfoService info, NodeState node, SandboxService sandboxes, ContainerService containers, Bundles bundles,
            Function<StreamTarget, String> streamUrls, StatsCollector stats, ContainerEventStreams events) {
        this.events = events;
        this.info = info;
        this.stats = stats;
        this.streamUrls = streamUrls;
        this.node = node;
        this.sandboxes = sandboxes;
        this.containers = containers;
        this.bundles = bundles;
    }

    /**
     * The generated binding, except that the unfiltered ListPodSandbox and ListContainers answers
     * go out as cached bytes (see {@link ListCache}).
     */
    @SuppressWarnings("unchecked")
    public io.grpc.ServerServiceDefinition withCachedLists() {
        io.grpc.ServerServiceDefinition generated = bindService();
        io.grpc.ServerServiceDefinition.Builder builder = io.grpc.ServerServiceDefinition.builder(generated.getServiceDescriptor().getName());
        for (io.grpc.ServerMethodDefinition<?, ?> method : generated.getMethods()) {
            String name = method.getMethodDescriptor().getFullMethodName();
            if (name.equals(RuntimeServiceGrpc.getListContainersMethod().getFullMethodName())) {
                builder.addMethod(allContainers.sendCachedBytes((io.grpc.ServerMethodDefinition<ListContainersRequest, ListContainersResponse>) method));
            } else if (name.equals(RuntimeServiceGrpc.getListPodSandboxMethod().getFullMethodName())) {
                builder.addMethod(allPods.sendCachedBytes((io.grpc.ServerMethodDefinition<ListPodSandboxRequest, ListPodSandboxResponse>) method));
            } else {
                builder.addMethod(method);
            }
        }
        return builder.build();
    }

    @Override
    public void version(VersionRequest request, StreamObserver<VersionResponse> observer) {
        Rpc.unary(observer, "Version", () -> VERSION);
    }

    @Override
    public void status(StatusRequest request, StreamObserver<StatusResponse> observer) {
        Rpc.unary(observer, "Status", () -> StatusResponses.toProto(info.status(request.getVerbose())));
    }

    @Override
    public void runtimeConfig(RuntimeConfigRequest request, StreamObserver<RuntimeConfigResponse> observer) {
        Rpc.unary(observer, "RuntimeConfig", () -> StatusResponses.runtimeConfig(info.cgroupDriver()));
    }

    @Override
    public void updateRuntimeConfig(UpdateRuntimeConfigRequest request, StreamObserver<UpdateRuntimeConfigResponse> observer) {
        Rpc.unary(observer, "UpdateRuntimeConfig", () -> {
            node.updatePodCidr(request.getRuntimeConfig().getNetworkConfig().getPodCidr());
            return UpdateRuntimeConfigResponse.getDefaultInstance();
        });
    }

    // ---- pod sandboxes ----

    @Override
    public void runPodSandbox(RunPodSandboxRequest request, StreamObserver<RunPodSandboxResponse> observer) {
        Rpc.unary(observer, "RunPodSandbox", () -> RunPodSandboxResponse.newBuilder()
                .setPodSandboxId(sandboxes.runPodSandbox(SandboxRequests.from(request))).build());
    }

    @Override
    public void stopPodSandbox(StopPodSandboxRequest request, StreamObserver<StopPodSandboxResponse> observer) {
        Rpc.unary(observer, "StopPodSandbox", () -> {
            sandboxes.stop(required(request.getPodSandboxId(), "pod_sandbox_id"));
            return StopPodSandboxResponse.getDefaultInstance();
        });
    }

    @Override
    public void removePodSandbox(RemovePodSandboxRequest request, StreamObserver<RemovePodSandboxResponse> observer) {
        Rpc.unary(observer, "RemovePodSandbox", () -> {
            sandboxes.remove(required(request.getPodSandboxId(), "pod_sandbox_id"));
            return RemovePodSandboxResponse.getDefaultInstance();
        });
    }

    @Override
    public void podSandboxStatus(PodSandboxStatusRequest request, StreamObserver<PodSandboxStatusResponse> observer) {
        Rpc.unary(observer, "PodSandboxStatus", () -> {
            Sandbox s = sandboxes.status(required(request.getPodSandboxId(), "pod_sandbox_id"));
            return SandboxResponses.status(s, request.getVerbose(),
                    request.getVerbose() ? bundles.spec(s.id()) : java.util.Optional.empty());
        });
    }

    @Override
    public void listPodSandbox(ListPodSandboxRequest request, StreamObserver<ListPodSandboxResponse> observer) {
        Rpc.unary(observer, "ListPodSandbox", () -> {
            if (!request.hasFilter()) {
                return allPods.get(sandboxes.version(), () -> SandboxResponses.toProto(sandboxes.listPodSandbox(SandboxFilter.ALL)));
            }
            return SandboxResponses.toProto(sandboxes.listPodSandbox(SandboxResponses.filter(request)));
        });
    }

    // ---- containers ----

    @Override
    public void createContainer(CreateContainerRequest request, StreamObserver<CreateContainerResponse> observer) {
        Rpc.unary(observer, "CreateContainer", () -> {
            String sandbox = required(request.getPodSandboxId(), "pod_sandbox_id");
            if (!request.hasConfig()) {
                throw BackendException.invalidArgument("config: a CreateContainer request needs a ContainerConfig");
            }
            return CreateContainerResponse.newBuilder()
                    .setContainerId(containers.create(sandbox, ContainerSettingsFromCri.from(request.getConfig()))).build();
        });
    }

    @Override
    public void startContainer(StartContainerRequest request, StreamObserver<StartContainerResponse> observer) {
        Rpc.unary(observer, "StartContainer", () -> {
            containers.start(required(request.getContainerId(), "container_id"));
            return StartContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void stopContainer(StopContainerRequest request, StreamObserver<StopContainerResponse> observer) {
        Rpc.unary(observer, "StopContainer", () -> {
            if (request.getTimeout() < 0) {
                throw BackendException.invalidArgument("timeout: must not be negative, got %d", request.getTimeout());
            }
            containers.stop(required(request.getContainerId(), "container_id"), Duration.ofSeconds(request.getTimeout()));
            return StopContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void removeContainer(RemoveContainerRequest request, StreamObserver<RemoveContainerResponse> observer) {
        Rpc.unary(observer, "RemoveContainer", () -> {
            containers.remove(required(request.getContainerId(), "container_id"));
            return RemoveContainerResponse.getDefaultInstance();
        });
    }

    @Override
    public void listContainers(ListContainersRequest request, StreamObserver<ListContainersResponse> observer) {
        Rpc.unary(observer, "ListContainers", () -> {
            if (!request.hasFilter()) {
                return allContainers.get(containers.store().version(), () -> ContainerResponses.toProto(containers.list(ContainerFilter.ALL)));
            }
            return ContainerResponses.toProto(containers.list(ContainerResponses.filter(request)));
        });
    }

    @Override
    public void containerStatus(ContainerStatusRequest request, StreamObserver<ContainerStatusResponse> observer) {
        Rpc.unary(observer, "ContainerStatus", () -> {
            var c = containers.status(required(request.getContainerId(), "container_id"));
            return ContainerResponses.status(c, request.getVerbose(),
                    request.getVerbose() ? bundles.spec(c.id()) : java.util.Optional.empty());
        });
    }

    @Override
    public void updateContainerResources(UpdateContainerResourcesRequest request, StreamObserver<UpdateContainerResourcesResponse> observer) {
        Rpc.unary(observer, "UpdateContainerResources", () -> {
            String id = required(request.getContainerId(), "container_id");
            if (!request.hasLinux()) {
                throw BackendException.invalidArgument("linux: UpdateContainerResources needs linux resources");
            }
            containers.updateResources(id, ContainerSettingsFromCri.resources(request.getLinux()));
            return UpdateContainerResourcesResponse.getDefaultInstance();
        });
    }

    @Override
    public void reopenContainerLog(ReopenContainerLogRequest request, StreamObserver<ReopenContainerLogResponse> observer) {
        Rpc.unary(observer, "ReopenContainerLog", () -> {
            containers.reopenLog(required(request.getContainerId(), "container_id"));
            return ReopenContainerLogResponse.getDefaultInstance();
        });
    }

    @Override
    public void execSync(ExecSyncRequest request, StreamObserver<ExecSyncResponse> observer) {
        Rpc.unary(observer, "ExecSync", () -> {
            String id = required(request.getContainerId(), "container_id");
            if (request.getCmdCount() == 0) {
                throw BackendException.invalidArgument("cmd: a command is required");
            }
            if (request.getTimeout() < 0) {
                throw BackendException.invalidArgument("timeout: must not be negative, got %d", request.getTimeout());
            }
            ExecResult result = containers.execSync(id, request.getCmdList(), Duration.ofSeconds(request.getTimeout()));
            return ExecSyncResponse.newBuilder().setExitCode(result.exitCode())
                    .setStdout(ByteString.copyFrom(result.stdout())).setStderr(ByteString.copyFrom(result.stderr())).build();
        });
    }

    /**
     * A stream that stays open: every container (and pod) lifecycle event from now on, with the
     * pod's status and its containers' statuses as they were at that moment.
     */
    @Override
    public void getContainerEvents(GetEventsRequest request, StreamObserver<ContainerEventResponse> observer) {
        if (events == null) {
            super.getContainerEvents(request, observer);
            return;
        }
        events.serve(observer);
    }

    // ---- stats: from the collector's memory, never from a backend ----

    @Override
    public void containerStats(ContainerStatsRequest request, StreamObserver<ContainerStatsResponse> observer) {
        Rpc.unary(observer, "ContainerStats", () -> {
            Container c = containers.status(required(request.getContainerId(), "container_id"));
            return ContainerStatsResponse.newBuilder().setStats(StatsResponses.container(stats.containerReport(c))).build();
        });
    }

    @Override
    public void listContainerStats(ListContainerStatsRequest request, StreamObserver<ListContainerStatsResponse> observer) {
        Rpc.unary(observer, "ListContainerStats", () -> {
            ListContainerStatsResponse.Builder response = ListContainerStatsResponse.newBuilder();
            for (Container c : containers.list(StatsResponses.filter(request))) {
                response.addStats(StatsResponses.container(stats.containerReport(c)));
            }
            return response.build();
        });
    }

    @Override
    public void podSandboxStats(PodSandboxStatsRequest request, StreamObserver<PodSandboxStatsResponse> observer) {
        Rpc.unary(observer, "PodSandboxStats", () -> {
            Sandbox s = sandboxes.status(required(request.getPodSandboxId(), "pod_sandbox_id"));
            return PodSandboxStatsResponse.newBuilder()
                    .setStats(StatsResponses.pod(stats.podReport(s, containers.store().inSandbox(s.id())))).build();
        });
    }

    @Override
    public void listPodSandboxStats(ListPodSandboxStatsRequest request, StreamObserver<ListPodSandboxStatsResponse> observer) {
        Rpc.unary(observer, "ListPodSandboxStats", () -> {
            ListPodSandboxStatsResponse.Builder response = ListPodSandboxStatsResponse.newBuilder();
            for (Sandbox s : sandboxes.listPodSandbox(StatsResponses.filter(request))) {
                response.addStats(StatsResponses.pod(stats.podReport(s, containers.store().inSandbox(s.id()))));
            }
            return response.build();
        });
    }

    @Override
    public void listMetricDescriptors(ListMetricDescriptorsRequest request, StreamObserver<ListMetricDescriptorsResponse> observer) {
        Rpc.unary(observer, "ListMetricDescriptors", StatsResponses::descriptors);
    }

    @Override
    public void listPodSandboxMetrics(ListPodSandboxMetricsRequest request, StreamObserver<ListPodSandboxMetricsResponse> observer) {
        Rpc.unary(observer, "ListPodSandboxMetrics", () -> {
            ListPodSandboxMetricsResponse.Builder response = ListPodSandboxMetricsResponse.newBuilder();
            for (Sandbox s : sandboxes.listPodSandbox(new SandboxFilter(java.util.Optional.empty(), java.util.Optional.of(Sandbox.State.READY),
                    java.util.Map.of()))) {
                response.addPodMetrics(StatsResponses.metrics(stats.podReport(s, containers.store().inSandbox(s.id()))));
            }
            return response.build();
        });
    }

    // ---- streaming: the request is checked now, the client connects to the returned URL ----

    @Override
    public void exec(ExecRequest request, StreamObserver<ExecResponse> observer) {
        Rpc.unary(observer, "Exec", () -> {
            Container c = containers.streamable(required(request.getContainerId(), "container_id"), Capability.EXEC, "Exec");
            if (request.getCmdCount() == 0) {
                throw BackendException.invalidArgument("cmd: a command is required");
            }
            if (!request.getStdin() && !request.getStdout() && !request.getStderr()) {
                throw BackendException.invalidArgument("stdin, stdout, stderr: at least one must be set");
            }
            if (request.getTty() && request.getStderr()) {
                throw BackendException.invalidArgument("tty, stderr: stderr cannot be set with tty (a terminal has one output stream)");
            }
            StdioWiring stdio = new StdioWiring(request.getStdin(), request.getStdout(), request.getStderr(), request.getTty());
            return ExecResponse.newBuilder().setUrl(streamUrl(new ExecTarget(c.id(), request.getCmdList(), stdio))).build();
        });
    }

    @Override
    public void attach(AttachRequest request, StreamObserver<AttachResponse> observer) {
        Rpc.unary(observer, "Attach", () -> {
            Container c = containers.streamable(required(request.getContainerId(), "container_id"), Capability.ATTACH, "Attach");
            if (!request.getStdin() && !request.getStdout() && !request.getStderr()) {
                throw BackendException.invalidArgument("stdin, stdout, stderr: at least one must be set");
            }
            if (request.getTty() && request.getStderr()) {
                throw BackendException.invalidArgument("tty, stderr: stderr cannot be set with tty (a terminal has one output stream)");
            }
            StdioWiring stdio = new StdioWiring(request.getStdin(), request.getStdout(), request.getStderr(), request.getTty());
            return AttachResponse.newBuilder().setUrl(streamUrl(new AttachTarget(c.id(), stdio))).build();
        });
    }

    @Override
    public void portForward(PortForwardRequest request, StreamObserver<PortForwardResponse> observer) {
        Rpc.unary(observer, "PortForward", () -> {
            String id = required(request.getPodSandboxId(), "pod_sandbox_id");
            for (int port : request.getPortList()) {
                if (port < 1 || port > 65535) {
                    throw BackendException.invalidArgument("port: %d is out of range 1-65535", port);
                }
            }
            sandboxes.portForwardNamespace(id);
            String sandboxId = sandboxes.status(id).id();
            return PortForwardResponse.newBuilder().setUrl(streamUrl(new PortForwardTarget(sandboxId, request.getPortList()))).build();
        });
    }

    private String streamUrl(StreamTarget target) {
        try {
            return streamUrls.apply(target);
        } catch (StreamTokens.TooManyInFlight e) {
            throw Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()).asRuntimeException();
        }
    }

    private static String required(String value, String field) {
        if (value.isEmpty()) {
            throw BackendException.invalidArgument("%s: must not be empty", field);
        }
        return value;
    }
}
