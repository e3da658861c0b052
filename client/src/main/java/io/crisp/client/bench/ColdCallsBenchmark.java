package io.crisp.client.bench;

import static io.crisp.client.bench.LifecycleBenchmark.container;
import static io.crisp.client.bench.LifecycleBenchmark.hostNetwork;
import static io.crisp.client.bench.LifecycleBenchmark.pod;

import io.crisp.admin.v1.ImportImagesRequest;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerStatusRequest;
import io.crisp.cri.v1.CreateContainerRequest;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.ImageStatusRequest;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListImagesRequest;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxStatusRequest;
import io.crisp.cri.v1.RemoveContainerRequest;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.StartContainerRequest;
import io.crisp.cri.v1.StopContainerRequest;
import io.crisp.cri.v1.StopPodSandboxRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The status and list calls as critest's benchmark makes them, against a daemon it starts itself:
 * each asked once per pod and container lifecycle (run a pod, its status, the image's status,
 * create and start a container, its status, ListImages, ListContainers, stop and remove both), R
 * rounds of C cycles on one fresh daemon. Per round it prints, for each call, the medians of its
 * wall time, of the CPU the daemon's I/O thread spent meanwhile (these calls run on that thread,
 * so that is the call's own cost) and of the whole daemon's CPU (JIT compiler threads apart).
 * Round by round this shows the cold path: how much of a call the JIT has compiled by then (with
 * critest's 40 cycles a round, the gRPC and Netty code runs some 600 times a round, the code of one
 * call 40 times). Run through {@code packaging/bench/cold-calls.sh}; arguments: launcher, work
 * directory (holding the images built by busybox-image.sh), R, C.
 */
public final class ColdCallsBenchmark {
    private static final String BUSYBOX = "localhost/crisp/busybox:latest";

    private ColdCallsBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path launcher = Path.of(args[0]);
        Path work = Path.of(args[1]);
        int rounds = Integer.parseInt(args[2]);
        int cycles = Integer.parseInt(args[3]);
        Path socket = work.resolve("crisp.sock");
        Path config = work.resolve("crisp.toml");
        Files.writeString(config, "[image]\npause_image = \"localhost/crisp/pause:latest\"\n[network]\ncni_conf_dir = \""
                + work.resolve("net.d") + "\"\n[runtimes.runc]\nplugin = \"runc\"\nruntime_root = \"" + work.resolve("runc") + "\"\n");
        Process daemon = FoundationBenchmark.spawn(launcher, work, socket, config);
        long pid = daemon.pid();
        try (CriClient cri = CriClient.connect(socket, Duration.ofSeconds(120))) {
            FoundationBenchmark.awaitVersion(daemon, socket);
            for (String name : List.of("busybox", "pause")) {
                cri.admin().importImages(ImportImagesRequest.newBuilder().setPath(work.resolve("images").resolve(name).toString()).build());
            }
            ImageStatusRequest image = ImageStatusRequest.newBuilder().setImage(ImageSpec.newBuilder().setImage(BUSYBOX)).build();
            System.out.printf(Locale.ROOT, "%d rounds of %d cycles on one fresh daemon; medians of wall time, the I/O thread's CPU"
                    + " and the daemon's CPU (JIT compiler threads apart) per call:%n", rounds, cycles);
            for (int r = 1; r <= rounds; r++) {
                Map<String, List<long[]>> samples = new LinkedHashMap<>();
                for (int i = 0; i < cycles; i++) {
                    PodSandboxConfig pod = hostNetwork(pod("cold-" + r + "-" + i, work));
                    String podId = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build()).getPodSandboxId();
                    time(samples, pid, "PodSandboxStatus verbose", () -> cri.runtime().podSandboxStatus(
                            PodSandboxStatusRequest.newBuilder().setPodSandboxId(podId).setVerbose(true).build()));
                    time(samples, pid, "ImageStatus", () -> cri.images().imageStatus(image));
                    String id = cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId)
                            .setConfig(container("c")).setSandboxConfig(pod).build()).getContainerId();
                    cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
                    time(samples, pid, "ContainerStatus verbose", () -> cri.runtime().containerStatus(
                            ContainerStatusRequest.newBuilder().setContainerId(id).setVerbose(true).build()));
                    time(samples, pid, "ListImages", () -> cri.images().listImages(ListImagesRequest.getDefaultInstance()));
                    time(samples, pid, "ListContainers", () -> cri.runtime().listContainers(ListContainersRequest.getDefaultInstance()));
                    cri.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(0).build());
                    cri.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
                    cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
                    cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
                }
                int round = r;
                samples.forEach((name, s) -> System.out.printf(Locale.ROOT, "  round %d %-24s wall %6.2f ms  I/O thread %5d us  daemon %5d us%n",
                        round, name, median(s, 0) / 1e6, median(s, 1) / 1000, median(s, 2) / 1000));
            }
        } finally {
            FoundationBenchmark.stop(daemon);
        }
    }

    private static void time(Map<String, List<long[]>> into, long pid, String name, Runnable call) {
        DaemonCpu before = DaemonCpu.of(pid);
        long io = ioThreadNanos(pid);
        long t = System.nanoTime();
        call.run();
        long wall = System.nanoTime() - t;
        long ioUsed = ioThreadNanos(pid) - io;
        into.computeIfAbsent(name, n -> new ArrayList<>()).add(new long[] {wall, ioUsed, DaemonCpu.of(pid).since(before).workNanos()});
    }

    /** CPU time of the daemon's gRPC I/O thread (crisp-io-*), from /proc/PID/task/TID/schedstat. */
    private static long ioThreadNanos(long pid) {
        long nanos = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                try {
                    if (Files.readString(task.resolve("comm")).startsWith("crisp-io")) {
                        nanos += Long.parseLong(Files.readString(task.resolve("schedstat")).trim().split(" ")[0]);
                    }
                } catch (IOException | RuntimeException e) {
                    // the thread ended meanwhile
                }
            }
        } catch (IOException e) {
            return -1;
        }
        return nanos;
    }

    private static long median(List<long[]> samples, int field) {
        return FoundationBenchmark.median(samples.stream().map(s -> s[field]).toList());
    }
}
