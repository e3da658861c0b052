package io.crisp.core.server;

import io.crisp.core.CrispBuild;
import io.crisp.core.convert.SandboxRequests;
import io.crisp.core.convert.SandboxResponses;
import io.crisp.core.convert.StatusResponses;
import io.crisp.core.runtime.NodeState;
import io.crisp.core.runtime.RuntimeInfoService;
import io.crisp.core.sandbox.SandboxService;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.ListPodSandboxResponse;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.RunPodSandboxResponse;
import io.crisp.cri.v1.RuntimeConfigRequest;
import io.crisp.cri.v1.RuntimeConfigResponse;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.StatusResponse;
import io.crisp.cri.v1.UpdateRuntimeConfigRequest;
import io.crisp.cri.v1.UpdateRuntimeConfigResponse;
import io.crisp.cri.v1.VersionRequest;
import io.crisp.cri.v1.VersionResponse;
import io.grpc.stub.StreamObserver;

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

    public RuntimeServiceImpl(RuntimeInfoService info, NodeState node, SandboxService sandboxes) {
        this.info = info;
        this.node = node;
        this.sandboxes = sandboxes;
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

    @Override
    public void listPodSandbox(ListPodSandboxRequest request, StreamObserver<ListPodSandboxResponse> observer) {
        Rpc.unary(observer, "ListPodSandbox", () -> SandboxResponses.toProto(sandboxes.listPodSandbox(SandboxResponses.filter(request))));
    }

    @Override
    public void runPodSandbox(RunPodSandboxRequest request, StreamObserver<RunPodSandboxResponse> observer) {
        Rpc.unary(observer, "RunPodSandbox", () -> RunPodSandboxResponse.newBuilder()
                .setPodSandboxId(sandboxes.runPodSandbox(SandboxRequests.from(request))).build());
    }
}
