package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.CheckpointContainerRequest;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.RemoveContainerRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CheckpointContainer and restore on a real daemon with runc and a real CRIU: a container counting
 * in a loop is checkpointed (and keeps running), the archive has CRI-O's parts, and a container
 * created in another pod from the archive's path continues counting from where the checkpoint was,
 * with the file the original wrote. CRIU is the one {@code packaging/ci/build-criu.sh} builds
 * ({@code CRISP_CRIU} overrides): Debian 12's criu 3.17 fails {@code criu check} on newer kernels.
 */
final class CheckpointIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CRIU = Path.of(System.getenv().getOrDefault("CRISP_CRIU", "/var/cache/crisp-ci/criu/4.1.1/criu"));

    @TempDir
    Path dir;

    private static String handlers(Path state) {
        return """
                [runtimes.criu]
                plugin = "runc"
                runtime_root = "%s"
                criu_path = "%s"
                [runtimes.nocriu]
                plugin = "runc"
                runtime_root = "%s"
                criu_path = "/nonexistent/criu"
                """.formatted(state.resolve("runc"), CRIU, state.resolve("runc"));
    }

    private static ContainerConfig.Builder counter(String image) {
        return Pods.container("counter", "sh", "-c",
                "echo kept > /marker; rm -f /bin/true; i=0; while true; do i=$((i+1)); echo $i > /count; sleep 0.2; done")
                .setImage(ImageSpec.newBuilder().setImage(image));
    }

    @Test
    void checkpointedCounterContinuesInANewPod() throws Exception {
        Crisp.requireExecutable(CRIU, "to checkpoint (build it with packaging/ci/build-criu.sh, or set CRISP_CRIU)");
        Pods.requirePrerequisites();
        try (TestNetwork network = TestNetwork.create(dir)) {
            try (DaemonProcess daemon = Pods.daemon(dir.resolve("d"), network, handlers(dir.resolve("d").resolve("state")))) {
                CriClient client = daemon.client();
                try {
                    checkpointAndRestore(client);
                } finally {
                    Pods.removeAll(client); // also after a failure: no pod outlives the test
                }
            }
        }
    }

    private void checkpointAndRestore(CriClient client) throws Exception {
        PodSandboxConfig pod = Pods.pod("ckpt", dir.resolve("logs")).build();
        String podId = Pods.run(client, pod, "criu");
        String original = Pods.createAndStart(client, podId, pod, counter(Pods.BUSYBOX).build());
        Pods.await(() -> count(client, original) >= 5, 60, "the counter to reach 5");
        long beforeCheckpoint = count(client, original);

        Path archive = dir.resolve("counter.tar");
        client.runtime().checkpointContainer(CheckpointContainerRequest.newBuilder().setContainerId(original)
                .setLocation(archive.toString()).setTimeout(120).build());
        long afterCheckpoint = count(client, original);
        assertEquals(io.crisp.cri.v1.ContainerState.CONTAINER_RUNNING, Pods.status(client, original).getState(),
                "the kubelet's checkpoint leaves the container running");

        Map<String, byte[]> parts = read(archive);
        assertTrue(parts.keySet().stream().anyMatch(n -> n.startsWith("checkpoint/") && n.endsWith(".img")), parts.keySet().toString());
        JsonNode config = JSON.readTree(parts.get("config.dump"));
        assertEquals("counter", config.path("name").asText());
        assertEquals(Pods.BUSYBOX, config.path("rootfsImageName").asText());
        assertEquals("criu", config.path("runtime").asText());
        assertEquals(original, config.path("id").asText());
        assertTrue(JSON.readTree(parts.get("spec.dump")).path("process").path("args").toString().contains("while true"));
        Map<String, byte[]> diff = read(new ByteArrayInputStream(parts.get("rootfs-diff.tar")));
        assertEquals("kept\n", new String(diff.get("marker"), StandardCharsets.UTF_8), diff.keySet().toString());
        // The shell truncates /count before each write: the checkpoint may catch it empty.
        String counted = new String(diff.get("count"), StandardCharsets.UTF_8).trim();
        assertTrue(counted.isEmpty() || Long.parseLong(counted) >= beforeCheckpoint && Long.parseLong(counted) <= afterCheckpoint,
                counted + " is not between " + beforeCheckpoint + " and " + afterCheckpoint);
        List<String> deleted = List.of(JSON.readValue(parts.get("deleted.files"), String[].class));
        assertEquals(List.of("/bin/true"), deleted);

        client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(original).build());
        PodSandboxConfig other = Pods.pod("restored", dir.resolve("logs2")).build();
        String otherPod = Pods.run(client, other, "criu");
        String restored = Pods.createAndStart(client, otherPod, other, counter(archive.toString()).build());
        assertEquals(io.crisp.cri.v1.ContainerState.CONTAINER_RUNNING, Pods.status(client, restored).getState());
        assertEquals(Pods.BUSYBOX, Pods.status(client, restored).getImage().getImage(), "the restored container reports its image");
        long first = count(client, restored);
        // Restored, not restarted: the counter starts from the checkpoint's value, not from 1, and goes on.
        assertTrue(first >= beforeCheckpoint, "restored counter " + first + " is below " + beforeCheckpoint
                + ", read before the checkpoint");
        Pods.await(() -> count(client, restored) > first, 60, "the restored counter to go on");
        assertEquals("kept\n", exec(client, restored, "cat", "/marker"));
        assertEquals("gone\n", exec(client, restored, "sh", "-c", "test -e /bin/true && echo there || echo gone"));
    }

    /** A CRIU that is not there is FAILED_PRECONDITION naming it; a handler that cannot checkpoint (lxc) is UNIMPLEMENTED naming it. */
    @Test
    void missingCriuIsAFailedPreconditionAndAHandlerWithoutTheCapabilityUnimplemented() throws Exception {
        Pods.requirePrerequisites();
        Crisp.requireExecutable(Path.of("/usr/bin/lxc-execute"), "for the lxc handler (package lxc)");
        String dropIn = handlers(dir.resolve("d").resolve("state")) + "[runtimes.lxc]\nplugin = \"lxc\"\n";
        try (TestNetwork network = TestNetwork.create(dir);
                DaemonProcess daemon = Pods.daemon(dir.resolve("d"), network, dropIn, Crisp.LXC_PLUGIN)) {
            CriClient client = daemon.client();
            try {
                refusals(client);
            } finally {
                Pods.removeAll(client); // also after a failure: no pod outlives the test
            }
        }
    }

    private void refusals(CriClient client) {
        PodSandboxConfig lxcPod = Pods.pod("lxc", dir.resolve("lxc-logs")).build();
        String lxcPodId = Pods.run(client, lxcPod, "lxc");
        String onLxc = Pods.createAndStart(client, lxcPodId, lxcPod, Pods.container("sleeper", "sleep", "600").build());
        StatusRuntimeException lxc = assertThrows(StatusRuntimeException.class, () -> client.runtime().checkpointContainer(
                CheckpointContainerRequest.newBuilder().setContainerId(onLxc).setLocation(dir.resolve("lxc.tar").toString()).build()));
        assertEquals(Status.Code.UNIMPLEMENTED, lxc.getStatus().getCode(), lxc.getStatus().toString());
        assertTrue(lxc.getStatus().getDescription().contains("'lxc'"), lxc.getStatus().getDescription());

        PodSandboxConfig pod = Pods.pod("nocriu", dir.resolve("logs")).build();
        String podId = Pods.run(client, pod, "nocriu");
        String id = Pods.createAndStart(client, podId, pod, counter(Pods.BUSYBOX).build());
        Path archive = dir.resolve("never.tar");
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.runtime().checkpointContainer(
                CheckpointContainerRequest.newBuilder().setContainerId(id).setLocation(archive.toString()).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(e.getStatus().getDescription().contains("/nonexistent/criu"), e.getStatus().getDescription());
        assertTrue(Files.notExists(archive), "no archive, not even part of one");
        StatusRuntimeException relative = assertThrows(StatusRuntimeException.class, () -> client.runtime().checkpointContainer(
                CheckpointContainerRequest.newBuilder().setContainerId(id).setLocation("relative.tar").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, relative.getStatus().getCode());
        assertTrue(relative.getStatus().getDescription().startsWith("location"), relative.getStatus().getDescription());
    }

    /** The counter's value; the shell truncates the file before each write, so an empty read is read again. */
    private static long count(CriClient client, String id) {
        for (int i = 0; i < 100; i++) {
            String out = exec(client, id, "cat", "/count").trim();
            if (!out.isEmpty()) {
                return Long.parseLong(out);
            }
            DaemonProcess.sleep(20);
        }
        throw new AssertionError("container " + id + ": /count stayed empty");
    }

    private static String exec(CriClient client, String id, String... cmd) {
        return client.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id).addAllCmd(List.of(cmd)).setTimeout(30).build())
                .getStdout().toStringUtf8();
    }

    private static Map<String, byte[]> read(Path tar) throws Exception {
        try (InputStream in = Files.newInputStream(tar)) {
            return read(in);
        }
    }

    private static Map<String, byte[]> read(InputStream raw) throws Exception {
        Map<String, byte[]> parts = new HashMap<>();
        TarArchiveInputStream tar = new TarArchiveInputStream(raw);
        TarArchiveEntry entry;
        while ((entry = tar.getNextEntry()) != null) {
            parts.put(entry.getName(), entry.isFile() ? tar.readAllBytes() : new byte[0]);
        }
        return parts;
    }
}
