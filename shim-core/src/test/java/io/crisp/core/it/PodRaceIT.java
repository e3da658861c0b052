package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandbox;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxState;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.StopPodSandboxRequest;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * What crictl rmp -a and critest's cleanup do while a pod starts: list the pods, then stop and
 * remove the one still NOT_READY, through the socket of a real daemon with the runc handler. Every
 * call succeeds, the pod ends removed and no conmon or runc process of it is left.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
final class PodRaceIT {
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

    @AfterAll
    void stopDaemon() {
        if (client != null) {
            Pods.removeAll(client);
        }
        if (daemon != null) {
            daemon.close();
        }
        if (network != null) {
            network.close();
        }
    }

    @Test
    void stopAndRemoveOfAStartingPodWaitForItsRun() throws Exception {
        int caught = 0;
        for (int attempt = 0; attempt < 5 && caught < 2; attempt++) {
            PodSandboxConfig pod = Pods.pod("racy" + attempt, dir.resolve("logs").resolve("racy" + attempt)).build();
            CompletableFuture<String> run = CompletableFuture.supplyAsync(() -> Pods.run(client, pod));
            String starting = null;
            while (starting == null && !run.isDone()) {
                starting = client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList().stream()
                        .filter(p -> p.getState() == PodSandboxState.SANDBOX_NOTREADY).map(PodSandbox::getId).findFirst().orElse(null);
            }
            if (starting != null) {
                caught++;
                String id = starting;
                client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
                client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
                assertEquals(id, run.get(60, TimeUnit.SECONDS), "RunPodSandbox succeeded");
                assertEquals(List.of(), client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList(),
                        "the pod is removed");
                Pods.await(() -> processesOf(id).isEmpty(), 10, "no process of pod " + id + " to be left: " + processesOf(id));
            } else {
                run.get(60, TimeUnit.SECONDS);
                Pods.removeAll(client);
            }
        }
        assertTrue(caught >= 1, "a pod was caught while it started (NOT_READY) in 5 attempts");
    }

    /**
     * CreateContainer into a pod that RemovePodSandbox takes away at the same time: whichever wins,
     * no container is left behind, listed or running.
     */
    @Test
    void createContainerIntoAPodBeingRemovedLeavesNoContainer() throws Exception {
        for (int attempt = 0; attempt < 6; attempt++) {
            PodSandboxConfig pod = Pods.pod("doomed" + attempt, dir.resolve("logs").resolve("doomed" + attempt)).build();
            String podId = Pods.run(client, pod);
            CompletableFuture<String> create = CompletableFuture.supplyAsync(() -> Pods.create(client, podId, pod,
                    Pods.container("late", "sleep", "1000").build()));
            DaemonProcess.sleep(attempt * 15L);
            client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            String created = null;
            try {
                created = create.get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                // refused: the pod was gone or going
            }
            assertEquals(List.of(), client.runtime().listContainers(io.crisp.cri.v1.ListContainersRequest.getDefaultInstance())
                    .getContainersList(), "attempt " + attempt + ": no container outlives its pod (created: " + created + ")");
            String late = created;
            Pods.await(() -> processesOf(podId).isEmpty() && (late == null || processesOf(late).isEmpty()), 10,
                    "no process of pod " + podId + " or its container to be left");
        }
    }

    private static List<String> processesOf(String id) {
        return HostProcesses.commandLines().values().stream().filter(cmd -> cmd.contains(id)).toList();
    }
}
