package io.crisp.core.it;

import static io.crisp.cri.v1.ContainerState.CONTAINER_CREATED;
import static io.crisp.cri.v1.ContainerState.CONTAINER_EXITED;
import static io.crisp.cri.v1.ContainerState.CONTAINER_RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerFilter;
import io.crisp.cri.v1.ContainerStateValue;
import io.crisp.cri.v1.ContainerStatus;
import io.crisp.cri.v1.ContainerStatusRequest;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ExecSyncResponse;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxFilter;
import io.crisp.cri.v1.PodSandboxState;
import io.crisp.cri.v1.PodSandboxStateValue;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.PodSandboxStatusResponse;
import io.crisp.cri.v1.RemoveContainerRequest;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.StopContainerRequest;
import io.crisp.cri.v1.StopPodSandboxRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole CRI pod and container lifecycle on a real daemon with the runc handler: real runc,
 * real conmon, overlay rootfs from imported busybox images, calls through the real socket.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
final class PodLifecycleIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path dir;
    private DaemonProcess daemon;
    private TestNetwork network;
    private CriClient client;

    @BeforeAll
    void startDaemon(@TempDir Path tmp) {
        dir = tmp;
        network = TestNetwork.create(dir);
        daemon = Pods.daemon(dir.resolve("daemon"), network);
        client = daemon.client();
    }

    @AfterEach
    void removePods() {
        Pods.removeAll(client);
    }

    @AfterAll
    void stopDaemon() {
        if (daemon != null) {
            daemon.close();
        }
        if (network != null) {
            network.close();
        }
    }

    private PodSandboxConfig pod(String name) {
        return Pods.pod(name, dir.resolve("logs").resolve(name)).build();
    }

    @Test
    void fullLifecycleWithCriLogsIncludingAPartialLine() throws Exception {
        PodSandboxConfig pod = pod("life");
        String podId = Pods.run(client, pod);
        PodSandboxStatusResponse podStatus = client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder()
                .setPodSandboxId(podId).setVerbose(true).build());
        assertEquals(PodSandboxState.SANDBOX_READY, podStatus.getStatus().getState());
        assertEquals("life", podStatus.getStatus().getMetadata().getName());
        assertEquals("life", podStatus.getStatus().getLabelsMap().get("app"));
        assertEquals("runc", podStatus.getStatus().getRuntimeHandler());
        assertTrue(podStatus.getStatus().getCreatedAt() > 0);
        JsonNode info = JSON.readTree(podStatus.getInfoMap().get("info"));
        assertTrue(info.path("pid").asLong() > 1, "verbose info carries the infra pid: " + info);
        assertTrue(info.path("runtimeSpec").has("process"), "verbose info carries the OCI spec");

        String id = Pods.create(client, podId, pod, Pods.container("hello", "sh", "-c", "echo first; echo oops >&2; printf partial").build());
        assertEquals(CONTAINER_CREATED, Pods.status(client, id).getState());
        client.runtime().startContainer(io.crisp.cri.v1.StartContainerRequest.newBuilder().setContainerId(id).build());
        ContainerStatus exited = Pods.awaitState(client, id, CONTAINER_EXITED, 20);
        assertEquals(0, exited.getExitCode());
        assertEquals("Completed", exited.getReason());
        assertTrue(exited.getStartedAt() >= exited.getCreatedAt() && exited.getFinishedAt() >= exited.getStartedAt(), exited.toString());
        assertEquals(Pods.BUSYBOX, exited.getImage().getImage());
        assertTrue(exited.getImageRef().startsWith("sha256:") || exited.getImageRef().contains("@sha256:"), exited.getImageRef());
        Path log = Path.of(exited.getLogPath());
        assertEquals(dir.resolve("logs/life/hello/0.log"), log);
        List<String> lines = Files.readAllLines(log);
        assertTrue(lines.stream().anyMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\S+ stdout F first")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.matches("\\S+ stderr F oops")), String.join("\n", lines));
        assertTrue(lines.stream().anyMatch(l -> l.matches("\\S+ stdout P partial")), String.join("\n", lines));

        // idempotent stop and remove
        client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(1).build());
        client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
        client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(1).build());
        StatusRuntimeException gone = assertThrows(StatusRuntimeException.class, () -> Pods.status(client, id));
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());

        client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        assertEquals(PodSandboxState.SANDBOX_NOTREADY, client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder()
                .setPodSandboxId(podId).build()).getStatus().getState());
        client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
        StatusRuntimeException podGone = assertThrows(StatusRuntimeException.class, () -> client.runtime().podSandboxStatus(
                PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).build()));
        assertEquals(Status.Code.NOT_FOUND, podGone.getStatus().getCode());
        assertFalse(Files.exists(daemon.state.resolve("bundles").resolve(podId)), "the pod's bundle is gone");
    }

    @Test
    void exitCodesReasonsAndOomKill() {
        PodSandboxConfig pod = pod("exits");
        String podId = Pods.run(client, pod);
        String failing = Pods.createAndStart(client, podId, pod, Pods.container("fail", "sh", "-c", "exit 3").build());
        ContainerStatus failed = Pods.awaitState(client, failing, CONTAINER_EXITED, 20);
        assertEquals(3, failed.getExitCode());
        assertEquals("Error", failed.getReason());

        var limited = Pods.container("hog", "sh", "-c", "x=$(dd if=/dev/zero bs=1M count=200 | tr '\\0' a); echo survived");
        limited.getLinuxBuilder().getResourcesBuilder().setMemoryLimitInBytes(20L << 20);
        String hog = Pods.createAndStart(client, podId, pod, limited.build());
        ContainerStatus oom = Pods.awaitState(client, hog, CONTAINER_EXITED, 60);
        assertEquals("OOMKilled", oom.getReason(), oom.toString());
        assertEquals(137, oom.getExitCode());
    }

    @Test
    void stopKillsAProcessThatIgnoresTheStopSignalAfterTheTimeout() {
        PodSandboxConfig pod = pod("stubborn");
        String podId = Pods.run(client, pod);
        String id = Pods.createAndStart(client, podId, pod, Pods.container("stubborn", "sh", "-c",
                "trap '' TERM; echo ready; while :; do sleep 1; done").build());
        Pods.awaitState(client, id, CONTAINER_RUNNING, 20);
        long started = System.nanoTime();
        client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(2).build());
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        ContainerStatus stopped = Pods.status(client, id);
        assertEquals(CONTAINER_EXITED, stopped.getState());
        assertEquals(137, stopped.getExitCode(), "killed by SIGKILL after ignoring SIGTERM");
        assertTrue(tookMillis >= 1900, "the stop signal was given its timeout first: " + tookMillis + " ms");
    }

    @Test
    void execSyncOutputExitCodeAndTimeout() {
        PodSandboxConfig pod = pod("exec");
        String podId = Pods.run(client, pod);
        String id = Pods.createAndStart(client, podId, pod, Pods.container("sleeper", "sleep", "1000").build());
        Pods.awaitState(client, id, CONTAINER_RUNNING, 20);

        ExecSyncResponse ok = exec(id, 10, "sh", "-c", "echo out; echo err >&2; exit 7");
        assertEquals("out\n", ok.getStdout().toStringUtf8());
        assertEquals("err\n", ok.getStderr().toStringUtf8());
        assertEquals(7, ok.getExitCode());

        StatusRuntimeException timeout = assertThrows(StatusRuntimeException.class, () -> exec(id, 1, "sh", "-c", "sleep 300; true"));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, timeout.getStatus().getCode(), timeout.getStatus().toString());
        Pods.await(() -> !exec(id, 10, "ps").getStdout().toStringUtf8().contains("sleep 300"), 10, "the timed-out process to be gone");

        client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(0).build());
        StatusRuntimeException stopped = assertThrows(StatusRuntimeException.class, () -> exec(id, 5, "true"));
        assertEquals(Status.Code.FAILED_PRECONDITION, stopped.getStatus().getCode());
        assertRefused(Status.Code.FAILED_PRECONDITION, "not running", () -> client.runtime().exec(io.crisp.cri.v1.ExecRequest.newBuilder()
                .setContainerId(id).addCmd("sh").setStdout(true).build()));
        assertRefused(Status.Code.FAILED_PRECONDITION, "not running", () -> client.runtime().attach(io.crisp.cri.v1.AttachRequest.newBuilder()
                .setContainerId(id).setStdout(true).build()));
    }

    @Test
    void resourcesChangeInPlaceAndTheLogReopensAfterRotation() throws Exception {
        PodSandboxConfig pod = pod("update");
        String podId = Pods.run(client, pod);
        var ticker = Pods.container("ticker", "sh", "-c", "while :; do echo tick; sleep 0.1; done");
        ticker.getLinuxBuilder().getResourcesBuilder().setMemoryLimitInBytes(48L << 20).setCpuShares(512);
        String id = Pods.createAndStart(client, podId, pod, ticker.build());
        Pods.awaitState(client, id, CONTAINER_RUNNING, 20);
        assertEquals(48L << 20, Pods.status(client, id).getResources().getLinux().getMemoryLimitInBytes());
        assertEquals(512, Pods.status(client, id).getResources().getLinux().getCpuShares());

        client.runtime().updateContainerResources(io.crisp.cri.v1.UpdateContainerResourcesRequest.newBuilder().setContainerId(id)
                .setLinux(io.crisp.cri.v1.LinuxContainerResources.newBuilder().setMemoryLimitInBytes(64L << 20)).build());
        assertEquals(String.valueOf(64L << 20), exec(id, 10, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes").getStdout().toStringUtf8().trim());
        assertEquals(64L << 20, Pods.status(client, id).getResources().getLinux().getMemoryLimitInBytes(),
                "ContainerStatus reports the resources in force, as the kubelet checks after a resize");

        Path log = Path.of(Pods.status(client, id).getLogPath());
        Path rotated = log.resolveSibling("0.log.1");
        Files.move(log, rotated); // what the kubelet's log rotation does before it asks to reopen
        client.runtime().reopenContainerLog(io.crisp.cri.v1.ReopenContainerLogRequest.newBuilder().setContainerId(id).build());
        Pods.await(() -> Pods.read(log).contains("stdout F tick"), 10, "new lines in the reopened log file");
        long rotatedSize = Files.size(rotated);
        DaemonProcess.sleep(500);
        assertEquals(rotatedSize, Files.size(rotated), "nothing is written to the rotated file any more");
    }

    /**
     * runc's create runs at StartContainer: a container created and not started takes resource
     * updates, stops and is removed without ever running; one whose create fails fails its start,
     * clearly, and is exited (StartError, as in containerd) and removable.
     */
    @Test
    void createdContainersUpdateStopAndFailAtTheStart() {
        PodSandboxConfig pod = pod("deferred");
        String podId = Pods.run(client, pod);
        var sleeper = Pods.container("resized", "sleep", "1000");
        sleeper.getLinuxBuilder().getResourcesBuilder().setMemoryLimitInBytes(48L << 20);
        String resized = Pods.create(client, podId, pod, sleeper.build());
        client.runtime().updateContainerResources(io.crisp.cri.v1.UpdateContainerResourcesRequest.newBuilder().setContainerId(resized)
                .setLinux(io.crisp.cri.v1.LinuxContainerResources.newBuilder().setMemoryLimitInBytes(64L << 20)).build());
        client.runtime().startContainer(io.crisp.cri.v1.StartContainerRequest.newBuilder().setContainerId(resized).build());
        assertEquals(String.valueOf(64L << 20), exec(resized, 10, "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes")
                .getStdout().toStringUtf8().trim(), "the update made before the start is in force");

        String neverRun = Pods.create(client, podId, pod, Pods.container("never", "sleep", "1000").build());
        client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(neverRun).setTimeout(10).build());
        assertEquals(CONTAINER_EXITED, Pods.status(client, neverRun).getState());
        assertRefused(Status.Code.FAILED_PRECONDITION, neverRun, () -> client.runtime().startContainer(
                io.crisp.cri.v1.StartContainerRequest.newBuilder().setContainerId(neverRun).build()));
        client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(neverRun).build());
        assertRefused(Status.Code.NOT_FOUND, neverRun, () -> Pods.status(client, neverRun));

        String broken = Pods.create(client, podId, pod, Pods.container("broken", "/no/such/program").build());
        assertEquals(CONTAINER_CREATED, Pods.status(client, broken).getState());
        StatusRuntimeException failed = assertThrows(StatusRuntimeException.class, () -> client.runtime().startContainer(
                io.crisp.cri.v1.StartContainerRequest.newBuilder().setContainerId(broken).build()));
        assertTrue(String.valueOf(failed.getStatus().getDescription()).contains("/no/such/program"), failed.getStatus().toString());
        ContainerStatus exited = Pods.status(client, broken);
        assertEquals(CONTAINER_EXITED, exited.getState(), "recorded before StartContainer returned");
        assertEquals("StartError", exited.getReason(), exited.toString());
        assertEquals(128, exited.getExitCode());
        client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(broken).build());
        assertRefused(Status.Code.NOT_FOUND, broken, () -> Pods.status(client, broken));
    }

    private ExecSyncResponse exec(String id, long timeout, String... cmd) {
        return client.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id).setTimeout(timeout).addAllCmd(List.of(cmd)).build());
    }

    @Test
    void containersOfOnePodShareLocalhostIpcAndShm() {
        PodSandboxConfig pod = pod("shared");
        String podId = Pods.run(client, pod);
        String server = Pods.createAndStart(client, podId, pod, Pods.container("server", "sh", "-c",
                "mkdir -p /www && echo hello-from-server > /www/index.html && echo shm > /dev/shm/marker && httpd -f -p 127.0.0.1:8080 -h /www").build());
        Pods.awaitState(client, server, CONTAINER_RUNNING, 20);
        String client2 = Pods.createAndStart(client, podId, pod, Pods.container("client", "sleep", "1000").build());
        Pods.awaitState(client, client2, CONTAINER_RUNNING, 20);
        Pods.await(() -> exec(client2, 10, "wget", "-q", "-O-", "http://127.0.0.1:8080/").getStdout().toStringUtf8().contains("hello-from-server"),
                20, "the server to answer on the pod's localhost");
        for (String ns : List.of("ipc", "net", "uts")) {
            String link = "/proc/self/ns/" + ns;
            assertEquals(exec(server, 10, "readlink", link).getStdout().toStringUtf8(), exec(client2, 10, "readlink", link).getStdout().toStringUtf8(),
                    "both containers are in the pod's " + ns + " namespace");
        }
        assertEquals("shm\n", exec(client2, 10, "cat", "/dev/shm/marker").getStdout().toStringUtf8());
        assertEquals("shared\n", exec(client2, 10, "hostname").getStdout().toStringUtf8());
    }

    @Test
    void hostNetworkAndHostPidPods() throws Exception {
        var builder = Pods.pod("hostns", dir.resolve("logs/hostns"));
        builder.getLinuxBuilder().getSecurityContextBuilder().getNamespaceOptionsBuilder()
                .setNetwork(io.crisp.cri.v1.NamespaceMode.NODE).setPid(io.crisp.cri.v1.NamespaceMode.NODE);
        PodSandboxConfig pod = builder.build();
        String podId = Pods.run(client, pod);
        String id = Pods.createAndStart(client, podId, pod, Pods.container("probe", "sleep", "1000").build());
        Pods.awaitState(client, id, CONTAINER_RUNNING, 20);
        String hostInterfaces = interfaces(Files.readString(Path.of("/proc/net/dev")));
        assertEquals(hostInterfaces, interfaces(exec(id, 10, "cat", "/proc/net/dev").getStdout().toStringUtf8()));
        String hostInit = new String(Files.readAllBytes(Path.of("/proc/1/cmdline")));
        assertEquals(hostInit, exec(id, 10, "cat", "/proc/1/cmdline").getStdout().toStringUtf8(), "pid 1 is the host's init");
        PodSandboxStatusResponse status = client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).build());
        assertEquals(io.crisp.cri.v1.NamespaceMode.NODE, status.getStatus().getLinux().getNamespaces().getOptions().getNetwork());
    }

    private static String interfaces(String procNetDev) {
        return procNetDev.lines().skip(2).map(l -> l.substring(0, l.indexOf(':')).trim()).sorted().toList().toString();
    }

    @Test
    void runAsUserReadonlyRootfsAndHostPathMount() throws Exception {
        PodSandboxConfig pod = pod("security");
        String podId = Pods.run(client, pod);
        Path volume = Files.createDirectories(dir.resolve("volume"));
        Files.writeString(volume.resolve("data.txt"), "from-the-host\n");
        var config = Pods.container("restricted", "sleep", "1000");
        config.getLinuxBuilder().getSecurityContextBuilder().setReadonlyRootfs(true)
                .setRunAsUser(io.crisp.cri.v1.Int64Value.newBuilder().setValue(1000));
        config.addMounts(io.crisp.cri.v1.Mount.newBuilder().setContainerPath("/data").setHostPath(volume.toString()).setReadonly(true));
        String id = Pods.createAndStart(client, podId, pod, config.build());
        Pods.awaitState(client, id, CONTAINER_RUNNING, 20);
        assertEquals("1000\n", exec(id, 10, "id", "-u").getStdout().toStringUtf8());
        assertEquals("from-the-host\n", exec(id, 10, "cat", "/data/data.txt").getStdout().toStringUtf8());
        assertTrue(exec(id, 10, "touch", "/data/x").getExitCode() != 0, "a readonly mount refuses writes");
        assertTrue(exec(id, 10, "sh", "-c", "echo > /rootfile").getExitCode() != 0, "a readonly rootfs refuses writes");
        ContainerStatus status = Pods.status(client, id);
        // uid 1000 is alice in the image's /etc/passwd: gid 1000 from there, and group staff (50) from /etc/group
        assertEquals(1000, status.getUser().getLinux().getUid());
        assertEquals(1000, status.getUser().getLinux().getGid());
        assertTrue(status.getUser().getLinux().getSupplementalGroupsList().contains(50L), status.getUser().toString());
        assertTrue(exec(id, 10, "id").getStdout().toStringUtf8().contains("50(staff)"), "the process has the group too");
        assertEquals("/data", status.getMounts(0).getContainerPath());
        assertTrue(status.getMounts(0).getReadonly());
    }

    @Test
    void listFiltersByIdPrefixStateSandboxAndLabels() {
        PodSandboxConfig podA = pod("lista");
        PodSandboxConfig podB = pod("listb");
        String a = Pods.run(client, podA);
        String b = Pods.run(client, podB);
        String runningA = Pods.createAndStart(client, a, podA, Pods.container("runner", "sleep", "1000").build());
        String createdB = Pods.create(client, b, podB, Pods.container("idle", "sleep", "1000").build());
        Pods.awaitState(client, runningA, CONTAINER_RUNNING, 20);

        assertEquals(List.of(runningA), ids(ContainerFilter.newBuilder().setId(runningA.substring(0, 12)).build()));
        assertEquals(List.of(runningA), ids(ContainerFilter.newBuilder().setState(ContainerStateValue.newBuilder().setState(CONTAINER_RUNNING)).build()));
        assertEquals(List.of(createdB), ids(ContainerFilter.newBuilder().setPodSandboxId(b).build()));
        assertEquals(List.of(createdB), ids(ContainerFilter.newBuilder().putLabelSelector("container", "idle").build()));
        assertEquals(List.of(), ids(ContainerFilter.newBuilder().putLabelSelector("container", "nope").build()));
        assertEquals(2, ids(ContainerFilter.getDefaultInstance()).size());

        assertEquals(List.of(b), client.runtime().listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(
                PodSandboxFilter.newBuilder().putLabelSelector("app", "listb")).build()).getItemsList().stream().map(p -> p.getId()).toList());
        assertEquals(2, client.runtime().listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.newBuilder()
                .setState(PodSandboxStateValue.newBuilder().setState(PodSandboxState.SANDBOX_READY))).build()).getItemsCount());
        // a short id works wherever an id does
        assertEquals(runningA, Pods.status(client, runningA.substring(0, 10)).getId());
        // the unfiltered list (answered from a cache) follows every change
        assertEquals(2, client.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount());
        client.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(runningA).setTimeout(0).build());
        assertEquals(io.crisp.cri.v1.ContainerState.CONTAINER_EXITED, client.runtime().listContainers(ListContainersRequest.getDefaultInstance())
                .getContainersList().stream().filter(c -> c.getId().equals(runningA)).findFirst().orElseThrow().getState());
        client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(createdB).build());
        assertEquals(List.of(runningA), client.runtime().listContainers(ListContainersRequest.getDefaultInstance())
                .getContainersList().stream().map(c -> c.getId()).toList());
        // the kubelet's relist sends an empty filter: answered from the same cache, it follows the changes too
        assertEquals(List.of(runningA), ids(ContainerFilter.getDefaultInstance()));
        assertEquals(2, client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsCount());
        client.runtime().stopPodSandbox(io.crisp.cri.v1.StopPodSandboxRequest.newBuilder().setPodSandboxId(b).build());
        assertEquals(List.of(PodSandboxState.SANDBOX_READY, PodSandboxState.SANDBOX_NOTREADY), List.of(a, b).stream().map(id -> client.runtime()
                .listPodSandbox(ListPodSandboxRequest.newBuilder().setFilter(PodSandboxFilter.getDefaultInstance()).build()).getItemsList()
                .stream().filter(p -> p.getId().equals(id)).findFirst().orElseThrow().getState()).toList());
    }

    private List<String> ids(ContainerFilter filter) {
        return client.runtime().listContainers(ListContainersRequest.newBuilder().setFilter(filter).build())
                .getContainersList().stream().map(c -> c.getId()).sorted().toList();
    }

    @Test
    void badRequestsAreRefusedNamingTheField() {
        assertRefused(Status.Code.INVALID_ARGUMENT, "config.metadata", () -> Pods.run(client, PodSandboxConfig.newBuilder().build()));
        PodSandboxConfig pod = pod("bad");
        String podId = Pods.run(client, pod);
        assertRefused(Status.Code.ALREADY_EXISTS, "reserved", () -> Pods.run(client, pod));
        assertRefused(Status.Code.INVALID_ARGUMENT, "config.image", () -> Pods.create(client, podId, pod,
                Pods.container("noimage", "true").setImage(io.crisp.cri.v1.ImageSpec.getDefaultInstance()).build()));
        assertRefused(Status.Code.NOT_FOUND, "pod_sandbox_id", () -> Pods.create(client, "0123456789abcdef", pod,
                Pods.container("x", "true").build()));
        assertRefused(Status.Code.INVALID_ARGUMENT, "config.log_path", () -> Pods.create(client, podId, pod,
                Pods.container("escape", "true").setLogPath("../../escape.log").build()));
        assertRefused(Status.Code.INVALID_ARGUMENT, "config.log_path", () -> Pods.create(client, podId, pod,
                Pods.container("absolute", "true").setLogPath("/etc/evil.log").build()));
        assertRefused(Status.Code.INVALID_ARGUMENT, "filter.label_selector", () -> client.runtime().listContainers(
                ListContainersRequest.newBuilder().setFilter(ContainerFilter.newBuilder().putLabelSelector("bad key!", "x")).build()));
        assertRefused(Status.Code.NOT_FOUND, "container", () -> client.runtime().containerStatus(
                ContainerStatusRequest.newBuilder().setContainerId("feedfacefeedface").build()));
        String first = Pods.create(client, podId, pod, Pods.container("twice", "true").build());
        assertRefused(Status.Code.ALREADY_EXISTS, first, () -> Pods.create(client, podId, pod, Pods.container("twice", "true").build()));
    }

    private static void assertRefused(Status.Code code, String mention, Runnable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call::run);
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        assertTrue(String.valueOf(e.getStatus().getDescription()).contains(mention),
                "the message names " + mention + ": " + e.getStatus().getDescription());
    }
}
