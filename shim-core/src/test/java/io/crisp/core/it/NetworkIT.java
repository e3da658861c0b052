package io.crisp.core.it;

import static io.crisp.cri.v1.ContainerState.CONTAINER_RUNNING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.DNSConfig;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.PortMapping;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.RuntimeCondition;
import io.crisp.cri.v1.StatusRequest;
import io.crisp.cri.v1.StopPodSandboxRequest;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pod networking through real CNI plugins (bridge, host-local, portmap, loopback) on a bridge and subnet of the test's own. */
final class NetworkIT {
    @TempDir
    Path dir;

    private static String ip(CriClient client, String podId) {
        return client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).build()).getStatus()
                .getNetwork().getIp();
    }

    private static String exec(CriClient client, String id, String... cmd) {
        return client.runtime().execSync(ExecSyncRequest.newBuilder().setContainerId(id).setTimeout(10).addAllCmd(List.of(cmd)).build())
                .getStdout().toStringUtf8();
    }

    @Test
    void podsGetDistinctIpsAreReachableAndHostPortsMap() throws Exception {
        try (TestNetwork network = TestNetwork.create(dir); DaemonProcess daemon = Pods.daemon(dir.resolve("daemon"), network);
             AutoCloseable cleanup = () -> Pods.removeAll(daemon.client())) {
            CriClient client = daemon.client();
            PodSandboxConfig.Builder webPod = Pods.pod("web", dir.resolve("logs/web"));
            webPod.addPortMappings(PortMapping.newBuilder().setContainerPort(8080).setHostPort(18080 + (int) (ProcessHandle.current().pid() % 1000)));
            webPod.setDnsConfig(DNSConfig.newBuilder().addServers("10.96.0.10").addSearches("crisp-test.svc.cluster.local").addOptions("ndots:5"));
            int hostPort = webPod.getPortMappings(0).getHostPort();
            PodSandboxConfig web = webPod.build();
            String webId = Pods.run(client, web);
            String server = Pods.createAndStart(client, webId, web, Pods.container("server", "sh", "-c",
                    "mkdir -p /www && echo hello-over-cni > /www/index.html && httpd -f -p 8080 -h /www").build());
            PodSandboxConfig other = Pods.pod("other", dir.resolve("logs/other")).build();
            String otherId = Pods.run(client, other);
            String probe = Pods.createAndStart(client, otherId, other, Pods.container("probe", "sleep", "1000").build());
            Pods.awaitState(client, server, CONTAINER_RUNNING, 20);
            Pods.awaitState(client, probe, CONTAINER_RUNNING, 20);

            String webIp = ip(client, webId);
            String otherIp = ip(client, otherId);
            assertTrue(webIp.startsWith(network.subnetPrefix), webIp);
            assertTrue(otherIp.startsWith(network.subnetPrefix), otherIp);
            assertNotEquals(webIp, otherIp);
            assertEquals(List.of(otherIp, webIp).stream().sorted().toList(), network.allocated());

            String url = "http://" + webIp + ":8080/";
            Pods.await(() -> httpGet(url).contains("hello-over-cni"), 20, "the host to reach the pod by its IP");
            // busybox wget crashes for non-loopback addresses in Debian's static build; nc speaks HTTP/1.0 well enough
            assertTrue(exec(client, probe, "sh", "-c", "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc " + webIp + " 8080").contains("hello-over-cni"),
                    "the other pod reaches it too");
            String hostIp = TestNetwork.run("ip", "-4", "-o", "addr", "show", "scope", "global").lines()
                    .map(l -> l.replaceAll(".* inet ([0-9.]+)/.*", "$1")).filter(a -> !a.startsWith(network.subnetPrefix)).findFirst().orElseThrow();
            String mapped = "http://127.0.0.1:" + hostPort + "/";
            Pods.await(() -> httpGet(mapped).contains("hello-over-cni"), 20, "the host port " + hostPort + " on loopback to reach the container");
            assertTrue(httpGet("http://" + hostIp + ":" + hostPort + "/").contains("hello-over-cni"), "and on the host's own address " + hostIp);

            String resolv = exec(client, server, "cat", "/etc/resolv.conf");
            assertTrue(resolv.contains("nameserver 10.96.0.10"), resolv);
            assertTrue(resolv.contains("search crisp-test.svc.cluster.local"), resolv);
            assertTrue(resolv.contains("options ndots:5"), resolv);
            assertTrue(exec(client, probe, "ip", "addr").contains("127.0.0.1"), "loopback is up in every pod");

            client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(webId).build());
            client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(webId).build());
            assertEquals(List.of(otherIp), network.allocated(), "stopping the pod released its IP");
            assertEquals("", ip(client, webId));
            Pods.removeAll(client);
            assertEquals(List.of(), network.allocated());
            assertEquals(List.of(), network.veths());
            assertEquals(List.of(), netnsFiles(daemon));
            String nat = TestNetwork.run("iptables", "-t", "nat", "-S");
            assertFalse(nat.contains(webId) || nat.contains(otherId), "CNI DEL removed the pods' NAT rules:\n" + nat);
        }
    }

    @Test
    void networkReadyFollowsTheConfDirAndPodsWaitForIt() throws Exception {
        try (TestNetwork network = TestNetwork.create(dir)) {
            Pods.requirePrerequisites();
            DaemonProcess daemon = Pods.configure(new DaemonProcess(dir.resolve("daemon"))).start();
            try (daemon; AutoCloseable cleanup = () -> Pods.removeAll(daemon.client())) {
                Pods.importImages(daemon, dir.resolve("images"));
                RuntimeCondition before = networkCondition(daemon.client());
                assertFalse(before.getStatus());
                assertEquals("NetworkPluginNotReady", before.getReason());
                assertTrue(before.getMessage().contains(Pods.cniConfDir(daemon).toString()), before.getMessage());
                StatusRuntimeException refused = assertThrows(StatusRuntimeException.class,
                        () -> Pods.run(daemon.client(), Pods.pod("early", dir.resolve("logs")).build()));
                assertEquals(io.grpc.Status.Code.FAILED_PRECONDITION, refused.getStatus().getCode(), refused.getStatus().toString());

                network.writeTo(Pods.cniConfDir(daemon));
                Pods.await(() -> networkCondition(daemon.client()).getStatus(), 15, "NetworkReady after the conflist appeared");
                String id = Pods.run(daemon.client(), Pods.pod("late", dir.resolve("logs")).build());
                assertTrue(ip(daemon.client(), id).startsWith(network.subnetPrefix));
                Pods.removeAll(daemon.client());
            }
        }
    }

    @Test
    void aFailingPluginNamesItselfAndLeaksNothing() throws Exception {
        try (TestNetwork network = TestNetwork.create(dir); DaemonProcess daemon = Pods.daemon(dir.resolve("daemon"), network);
             AutoCloseable cleanup = () -> Pods.removeAll(daemon.client())) {
            // host-local refuses a range outside its subnet: ADD fails in the bridge plugin's IPAM
            Files.writeString(Pods.cniConfDir(daemon).resolve("10-test.conflist"), network.conflist()
                    .replace("\"ranges\": [[{\"subnet\": \"" + network.subnet() + "\"}]]",
                            "\"ranges\": [[{\"subnet\": \"" + network.subnet() + "\", \"rangeStart\": \"192.0.2.200\"}]]"));
            Pods.await(() -> {
                try {
                    Pods.run(daemon.client(), Pods.pod("broken", dir.resolve("logs")).build());
                    Pods.removeAll(daemon.client());
                    return false;
                } catch (StatusRuntimeException e) {
                    return e.getStatus().getDescription().contains("host-local") || e.getStatus().getDescription().contains("bridge");
                }
            }, 15, "a pod refused with the plugin's error");
            assertEquals(0, daemon.client().runtime().listPodSandbox(io.crisp.cri.v1.ListPodSandboxRequest.getDefaultInstance()).getItemsCount());
            assertEquals(List.of(), network.allocated());
            assertEquals(List.of(), network.veths());
            assertEquals(List.of(), netnsFiles(daemon));
        }
    }

    @Test
    void fiftyPodsCreatedAndRemovedLeaveNothingBehind() throws Exception {
        try (TestNetwork network = TestNetwork.create(dir); DaemonProcess daemon = Pods.daemon(dir.resolve("daemon"), network);
             AutoCloseable cleanup = () -> Pods.removeAll(daemon.client())) {
            for (int i = 0; i < 50; i++) {
                String id = Pods.run(daemon.client(), Pods.pod("churn-" + i, dir.resolve("logs")).build());
                assertTrue(ip(daemon.client(), id).startsWith(network.subnetPrefix));
                daemon.client().runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(id).build());
                daemon.client().runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(id).build());
            }
            assertEquals(List.of(), network.allocated());
            assertEquals(List.of(), network.veths());
            assertEquals(List.of(), netnsFiles(daemon));
        }
    }

    /** The body, or "" when the server does not answer (yet). The host's busybox wget crashes here, so Java does it. */
    private static String httpGet(String url) {
        try {
            java.net.HttpURLConnection c = (java.net.HttpURLConnection) java.net.URI.create(url).toURL().openConnection();
            c.setConnectTimeout(2000);
            c.setReadTimeout(2000);
            try (var in = c.getInputStream()) {
                return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private static RuntimeCondition networkCondition(CriClient client) {
        return client.runtime().status(StatusRequest.getDefaultInstance()).getStatus().getConditionsList().stream()
                .filter(c -> c.getType().equals("NetworkReady")).findFirst().orElseThrow();
    }

    private static List<String> netnsFiles(DaemonProcess daemon) throws Exception {
        Path netns = daemon.state.resolve("netns");
        if (!Files.isDirectory(netns)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(netns)) {
            return files.map(p -> p.getFileName().toString()).toList();
        }
    }
}
