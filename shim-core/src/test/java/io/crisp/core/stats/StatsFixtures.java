package io.crisp.core.stats;

import io.crisp.core.container.Container;
import io.crisp.core.convert.ContainerSettingsFromCri;
import io.crisp.core.convert.PodSettingsFromCri;
import io.crisp.core.oci.ResourceSettings;
import io.crisp.core.sandbox.Sandbox;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ContainerMetadata;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.spi.model.ContainerStatsSample;
import io.crisp.spi.model.PodIdentity;
import java.util.List;
import java.util.Map;

/** Containers, pods and samples for the stats tests. */
public final class StatsFixtures {
    private StatsFixtures() {}

    public static Sandbox pod(String id, Sandbox.State state, Map<String, String> labels) {
        return new Sandbox(id, new PodIdentity("web-" + id, "default", "uid-" + id, 0), state, 1L, labels, Map.of("a", "b"), "runc",
                PodSettingsFromCri.from(PodSandboxConfig.newBuilder().setMetadata(PodSandboxMetadata.newBuilder()
                        .setName("web-" + id).setNamespace("default").setUid("uid-" + id)).build()), "", 10, "", List.of(), Sandbox.NO_NETWORK);
    }

    public static Container container(String id, String sandboxId, Container.State state, Map<String, String> labels) {
        var settings = ContainerSettingsFromCri.from(ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName("app-" + id).setAttempt(1))
                .setImage(ImageSpec.newBuilder().setImage("busybox"))
                .putAllLabels(labels).build());
        return new Container(id, sandboxId, settings, "busybox", "sha256:img", "docker.io/library/busybox@sha256:abc", state, 1L,
                state == Container.State.CREATED ? 0 : 2L, 0, 0, "", "", "", 15, 100,
                new ResourceSettings(0, 0, 0, 256L << 20, 0, "", "", Map.of(), Map.of(), 0), null);
    }

    public static ContainerStatsSample sample(String id, long atNanos, long cpuNanos, long workingSet) {
        return new ContainerStatsSample(id, atNanos, cpuNanos,
                new ContainerStatsSample.MemoryUsage(workingSet + 1000, workingSet, workingSet / 2, 7, 1, ContainerStatsSample.UNKNOWN), 3);
    }
}
