package io.crisp.core.it;

import static io.crisp.cri.v1.ContainerState.CONTAINER_EXITED;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.client.stream.StdioConnection;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.AttachRequest;
import io.crisp.cri.v1.Capability;
import io.crisp.cri.v1.ContainerStats;
import io.crisp.cri.v1.ContainerStatsRequest;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ExecSyncResponse;
import io.crisp.cri.v1.Int64Value;
import io.crisp.cri.v1.LinuxContainerConfig;
import io.crisp.cri.v1.LinuxContainerSecurityContext;
import io.crisp.cri.v1.LinuxPodSandboxConfig;
import io.crisp.cri.v1.LinuxSandboxSecurityContext;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.spi.model.StdioWiring;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the CRI validation suite (critest) found wrong, one test per cause so a regression names it:
 * each runs on the runc handler and on the kata plugin's shim v2 handler, through the real socket,
 * with the requests shaped as critest sends them. The suite itself runs in CI through
 * {@code packaging/conformance/critest.sh}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
final class CriValidationIT {
    private Path dir;
    private DaemonProcess daemon;
    private TestNetwork network;
    private CriClient client;

    @BeforeAll
    void startDaemon(@TempDir Path tmp) throws Exception {
        Pods.requirePrerequisites();
        Crisp.requireExecutable(ShimV2IT.SHIM, "for the shim v2 handler (Debian's containerd)");
        dir = tmp;
        network = TestNetwork.create(dir);
        daemon = ShimV2IT.configure(new DaemonProcess(dir.resolve("daemon")));
        // One round at start, then none for an hour: figures on a new container can only come from the stats call itself.
        Files.writeString(daemon.config, Files.readString(daemon.config) + "[stats]\nstats_collect_period = \"1h\"\n");
        network.writeTo(Pods.cniConfDir(daemon));
        daemon.start();
        Pods.importImages(daemon, dir.resolve("images"));
        client = daemon.client();
    }

    @AfterEach
    void removePods() {
        Pods.removeAll(client);
    }

    @AfterAll
    void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
        if (dir != null) {
            ShimV2IT.killLeftoverShims(dir);
        }
        if (network != null) {
            network.close();
        }
    }

    private String run(String handler, PodSandboxConfig pod) {
        return client.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).setRuntimeHandler(handler)
                .build()).getPodSandboxId();
    }

    private String exec(String containerId, String... cmd) {
        ExecSyncResponse r = client.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(containerId)
                .addAllCmd(List.of(cmd)).setTimeout(10).build());
        assertEquals(0, r.getExitCode(), () -> r.getStderr().toStringUtf8());
        return r.getStdout().toStringUtf8().trim();
    }

    private static String capBnd(String status) {
        return status.lines().filter(l -> l.startsWith("CapBnd:")).findFirst().orElseThrow().split("\\s+")[1];
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc", ShimV2IT.HANDLER})
    void aPodWithoutHostnameGetsTheNodesEvenWithANameLongerThanAHostname(String handler) throws Exception {
        // critest's pod names are longer than the 64 bytes sethostname takes, and it sends no hostname.
        PodSandboxConfig pod = Pods.pod("no-hostname-" + "n".repeat(80), dir.resolve("logs").resolve("nh-" + handler))
                .clearHostname().clearLabels().putLabels("app", "no-hostname").build();
        String podId = run(handler, pod);
        String c = Pods.createAndStart(client, podId, pod, Pods.container("h", "sleep", "600").build());
        String node = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        assertEquals(node, exec(c, "hostname"));
        assertEquals(node, exec(c, "cat", "/etc/hostname"));

        PodSandboxConfig tooLong = Pods.pod("long-hostname", dir.resolve("logs").resolve("lh")).setHostname("h".repeat(65)).build();
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> run(handler, tooLong));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("config.hostname"), e.getStatus().getDescription());
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc", ShimV2IT.HANDLER})
    void privilegedAndAddAllGrantTheDaemonsOwnBoundingSet(String handler) throws Exception {
        PodSandboxConfig pod = Pods.pod("privileged-" + handler, dir.resolve("logs").resolve("priv-" + handler))
                .setLinux(LinuxPodSandboxConfig.newBuilder().setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                        .setPrivileged(true))).build();
        String podId = run(handler, pod);
        String daemons = capBnd(Files.readString(Path.of("/proc/" + daemon.pid() + "/status")));
        String privileged = Pods.createAndStart(client, podId, pod, Pods.container("priv", "sleep", "600")
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setPrivileged(true))).build());
        assertEquals(daemons, capBnd(exec(privileged, "cat", "/proc/self/status")), "a privileged container's bounding set");
        String all = Pods.createAndStart(client, podId, pod, Pods.container("all", "sleep", "600")
                .setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(LinuxContainerSecurityContext.newBuilder()
                        .setCapabilities(Capability.newBuilder().addAddCapabilities("ALL")))).build());
        String status = exec(all, "cat", "/proc/self/status");
        String effective = status.lines().filter(l -> l.startsWith("CapEff:")).findFirst().orElseThrow().split("\\s+")[1];
        assertEquals(daemons, effective, "add ALL: every capability the daemon holds is effective");
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc", ShimV2IT.HANDLER})
    void aGroupWithoutAUserIsRefused(String handler) {
        PodSandboxConfig pod = Pods.pod("group-" + handler, dir.resolve("logs").resolve("group-" + handler)).build();
        String podId = run(handler, pod);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> Pods.create(client, podId, pod,
                Pods.container("g", "sleep", "600").setLinux(LinuxContainerConfig.newBuilder().setSecurityContext(
                        LinuxContainerSecurityContext.newBuilder().setRunAsGroup(Int64Value.newBuilder().setValue(3003))))
                        .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("run_as_group"), e.getStatus().getDescription());
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc", ShimV2IT.HANDLER})
    void statsRightAfterStartCarryCpuMemoryAndTheWritableLayer(String handler) {
        PodSandboxConfig pod = Pods.pod("stats-" + handler, dir.resolve("logs").resolve("stats-" + handler)).build();
        String podId = run(handler, pod);
        String c = Pods.createAndStart(client, podId, pod, Pods.container("s", "sleep", "600").build());
        ContainerStats stats = client.runtime().containerStats(ContainerStatsRequest.newBuilder().setContainerId(c).build())
                .getStats();
        assertTrue(stats.hasCpu() && stats.getCpu().getTimestamp() > 0 && stats.getCpu().hasUsageCoreNanoSeconds(),
                stats.toString());
        assertTrue(stats.hasMemory() && stats.getMemory().getTimestamp() > 0 && stats.getMemory().hasWorkingSetBytes(),
                stats.toString());
        assertTrue(stats.hasWritableLayer() && stats.getWritableLayer().hasUsedBytes(), stats.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc", ShimV2IT.HANDLER})
    @Timeout(60) // the regression was a hang: the output never ended
    void attachWithStdinOnceEndsWhenTheClientClosesStdin(String handler) throws Exception {
        PodSandboxConfig pod = Pods.pod("attach-" + handler, dir.resolve("logs").resolve("attach-" + handler)).build();
        String podId = run(handler, pod);
        String shell = Pods.createAndStart(client, podId, pod, Pods.container("sh", "sh").setStdin(true).setStdinOnce(true)
                .build());
        String url = client.runtime().attach(AttachRequest.newBuilder().setContainerId(shell).setStdin(true).setStdout(true)
                .setStderr(true).build()).getUrl();
        try (StdioConnection c = StreamClients.stdio(StreamClients.Wire.SPDY, url, new StdioWiring(true, true, true, false))) {
            c.stdin("echo hello\n".getBytes(StandardCharsets.UTF_8));
            c.closeStdin();
            assertEquals("hello\n", new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8),
                    "the shell read end of file after the echo, so the output ended");
            assertEquals("", new String(c.stderr().readAllBytes(), StandardCharsets.UTF_8));
            c.awaitStatus(Duration.ofSeconds(10));
        }
        assertEquals(0, Pods.awaitState(client, shell, CONTAINER_EXITED, 10).getExitCode());
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc", ShimV2IT.HANDLER})
    @Timeout(60)
    void execWithStdinEndsWhenTheClientClosesStdin(String handler) throws Exception {
        // Not critest specs: kubectl exec -i ... < file must see end of file (the shim holds stdin open
        // until CloseIO), and an exec without stderr must still get its stdout (the shim wants both paths).
        PodSandboxConfig pod = Pods.pod("exec-eof-" + handler, dir.resolve("logs").resolve("exec-eof-" + handler)).build();
        String podId = run(handler, pod);
        String c = Pods.createAndStart(client, podId, pod, Pods.container("c", "sleep", "600").build());
        String url = client.runtime().exec(io.crisp.cri.v1.ExecRequest.newBuilder().setContainerId(c).addCmd("cat")
                .setStdin(true).setStdout(true).build()).getUrl();
        try (StdioConnection conn = StreamClients.stdio(StreamClients.Wire.SPDY, url, new StdioWiring(true, true, false, false))) {
            conn.stdin("from a file\n".getBytes(StandardCharsets.UTF_8));
            conn.closeStdin();
            assertEquals("from a file\n", new String(conn.stdout().readAllBytes(), StandardCharsets.UTF_8));
            String status = conn.awaitStatus(Duration.ofSeconds(10)).orElseThrow();
            assertTrue(status.contains("Success"), status);
        }
    }
}
