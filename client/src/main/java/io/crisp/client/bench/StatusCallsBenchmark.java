package io.crisp.client.bench;

import static io.crisp.client.bench.LifecycleBenchmark.container;
import static io.crisp.client.bench.LifecycleBenchmark.hostNetwork;
import static io.crisp.client.bench.LifecycleBenchmark.pod;
import static io.crisp.client.bench.LifecycleBenchmark.removeAll;

import io.crisp.admin.v1.ImportImagesRequest;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerStatusRequest;
import io.crisp.cri.v1.CreateContainerRequest;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.ImageStatusRequest;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListImagesRequest;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.StartContainerRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * The calls the kubelet polls, which crisp answers from memory, and the daemon's memory, against a
 * daemon it starts itself:
 * <ol>
 * <li>RSS and PSS of the idle daemon, 5 s after its first answer;
 * <li>"first calls": P pods of one running container each are made, then each pod's and container's
 *     verbose status, the image's status and the image list are asked once per pod, as critest's
 *     benchmark asks them (a fresh daemon, each call type asked a few dozen times: what the JIT has
 *     not compiled yet shows here), with the daemon's CPU and context switches per call;
 * <li>RSS and PSS with the P pods running;
 * <li>the same calls (and both lists) N times each in a row: p50 and p99 of a warm daemon, and the
 *     daemon's CPU and context switches per call;
 * <li>ListContainers (with no filter, and with the empty filter the kubelet's relist sends) and
 *     ListPodSandbox with C pods holding one created container each;
 * <li>RSS and PSS after every pod is removed.
 * </ol>
 * Run through {@code packaging/bench/status-calls.sh}; arguments: launcher, work directory (holding
 * the images built by busybox-image.sh), P, N, C.
 */
public final class StatusCallsBenchmark {
    private static final String BUSYBOX = "localhost/crisp/busybox:latest";
    private static final String PAUSE = "localhost/crisp/pause:latest";

    private StatusCallsBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path launcher = Path.of(args[0]);
        Path work = Path.of(args[1]);
        int pods = Integer.parseInt(args[2]);
        int calls = Integer.parseInt(args[3]);
        int listed = Integer.parseInt(args[4]);
        Path socket = work.resolve("crisp.sock");
        Path config = work.resolve("crisp.toml");
        Files.writeString(config, "[image]\npause_image = \"" + PAUSE + "\"\n[network]\ncni_conf_dir = \"" + work.resolve("net.d")
                + "\"\n[runtimes.runc]\nplugin = \"runc\"\nruntime_root = \"" + work.resolve("runc") + "\"\n");
        Process daemon = FoundationBenchmark.spawn(launcher, work, socket, config);
        try (CriClient cri = CriClient.connect(socket, Duration.ofSeconds(120))) {
            FoundationBenchmark.awaitVersion(daemon, socket);
            Thread.sleep(5000);
            memory("idle, 5 s after start", daemon.pid());
            for (String name : List.of("busybox", "pause")) {
                cri.admin().importImages(ImportImagesRequest.newBuilder().setPath(work.resolve("images").resolve(name).toString()).build());
            }
            List<String[]> made = new ArrayList<>();
            for (int i = 0; i < pods; i++) {
                PodSandboxConfig pod = pod("status-" + i, work);
                String podId = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build()).getPodSandboxId();
                String id = cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId)
                        .setConfig(container("c")).setSandboxConfig(pod).build()).getContainerId();
                cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
                made.add(new String[] {podId, id});
            }
            Thread.sleep(2000);
            Map<String, List<long[]>> first = new LinkedHashMap<>();
            for (String[] made1 : made) {
                time(first, daemon.pid(), "PodSandboxStatus verbose", () -> cri.runtime().podSandboxStatus(
                        PodSandboxStatusRequest.newBuilder().setPodSandboxId(made1[0]).setVerbose(true).build()));
                time(first, daemon.pid(), "ContainerStatus verbose", () -> cri.runtime().containerStatus(
                        ContainerStatusRequest.newBuilder().setContainerId(made1[1]).setVerbose(true).build()));
                time(first, daemon.pid(), "ImageStatus", () -> cri.images().imageStatus(ImageStatusRequest.newBuilder()
                        .setImage(ImageSpec.newBuilder().setImage(BUSYBOX)).build()));
                time(first, daemon.pid(), "ListImages", () -> cri.images().listImages(ListImagesRequest.getDefaultInstance()));
            }
            System.out.printf(Locale.ROOT, "first %d calls of each on a fresh daemon with %d pods; medians of wall time, daemon CPU"
                    + " (JIT compiler threads apart) and the daemon threads' voluntary context switches per call:%n", pods, pods);
            first.forEach((name, samples) -> System.out.printf(Locale.ROOT, "  %-26s wall %6.2f ms  cpu %6.2f ms  switches %d%n", name,
                    median(samples, 0) / 1e6, median(samples, 1) / 1e6, median(samples, 2)));
            Thread.sleep(3000);
            memory("with " + pods + " pods running", daemon.pid());

            String[] one = made.get(0);
            PodSandboxStatusRequest podStatus = PodSandboxStatusRequest.newBuilder().setPodSandboxId(one[0]).build();
            PodSandboxStatusRequest podVerbose = podStatus.toBuilder().setVerbose(true).build();
            ContainerStatusRequest status = ContainerStatusRequest.newBuilder().setContainerId(one[1]).build();
            ContainerStatusRequest verbose = status.toBuilder().setVerbose(true).build();
            ImageStatusRequest image = ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(BUSYBOX)).build();
            Map<String, IntConsumer> warm = new LinkedHashMap<>();
            warm.put("PodSandboxStatus", i -> cri.runtime().podSandboxStatus(podStatus));
            warm.put("PodSandboxStatus verbose", i -> cri.runtime().podSandboxStatus(podVerbose));
            warm.put("ContainerStatus", i -> cri.runtime().containerStatus(status));
            warm.put("ContainerStatus verbose", i -> cri.runtime().containerStatus(verbose));
            warm.put("ImageStatus", i -> cri.images().imageStatus(image));
            warm.put("ListImages", i -> cri.images().listImages(ListImagesRequest.getDefaultInstance()));
            warm.put("ListPodSandbox (" + pods + ")", i -> cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()));
            warm.put("ListContainers (" + pods + ")", i -> cri.runtime().listContainers(ListContainersRequest.getDefaultInstance()));
            System.out.printf(Locale.ROOT, "warm: %d calls each after as many unmeasured:%n", calls);
            warm.forEach((name, call) -> {
                for (int i = 0; i < calls; i++) {
                    call.accept(i);
                }
                report(daemon.pid(), name, calls, call);
            });
            removeAll(cri);
            listing(cri, daemon.pid(), work, listed, calls);
            Thread.sleep(3000);
            memory("after removing every pod", daemon.pid());
        } finally {
            FoundationBenchmark.stop(daemon);
        }
    }

    private static void listing(CriClient cri, long pid, Path work, int containers, int calls) {
        if (containers <= 0) {
            return;
        }
        // One container per pod, so both lists hold C items. The pods are what the kubelet asks for
        // without shareProcessNamespace (a PID namespace per container), so on runc they have no
        // infra process, and their containers are created, not started: C pods fit on this machine.
        for (int p = 0; p < containers; p++) {
            PodSandboxConfig.Builder b = hostNetwork(pod("list-" + p, work)).toBuilder();
            b.getLinuxBuilder().getSecurityContextBuilder().getNamespaceOptionsBuilder().setPid(io.crisp.cri.v1.NamespaceMode.CONTAINER);
            PodSandboxConfig pod = b.build();
            String podId = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build()).getPodSandboxId();
            cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId).setConfig(container("c0"))
                    .setSandboxConfig(pod).build());
        }
        ListContainersRequest containersRequest = ListContainersRequest.getDefaultInstance();
        ListPodSandboxRequest podsRequest = ListPodSandboxRequest.getDefaultInstance();
        int present = cri.runtime().listContainers(containersRequest).getContainersCount();
        int podCount = cri.runtime().listPodSandbox(podsRequest).getItemsCount();
        for (int i = 0; i < calls; i++) {
            cri.runtime().listContainers(containersRequest);
            cri.runtime().listPodSandbox(podsRequest);
        }
        report(pid, "ListContainers (" + present + ")", calls, i -> cri.runtime().listContainers(containersRequest));
        // What the kubelet's relist sends: an empty filter, not none.
        ListContainersRequest kubelet = ListContainersRequest.newBuilder().setFilter(io.crisp.cri.v1.ContainerFilter.getDefaultInstance()).build();
        report(pid, "ListContainers (" + present + ", {})", calls, i -> cri.runtime().listContainers(kubelet));
        report(pid, "ListPodSandbox (" + podCount + ")", calls, i -> cri.runtime().listPodSandbox(podsRequest));
        removeAll(cri);
    }

    private static void time(Map<String, List<long[]>> into, long pid, String name, Runnable call) {
        DaemonCpu before = DaemonCpu.of(pid);
        long t = System.nanoTime();
        call.run();
        long wall = System.nanoTime() - t;
        DaemonCpu used = DaemonCpu.of(pid).since(before);
        into.computeIfAbsent(name, n -> new ArrayList<>()).add(new long[] {wall, used.workNanos(), used.switches()});
    }

    private static long median(List<long[]> samples, int field) {
        return FoundationBenchmark.median(samples.stream().map(s -> s[field]).toList());
    }

    /** p50/p99 of {@code calls} calls, and the daemon's CPU and voluntary context switches per call over them. */
    private static void report(long pid, String name, int calls, IntConsumer call) {
        DaemonCpu before = DaemonCpu.of(pid);
        FoundationBenchmark.report(name, calls, call::accept);
        DaemonCpu used = DaemonCpu.of(pid).since(before);
        System.out.printf(Locale.ROOT, "    daemon per call: cpu %d us (JIT %d us), %.2f voluntary context switches%n",
                used.workNanos() / calls / 1000, used.compilerNanos() / calls / 1000, (double) used.switches() / calls);
    }

    /** RSS and PSS (and PSS of anonymous and of file-backed pages) from /proc/PID/smaps_rollup. */
    static void memory(String when, long pid) throws IOException {
        Map<String, Long> kib = new LinkedHashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[2].equals("kB")) {
                kib.put(f[0].substring(0, f[0].length() - 1), Long.parseLong(f[1]));
            }
        }
        System.out.printf(Locale.ROOT, "daemon memory %s: RSS %d KiB, PSS %d KiB (anon %d, file %d)%n", when,
                kib.getOrDefault("Rss", -1L), kib.getOrDefault("Pss", -1L), kib.getOrDefault("Pss_Anon", -1L),
                kib.getOrDefault("Pss_File", -1L));
    }
}
