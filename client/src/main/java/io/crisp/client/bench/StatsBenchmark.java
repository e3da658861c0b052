package io.crisp.client.bench;

import io.crisp.admin.v1.ImportImagesRequest;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ContainerMetadata;
import io.crisp.cri.v1.ContainerStats;
import io.crisp.cri.v1.CreateContainerRequest;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.ListContainerStatsRequest;
import io.crisp.cri.v1.ListContainerStatsResponse;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.StartContainerRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Measures the stats path against a real daemon with the runc handler: N containers running
 * {@code sleep}, ten per pod, pods on a CNI bridge. Reports ListContainerStats latency (the kubelet
 * calls it every few seconds; it answers from the collector's memory) and the collector's cost: the
 * daemon's CPU time (utime + stime of {@code /proc/<pid>/stat}) over S idle seconds, divided by
 * containers and seconds. Idle means nothing but the collector works in the daemon meanwhile.
 *
 * <p>Run through {@code packaging/bench/stats.sh}; arguments: launcher, work directory (with the
 * busybox and pause images under {@code images/}), containers, calls, seconds.
 */
public final class StatsBenchmark {
    private static final String BUSYBOX = "localhost/crisp/busybox:latest";
    private static final String PAUSE = "localhost/crisp/pause:latest";
    private static final int PER_POD = 10;

    private StatsBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path launcher = Path.of(args[0]);
        Path work = Path.of(args[1]);
        int containers = Integer.parseInt(args[2]);
        int calls = Integer.parseInt(args[3]);
        int seconds = Integer.parseInt(args[4]);
        Path socket = work.resolve("crisp.sock");
        Path config = work.resolve("crisp.toml");
        Files.writeString(config, "[image]\npause_image = \"" + PAUSE + "\"\n[network]\ncni_conf_dir = \"" + work.resolve("net.d")
                + "\"\n[runtimes.runc]\nplugin = \"runc\"\nruntime_root = \"" + work.resolve("runc") + "\"\n");
        Process daemon = FoundationBenchmark.spawn(launcher, work, socket, config);
        List<String> pods = new ArrayList<>();
        try (CriClient cri = CriClient.connect(socket, Duration.ofSeconds(120))) {
            FoundationBenchmark.awaitVersion(daemon, socket);
            for (String name : List.of("busybox", "pause")) {
                cri.admin().importImages(ImportImagesRequest.newBuilder().setPath(work.resolve("images").resolve(name).toString()).build());
            }
            try {
                long t = System.nanoTime();
                for (int i = 0; i < containers; i++) {
                    if (i % PER_POD == 0) {
                        pods.add(runPod(cri, work, pods.size()));
                    }
                    startSleeper(cri, work, pods.get(pods.size() - 1), pods.size(), i);
                }
                System.out.printf(Locale.ROOT, "%d containers in %d pods started in %.1f s%n", containers, pods.size(),
                        (System.nanoTime() - t) / 1e9);
                Thread.sleep(3000); // a few collection rounds, so every container has figures
                ListContainerStatsResponse all = cri.runtime().listContainerStats(ListContainerStatsRequest.getDefaultInstance());
                long withCpu = all.getStatsList().stream().filter(ContainerStats::hasCpu).count();
                System.out.printf(Locale.ROOT, "ListContainerStats lists %d containers, %d with backend figures%s%n", all.getStatsCount(),
                        withCpu, withCpu == 0 ? " (the handler does not report STATS: collector cost below is without backend calls)" : "");
                FoundationBenchmark.report("ListContainerStats", calls,
                        i -> cri.runtime().listContainerStats(ListContainerStatsRequest.getDefaultInstance()));
                collectorCost(daemon.pid(), containers, seconds);
            } finally {
                for (String pod : pods) {
                    cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod).build());
                }
            }
        } finally {
            FoundationBenchmark.stop(daemon);
        }
    }

    private static String runPod(CriClient cri, Path work, int n) {
        PodSandboxConfig pod = podConfig(work, n);
        return cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build()).getPodSandboxId();
    }

    private static PodSandboxConfig podConfig(Path work, int n) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName("stats-" + n).setNamespace("bench").setUid("stats-" + n))
                .setHostname("stats-" + n).setLogDirectory(work.resolve("logs").resolve("pod-" + n).toString()).build();
    }

    private static void startSleeper(CriClient cri, Path work, String podId, int podNumber, int n) {
        String id = cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId)
                .setSandboxConfig(podConfig(work, podNumber - 1))
                .setConfig(ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName("sleep-" + n))
                        .setImage(ImageSpec.newBuilder().setImage(BUSYBOX)).addAllCommand(List.of("sleep", "1000000"))
                        .setLogPath("sleep-" + n + ".log")).build()).getContainerId();
        cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
    }

    private static void collectorCost(long pid, int containers, int seconds) throws IOException, InterruptedException {
        long ticksPerSecond = clockTicks();
        long before = cpuTicks(pid);
        long t = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        double wall = (System.nanoTime() - t) / 1e9;
        double cpuSeconds = (cpuTicks(pid) - before) / (double) ticksPerSecond;
        System.out.printf(Locale.ROOT, "daemon CPU over %.0f s idle: %.3f s (%.2f %% of a core)%n", wall, cpuSeconds, cpuSeconds / wall * 100);
        System.out.printf(Locale.ROOT, "  per container per second: %.1f us of CPU (%d containers)%n",
                cpuSeconds / containers / wall * 1e6, containers);
    }

    /** utime + stime of the process, in clock ticks: fields 14 and 15 of /proc/PID/stat, counted after the ")" of the name. */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // fields[0] is field 3 (state)
    }

    private static long clockTicks() {
        try {
            Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? Long.parseLong(out) : 100;
        } catch (IOException | NumberFormatException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
