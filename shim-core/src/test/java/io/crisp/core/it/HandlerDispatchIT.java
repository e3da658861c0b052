package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.v1.ContainerStatsRequest;
import io.crisp.cri.v1.ListMetricDescriptorsRequest;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** RunPodSandbox chooses a handler from runtime_handler; unknown handlers, unbuilt RPCs and failed pods answer clearly. */
final class HandlerDispatchIT {
    @TempDir
    Path dir;

    static RunPodSandboxRequest pod(String handler) {
        return RunPodSandboxRequest.newBuilder().setRuntimeHandler(handler).setConfig(PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("web").setNamespace("default").setUid("uid-1"))).build();
    }

    @Test
    void unknownHandlerIsRejectedNamingItAndTheConfiguredOnes() {
        try (DaemonProcess daemon = new DaemonProcess(dir).addPlugin(Crisp.EXAMPLE_PLUGIN)) {
            daemon.writeConfig("""
                    [runtimes.runc]
                    plugin = "runc"
                    [runtimes.demo]
                    plugin = "example"
                    """).start();
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> daemon.client().runtime().runPodSandbox(pod("kata")));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertEquals("runtime_handler 'kata' is not configured on this node (configured handlers: runc, demo; \"\" selects runc)",
                    e.getStatus().getDescription());
        }
    }

    @Test
    void knownAndDefaultHandlersReachTheirPluginWhichSaysWhatIsMissing() {
        try (DaemonProcess daemon = new DaemonProcess(dir).addPlugin(Crisp.EXAMPLE_PLUGIN)) {
            daemon.writeConfig("""
                    [runtime]
                    default_runtime = "demo"
                    [runtimes.runc]
                    plugin = "runc"
                    [runtimes.demo]
                    plugin = "example"
                    """).start();
            StatusRuntimeException def = assertThrows(StatusRuntimeException.class, () -> daemon.client().runtime().runPodSandbox(pod("")));
            assertEquals(Status.Code.UNIMPLEMENTED, def.getStatus().getCode());
            assertTrue(def.getStatus().getDescription().contains("handler 'demo' (plugin 'example'"), def.getStatus().getDescription());
            // runc runs pods; here its pause image cannot be pulled (no registry.k8s.io offline), which names the image
            StatusRuntimeException runc = assertThrows(StatusRuntimeException.class, () -> daemon.client().runtime().runPodSandbox(pod("runc")));
            assertTrue(runc.getStatus().getDescription().contains("registry.k8s.io/pause:3.10"), runc.getStatus().toString());
            // A refused pod leaves nothing behind: the kubelet's relist sees no sandbox, and the name is free again.
            assertEquals(0, daemon.client().runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount());
            StatusRuntimeException again = assertThrows(StatusRuntimeException.class, () -> daemon.client().runtime().runPodSandbox(pod("runc")));
            assertEquals(runc.getStatus().getCode(), again.getStatus().getCode(), "not ALREADY_EXISTS: " + again.getStatus());
        }
    }

    @Test
    void requestsUpToTheKubeletsSixteenMebibytesAreAccepted() {
        try (DaemonProcess daemon = new DaemonProcess(dir).addPlugin(Crisp.EXAMPLE_PLUGIN)) {
            daemon.writeConfig("""
                    [runtime]
                    default_runtime = "demo"
                    [runtimes.demo]
                    plugin = "example"
                    """).start();
            // gRPC's default limit is 4 MiB; the kubelet sends up to 16 MiB.
            RunPodSandboxRequest big = pod("demo").toBuilder().setConfig(pod("demo").getConfig().toBuilder()
                    .putAnnotations("big", "x".repeat(12 << 20))).build();
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> daemon.client().runtime().runPodSandbox(big));
            assertEquals(Status.Code.UNIMPLEMENTED, e.getStatus().getCode(), "a 12 MiB request must reach the handler");
            RunPodSandboxRequest huge = pod("demo").toBuilder().setConfig(pod("demo").getConfig().toBuilder()
                    .putAnnotations("huge", "x".repeat(20 << 20))).build();
            StatusRuntimeException tooBig = assertThrows(StatusRuntimeException.class, () -> daemon.client().runtime().runPodSandbox(huge));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, tooBig.getStatus().getCode(), "the configured limit holds");
        }
    }

    @Test
    void requestWithoutMetadataIsInvalidNamingTheField() {
        try (DaemonProcess daemon = new DaemonProcess(dir).start()) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> daemon.client().runtime()
                    .runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(PodSandboxConfig.newBuilder()
                            .setMetadata(PodSandboxMetadata.newBuilder().setNamespace("default").setUid("u"))).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertEquals("config.metadata.name: must not be empty", e.getStatus().getDescription());
        }
    }

    @Test
    void rpcsNotBuiltYetAnswerUnimplementedNamingTheMethod() {
        try (DaemonProcess daemon = new DaemonProcess(dir).start()) {
            StatusRuntimeException unbuilt = assertThrows(StatusRuntimeException.class, () -> daemon.client().runtime()
                    .updatePodSandboxResources(io.crisp.cri.v1.UpdatePodSandboxResourcesRequest.newBuilder().setPodSandboxId("x").build()));
            assertEquals(Status.Code.UNIMPLEMENTED, unbuilt.getStatus().getCode());
            assertTrue(unbuilt.getStatus().getDescription().contains("UpdatePodSandboxResources"), unbuilt.getStatus().getDescription());
            // CheckpointContainer is built: an unknown container is NOT_FOUND
            StatusRuntimeException checkpoint = assertThrows(StatusRuntimeException.class, () -> daemon.client().runtime()
                    .checkpointContainer(io.crisp.cri.v1.CheckpointContainerRequest.newBuilder().setContainerId("x").setLocation("/tmp/x.tar").build()));
            assertEquals(Status.Code.NOT_FOUND, checkpoint.getStatus().getCode());
            // the stats calls are built: an unknown container is NOT_FOUND
            StatusRuntimeException stats = assertThrows(StatusRuntimeException.class, () -> daemon.client().runtime()
                    .containerStats(ContainerStatsRequest.newBuilder().setContainerId("x").build()));
            assertEquals(Status.Code.NOT_FOUND, stats.getStatus().getCode());
            assertTrue(daemon.client().runtime().listMetricDescriptors(ListMetricDescriptorsRequest.getDefaultInstance())
                    .getDescriptorsCount() > 0);
            // built ones validate: an unknown container is NOT_FOUND naming the field
            StatusRuntimeException exec = assertThrows(StatusRuntimeException.class,
                    () -> daemon.client().runtime().execSync(ExecSyncRequest.newBuilder().setContainerId("x").addCmd("true").build()));
            assertEquals(Status.Code.NOT_FOUND, exec.getStatus().getCode());
            assertTrue(exec.getStatus().getDescription().contains("container_id"), exec.getStatus().getDescription());
        }
    }
}
