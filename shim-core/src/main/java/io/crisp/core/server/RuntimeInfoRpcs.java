package io.crisp.core.server;

import io.crisp.core.convert.StatusResponses;
import io.crisp.core.network.NodeState;
import io.crisp.core.runtime.RuntimeInfoService;
import io.crisp.cri.v1.RuntimeConfigRequest;
import io.crisp.cri.v1.RuntimeConfigResponse;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.StatusResponse;
import io.crisp.cri.v1.UpdateRuntimeConfigRequest;
import io.crisp.cri.v1.UpdateRuntimeConfigResponse;
import io.crisp.cri.v1.VersionResponse;
import io.grpc.ServerMethodDefinition;
import io.grpc.stub.ServerCalls;
import java.util.ArrayList;
import java.util.List;

/**
 * Runtime-level RPCs: Version, Status, RuntimeConfig, UpdateRuntimeConfig, and GetContainerEvents,
 * a stream that stays open with every container (and pod) lifecycle event from then on.
 */
public final class RuntimeInfoRpcs implements RuntimeRpcs {
    private final RuntimeInfoService info;
    private final NodeState node;
    /** GetContainerEvents streams; null leaves the method UNIMPLEMENTED. */
    private final ContainerEventStreams events;

    public RuntimeInfoRpcs(RuntimeInfoService info, NodeState node, ContainerEventStreams events) {
        this.info = info;
        this.node = node;
        this.events = events;
    }

    @Override
    public List<ServerMethodDefinition<?, ?>> methods() {
        List<ServerMethodDefinition<?, ?>> methods = new ArrayList<>(List.of(
                Rpc.unary(RuntimeServiceGrpc.getVersionMethod(), request -> version()),
                Rpc.unary(RuntimeServiceGrpc.getStatusMethod(), this::status),
                Rpc.unary(RuntimeServiceGrpc.getRuntimeConfigMethod(), this::runtimeConfig),
                Rpc.unary(RuntimeServiceGrpc.getUpdateRuntimeConfigMethod(), this::updateRuntimeConfig)));
        if (events != null) {
            methods.add(ServerMethodDefinition.create(RuntimeServiceGrpc.getGetContainerEventsMethod(),
                    ServerCalls.asyncServerStreamingCall((request, observer) -> events.serve(observer))));
        }
        return methods;
    }

    private VersionResponse version() {
        return StatusResponses.version();
    }

    private StatusResponse status(StatusRequest request) {
        return StatusResponses.toProto(info.status(request.getVerbose()));
    }

    private RuntimeConfigResponse runtimeConfig(RuntimeConfigRequest request) {
        return StatusResponses.runtimeConfig(info.cgroupDriver());
    }

    private UpdateRuntimeConfigResponse updateRuntimeConfig(UpdateRuntimeConfigRequest request) {
        node.updatePodCidr(StatusResponses.podCidr(request));
        return UpdateRuntimeConfigResponse.getDefaultInstance();
    }
}
