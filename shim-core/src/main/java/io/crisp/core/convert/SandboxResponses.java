package io.crisp.core.convert;

import io.crisp.core.sandbox.Sandbox;
import io.crisp.core.sandbox.SandboxFilter;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.ListPodSandboxResponse;
import io.crisp.cri.v1.PodSandbox;
import io.crisp.cri.v1.PodSandboxFilter;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.PodSandboxState;
import io.crisp.spi.BackendException;
import java.util.List;
import java.util.Optional;

/** Sandbox list requests and answers between CRI and core. */
public final class SandboxResponses {
    private SandboxResponses() {}

    public static SandboxFilter filter(ListPodSandboxRequest request) {
        if (!request.hasFilter()) {
            return SandboxFilter.ALL;
        }
        PodSandboxFilter f = request.getFilter();
        Optional<Sandbox.State> state = Optional.empty();
        if (f.hasState()) {
            state = Optional.of(switch (f.getState().getState()) {
                case SANDBOX_READY -> Sandbox.State.READY;
                case SANDBOX_NOTREADY -> Sandbox.State.NOT_READY;
                default -> throw BackendException.invalidArgument("filter.state.state: unknown value %d", f.getState().getStateValue());
            });
        }
        return new SandboxFilter(f.getId().isEmpty() ? Optional.empty() : Optional.of(f.getId()), state, f.getLabelSelectorMap());
    }

    public static ListPodSandboxResponse toProto(List<Sandbox> sandboxes) {
        ListPodSandboxResponse.Builder response = ListPodSandboxResponse.newBuilder();
        for (Sandbox s : sandboxes) {
            response.addItems(PodSandbox.newBuilder()
                    .setId(s.id())
                    .setMetadata(PodSandboxMetadata.newBuilder().setName(s.pod().name()).setNamespace(s.pod().namespace())
                            .setUid(s.pod().uid()).setAttempt(s.pod().attempt()))
                    .setState(s.state() == Sandbox.State.READY ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY)
                    .setCreatedAt(s.createdAtNanos())
                    .putAllLabels(s.labels())
                    .putAllAnnotations(s.annotations())
                    .setRuntimeHandler(s.handler()));
        }
        return response.build();
    }
}
