package io.crisp.core.server;

import io.crisp.core.bundle.Bundles;
import io.crisp.core.container.Container;
import io.crisp.core.container.ContainerFilter;
import io.crisp.core.container.ContainerService;
import io.crisp.core.convert.ContainerRequests;
import io.crisp.core.convert.ContainerResponses;
import io.crisp.cri.v1.CheckpointContainerRequest;
import io.crisp.cri.v1.CheckpointContainerResponse;
import io.crisp.cri.v1.ContainerStatusRequest;
import io.crisp.cri.v1.ContainerStatusResponse;
import io.crisp.cri.v1.CreateContainerRequest;
import io.crisp.cri.v1.CreateContainerResponse;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ExecSyncResponse;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListContainersResponse;
import io.crisp.cri.v1.RemoveContainerRequest;
import io.crisp.cri.v1.RemoveContainerResponse;
import io.crisp.cri.v1.ReopenContainerLogRequest;
import io.crisp.cri.v1.ReopenContainerLogResponse;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.crisp.cri.v1.StartContainerRequest;
import io.crisp.cri.v1.StartContainerResponse;
import io.crisp.cri.v1.StopContainerRequest;
import io.crisp.cri.v1.StopContainerResponse;
import io.crisp.cri.v1.UpdateContainerResourcesRequest;
import io.crisp.cri.v1.UpdateContainerResourcesResponse;
import io.grpc.ServerMethodDefinition;
import java.util.List;
import java.util.Optional;

/**
 * Container RPCs: CreateContainer, StartContainer, StopContainer, RemoveContainer, ListContainers
 * (the unfiltered answer sent as cached bytes, see {@link ListCache}), ContainerStatus,
 * UpdateContainerResources, ReopenContainerLog, ExecSync, CheckpointContainer.
 */
public final class ContainerRpcs implements RuntimeRpcs {
    private final ContainerService containers;
    /** The OCI spec a verbose status shows. */
    private final Bundles bundles;
    private final ListCache<ListContainersResponse> all = new ListCache<>();

    public ContainerRpcs(ContainerService containers, Bundles bundles) {
        this.containers = containers;
        this.bundles = bundles;
    }

    @Override
    public List<ServerMethodDefinition<?, ?>> methods() {
        return List.of(
                Rpc.unary(RuntimeServiceGrpc.getCreateContainerMethod(), this::create),
                Rpc.unary(RuntimeServiceGrpc.getStartContainerMethod(), this::start),
                Rpc.unary(RuntimeServiceGrpc.getStopContainerMethod(), this::stop),
                Rpc.unary(RuntimeServiceGrpc.getRemoveContainerMethod(), this::remove),
                all.sendCachedBytes(Rpc.unary(RuntimeServiceGrpc.getListContainersMethod(), this::list)),
                Rpc.unary(RuntimeServiceGrpc.getContainerStatusMethod(), this::status),
                Rpc.unary(RuntimeServiceGrpc.getUpdateContainerResourcesMethod(), this::updateResources),
                Rpc.unary(RuntimeServiceGrpc.getReopenContainerLogMethod(), this::reopenLog),
                Rpc.unary(RuntimeServiceGrpc.getExecSyncMethod(), this::execSync),
                Rpc.unary(RuntimeServiceGrpc.getCheckpointContainerMethod(), this::checkpoint));
    }

    private CreateContainerResponse create(CreateContainerRequest request) {
        ContainerRequests.Create create = ContainerRequests.create(request);
        return ContainerRequests.created(containers.create(create.podSandboxId(), create.settings()));
    }

    private StartContainerResponse start(StartContainerRequest request) {
        containers.start(ContainerRequests.containerId(request.getContainerId()));
        return StartContainerResponse.getDefaultInstance();
    }

    private StopContainerResponse stop(StopContainerRequest request) {
        ContainerRequests.Stop stop = ContainerRequests.stop(request);
        containers.stop(stop.containerId(), stop.timeout());
        return StopContainerResponse.getDefaultInstance();
    }

    private RemoveContainerResponse remove(RemoveContainerRequest request) {
        containers.remove(ContainerRequests.containerId(request.getContainerId()));
        return RemoveContainerResponse.getDefaultInstance();
    }

    private ListContainersResponse list(ListContainersRequest request) {
        // The kubelet's relist sends an empty filter rather than none: both mean every container.
        if (!request.hasFilter() || request.getFilter().equals(io.crisp.cri.v1.ContainerFilter.getDefaultInstance())) {
            // The version is read before the store, as ListCache asks.
            return all.get(containers.store().version(), () -> ContainerResponses.toProto(containers.list(ContainerFilter.ALL)));
        }
        return ContainerResponses.toProto(containers.list(ContainerResponses.filter(request)));
    }

    private ContainerStatusResponse status(ContainerStatusRequest request) {
        Container c = containers.status(ContainerRequests.containerId(request.getContainerId()));
        return ContainerResponses.status(c, request.getVerbose(), request.getVerbose() ? bundles.spec(c.id()) : Optional.empty());
    }

    private UpdateContainerResourcesResponse updateResources(UpdateContainerResourcesRequest request) {
        ContainerRequests.Update update = ContainerRequests.update(request);
        containers.updateResources(update.containerId(), update.resources());
        return UpdateContainerResourcesResponse.getDefaultInstance();
    }

    private ReopenContainerLogResponse reopenLog(ReopenContainerLogRequest request) {
        containers.reopenLog(ContainerRequests.containerId(request.getContainerId()));
        return ReopenContainerLogResponse.getDefaultInstance();
    }

    /** The archive goes to {@code location}; {@code timeout} is in seconds, 0 for the handler's default. */
    private CheckpointContainerResponse checkpoint(CheckpointContainerRequest request) {
        ContainerRequests.Checkpoint checkpoint = ContainerRequests.checkpoint(request);
        containers.checkpoints().checkpoint(checkpoint.containerId(), checkpoint.location(), checkpoint.timeout());
        return CheckpointContainerResponse.getDefaultInstance();
    }

    private ExecSyncResponse execSync(ExecSyncRequest request) {
        ContainerRequests.ExecSync exec = ContainerRequests.execSync(request);
        return ContainerRequests.execSync(containers.execs().execSync(exec.containerId(), exec.command(), exec.timeout()));
    }
}
