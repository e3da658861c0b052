package io.crisp.core.it;

import static io.crisp.cri.v1.ContainerState.CONTAINER_EXITED;
import static io.crisp.cri.v1.ContainerState.CONTAINER_RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerStatsRequest;
import io.crisp.cri.v1.ContainerStatus;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ExecSyncResponse;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxState;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.StopContainerRequest;
import io.crisp.cri.v1.StopPodSandboxRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The kata plugin drives a real containerd shim v2 over ttrpc: Debian's containerd-shim-runc-v2,
 * the reference implementation of the protocol containerd-shim-kata-v2 speaks, configured as handler
 * {@code shimv2-runc}. One pod with two containers through crisp's socket: logs, ExecSync, exit
 * codes, stats, a daemon killed with SIGKILL while the shim keeps serving, and a clean removal.
 */
final class ShimV2IT {
    static final Path SHIM = Path.of("/usr/bin/containerd-shim-runc-v2");
    static final String HANDLER = "shimv2-runc";

    @TempDir
    Path dir;

    static DaemonProcess configure(DaemonProcess daemon) {
        Pods.configure(daemon.withPlugin(Crisp.KATA_PLUGIN));
        try {
            Files.writeString(daemon.config, Files.readString(daemon.config) + """
                    [runtimes.%s]
                    plugin = "kata"
                    shim_path = "%s"
                    """.formatted(HANDLER, SHIM));
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return daemon;
    }

    @Test
    void podRunsInOneShimAndSurvivesADaemonKill() throws Exception {
        Pods.requirePrerequisites();
        Crisp.requireExecutable(SHIM, "as the shim v2 of handler " + HANDLER + " (Debian package containerd)");
        Path daemonDir = dir.resolve("daemon");
        Path logs = dir.resolve("logs");
        try (TestNetwork network = TestNetwork.create(dir)) {
            PodSandboxConfig pod = Pods.pod("vm-pod", logs).putAnnotations("io.katacontainers.config.hypervisor.default_vcpus", "2")
                    .putAnnotations("example.com/not-for-the-shim", "x").build();
            String podId;
            String web;
            String worker;
            String brief;
            try (DaemonProcess first = configure(new DaemonProcess(daemonDir))) {
                network.writeTo(Pods.cniConfDir(first));
                first.start();
                Pods.importImages(first, dir.resolve("images"));
                CriClient client = first.client();
                podId = client.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod)
                        .setRuntimeHandler(HANDLER).build()).getPodSandboxId();
                var status = client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).build())
                        .getStatus();
                assertEquals(PodSandboxState.SANDBOX_READY, status.getState());
                assertEquals(HANDLER, status.getRuntimeHandler());
                assertTrue(status.getNetwork().getIp().startsWith(network.subnetPrefix), "pod IP " + status.getNetwork().getIp());
                assertEquals(1, shims(podId).size(), "one shim serves the pod: " + shims(podId));

                web = Pods.createAndStart(client, podId, pod, Pods.container("web", "sh", "-c",
                        "echo started; while :; do echo tick; sleep 0.2; done").build());
                worker = Pods.createAndStart(client, podId, pod, Pods.container("worker", "sh", "-c",
                        "echo out; echo err >&2; exit 3").build());
                ContainerStatus done = Pods.awaitState(client, worker, CONTAINER_EXITED, 20);
                assertEquals(3, done.getExitCode());
                assertEquals("Error", done.getReason());
                Pods.await(() -> Pods.read(logs.resolve("worker/0.log")).contains(" stderr F err"), 10, "worker's stderr in its log");
                String workerLog = Pods.read(logs.resolve("worker/0.log"));
                assertTrue(workerLog.matches("(?s)\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z stdout F out\n.*"), workerLog);
                assertEquals(1, shims(podId).size(), "both containers went into the pod's shim: " + shims(podId));

                // The shim saw only the pod annotations the allow-list passes (io.katacontainers.* by default).
                String sandboxSpec = Files.readString(bundleOf(first, podId));
                assertTrue(sandboxSpec.contains("io.katacontainers.config.hypervisor.default_vcpus"), sandboxSpec);
                assertTrue(!sandboxSpec.contains("example.com/not-for-the-shim"), sandboxSpec);
                assertTrue(sandboxSpec.contains("\"io.kubernetes.cri.container-type\":\"sandbox\""), sandboxSpec);

                ExecSyncResponse exec = execSync(client, web, 10, "sh", "-c", "echo hi; echo oops >&2; exit 7");
                assertEquals(7, exec.getExitCode());
                assertEquals("hi\n", exec.getStdout().toStringUtf8());
                assertEquals("oops\n", exec.getStderr().toStringUtf8());
                StatusRuntimeException timeout = assertThrows(StatusRuntimeException.class,
                        () -> execSync(client, web, 1, "sleep", "30"));
                assertEquals(Status.Code.DEADLINE_EXCEEDED, timeout.getStatus().getCode());

                Pods.await(() -> client.runtime().containerStats(ContainerStatsRequest.newBuilder().setContainerId(web).build())
                        .getStats().getMemory().getWorkingSetBytes().getValue() > 0, 10, "stats of web from the shim");
                var stats = client.runtime().containerStats(ContainerStatsRequest.newBuilder().setContainerId(web).build()).getStats();
                assertTrue(stats.getCpu().getUsageCoreNanoSeconds().getValue() > 0, stats.toString());

                brief = Pods.createAndStart(client, podId, pod, Pods.container("brief", "sh", "-c", "sleep 3; exit 5").build());
                first.signal("KILL");
                first.waitForExit(Duration.ofSeconds(10));
            }
            assertEquals(1, shims(podId).size(), "the shim outlives the daemon");
            Path webLog = logs.resolve("web/0.log");
            DaemonProcess.sleep(4000); // "brief" exits while no daemon runs

            try (DaemonProcess second = configure(new DaemonProcess(daemonDir)).start()) {
                CriClient client = second.client();
                assertEquals(3, client.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount());
                assertEquals(CONTAINER_RUNNING, Pods.status(client, web).getState());
                assertEquals(3, Pods.status(client, worker).getExitCode());
                ContainerStatus briefStatus = Pods.awaitState(client, brief, CONTAINER_EXITED, 10);
                assertEquals(5, briefStatus.getExitCode(), "the exit that happened while the daemon was down is reported");
                long before = Pods.read(webLog).lines().count();
                Pods.await(() -> Pods.read(webLog).lines().count() > before + 2, 10, "web's log to keep growing after the restart");
                assertEquals("again\n", execSync(client, web, 10, "echo", "again").getStdout().toStringUtf8());

                client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(web).setTimeout(5).build());
                ContainerStatus stopped = Pods.status(client, web);
                assertEquals(CONTAINER_EXITED, stopped.getState());
                assertEquals(143, stopped.getExitCode(), "sh dies of the SIGTERM: " + stopped);
                client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
                assertEquals(List.of(), network.allocated(), "StopPodSandbox released the pod's IP");
                Pods.removeAll(client);
                Pods.await(() -> shims(podId).isEmpty(), 10, "the pod's shim to exit after RemovePodSandbox");
            }
        }
    }

    private static ExecSyncResponse execSync(CriClient client, String id, long timeoutSeconds, String... cmd) {
        return client.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id).setTimeout(timeoutSeconds)
                .addAllCmd(List.of(cmd)).build());
    }

    /** The sandbox's config.json as the shim got it. */
    private static Path bundleOf(DaemonProcess daemon, String podId) throws Exception {
        try (Stream<Path> files = Files.walk(daemon.dir)) {
            return files.filter(p -> p.getFileName().toString().equals("config.json") && p.getParent().getFileName().toString().equals(podId))
                    .findFirst().orElseThrow(() -> new AssertionError("no bundle for " + podId + " under " + daemon.dir));
        }
    }

    /** Running shim daemons started for this pod (their command line names the sandbox id). */
    static List<String> shims(String podId) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).map(p -> {
                try {
                    return new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                } catch (Exception e) {
                    return "";
                }
            }).filter(cmd -> cmd.contains("containerd-shim-runc-v2") && cmd.contains(podId)).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
