package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ContainerState;
import io.crisp.cri.v1.Mount;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.RuntimeHandler;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.StatusResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Status.features and each handler's RuntimeHandlerFeatures on a real daemon with runc, against
 * what runc's own {@code features} document says (read here with jq), with the probe's reasons in
 * the verbose info; and a recursively read-only mount really is read-only below its top when the
 * handler reports the feature (a plain read-only bind leaves a submount writable).
 */
final class FeaturesIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void featuresFollowTheProbesAndRroMountsAreReadOnlyAllTheWayDown() throws Exception {
        Pods.requirePrerequisites();
        Path data = Files.createDirectories(dir.resolve("data"));
        Path sub = Files.createDirectories(data.resolve("sub"));
        run("mount", "-t", "tmpfs", "-o", "size=1m", "crisp-features-it", sub.toString());
        try (TestNetwork network = TestNetwork.create(dir);
                DaemonProcess daemon = Pods.configure(new DaemonProcess(dir.resolve("daemon")))) {
            network.writeTo(Pods.cniConfDir(daemon));
            daemon.start();
            Pods.importImages(daemon, dir.resolve("images"));
            CriClient client = daemon.client();

            StatusResponse status = client.runtime().status(StatusRequest.newBuilder().setVerbose(true).build());
            assertTrue(status.getFeatures().getSupplementalGroupsPolicy(), status.getFeatures().toString());
            boolean rro = run("sh", "-c", "/usr/sbin/runc features | jq 'any(.mountOptions[]?; . == \"rro\")'").equals("true")
                    && kernelAtLeast512();
            for (RuntimeHandler h : status.getRuntimeHandlersList()) {
                assertEquals(rro, h.getFeatures().getRecursiveReadOnlyMounts(), h.toString());
                assertEquals(false, h.getFeatures().getUserNamespaces(), "crisp refuses user-namespaced pods: " + h);
            }
            JsonNode runc = JSON.readTree(status.getInfoOrThrow("handlers")).get(0).path("features");
            assertEquals(rro, runc.path("recursive_read_only_mounts").path("reported").asBoolean(), runc.toString());
            assertTrue(runc.path("recursive_read_only_mounts").path("reason").asText().startsWith(rro ? "yes: 'runc features' lists rro"
                    : "no: "), runc.toString());
            assertTrue(runc.path("user_namespaces").path("reason").asText().startsWith(
                    "crisp does not build user-namespaced pods yet (userns_options mode POD is refused); runtime: "), runc.toString());

            PodSandboxConfig pod = Pods.pod("features", dir.resolve("logs")).build();
            String podId = Pods.run(client, pod);
            String touch = "touch /data/sub/x && echo writable || echo read-only";
            assertEquals("writable", output(client, podId, pod, "plain", touch, false, data), "a plain read-only bind keeps submounts rw");
            if (rro) {
                assertEquals("read-only", output(client, podId, pod, "rro", touch, true, data));
            } else {
                io.grpc.StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(io.grpc.StatusRuntimeException.class,
                        () -> Pods.create(client, podId, pod, container("rro", touch, true, data)));
                assertEquals(io.grpc.Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
                assertTrue(e.getMessage().contains("config.mounts[0].recursive_read_only: runtime handler 'runc' does not support"), e.getMessage());
            }
            Pods.removeAll(client);
        } finally {
            run("umount", sub.toString());
        }
    }

    private static ContainerConfig container(String name, String script, boolean rro, Path data) {
        return Pods.container(name, "sh", "-c", script).addMounts(Mount.newBuilder().setContainerPath("/data")
                .setHostPath(data.toString()).setReadonly(true).setRecursiveReadOnly(rro)).build();
    }

    private static String output(CriClient client, String podId, PodSandboxConfig pod, String name, String script, boolean rro, Path data) {
        String id = Pods.createAndStart(client, podId, pod, container(name, script, rro, data));
        Pods.awaitState(client, id, ContainerState.CONTAINER_EXITED, 30);
        String log = Pods.read(Path.of(pod.getLogDirectory()).resolve(name + "/0.log"));
        return log.lines().filter(l -> l.contains(" stdout ")).map(l -> l.split(" ", 4)[3]).reduce("", (a, b) -> a + b);
    }

    private static boolean kernelAtLeast512() throws Exception {
        String[] v = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim().split("[^0-9]+");
        int major = Integer.parseInt(v[0]);
        return major > 5 || (major == 5 && Integer.parseInt(v[1]) >= 12);
    }

    private static String run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (p.waitFor() != 0 && !command[0].equals("sh")) {
            throw new AssertionError(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }
}
