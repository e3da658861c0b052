package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerStatsRequest;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.PodSandboxConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The generic handler keys on a real daemon with the runc handler: the core filters annotations and
 * adds CRI-O's keys before runc sees config.json, the runc plugin accepts the table (it never sees
 * those keys), and stats still find the container's cgroup from the cgroupsPath the core hands over.
 */
final class SpecRulesIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void runcHandlerWithVmAnnotationsAndAnnotationAllowLists() throws Exception {
        Pods.requirePrerequisites();
        try (TestNetwork network = TestNetwork.create(dir);
                DaemonProcess daemon = Pods.configure(new DaemonProcess(dir.resolve("daemon")))) {
            daemon.writeDropIn("10-rules.toml", """
                    [runtimes.runc]
                    pod_annotations = ["example.com/*"]
                    container_annotations = ["example.com/*"]
                    vm_annotations = true
                    """);
            network.writeTo(Pods.cniConfDir(daemon));
            daemon.start();
            Pods.importImages(daemon, dir.resolve("images"));
            CriClient client = daemon.client();

            PodSandboxConfig pod = Pods.pod("rules", dir.resolve("logs")).putAnnotations("example.com/keep", "1")
                    .putAnnotations("other.org/drop", "2").build();
            String podId = Pods.run(client, pod);
            String id = Pods.createAndStart(client, podId, pod, Pods.container("app", "sleep", "300")
                    .putAnnotations("example.com/ctr", "3").putAnnotations("other.org/ctr", "4").build());

            JsonNode sandbox = spec(daemon, podId).path("annotations");
            assertEquals("1", sandbox.path("example.com/keep").asText(), sandbox.toString());
            assertFalse(sandbox.has("other.org/drop"), sandbox.toString());
            assertEquals("sandbox", sandbox.path("io.kubernetes.cri-o.ContainerType").asText(), sandbox.toString());
            assertEquals(podId, sandbox.path("io.kubernetes.cri-o.SandboxID").asText(), sandbox.toString());

            JsonNode container = spec(daemon, id).path("annotations");
            assertEquals("3", container.path("example.com/ctr").asText(), container.toString());
            assertFalse(container.has("other.org/ctr"), container.toString());
            assertEquals("container", container.path("io.kubernetes.cri-o.ContainerType").asText(), container.toString());
            assertEquals(podId, container.path("io.kubernetes.cri-o.SandboxID").asText(), container.toString());

            var exec = client.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id).setTimeout(10)
                    .addAllCmd(List.of("sh", "-c", "echo hi")).build());
            assertEquals(0, exec.getExitCode());
            assertEquals("hi\n", exec.getStdout().toStringUtf8());
            Pods.await(() -> client.runtime().containerStats(ContainerStatsRequest.newBuilder().setContainerId(id).build())
                    .getStats().getMemory().getWorkingSetBytes().getValue() > 0, 10, "stats from the cgroupsPath the core gave");
            assertTrue(client.runtime().containerStats(ContainerStatsRequest.newBuilder().setContainerId(id).build())
                    .getStats().getCpu().getUsageCoreNanoSeconds().getValue() >= 0);
            Pods.removeAll(client);
        }
    }

    /** The config.json the core wrote into the bundle of {@code id}. */
    private static JsonNode spec(DaemonProcess daemon, String id) throws Exception {
        try (Stream<Path> files = Files.walk(daemon.dir)) {
            Path file = files.filter(p -> p.getFileName().toString().equals("config.json") && p.getParent().getFileName().toString().equals(id))
                    .findFirst().orElseThrow(() -> new AssertionError("no bundle for " + id + " under " + daemon.dir));
            return JSON.readTree(file.toFile());
        }
    }
}
