package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.CDIDevice;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ExecSyncResponse;
import io.crisp.cri.v1.LinuxContainerConfig;
import io.crisp.cri.v1.LinuxContainerSecurityContext;
import io.crisp.cri.v1.LinuxPodSandboxConfig;
import io.crisp.cri.v1.LinuxSandboxSecurityContext;
import io.crisp.cri.v1.PodSandboxConfig;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Devices on a real daemon with runc: a privileged container sees a device node the test creates in the
 * host's /dev, and does not on a handler with privileged_without_host_devices; CDI devices from spec
 * files the test writes (YAML and JSON, in a cdi_spec_dirs of its own) reach an unprivileged container
 * with their device node (opened through the device cgroup), environment and mount.
 */
final class DevicesIT {
    private static final String TAG = "crisp-it-" + ProcessHandle.current().pid();

    @TempDir
    Path dir;
    private final List<Path> nodes = new ArrayList<>();

    @AfterEach
    void removeNodes() throws Exception {
        for (Path node : nodes) {
            Files.deleteIfExists(node);
        }
    }

    @Test
    void privilegedContainersGetTheHostsDevicesUnlessTheHandlerOptsOut() throws Exception {
        Pods.requirePrerequisites();
        try (TestNetwork network = TestNetwork.create(dir);
                DaemonProcess daemon = Pods.daemon(dir.resolve("d"), network, """
                        [runtimes.nohost]
                        plugin = "runc"
                        runtime_root = "%s"
                        privileged_without_host_devices = true
                        """.formatted(dir.resolve("d").resolve("state").resolve("runc-nohost")))) {
            CriClient client = daemon.client();
            // Made while the daemon runs: host devices are read when each container is created.
            Path node = mknod(Path.of("/dev/" + TAG + "-host"), 1, 3);
            String check = "test -c " + node + " && echo present || echo absent; ls /dev | wc -l";
            for (String handler : List.of("runc", "nohost")) {
                PodSandboxConfig pod = Pods.pod("priv-" + handler, dir.resolve("logs").resolve(handler))
                        .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                                .setPrivileged(true))).build();
                String podId = Pods.run(client, pod, handler);
                String id = Pods.createAndStart(client, podId, pod, Pods.container("priv", "sleep", "600")
                        .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                                .setPrivileged(true))).build());
                String out = exec(client, id, "sh", "-c", check);
                if (handler.equals("runc")) {
                    assertTrue(out.startsWith("present\n"), "a privileged container sees the host's " + node + ": " + out);
                    assertEquals("0\n", exec(client, id, "sh", "-c", "echo hi > " + node + "; echo $?"),
                            "the device cgroup lets it write the node");
                } else {
                    assertTrue(out.startsWith("absent\n"), "privileged_without_host_devices: no " + node + ": " + out);
                }
                String unprivileged = Pods.createAndStart(client, podId, pod, Pods.container("plain", "sleep", "600").build());
                assertTrue(exec(client, unprivileged, "sh", "-c", check).startsWith("absent\n"),
                        "an unprivileged container never gets host devices (" + handler + ")");
            }
            Pods.removeAll(client);
        }
    }

    @Test
    void cdiDevicesFromYamlAndJsonSpecsReachTheContainer() throws Exception {
        Pods.requirePrerequisites();
        // /dev/fuse's numbers: outside the devices every container may open, so the CDI rule is what allows it.
        Path node = mknod(Path.of("/dev/" + TAG + "-cdi"), 10, 229);
        Path cdiDir = Files.createDirectories(dir.resolve("cdi"));
        Path shared = Files.createDirectories(dir.resolve("cdi-data"));
        Files.writeString(shared.resolve("hello.txt"), "from the CDI mount\n");
        Files.writeString(cdiDir.resolve("example.yaml"), """
                cdiVersion: "0.6.0"
                kind: example.com/dev
                containerEdits:
                  env:
                    - EXAMPLE_SPEC=spec-level
                devices:
                  - name: one
                    containerEdits:
                      env:
                        - EXAMPLE_DEVICE=one
                      deviceNodes:
                        - path: /dev/example-one
                          hostPath: %s
                      mounts:
                        - hostPath: %s
                          containerPath: /example
                          options: ["rbind", "ro"]
                """.formatted(node, shared));
        Files.writeString(cdiDir.resolve("other.json"), """
                {"cdiVersion": "0.5.0", "kind": "example.com/other",
                 "devices": [{"name": "two", "containerEdits": {"env": ["EXAMPLE_OTHER=two"]}}]}
                """);
        try (TestNetwork network = TestNetwork.create(dir);
                DaemonProcess daemon = Pods.daemon(dir.resolve("d"), network, """
                        [runtime]
                        cdi_spec_dirs = ["%s"]
                        """.formatted(cdiDir))) {
            CriClient client = daemon.client();
            PodSandboxConfig pod = Pods.pod("cdi", dir.resolve("logs")).build();
            String podId = Pods.run(client, pod);
            ContainerConfig config = Pods.container("gpu", "sleep", "600")
                    .addCDIDevices(CDIDevice.newBuilder().setName("example.com/dev=one"))
                    .putAnnotations("cdi.k8s.io/test", "example.com/other=two").build();
            String id = Pods.createAndStart(client, podId, pod, config);
            String env = exec(client, id, "env");
            assertTrue(env.contains("EXAMPLE_SPEC=spec-level\n") && env.contains("EXAMPLE_DEVICE=one\n")
                    && env.contains("EXAMPLE_OTHER=two\n"), env);
            assertEquals("c\n", exec(client, id, "sh", "-c", "test -c /dev/example-one && echo c"));
            assertEquals("opened\n", exec(client, id, "sh", "-c", ": < /dev/example-one && echo opened"),
                    "the device cgroup allows the CDI device node");
            assertEquals("from the CDI mount\n", exec(client, id, "cat", "/example/hello.txt"));
            assertTrue(exec(client, id, "sh", "-c", "touch /example/x 2>&1; echo $?").endsWith("1\n"), "the mount is read-only");

            String plain = Pods.createAndStart(client, podId, pod, Pods.container("plain", "sleep", "600").build());
            assertEquals("missing\n", exec(client, plain, "sh", "-c", "test -e /dev/example-one || echo missing; env | grep EXAMPLE_"),
                    "a container without the CDI device has neither its node nor its environment");

            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> Pods.create(client, podId, pod,
                    Pods.container("nope", "sleep", "1").setMetadata(io.crisp.cri.v1.ContainerMetadata.newBuilder().setName("nope"))
                            .addCDIDevices(CDIDevice.newBuilder().setName("example.com/dev=missing")).build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("config.CDI_devices[0].name")
                    && e.getStatus().getDescription().contains("example.com/dev=missing"), e.getStatus().getDescription());
            Pods.removeAll(client);
        }
    }

    private Path mknod(Path path, int major, int minor) throws Exception {
        Process p = new ProcessBuilder("mknod", "-m", "0666", path.toString(), "c", Integer.toString(major),
                Integer.toString(minor)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), "mknod " + path + ": " + out);
        nodes.add(path);
        return path;
    }

    private static String exec(CriClient client, String id, String... cmd) {
        ExecSyncResponse r = client.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id).setTimeout(20)
                .addAllCmd(List.of(cmd)).build());
        return r.getStdout().toStringUtf8() + r.getStderr().toStringUtf8();
    }
}
