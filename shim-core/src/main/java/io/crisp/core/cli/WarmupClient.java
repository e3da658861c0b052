package io.crisp.core.cli;

import io.crisp.admin.v1.ImportImagesRequest;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ImageFsInfoRequest;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.ImageStatusRequest;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListImagesRequest;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.PullImageRequest;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.RuntimeConfigRequest;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.VersionRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The calls of {@code crisp cds-warmup}, made from a JVM of their own so that the archive the
 * warm-up records holds the daemon's classes and none of the client's.
 */
final class WarmupClient {
    /** Where the warm-up pulls from: nothing listens there. */
    static final String REGISTRY = "127.0.0.1:1";

    private WarmupClient() {}

    /**
     * Runs {@link #main} in a child JVM against {@code socket}, first importing the OCI layout
     * {@code image}; a failed child only makes the archive smaller.
     */
    static void runAgainst(Path socket, Path image) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto",
                "-cp", System.getProperty("java.class.path"), WarmupClient.class.getName(), socket.toString(), image.toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try {
            if (!child.waitFor(2, TimeUnit.MINUTES)) {
                child.destroyForcibly();
            }
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    public static void main(String[] args) {
        try (CriClient cri = CriClient.connect(Path.of(args[0]), Duration.ofSeconds(10))) {
            try {
                cri.admin().importImages(ImportImagesRequest.newBuilder().setPath(args[1]).build());
            } catch (StatusRuntimeException e) {
                // the restart then finds no image record to read: a smaller archive, no failure
            }
            for (int i = 0; i < 50; i++) {
                cri.runtime().version(VersionRequest.getDefaultInstance());
                cri.runtime().status(StatusRequest.newBuilder().setVerbose(i % 2 == 0).build());
                cri.runtime().runtimeConfig(RuntimeConfigRequest.getDefaultInstance());
                cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance());
                cri.runtime().listContainers(ListContainersRequest.getDefaultInstance());
                try {
                    cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(PodSandboxConfig.newBuilder()
                            .setMetadata(PodSandboxMetadata.newBuilder().setName("w").setNamespace("w").setUid("w"))).build());
                } catch (StatusRuntimeException expected) {
                    // the pause image is not there and cannot be pulled: the error path is what gets archived
                }
                try {
                    cri.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId("0123456789ab").setVerbose(true).build());
                } catch (StatusRuntimeException expected) {
                    // NOT_FOUND
                }
            }
            cri.images().listImages(ListImagesRequest.getDefaultInstance());
            cri.images().imageStatus(ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage("docker.io/library/busybox:latest")).build());
            cri.images().imageFsInfo(ImageFsInfoRequest.getDefaultInstance());
            try {
                // Nothing listens on port 1: the pull path up to the first request gets archived.
                cri.images().pullImage(PullImageRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(REGISTRY + "/warmup/none:1")).build());
            } catch (StatusRuntimeException expected) {
                // UNAVAILABLE: connection refused
            }
        }
    }
}
