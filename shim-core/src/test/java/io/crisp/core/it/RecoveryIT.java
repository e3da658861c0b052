package io.crisp.core.it;

import static io.crisp.cri.v1.ContainerState.CONTAINER_EXITED;
import static io.crisp.cri.v1.ContainerState.CONTAINER_RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.v1.ContainerStatus;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxState;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A daemon killed with SIGKILL loses nothing: pods and containers are listed as before and keep running. */
final class RecoveryIT {
    @TempDir
    Path dir;

    /**
     * On the default handler (runc), on the lxc plugin's (LXC containers under conmon, through its
     * adapter) and on the nspawn plugin's (apps inside one systemd-nspawn machine per pod).
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "lxc", "nspawn"})
    void killedDaemonRestartsWithEveryPodAndContainerIntact(String handler) throws Exception {
        if (handler.equals("lxc")) {
            Crisp.requireExecutable(Path.of("/usr/bin/lxc-execute"), "for the lxc handler (package lxc)");
        }
        if (handler.equals("nspawn")) {
            Crisp.requireExecutable(Path.of("/usr/bin/systemd-nspawn"), "for the nspawn handler (package systemd-container)");
        }
        Path daemonDir = dir.resolve("daemon");
        try (TestNetwork network = TestNetwork.create(dir)) {
            recover(daemonDir, network, handler);
        }
    }

    private void recover(Path daemonDir, TestNetwork network, String handler) throws Exception {
        PodSandboxConfig pod = Pods.pod("survivor", dir.resolve("logs")).build();
        String podId;
        String ticker;
        String shortLived;
        String waiting;
        // A plugin handler is a drop-in, which the second daemon reads again from the same directory.
        String dropIn = handler.isEmpty() ? "" : "[runtimes." + handler + "]\nplugin = \"" + handler + "\"\n";
        Path[] plugins = switch (handler) {
            case "lxc" -> new Path[] {Crisp.LXC_PLUGIN};
            case "nspawn" -> new Path[] {Crisp.NSPAWN_PLUGIN};
            default -> new Path[0];
        };
        try (DaemonProcess first = Pods.daemon(daemonDir, network, dropIn, plugins)) {
            podId = Pods.run(first.client(), pod, handler);
            ticker = Pods.createAndStart(first.client(), podId, pod, Pods.container("ticker", "sh", "-c",
                    "while :; do echo tick; sleep 0.2; done").build());
            shortLived = Pods.createAndStart(first.client(), podId, pod, Pods.container("brief", "sh", "-c", "sleep 3; exit 5").build());
            // Killed between its CreateContainer and its StartContainer (runc's create runs at the start).
            waiting = Pods.create(first.client(), podId, pod, Pods.container("waiting", "sh", "-c",
                    "echo started late; sleep 1000").build());
            Pods.awaitState(first.client(), ticker, CONTAINER_RUNNING, 20);
            first.signal("KILL");
            first.waitForExit(java.time.Duration.ofSeconds(10));
        }
        Path log = dir.resolve("logs/ticker/0.log");
        long linesWhileDown = Pods.read(log).lines().count();
        DaemonProcess.sleep(4000); // "brief" exits while no daemon runs
        assertTrue(Pods.read(log).lines().count() > linesWhileDown, "the container kept logging while the daemon was down");

        try (DaemonProcess second = Pods.configure(new DaemonProcess(daemonDir)).start()) {
            var client = second.client();
            assertEquals(List.of(podId), client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
                    .getItemsList().stream().map(p -> p.getId()).toList());
            assertEquals(PodSandboxState.SANDBOX_READY, client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
                    .getItems(0).getState());
            assertEquals(3, client.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersCount());
            assertEquals(CONTAINER_RUNNING, Pods.status(client, ticker).getState());
            assertEquals(io.crisp.cri.v1.ContainerState.CONTAINER_CREATED, Pods.status(client, waiting).getState(),
                    "a container created before the kill is still created");
            client.runtime().startContainer(io.crisp.cri.v1.StartContainerRequest.newBuilder().setContainerId(waiting).build());
            assertEquals(CONTAINER_RUNNING, Pods.status(client, waiting).getState());
            Path waitingLog = dir.resolve("logs/waiting/0.log");
            Pods.await(() -> java.nio.file.Files.exists(waitingLog) && Pods.read(waitingLog).contains("started late"), 10,
                    "the output of the container started after the restart");
            String ip = client.runtime().podSandboxStatus(io.crisp.cri.v1.PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).build())
                    .getStatus().getNetwork().getIp();
            assertTrue(ip.startsWith(network.subnetPrefix), "the pod keeps its IP across the restart: " + ip);
            assertEquals(List.of(ip), network.allocated());
            ContainerStatus brief = Pods.awaitState(client, shortLived, CONTAINER_EXITED, 10);
            assertEquals(5, brief.getExitCode(), "the exit that happened while the daemon was down is reported");
            long before = Pods.read(log).lines().count();
            Pods.await(() -> Pods.read(log).lines().count() > before + 2, 10, "the log to keep growing after the restart");

            // and the recovered objects can be driven as usual
            client.runtime().stopContainer(io.crisp.cri.v1.StopContainerRequest.newBuilder().setContainerId(ticker).setTimeout(0).build());
            assertEquals(CONTAINER_EXITED, Pods.status(client, ticker).getState());
            client.runtime().stopPodSandbox(io.crisp.cri.v1.StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            assertEquals(List.of(), network.allocated(), "StopPodSandbox after the restart released the pod's IP");
            Pods.removeAll(client);
        }
        assertEquals(List.of(), network.veths(), "no veth is left on the bridge");
        assertEquals(List.of(), monitorsOf(podId, ticker, shortLived, waiting), "no conmon is left behind");
    }

    private static List<String> monitorsOf(String... ids) {
        return HostProcesses.commandLines().values().stream()
                .filter(cmd -> cmd.contains("conmon") && Stream.of(ids).anyMatch(cmd::contains)).toList();
    }
}
