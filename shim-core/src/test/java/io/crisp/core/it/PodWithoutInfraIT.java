package io.crisp.core.it;

import static io.crisp.cri.v1.ContainerState.CONTAINER_RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.DNSConfig;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ExecSyncResponse;
import io.crisp.cri.v1.LinuxPodSandboxConfig;
import io.crisp.cri.v1.LinuxSandboxSecurityContext;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.NamespaceMode;
import io.crisp.cri.v1.NamespaceOption;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxState;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.StopPodSandboxRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pods without an infra process on the default (runc) handler, as the kubelet makes them (PID
 * namespace per container): no pause process and no conmon for the pod; its containers share the
 * pinned network, IPC and UTS namespaces with the pod's hostname, sysctls and DNS; a kill -9 of the
 * daemon keeps the pod ready; stop and remove leave no mount, file or monitor behind. A pod whose
 * containers share one PID namespace keeps its infra process.
 */
final class PodWithoutInfraIT {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void aPodWithoutInfraProcessServesItsContainersAndSurvivesAKilledDaemon() throws Exception {
        Path daemonDir = dir.resolve("daemon");
        try (TestNetwork network = TestNetwork.create(dir)) {
            PodSandboxConfig pod = Pods.pod("pinned", dir.resolve("logs"))
                    .setDnsConfig(DNSConfig.newBuilder().addServers("10.96.0.10").addSearches("pinned.svc.cluster.local"))
                    .setLinux(LinuxPodSandboxConfig.newBuilder()
                            .putSysctls("kernel.shm_rmid_forced", "1")
                            .putSysctls("net.ipv4.ip_unprivileged_port_start", "80")
                            .setSecurityContext(LinuxSandboxSecurityContext.newBuilder()
                                    .setNamespaceOptions(NamespaceOption.newBuilder().setPid(NamespaceMode.CONTAINER))))
                    .build();
            PodSandboxConfig shared = Pods.pod("shared-pid", dir.resolve("logs")).build(); // pid POD: keeps its infra process
            String podId;
            String sharedId;
            String first;
            Path state;
            try (DaemonProcess daemon = Pods.daemon(daemonDir, network)) {
                state = daemon.state;
                CriClient client = daemon.client();
                podId = Pods.run(client, pod);
                sharedId = Pods.run(client, shared);
                assertEquals(List.of(), monitorsOf(podId), "a conmon runs for the pod without an infra process");
                assertEquals(1, monitorsOf(sharedId).size(), "the pod with pid POD has its infra process under a conmon");
                JsonNode info = JSON.readTree(client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId)
                        .setVerbose(true).build()).getInfoOrThrow("info"));
                assertEquals(0, info.path("pid").asLong());
                String ipcPin = info.path("pinnedNamespaces").path("ipc").asText();
                assertTrue(ipcPin.startsWith(state.toRealPath().toString()), info.toString());

                first = Pods.createAndStart(client, podId, pod, Pods.container("first", "sleep", "3600").build());
                String second = Pods.createAndStart(client, podId, pod, Pods.container("second", "sleep", "3600").build());
                Pods.awaitState(client, first, CONTAINER_RUNNING, 20);
                Pods.awaitState(client, second, CONTAINER_RUNNING, 20);
                assertEquals("pinned", exec(client, first, "hostname"));
                assertEquals("1", exec(client, first, "cat", "/proc/sys/kernel/shm_rmid_forced"));
                assertEquals("80", exec(client, first, "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start"));
                assertTrue(exec(client, first, "cat", "/etc/resolv.conf").contains("nameserver 10.96.0.10"));
                for (String ns : List.of("ipc", "net", "uts")) {
                    assertEquals(exec(client, first, "readlink", "/proc/self/ns/" + ns), exec(client, second, "readlink", "/proc/self/ns/" + ns),
                            "the containers share the pod's " + ns + " namespace");
                }
                assertNotEquals(exec(client, first, "readlink", "/proc/self/ns/pid"), exec(client, second, "readlink", "/proc/self/ns/pid"));
                assertNotEquals(Files.readString(Path.of("/proc/sys/kernel/hostname")).trim(), "pinned");
                String ip = podIp(client, podId);
                assertTrue(ip.startsWith(network.subnetPrefix), ip);
                assertTrue(exec(client, second, "ip", "-o", "-4", "addr").contains(ip), "the container is in the pod's network namespace");

                daemon.signal("KILL");
                daemon.waitForExit(Duration.ofSeconds(10));
            }
            try (DaemonProcess second = Pods.configure(new DaemonProcess(daemonDir)).start()) {
                CriClient client = second.client();
                assertEquals(PodSandboxState.SANDBOX_READY, client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance())
                        .getItemsList().stream().filter(p -> p.getId().equals(podId)).findFirst().orElseThrow().getState());
                assertEquals(CONTAINER_RUNNING, Pods.status(client, first).getState());
                String late = Pods.createAndStart(client, podId, pod, Pods.container("late", "sleep", "3600").build());
                Pods.awaitState(client, late, CONTAINER_RUNNING, 20);
                assertEquals("pinned", exec(client, late, "hostname"), "a container created after the restart joins the pinned UTS namespace");
                assertEquals(exec(client, first, "readlink", "/proc/self/ns/ipc"), exec(client, late, "readlink", "/proc/self/ns/ipc"));

                client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
                assertEquals(List.of(), mountsUnder(state.resolve("podns")), "StopPodSandbox left the pinned namespaces mounted");
                assertEquals(List.of(), mountsUnder(state.resolve("netns").resolve(podId)));
                client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
                client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
                assertFalse(Files.exists(state.resolve("podns").resolve(podId)), "RemovePodSandbox left the pod's namespace files");
                Pods.removeAll(client);
                assertEquals(List.of(), mountsUnder(state), "mounts left under the state directory");
            }
            assertEquals(List.of(), monitorsOf(podId, sharedId, first), "no conmon is left behind");
            assertEquals(List.of(), network.allocated());
        }
    }

    private static String exec(CriClient client, String id, String... cmd) {
        ExecSyncResponse r = client.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id).setTimeout(20)
                .addAllCmd(List.of(cmd)).build());
        assertEquals(0, r.getExitCode(), () -> String.join(" ", cmd) + ": " + r.getStderr().toStringUtf8());
        return r.getStdout().toStringUtf8().trim();
    }

    private static String podIp(CriClient client, String podId) {
        return client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).build())
                .getStatus().getNetwork().getIp();
    }

    private static List<String> mountsUnder(Path path) throws Exception {
        Path existing = path;
        while (!Files.exists(existing)) {
            existing = existing.getParent();
        }
        String prefix = existing.toRealPath().resolve(existing.relativize(path)).toString();
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream().map(l -> l.split(" ")[4])
                .filter(p -> p.equals(prefix) || p.startsWith(prefix + "/")).toList();
    }

    private static List<String> monitorsOf(String... ids) {
        return HostProcesses.commandLines().values().stream()
                .filter(cmd -> cmd.contains("conmon") && List.of(ids).stream().anyMatch(cmd::contains)).toList();
    }
}
