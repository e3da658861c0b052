package io.crisp.core.testing;

import io.crisp.core.oci.ContainerSettings;
import io.crisp.core.convert.ContainerSettingsFromCri;
import io.crisp.core.convert.SandboxRequests;
import io.crisp.core.sandbox.PodSandboxRequest;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ContainerMetadata;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.LinuxPodSandboxConfig;
import io.crisp.cri.v1.LinuxSandboxSecurityContext;
import io.crisp.cri.v1.NamespaceMode;
import io.crisp.cri.v1.NamespaceOption;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.RunPodSandboxRequest;

/** Pod and container requests as the kubelet sends them, converted as the gRPC layer does. */
public final class CriRequests {
    private CriRequests() {}

    /** A pod with a network of its own (CNI) on handler {@code fake}. */
    public static PodSandboxRequest pod(String name) {
        return pod(name, NamespaceMode.POD);
    }

    /** A pod on handler {@code fake}, on its own network ({@code POD}) or the node's ({@code NODE}). */
    public static PodSandboxRequest pod(String name, NamespaceMode network) {
        PodSandboxConfig config = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("default").setUid("uid-" + name))
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                        .setNamespaceOptions(NamespaceOption.newBuilder().setNetwork(network))))
                .build();
        return SandboxRequests.from(RunPodSandboxRequest.newBuilder().setConfig(config).setRuntimeHandler("fake").build());
    }

    /** A busybox container. */
    public static ContainerSettings container(String name) {
        return ContainerSettingsFromCri.from(ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(InProcessCore.BUSYBOX))
                .addCommand("sleep").addArgs("1000")
                .build());
    }
}
