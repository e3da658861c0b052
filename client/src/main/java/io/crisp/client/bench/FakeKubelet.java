package io.crisp.client.bench;

import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.Container;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ContainerMetadata;
import io.crisp.cri.v1.ContainerStatusRequest;
import io.crisp.cri.v1.CreateContainerRequest;
import io.crisp.cri.v1.ExecSyncRequest;
import io.crisp.cri.v1.ExecSyncResponse;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.LinuxPodSandboxConfig;
import io.crisp.cri.v1.ListContainerStatsRequest;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListContainersResponse;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.ListPodSandboxResponse;
import io.crisp.cri.v1.ListPodSandboxStatsRequest;
import io.crisp.cri.v1.PodSandbox;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.RemoveContainerRequest;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.StartContainerRequest;
import io.crisp.cri.v1.StopContainerRequest;
import io.crisp.cri.v1.StopPodSandboxRequest;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The calls a kubelet makes, against one daemon: pods of one container each, the PLEG's relist
 * (ListPodSandbox, ListContainers, then PodSandboxStatus of every pod and ContainerStatus of every
 * container), the stats calls, an ExecSync probe per container, and the pod workers' replacements
 * (StopContainer, StopPodSandbox, RemoveContainer, RemovePodSandbox, the pod's log directory
 * removed, then RunPodSandbox, CreateContainer, StartContainer of a new pod). Every call is timed
 * into {@link LatencyWindows}; a failure is an error unless it names a pod or container this kubelet
 * is replacing (a relist or probe racing a removal: counted apart, as the kubelet tolerates it).
 */
final class FakeKubelet {
    /** A pod the load keeps running: its ids, and its probe while it runs. */
    static final class Pod {
        final String id;
        final String containerId;
        final Path logDir;
        final long createdNanos;
        volatile ScheduledFuture<?> probe;

        Pod(String id, String containerId, Path logDir) {
            this.id = id;
            this.containerId = containerId;
            this.logDir = logDir;
            this.createdNanos = System.nanoTime();
        }
    }

    static final String BUSYBOX = "localhost/crisp/busybox:latest";
    /** The container's main process stops at SIGTERM (a shell as PID 1 ignores it otherwise). */
    private static final List<String> COMMAND = List.of("sh", "-c", "trap 'exit 0' TERM; sleep 2147483647 & wait");
    private static final long STOP_TIMEOUT_SECONDS = 10;
    private static final long PROBE_TIMEOUT_SECONDS = 5;

    private final CriClient cri;
    private final LatencyWindows windows;
    private final Path logs;
    private final String handler;
    private final String cgroupParent;
    private final Map<String, Pod> pods = new ConcurrentHashMap<>();
    /** Pod and container ids being replaced or gone: a failed call on one of them is a race, not an error. */
    private final Set<String> retired = ConcurrentHashMap.newKeySet();
    private final AtomicInteger serial = new AtomicInteger();
    final AtomicLong relists = new AtomicLong();
    final AtomicLong probes = new AtomicLong();
    final AtomicLong replacements = new AtomicLong();

    FakeKubelet(CriClient cri, LatencyWindows windows, Path logs, String handler, String cgroupParent) {
        this.cri = cri;
        this.windows = windows;
        this.logs = logs;
        this.handler = handler;
        this.cgroupParent = cgroupParent;
    }

    int running() {
        return pods.size();
    }

    /** Runs a new pod with its container, probed every 10 s from a random offset; null when a call failed. */
    Pod start(ScheduledExecutorService probeThreads) {
        int n = serial.getAndIncrement();
        String name = "load-" + n;
        String uid = UUID.randomUUID().toString();
        Path logDir = logs.resolve("load_" + name + "_" + uid);
        LinuxPodSandboxConfig.Builder linux = LinuxPodSandboxConfig.newBuilder().setCgroupParent(cgroupParent);
        PodSandboxConfig config = PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("load").setUid(uid))
                .setHostname(name).setLogDirectory(logDir.toString()).setLinux(linux)
                .putLabels("io.kubernetes.pod.name", name).putLabels("io.kubernetes.pod.namespace", "load")
                .putLabels("io.kubernetes.pod.uid", uid).build();
        String podId = call("RunPodSandbox", null, () -> cri.runtime().runPodSandbox(
                RunPodSandboxRequest.newBuilder().setConfig(config).setRuntimeHandler(handler).build()).getPodSandboxId());
        if (podId == null) {
            return null;
        }
        ContainerConfig container = ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName("main"))
                .setImage(ImageSpec.newBuilder().setImage(BUSYBOX)).addAllCommand(COMMAND).setLogPath("main/0.log")
                .putLabels("io.kubernetes.container.name", "main").putLabels("io.kubernetes.pod.uid", uid).build();
        String containerId = call("CreateContainer", null, () -> cri.runtime().createContainer(CreateContainerRequest.newBuilder()
                .setPodSandboxId(podId).setConfig(container).setSandboxConfig(config).build()).getContainerId());
        if (containerId == null) {
            remove(podId, null, logDir);
            return null;
        }
        if (call("StartContainer", null, () -> cri.runtime().startContainer(
                StartContainerRequest.newBuilder().setContainerId(containerId).build())) == null) {
            remove(podId, containerId, logDir);
            return null;
        }
        Pod pod = new Pod(podId, containerId, logDir);
        pods.put(podId, pod);
        long offset = ThreadLocalRandom.current().nextLong(10_000);
        try {
            pod.probe = probeThreads.scheduleAtFixedRate(() -> probe(pod), offset, 10_000, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // the load is over: the pod is removed with the others, unprobed
        }
        return pod;
    }

    /** The PLEG's relist: both lists, then the status of everything listed. */
    void relist() {
        relists.incrementAndGet();
        long t = System.nanoTime();
        ListPodSandboxResponse sandboxes = call("ListPodSandbox", null,
                () -> cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()));
        // The kubelet asks for all containers with an empty filter (getKubeletContainers), for all pods with none.
        ListContainersResponse containers = call("ListContainers", null, () -> cri.runtime().listContainers(
                ListContainersRequest.newBuilder().setFilter(io.crisp.cri.v1.ContainerFilter.getDefaultInstance()).build()));
        if (sandboxes != null) {
            for (PodSandbox s : sandboxes.getItemsList()) {
                call("PodSandboxStatus", s.getId(), () -> cri.runtime().podSandboxStatus(
                        PodSandboxStatusRequest.newBuilder().setPodSandboxId(s.getId()).build()));
            }
        }
        if (containers != null) {
            for (Container c : containers.getContainersList()) {
                call("ContainerStatus", c.getId(), () -> cri.runtime().containerStatus(
                        ContainerStatusRequest.newBuilder().setContainerId(c.getId()).build()));
            }
        }
        windows.record("(relist)", System.nanoTime() - t);
    }

    /** What the kubelet's stats provider asks every 10 s. */
    void stats() {
        call("ListContainerStats", null, () -> cri.runtime().listContainerStats(ListContainerStatsRequest.getDefaultInstance()));
        call("ListPodSandboxStats", null, () -> cri.runtime().listPodSandboxStats(ListPodSandboxStatsRequest.getDefaultInstance()));
    }

    /** An exec probe: `echo ok` must answer exit 0 and "ok". */
    private void probe(Pod pod) {
        try {
            if (retired.contains(pod.containerId)) {
                return;
            }
            probes.incrementAndGet();
            ExecSyncResponse r = call("ExecSync", pod.containerId, () -> cri.runtime().execSync(ExecSyncRequest.newBuilder()
                    .setContainerId(pod.containerId).addCmd("echo").addCmd("ok").setTimeout(PROBE_TIMEOUT_SECONDS).build()));
            if (r != null && (r.getExitCode() != 0 || !r.getStdout().toStringUtf8().equals("ok\n"))) {
                windows.failure("ExecSync", "exit " + r.getExitCode() + " stdout '" + cut(r.getStdout().toStringUtf8()) + "' stderr '"
                        + cut(r.getStderr().toStringUtf8()) + "'", retired.contains(pod.containerId));
            }
        } catch (RuntimeException e) {
            windows.failure("ExecSync", e.getClass().getSimpleName() + " in the driver", false);
        }
    }

    /** Output of a failed probe, short, without runc's timestamps and with numbers (pids) as N, so the same failure is counted under one key. */
    private static String cut(String text) {
        String t = text.replaceAll("time=\"[^\"]*\" ?", "").replaceAll("\\d+", "N").replaceAll("\\s+", " ").strip();
        return t.length() <= 160 ? t : t.substring(0, 160) + "...";
    }

    /** One pod worker's turn: the oldest pod goes, a new one comes. */
    void replaceOne(ScheduledExecutorService probeThreads) {
        long t = System.nanoTime();
        Pod oldest = takeOldest();
        if (oldest != null) {
            retire(oldest);
        }
        start(probeThreads);
        replacements.incrementAndGet();
        windows.record("(pod replaced)", System.nanoTime() - t);
    }

    /** The oldest running pod, no longer counted as running (so two workers never pick the same). */
    private synchronized Pod takeOldest() {
        Pod oldest = pods.values().stream().min(Comparator.comparingLong(p -> p.createdNanos)).orElse(null);
        if (oldest != null) {
            forget(oldest);
        }
        return oldest;
    }

    private void forget(Pod pod) {
        retired.add(pod.id);
        retired.add(pod.containerId);
        pods.remove(pod.id);
        ScheduledFuture<?> probe = pod.probe;
        if (probe != null) {
            probe.cancel(false);
        }
    }

    /** Stops and removes a pod as the kubelet deletes one: container first, then the sandbox, then its logs. */
    void retire(Pod pod) {
        forget(pod);
        call("StopContainer", null, () -> cri.runtime().stopContainer(
                StopContainerRequest.newBuilder().setContainerId(pod.containerId).setTimeout(STOP_TIMEOUT_SECONDS).build()));
        call("StopPodSandbox", null, () -> cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(pod.id).build()));
        remove(pod.id, pod.containerId, pod.logDir);
    }

    private void remove(String podId, String containerId, Path logDir) {
        if (containerId != null) {
            call("RemoveContainer", null, () -> cri.runtime().removeContainer(
                    RemoveContainerRequest.newBuilder().setContainerId(containerId).build()));
        }
        call("RemovePodSandbox", null, () -> cri.runtime().removePodSandbox(
                RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build()));
        if (logDir != null) {
            FileTree.delete(logDir);
        }
    }

    /** Removes every pod still running, then whatever else the daemon lists; returns how many were left over. */
    int removeAll() {
        for (Pod pod : List.copyOf(pods.values())) {
            retire(pod);
        }
        ListPodSandboxResponse rest = call("ListPodSandbox", null,
                () -> cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()));
        int leftOver = rest == null ? 0 : rest.getItemsCount();
        if (rest != null) {
            for (PodSandbox s : rest.getItemsList()) {
                retired.add(s.getId());
                call("StopPodSandbox", null, () -> cri.runtime().stopPodSandbox(
                        StopPodSandboxRequest.newBuilder().setPodSandboxId(s.getId()).build()));
                remove(s.getId(), null, null);
            }
        }
        return leftOver;
    }

    /** Times one call; a failure is counted and answers null. */
    private <T> T call(String rpc, String target, Supplier<T> fn) {
        long t = System.nanoTime();
        try {
            T result = fn.get();
            windows.record(rpc, System.nanoTime() - t);
            return result;
        } catch (StatusRuntimeException e) {
            windows.record(rpc, System.nanoTime() - t);
            windows.failure(rpc, e.getStatus().getCode().name(), target != null && retired.contains(target));
            if (target == null || !retired.contains(target)) {
                System.err.printf("%s failed: %s%n", rpc, e.getStatus());
            }
            return null;
        }
    }

    /** Deletes a directory tree (a pod's log directory), best effort. */
    private static final class FileTree {
        static void delete(Path dir) {
            try (Stream<Path> s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException e) {
                // already gone
            }
        }
    }
}
