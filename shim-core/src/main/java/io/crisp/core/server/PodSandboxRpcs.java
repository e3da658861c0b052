package io.crisp.core.server;

import io.crisp.core.bundle.Bundles;
import io.crisp.core.convert.SandboxRequests;
import io.crisp.core.convert.SandboxResponses;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.core.sandbox.SandboxFilter;
import io.crisp.core.sandbox.SandboxService;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.ListPodSandboxResponse;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.PodSandboxStatusResponse;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.RemovePodSandboxResponse;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.RunPodSandboxResponse;
import io.crisp.cri.v1.RuntimeServiceGrpc;
import io.crisp.cri.v1.StopPodSandboxRequest;
import io.crisp.cri.v1.StopPodSandboxResponse;
import io.grpc.ServerMethodDefinition;
import java.util.List;
import java.util.Optional;

/**
 * Pod sandbox RPCs: RunPodSandbox, StopPodSandbox, RemovePodSandbox, PodSandboxStatus,
 * ListPodSandbox (the unfiltered answer sent as cached bytes, see {@link ListCache}).
 */
public final class PodSandboxRpcs implements RuntimeRpcs {
    private final SandboxService sandboxes;
    /** The OCI spec a verbose status shows. */
    private final Bundles bundles;
    private final ListCache<ListPodSandboxResponse> all = new ListCache<>();

    public PodSandboxRpcs(SandboxService sandboxes, Bundles bundles) {
        this.sandboxes = sandboxes;
        this.bundles = bundles;
    }

    @Override
    public List<ServerMethodDefinition<?, ?>> methods() {
        return List.of(
                Rpc.unary(RuntimeServiceGrpc.getRunPodSandboxMethod(), this::run),
                Rpc.unary(RuntimeServiceGrpc.getStopPodSandboxMethod(), this::stop),
                Rpc.unary(RuntimeServiceGrpc.getRemovePodSandboxMethod(), this::remove),
                Rpc.unary(RuntimeServiceGrpc.getPodSandboxStatusMethod(), this::status),
                all.sendCachedBytes(Rpc.unary(RuntimeServiceGrpc.getListPodSandboxMethod(), this::list)));
    }

    private RunPodSandboxResponse run(RunPodSandboxRequest request) {
        return SandboxResponses.ran(sandboxes.runPodSandbox(SandboxRequests.from(request)));
    }

    private StopPodSandboxResponse stop(StopPodSandboxRequest request) {
        sandboxes.stop(SandboxRequests.podSandboxId(request.getPodSandboxId()));
        return StopPodSandboxResponse.getDefaultInstance();
    }

    private RemovePodSandboxResponse remove(RemovePodSandboxRequest request) {
        sandboxes.remove(SandboxRequests.podSandboxId(request.getPodSandboxId()));
        return RemovePodSandboxResponse.getDefaultInstance();
    }

    private PodSandboxStatusResponse status(PodSandboxStatusRequest request) {
        Sandbox s = sandboxes.status(SandboxRequests.podSandboxId(request.getPodSandboxId()));
        return SandboxResponses.status(s, request.getVerbose(), request.getVerbose() ? bundles.spec(s.id()) : Optional.empty());
    }

    private ListPodSandboxResponse list(ListPodSandboxRequest request) {
        // An empty filter means every pod, as no filter does.
        if (!request.hasFilter() || request.getFilter().equals(io.crisp.cri.v1.PodSandboxFilter.getDefaultInstance())) {
            // The version is read before the store, as ListCache asks.
            return all.get(sandboxes.version(), () -> SandboxResponses.toProto(sandboxes.listPodSandbox(SandboxFilter.ALL)));
        }
        return SandboxResponses.toProto(sandboxes.listPodSandbox(SandboxResponses.filter(request)));
    }
}
