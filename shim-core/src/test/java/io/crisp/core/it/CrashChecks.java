package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.Container;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandbox;
import io.crisp.cri.v1.PodSandboxState;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/** What {@link CrashPointsIT} checks after each restart: the daemon's answers against the host, and leaks. */
final class CrashChecks {
    private CrashChecks() {}

    /** Every listed object matches reality, and everything on the host belongs to a listed object. */
    static void consistent(DaemonProcess daemon, CrashHost host, TestNetwork network) {
        CriClient client = daemon.client();
        List<PodSandbox> pods = client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList();
        List<Container> containers = client.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList();
        Map<String, String> runc = host.runc();
        Set<String> podIds = pods.stream().map(PodSandbox::getId).collect(Collectors.toCollection(TreeSet::new));
        Set<String> containerIds = containers.stream().map(Container::getId).collect(Collectors.toCollection(TreeSet::new));
        Set<String> all = new TreeSet<>(podIds);
        all.addAll(containerIds);
        Set<String> pinned = CrashHost.idsIn(daemon.state.resolve("podns"));
        for (PodSandbox pod : pods) {
            String real = runc.get(pod.getId());
            io.crisp.cri.v1.NamespaceMode pid = client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder()
                    .setPodSandboxId(pod.getId()).build()).getStatus().getLinux().getNamespaces().getOptions().getPid();
            if (pid == io.crisp.cri.v1.NamespaceMode.CONTAINER) {
                // no infra process: a READY pod has its IPC and UTS namespaces pinned (stop and remove undo them)
                assertEquals(null, real, "pod " + pod.getId() + " without an infra process has a runc container");
                if (pod.getState() == PodSandboxState.SANDBOX_READY) {
                    assertTrue(pinnedNamespaces(daemon, pod.getId()), "READY pod " + pod.getId() + ": its namespaces must be pinned");
                }
            } else if (pod.getState() == PodSandboxState.SANDBOX_READY) {
                assertEquals("running", real, "READY pod " + pod.getId() + ": its infra process must run (runc says " + real + ")");
            } else {
                assertNotEquals("running", real, "NOT_READY pod " + pod.getId() + ": its infra process still runs");
            }
        }
        for (Container c : containers) {
            String real = runc.get(c.getId());
            switch (c.getState()) {
                case CONTAINER_RUNNING -> assertEquals("running", real, "RUNNING container " + c.getId() + " (runc says " + real + ")");
                // runc's create runs at StartContainer: nothing yet, or a start killed between create and start
                case CONTAINER_CREATED -> assertTrue(real == null || real.equals("created"),
                        "CREATED container " + c.getId() + " (runc says " + real + ")");
                case CONTAINER_EXITED -> assertTrue(real == null || real.equals("stopped"),
                        "EXITED container " + c.getId() + ": runc says " + real);
                default -> fail("container " + c.getId() + " is " + c.getState() + " after the restart");
            }
            assertTrue(podIds.contains(c.getPodSandboxId()), "container " + c.getId() + " belongs to no listed pod");
        }
        owned("runc containers", runc.keySet(), all);
        owned("conmon monitors", host.conmons(), all);
        owned("mounts", host.mounts(), all);
        owned("cgroups", host.cgroups(), all);
        Set<String> netns = CrashHost.idsIn(daemon.state.resolve("netns"));
        owned("network namespaces", netns, podIds);
        owned("pinned IPC/UTS namespaces", pinned, podIds);
        owned("bundles", CrashHost.idsIn(daemon.state.resolve("bundles")), all);
        owned("pod files", CrashHost.idsIn(daemon.state.resolve("pods")), podIds);
        owned("snapshots", CrashHost.idsIn(daemon.root.resolve("snapshots")), all);
        owned("CNI results", CrashHost.idsIn(daemon.root.resolve("cni/results")), podIds);
        assertEquals(podIds, ids(daemon.root.resolve("pods"), ".json"), "pod records on disk");
        assertEquals(containerIds, ids(daemon.root.resolve("containers"), ".json"), "container records on disk");
        assertEquals(Set.of(), ids(daemon.root.resolve("pods"), ".creating"), "half-made pods left marked");
        assertEquals(Set.of(), ids(daemon.root.resolve("containers"), ".creating"), "half-made containers left marked");
        assertEquals(Set.of(), ids(daemon.root.resolve("pods"), ".stopping"), "pods left marked as being stopped");
        Set<String> ips = new TreeSet<>();
        for (String id : podIds) {
            ips.add(client.runtime().podSandboxStatus(PodSandboxStatusRequest.newBuilder().setPodSandboxId(id).build())
                    .getStatus().getNetwork().getIp());
        }
        owned("IPs host-local holds", new TreeSet<>(network.allocated()), ips);
        assertTrue(network.veths().size() <= netns.size(), "veths " + network.veths() + " for " + netns.size() + " network namespaces");
        images(daemon, host);
        trashEmptied(daemon);
    }

    /**
     * Removed snapshots, bundles and runtime objects leave their names at once and are deleted in the
     * background from a trash; a restarted daemon deletes what a killed one left there. No call is
     * under way when this runs, so every trash must empty.
     */
    static void trashEmptied(DaemonProcess daemon) {
        List<Path> trashes = List.of(daemon.root.resolve("snapshots/.trash"), daemon.state.resolve("bundles/.trash"),
                daemon.state.resolve("runtimes/runc/objects/.trash"));
        List<String> held = trashes.stream().map(t -> t + " " + CrashHost.named(t, "")).toList();
        Pods.await(() -> trashes.stream().allMatch(t -> CrashHost.named(t, "").isEmpty()), 60,
                "the trash to be deleted (held at the start of the wait: " + held + ")");
    }

    /** Whether the pod's IPC and UTS namespaces are both pinned (nsfs mounts on their files). */
    private static boolean pinnedNamespaces(DaemonProcess daemon, String podId) {
        try {
            Path dir = daemon.state.resolve("podns").resolve(podId);
            if (!Files.isDirectory(dir)) {
                return false;
            }
            String real = dir.toRealPath().toString();
            List<String> nsfs = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                    .filter(l -> l.contains(" - nsfs ")).map(l -> l.split(" ")[4]).toList();
            return nsfs.contains(real + "/ipc") && nsfs.contains(real + "/uts");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The image store: whole layers only, each referenced by a record; blobs referenced; no ingest leftovers. */
    private static void images(DaemonProcess daemon, CrashHost host) {
        CrashHost.ImageFiles referenced = host.referenced();
        Path layers = daemon.root.resolve("images/layers");
        Set<String> names = CrashHost.named(layers, "");
        assertEquals(Set.of(), names.stream().filter(n -> n.contains(".tmp-") || n.contains(".trash-")).collect(Collectors.toSet()),
                "half-unpacked or half-deleted layers");
        assertEquals(referenced.diffIds(), names, "layer directories against the layers image records reference");
        owned("blobs", CrashHost.named(daemon.root.resolve("images/blobs/sha256"), ""), referenced.blobs());
        assertEquals(Set.of(), CrashHost.named(daemon.root.resolve("images/ingest"), ""), "blobs half-written");
    }

    /** After every pod was removed through the CRI: nothing of any pod or container is left anywhere. */
    static void nothingLeft(DaemonProcess daemon, CrashHost host, TestNetwork network) {
        CriClient client = daemon.client();
        assertEquals(List.of(), client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList(), "pods");
        assertEquals(List.of(), client.runtime().listContainers(ListContainersRequest.getDefaultInstance()).getContainersList(),
                "containers");
        Pods.await(() -> host.runc().isEmpty() && host.conmons().isEmpty(), 5,
                "runc containers " + host.runc() + " and conmons " + host.conmons() + " to go");
        assertEquals(Set.of(), host.mounts(), "mounts");
        assertEquals(Set.of(), host.cgroups(), "cgroups");
        assertEquals(Set.of(), CrashHost.idsIn(daemon.state.resolve("netns")), "network namespaces");
        assertEquals(Set.of(), CrashHost.idsIn(daemon.state.resolve("podns")), "pinned IPC/UTS namespaces");
        assertEquals(List.of(), network.allocated(), "IPs");
        assertEquals(List.of(), network.veths(), "veths");
        for (Path p : List.of(daemon.state.resolve("bundles"), daemon.state.resolve("pods"), daemon.root.resolve("snapshots"),
                daemon.root.resolve("pods"), daemon.root.resolve("containers"), daemon.root.resolve("cni/results"))) {
            assertEquals(Set.of(), CrashHost.named(p, "").stream().filter(n -> !CrashHost.idsIn(n).isEmpty()).collect(Collectors.toSet()),
                    "entries in " + p);
        }
        images(daemon, host);
        trashEmptied(daemon);
    }

    private static Set<String> ids(Path dir, String suffix) {
        Set<String> ids = new TreeSet<>();
        CrashHost.named(dir, suffix).forEach(n -> ids.addAll(CrashHost.idsIn(n)));
        return ids;
    }

    private static void owned(String what, Set<String> found, Set<String> owners) {
        Set<String> orphans = new TreeSet<>(found);
        orphans.removeAll(owners);
        assertEquals(Set.of(), orphans, what + " that no listed object owns");
    }
}
