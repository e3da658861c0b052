package io.crisp.core.convert;

import io.crisp.core.oci.NamespaceMode;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.core.sandbox.SandboxFilter;
import io.crisp.cri.v1.LinuxPodSandboxStatus;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.ListPodSandboxResponse;
import io.crisp.cri.v1.Namespace;
import io.crisp.cri.v1.NamespaceOption;
import io.crisp.cri.v1.PodSandbox;
import io.crisp.cri.v1.PodSandboxFilter;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.PodSandboxNetworkStatus;
import io.crisp.cri.v1.PodSandboxState;
import io.crisp.cri.v1.PodSandboxStatus;
import io.crisp.cri.v1.PodSandboxStatusResponse;
import io.crisp.cri.v1.RunPodSandboxResponse;
import io.crisp.spi.BackendException;
import java.util.List;
import java.util.Optional;

/** Sandbox list and status requests and answers between CRI and core. */
public final class SandboxResponses {
    private SandboxResponses() {}

    public static RunPodSandboxResponse ran(String podSandboxId) {
        return RunPodSandboxResponse.newBuilder().setPodSandboxId(podSandboxId).build();
    }

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
        return new SandboxFilter(f.getId().isEmpty() ? Optional.empty() : Optional.of(f.getId()), state,
                LabelSelectors.check(f.getLabelSelectorMap(), "filter.label_selector"));
    }

    public static ListPodSandboxResponse toProto(List<Sandbox> sandboxes) {
        ListPodSandboxResponse.Builder response = ListPodSandboxResponse.newBuilder();
        for (Sandbox s : sandboxes) {
            response.addItems(PodSandbox.newBuilder()
                    .setId(s.id())
                    .setMetadata(metadata(s))
                    .setState(state(s))
                    .setCreatedAt(s.createdAtNanos())
                    .putAllLabels(s.labels())
                    .putAllAnnotations(s.annotations())
                    .setRuntimeHandler(s.handler()));
        }
        return response.build();
    }

    /** {@code PodSandboxStatus}; with {@code verbose} the info map holds the infra pid and OCI spec under "info". */
    public static PodSandboxStatusResponse status(Sandbox s, boolean verbose, Optional<String> ociSpec) {
        PodSandboxStatus.Builder status = PodSandboxStatus.newBuilder()
                .setId(s.id())
                .setMetadata(metadata(s))
                .setState(state(s))
                .setCreatedAt(s.createdAtNanos())
                .setNetwork(network(s))
                .setLinux(LinuxPodSandboxStatus.newBuilder().setNamespaces(Namespace.newBuilder().setOptions(NamespaceOption.newBuilder()
                        .setNetworkValue(mode(s.settings().networkMode()))
                        .setPidValue(mode(s.settings().pidMode()))
                        .setIpcValue(mode(s.settings().ipcMode())))))
                .putAllLabels(s.labels())
                .putAllAnnotations(s.annotations())
                .setRuntimeHandler(s.handler());
        PodSandboxStatusResponse.Builder response = PodSandboxStatusResponse.newBuilder().setStatus(status)
                .setTimestamp(io.crisp.core.state.Ids.nowNanos());
        if (verbose) {
            response.putInfo("info", ContainerResponses.info(json -> {
                json.writeNumberField("pid", s.pid());
                json.writeStringField("runtimeHandler", s.handler());
                json.writeStringField("pauseImageId", s.pauseImageId());
                if (!s.hasInfra()) { // no infra process: the namespace files its containers join
                    json.writeObjectFieldStart("pinnedNamespaces");
                    json.writeStringField("network", s.pinned().network());
                    json.writeStringField("ipc", s.pinned().ipc());
                    json.writeStringField("uts", s.pinned().uts());
                    json.writeEndObject();
                }
            }, ociSpec));
        }
        return response.build();
    }

    private static PodSandboxNetworkStatus network(Sandbox s) {
        PodSandboxNetworkStatus.Builder network = PodSandboxNetworkStatus.newBuilder().setIp(s.network().ip());
        for (String ip : s.network().additionalIps()) {
            network.addAdditionalIps(io.crisp.cri.v1.PodIP.newBuilder().setIp(ip));
        }
        return network.build();
    }

    static int mode(NamespaceMode mode) {
        return switch (mode) {
            case POD -> io.crisp.cri.v1.NamespaceMode.POD_VALUE;
            case CONTAINER -> io.crisp.cri.v1.NamespaceMode.CONTAINER_VALUE;
            case NODE -> io.crisp.cri.v1.NamespaceMode.NODE_VALUE;
            case TARGET -> io.crisp.cri.v1.NamespaceMode.TARGET_VALUE;
        };
    }

    private static PodSandboxMetadata metadata(Sandbox s) {
        return PodSandboxMetadata.newBuilder().setName(s.pod().name()).setNamespace(s.pod().namespace())
                .setUid(s.pod().uid()).setAttempt(s.pod().attempt()).build();
    }

    private static PodSandboxState state(Sandbox s) {
        return s.state() == Sandbox.State.READY ? PodSandboxState.SANDBOX_READY : PodSandboxState.SANDBOX_NOTREADY;
    }
}
