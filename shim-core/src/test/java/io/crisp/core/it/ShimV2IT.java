package io.crisp.core.it;

import static io.crisp.cri.v1.ContainerState.CONTAINER_EXITED;
import static io.crisp.cri.v1.ContainerState.CONTAINER_RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.client.stream.StdioConnection;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.AttachRequest;
import io.crisp.cri.v1.ExecRequest;
import io.crisp.cri.v1.LinuxContainerConfig;
import io.crisp.cri.v1.LinuxContainerResources;
import io.crisp.spi.model.StdioWiring;
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
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
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

    /**
     * A test that failed half-way leaves its pod's shim running (shims outlive the daemon by design):
     * kill every shim started for this test's daemon, with its containers, drop their runc state and
     * unmount what the daemon left mounted.
     */
    @AfterEach
    void killLeftoverShims() throws Exception {
        killLeftoverShims(dir);
    }

    /** Kills the shims (and their containers) started by a daemon under {@code dir}, unmounts and drops their state. */
    static void killLeftoverShims(Path dir) throws Exception {
        String mine = dir.toString();
        HostProcesses.commandLines().forEach((pid, cmd) -> {
            if (cmd.contains("containerd-shim-runc-v2") && cmd.contains(mine)) {
                ProcessHandle.of(pid).ifPresent(shim -> {
                    shim.descendants().forEach(ProcessHandle::destroyForcibly);
                    shim.destroyForcibly();
                });
            }
        });
        // ... and the rootfs and netns mounts the daemon had no chance to release.
        List<String> mounts = Files.readAllLines(Path.of("/proc/mounts")).stream().map(l -> l.split(" ")[1])
                .filter(m -> m.startsWith(mine)).sorted(java.util.Comparator.reverseOrder()).toList();
        for (String m : mounts) {
            new ProcessBuilder("umount", "-l", m).inheritIO().start().waitFor();
        }
        Path runcRoot = Path.of("/run/containerd/runc/k8s.io");
        if (Files.isDirectory(runcRoot)) {
            try (Stream<Path> states = Files.list(runcRoot)) {
                for (Path state : states.toList()) {
                    Path json = state.resolve("state.json");
                    if (Files.exists(json) && Files.readString(json).contains(mine)) {
                        new ProcessBuilder("runc", "--root", runcRoot.toString(), "delete", "-f", state.getFileName().toString())
                                .inheritIO().start().waitFor();
                    }
                }
            }
        }
    }

    static DaemonProcess configure(DaemonProcess daemon) {
        return configure(daemon, "");
    }

    static DaemonProcess configure(DaemonProcess daemon, String extraKeys) {
        Pods.configure(daemon.withPlugin(Crisp.KATA_PLUGIN));
        try {
            Files.writeString(daemon.config, Files.readString(daemon.config) + """
                    [runtimes.%s]
                    plugin = "kata"
                    shim_path = "%s"
                    %s
                    """.formatted(HANDLER, SHIM, extraKeys));
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
                Pods.await(() -> Pods.read(logs.resolve("worker/0.log")).contains(" stdout F out"), 10, "worker's stdout in its log");
                // Two streams, two copiers: the lines' order across streams is not fixed, their form is.
                for (String line : Pods.read(logs.resolve("worker/0.log")).split("\n")) {
                    assertTrue(line.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{9}Z (stdout F out|stderr F err)"), line);
                }
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
                assertEquals(PodSandboxState.SANDBOX_READY, client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder()
                        .setPodSandboxId(podId).build()).getStatus().getState());
                assertEquals(CONTAINER_RUNNING, Pods.status(client, web).getState());
                assertEquals(3, Pods.status(client, worker).getExitCode());
                ContainerStatus briefStatus = Pods.awaitState(client, brief, CONTAINER_EXITED, 10);
                assertEquals(5, briefStatus.getExitCode(), "the exit that happened while the daemon was down is reported");
                long before = Pods.read(webLog).lines().count();
                Pods.await(() -> Pods.read(webLog).lines().count() > before + 2, 10, "web's log to keep growing after the restart");
                assertEquals("again\n", execSync(client, web, 10, "echo", "again").getStdout().toStringUtf8());
                // The shim's event publisher reconnects to the restarted daemon: an OOM kill still arrives.
                String hog = Pods.createAndStart(client, podId, pod, Pods.container("hog", "tail", "/dev/zero")
                        .setLinux(LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
                                .setMemoryLimitInBytes(32L << 20))).build());
                assertEquals("OOMKilled", Pods.awaitState(client, hog, CONTAINER_EXITED, 60).getReason());

                client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(web).setTimeout(5).build());
                ContainerStatus stopped = Pods.status(client, web);
                assertEquals(CONTAINER_EXITED, stopped.getState());
                assertEquals(143, stopped.getExitCode(), "sh dies of the SIGTERM: " + stopped);
                client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
                assertEquals(List.of(), network.allocated(), "StopPodSandbox released the pod's IP");
                Pods.removeAll(client);
                Pods.await(() -> shims(podId).isEmpty(), 10, "the pod's shim to exit after RemovePodSandbox");
                // Removal moves the bundle to the trash, which is emptied beside the call: wait for it, then check.
                Pods.await(() -> {
                    try {
                        return filesNaming(second.state, podId).isEmpty();
                    } catch (java.io.IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }, 10, "the removed pod's trashed bundle to be deleted");
                assertEquals(List.of(), filesNaming(second.state, podId), "the handler keeps no file of a removed pod");
            }
        }
    }

    /** Files under {@code dir} whose name contains {@code id} (kubelet-load.sh found the shim's log copy kept per pod). */
    private static List<Path> filesNaming(Path dir, String id) throws java.io.IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(f -> f.getFileName().toString().contains(id)).toList();
        }
    }

    @Test
    void streamingSessionsAndOomKillsComeThroughTheShim() throws Exception {
        Pods.requirePrerequisites();
        Crisp.requireExecutable(SHIM, "as the shim v2 of handler " + HANDLER + " (Debian package containerd)");
        Path logs = dir.resolve("logs");
        try (TestNetwork network = TestNetwork.create(dir);
             DaemonProcess daemon = configure(new DaemonProcess(dir.resolve("daemon")))) {
            network.writeTo(Pods.cniConfDir(daemon));
            daemon.start();
            Pods.importImages(daemon, dir.resolve("images"));
            CriClient client = daemon.client();
            PodSandboxConfig pod = Pods.pod("vm-stream", logs).build();
            String podId = client.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod)
                    .setRuntimeHandler(HANDLER).build()).getPodSandboxId();
            String cat = Pods.createAndStart(client, podId, pod, Pods.container("cat", "cat").setStdin(true).build());
            String shell = Pods.createAndStart(client, podId, pod, Pods.container("shell", "sh").setStdin(true).setTty(true).build());

            for (StreamClients.Wire wire : StreamClients.Wire.values()) {
                String url = client.runtime().exec(ExecRequest.newBuilder().setContainerId(cat).addAllCmd(List.of("sh", "-c",
                        "read line; echo \"got $line\"; echo to-stderr >&2; exit 4")).setStdin(true).setStdout(true).setStderr(true)
                        .build()).getUrl();
                try (StdioConnection c = StreamClients.stdio(wire, url, new StdioWiring(true, true, true, false))) {
                    c.stdin(("hello " + wire + "\n").getBytes(StandardCharsets.UTF_8));
                    assertEquals("got hello " + wire + "\n", readAll(c.stdout()));
                    assertEquals("to-stderr\n", readAll(c.stderr()));
                    String status = c.awaitStatus(Duration.ofSeconds(10)).orElseThrow();
                    assertTrue(status.contains("{\"reason\":\"ExitCode\",\"message\":\"4\"}"), status);
                }

                String attach = client.runtime().attach(AttachRequest.newBuilder().setContainerId(cat).setStdin(true).setStdout(true)
                        .setStderr(true).build()).getUrl();
                try (StdioConnection c = StreamClients.stdio(wire, attach, new StdioWiring(true, true, true, false))) {
                    c.stdin(("through the shim's cat over " + wire + "\n").getBytes(StandardCharsets.UTF_8));
                    assertTrue(readUntil(c.stdout(), "through the shim's cat over " + wire), "attach echoed through cat");
                }
                Pods.await(() -> Pods.read(logs.resolve("cat/0.log")).contains("stdout F through the shim's cat over " + wire), 10,
                        "attached input echoed into cat's log");

                String tty = client.runtime().attach(AttachRequest.newBuilder().setContainerId(shell).setStdin(true).setStdout(true)
                        .setTty(true).build()).getUrl();
                try (StdioConnection c = StreamClients.stdio(wire, tty, new StdioWiring(true, true, false, true))) {
                    c.resize(91, 33);
                    boolean sized = false;
                    for (int attempt = 0; attempt < 20 && !sized; attempt++) {
                        c.stdin("stty size\n".getBytes(StandardCharsets.UTF_8));
                        sized = readUntil(c.stdout(), "33 91");
                    }
                    assertTrue(sized, "the shim resized the container's terminal");
                }
                assertEquals(CONTAINER_RUNNING, Pods.status(client, shell).getState(), "detaching leaves the container running");
            }

            String hog = Pods.createAndStart(client, podId, pod, Pods.container("hog", "tail", "/dev/zero")
                    .setLinux(LinuxContainerConfig.newBuilder().setResources(LinuxContainerResources.newBuilder()
                            .setMemoryLimitInBytes(32L << 20))).build());
            ContainerStatus oom = Pods.awaitState(client, hog, CONTAINER_EXITED, 60);
            assertEquals(137, oom.getExitCode());
            assertEquals("OOMKilled", oom.getReason(), "the shim's TaskOOM event reached crisp over TTRPC_ADDRESS");
            Pods.removeAll(client);
            Pods.await(() -> shims(podId).isEmpty(), 10, "the pod's shim to exit");
        }
    }

    @Test
    void aShimThatDiesIsNoticedAndCleanedUpByItsDeleteAction() throws Exception {
        Pods.requirePrerequisites();
        Crisp.requireExecutable(SHIM, "as the shim v2 of handler " + HANDLER + " (Debian package containerd)");
        String shimCgroup = "/crisp-it-shims-" + ProcessHandle.current().pid();
        try (TestNetwork network = TestNetwork.create(dir);
             DaemonProcess daemon = configure(new DaemonProcess(dir.resolve("daemon")), "shim_cgroup = \"" + shimCgroup + "\"")) {
            network.writeTo(Pods.cniConfDir(daemon));
            daemon.start();
            Pods.importImages(daemon, dir.resolve("images"));
            CriClient client = daemon.client();
            PodSandboxConfig pod = Pods.pod("vm-crash", dir.resolve("logs")).build();
            String podId = client.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod)
                    .setRuntimeHandler(HANDLER).build()).getPodSandboxId();
            String sleeper = Pods.createAndStart(client, podId, pod, Pods.container("sleeper", "sleep", "4242").build());
            Pods.await(() -> sleepers().size() == 1, 10, "the container's sleep to run");
            assertEquals(1, shims(podId).size());
            long shimPid = HostProcesses.commandLines().entrySet().stream()
                    .filter(e -> e.getValue().contains("containerd-shim-runc-v2") && e.getValue().contains(podId))
                    .map(Map.Entry::getKey).findFirst().orElseThrow();
            String cgroups = Files.readString(Path.of("/proc/" + shimPid + "/cgroup"));
            assertTrue(cgroups.lines().anyMatch(l -> l.contains(":memory:") && l.endsWith(":" + shimCgroup)),
                    "shim_cgroup moved the shim: " + cgroups);
            ProcessHandle.of(shimPid).orElseThrow().destroyForcibly();

            ContainerStatus lost = Pods.awaitState(client, sleeper, CONTAINER_EXITED, 10);
            assertEquals(255, lost.getExitCode(), "a task whose shim died counts as exited: " + lost);
            client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            Pods.removeAll(client);
            Pods.await(() -> sleepers().isEmpty(), 10, "`shim delete` to kill the container the dead shim left");
            assertEquals(List.of(), runcStates(podId, sleeper), "no runc state left for the pod's tasks");
        } finally {
            removeCgroup(shimCgroup);
        }
    }

    /** Removes the test's cgroup from every hierarchy (empty once its shim is gone). */
    private static void removeCgroup(String cgroup) throws IOException {
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                Path dir = h.resolve(cgroup.substring(1));
                for (int attempt = 0; attempt < 50 && Files.isDirectory(dir); attempt++) {
                    try {
                        Files.delete(dir);
                    } catch (IOException e) {
                        DaemonProcess.sleep(100); // the killed shim may still be leaving it
                    }
                }
            }
        }
    }

    /** The container's "sleep 4242" processes, by their command line in /proc. */
    private static List<String> sleepers() {
        return HostProcesses.commandLines().values().stream().filter(cmd -> cmd.equals("sleep 4242 ")).toList();
    }

    private static List<String> runcStates(String... ids) throws IOException {
        Path root = Path.of("/run/containerd/runc/k8s.io");
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> states = Files.list(root)) {
            return states.map(p -> p.getFileName().toString()).filter(List.of(ids)::contains).toList();
        }
    }

    private static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    /** Reads until {@code expected} appeared (true) or 3 s passed without it (false). */
    private static boolean readUntil(InputStream in, String expected) throws IOException {
        StringBuilder text = new StringBuilder();
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        byte[] buffer = new byte[4096];
        while (System.nanoTime() < deadline) {
            if (in.available() <= 0) {
                DaemonProcess.sleep(20);
                continue;
            }
            int n = in.read(buffer);
            if (n < 0) {
                break;
            }
            text.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
            if (text.indexOf(expected) >= 0) {
                return true;
            }
        }
        return false;
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
        return HostProcesses.commandLines().values().stream()
                .filter(cmd -> cmd.contains("containerd-shim-runc-v2") && cmd.contains(podId)).toList();
    }
}
