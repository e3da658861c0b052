package io.crisp.core.convert;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.core.container.Container;
import io.crisp.core.container.ContainerFilter;
import io.crisp.core.oci.MountSettings;
import io.crisp.core.state.Json;
import io.crisp.cri.v1.ContainerMetadata;
import io.crisp.cri.v1.ContainerState;
import io.crisp.cri.v1.ContainerStatus;
import io.crisp.cri.v1.ContainerStatusResponse;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListContainersResponse;
import io.crisp.cri.v1.Mount;
import io.crisp.cri.v1.MountPropagation;
import io.crisp.spi.BackendException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Optional;

/** Container list and status requests and answers between CRI and core. */
public final class ContainerResponses {
    private static final ObjectMapper JSON = Json.MAPPER;

    private ContainerResponses() {}

    public static ContainerFilter filter(ListContainersRequest request) {
        if (!request.hasFilter()) {
            return ContainerFilter.ALL;
        }
        io.crisp.cri.v1.ContainerFilter f = request.getFilter();
        Optional<Container.State> state = f.hasState() ? Optional.of(state(f.getState().getState(), "filter.state.state")) : Optional.empty();
        return new ContainerFilter(nonEmpty(f.getId()), state, nonEmpty(f.getPodSandboxId()),
                LabelSelectors.check(f.getLabelSelectorMap(), "filter.label_selector"));
    }

    static Container.State state(ContainerState state, String field) {
        return switch (state) {
            case CONTAINER_CREATED -> Container.State.CREATED;
            case CONTAINER_RUNNING -> Container.State.RUNNING;
            case CONTAINER_EXITED -> Container.State.EXITED;
            case CONTAINER_UNKNOWN -> Container.State.UNKNOWN;
            default -> throw BackendException.invalidArgument("%s: unknown container state %s", field, state);
        };
    }

    static ContainerState state(Container.State state) {
        return switch (state) {
            case CREATED -> ContainerState.CONTAINER_CREATED;
            case RUNNING -> ContainerState.CONTAINER_RUNNING;
            case EXITED -> ContainerState.CONTAINER_EXITED;
            case UNKNOWN -> ContainerState.CONTAINER_UNKNOWN;
        };
    }

    public static ListContainersResponse toProto(List<Container> containers) {
        ListContainersResponse.Builder response = ListContainersResponse.newBuilder();
        for (Container c : containers) {
            response.addContainersBuilder()
                    .setId(c.id())
                    .setPodSandboxId(c.sandboxId())
                    .setMetadata(metadata(c))
                    .setImage(ImageSpec.newBuilder().setImage(c.image()))
                    .setImageRef(c.imageRef())
                    .setImageId(c.imageId())
                    .setState(state(c.state()))
                    .setCreatedAt(c.createdAtNanos())
                    .putAllLabels(c.settings().labels())
                    .putAllAnnotations(c.settings().annotations());
        }
        return response.build();
    }

    /** {@code ContainerStatus}; with {@code verbose} the info map holds pid, pod and OCI spec under "info". */
    public static ContainerStatusResponse status(Container c, boolean verbose, Optional<String> ociSpec) {
        ContainerStatus.Builder status = ContainerStatus.newBuilder()
                .setId(c.id())
                .setMetadata(metadata(c))
                .setState(state(c.state()))
                .setCreatedAt(c.createdAtNanos())
                .setStartedAt(c.startedAtNanos())
                .setFinishedAt(c.finishedAtNanos())
                .setExitCode(c.exitCode())
                .setImage(ImageSpec.newBuilder().setImage(c.image()))
                .setImageRef(c.imageRef())
                .setImageId(c.imageId())
                .setReason(c.reason())
                .setMessage(c.message())
                .putAllLabels(c.settings().labels())
                .putAllAnnotations(c.settings().annotations())
                .setLogPath(c.logPath())
                .setResources(io.crisp.cri.v1.ContainerResources.newBuilder().setLinux(linux(c.resources())));
        for (MountSettings m : c.settings().mounts()) {
            status.addMounts(Mount.newBuilder().setContainerPath(m.containerPath()).setHostPath(m.hostPath()).setReadonly(m.readOnly())
                    .setRecursiveReadOnly(m.recursiveReadOnly())
                    .setPropagation(switch (m.propagation()) {
                        case "rslave" -> MountPropagation.PROPAGATION_HOST_TO_CONTAINER;
                        case "rshared" -> MountPropagation.PROPAGATION_BIDIRECTIONAL;
                        default -> MountPropagation.PROPAGATION_PRIVATE;
                    }));
        }
        if (c.user() != null) {
            status.setUser(io.crisp.cri.v1.ContainerUser.newBuilder().setLinux(io.crisp.cri.v1.LinuxContainerUser.newBuilder()
                    .setUid(c.user().uid()).setGid(c.user().gid()).addAllSupplementalGroups(c.user().supplementalGroups())));
        }
        ContainerStatusResponse.Builder response = ContainerStatusResponse.newBuilder().setStatus(status);
        if (verbose) {
            response.putInfo("info", info(json -> {
                json.writeStringField("sandboxID", c.sandboxId());
                json.writeNumberField("pid", c.pid());
                json.writeNumberField("stopSignal", c.stopSignal());
            }, ociSpec));
        }
        return response.build();
    }

    /** The resources in force, as the kubelet compares them after an in-place resize. */
    static io.crisp.cri.v1.LinuxContainerResources linux(io.crisp.core.oci.ResourceSettings r) {
        io.crisp.cri.v1.LinuxContainerResources.Builder linux = io.crisp.cri.v1.LinuxContainerResources.newBuilder()
                .setCpuPeriod(r.cpuPeriod()).setCpuQuota(r.cpuQuota()).setCpuShares(r.cpuShares())
                .setMemoryLimitInBytes(r.memoryLimitInBytes()).setOomScoreAdj(r.oomScoreAdj())
                .setCpusetCpus(r.cpusetCpus()).setCpusetMems(r.cpusetMems())
                .putAllUnified(r.unified()).setMemorySwapLimitInBytes(r.memorySwapLimitInBytes());
        r.hugepageLimits().forEach((size, limit) -> linux.addHugepageLimits(
                io.crisp.cri.v1.HugepageLimit.newBuilder().setPageSize(size).setLimit(limit)));
        return linux.build();
    }

    /** The fields of a verbose info object before its spec, written by a generator (no tree built and serialised again). */
    interface InfoFields {
        void write(JsonGenerator json) throws IOException;
    }

    /**
     * The verbose {@code info} JSON: {@code fields}, then the OCI spec under "runtimeSpec". The spec
     * is the bundle's config.json, which crisp wrote (atomically) itself: it goes in as it is, not
     * parsed and written again, which was most of a verbose status's work. Text that is no JSON
     * object goes in parsed when it is JSON, as a string otherwise.
     */
    static String info(InfoFields fields, Optional<String> ociSpec) {
        StringWriter out = new StringWriter(128 + ociSpec.map(String::length).orElse(0));
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            fields.write(json);
            if (ociSpec.isPresent()) {
                String spec = ociSpec.get().strip();
                json.writeFieldName("runtimeSpec");
                if (spec.startsWith("{") && spec.endsWith("}")) {
                    json.writeRawValue(spec);
                } else {
                    json.writeTree(parse(spec));
                }
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a verbose status: " + e.getMessage(), e);
        }
        return out.toString();
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (JsonProcessingException e) {
            return JSON.getNodeFactory().textNode(json);
        }
    }

    private static ContainerMetadata metadata(Container c) {
        return ContainerMetadata.newBuilder().setName(c.settings().name()).setAttempt(c.settings().attempt()).build();
    }

    private static Optional<String> nonEmpty(String s) {
        return s.isEmpty() ? Optional.empty() : Optional.of(s);
    }
}
