package io.crisp.core.bench;

import io.crisp.admin.v1.ImportImagesRequest;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ContainerMetadata;
import io.crisp.cri.v1.CreateContainerRequest;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.ListContainersRequest;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandbox;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
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
 * Measures the pod lifecycle against a real daemon with the runc handler: the median of each step of
 * N sequential RunPodSandbox .. RemovePodSandbox cycles and of the whole cycle, the daemon's RSS and
 * the summed PSS of its conmon processes with P pods running, and ListContainers with C containers
 * present.
 *
 * <p>Run through {@code packaging/bench/lifecycle.sh}; arguments: launcher, work directory (holding
 * the images built by busybox-image.sh under {@code images/busybox} and {@code images/pause}),
 * cycles, running pods, listed containers.
 */
public final class LifecycleBenchmark {
    private static final String BUSYBOX = "localhost/crisp/busybox:latest";
    private static final String PAUSE = "localhost/crisp/pause:latest";

    private LifecycleBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path launcher = Path.of(args[0]);
        Path work = Path.of(args[1]);
        int cycles = Integer.parseInt(args[2]);
        int pods = Integer.parseInt(args[3]);
        int listed = Integer.parseInt(args[4]);
        Path socket = work.resolve("crisp.sock");
        Path config = work.resolve("crisp.toml");
        Files.writeString(config, "[image]\npause_image = \"" + PAUSE + "\"\n[network]\ncni_conf_dir = \"" + work.resolve("net.d")
                + "\"\n[runtimes.runc]\nplugin = \"runc\"\nruntime_root = \"" + work.resolve("runc") + "\"\n");
        Process daemon = FoundationBenchmark.spawn(launcher, work, socket, config);
        try (CriClient cri = CriClient.connect(socket, Duration.ofSeconds(120))) {
            FoundationBenchmark.awaitVersion(daemon, socket);
            for (String name : List.of("busybox", "pause")) {
                cri.admin().importImages(ImportImagesRequest.newBuilder().setPath(work.resolve("images").resolve(name).toString()).build());
            }
            cycles(cri, work, cycles, true);
            cycles(cri, work, cycles, false);
            running(cri, work, daemon.pid(), pods);
            listing(cri, work, listed);
        } finally {
            FoundationBenchmark.stop(daemon);
        }
    }

    private static void cycles(CriClient cri, Path work, int cycles, boolean hostNetwork) {
        if (cycles <= 0) {
            return;
        }
        Map<String, List<Long>> steps = new LinkedHashMap<>();
        for (String step : List.of("RunPodSandbox", "CreateContainer", "StartContainer", "StopContainer", "RemoveContainer",
                "StopPodSandbox", "RemovePodSandbox", "cycle")) {
            steps.put(step, new ArrayList<>());
        }
        for (int i = -2; i < cycles; i++) { // two warm-up cycles
            boolean measured = i >= 0;
            long cycleStart = System.nanoTime();
            PodSandboxConfig pod = hostNetwork ? hostNetwork(pod("cycle-" + i, work)) : pod("cycle-" + i, work);
            long t = System.nanoTime();
            String podId = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build()).getPodSandboxId();
            t = record(steps, "RunPodSandbox", t, measured);
            String id = cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId).setConfig(container("c"))
                    .setSandboxConfig(pod).build()).getContainerId();
            t = record(steps, "CreateContainer", t, measured);
            cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
            t = record(steps, "StartContainer", t, measured);
            cri.runtime().stopContainer(StopContainerRequest.newBuilder().setContainerId(id).setTimeout(0).build());
            t = record(steps, "StopContainer", t, measured);
            cri.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
            t = record(steps, "RemoveContainer", t, measured);
            cri.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            t = record(steps, "StopPodSandbox", t, measured);
            cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            record(steps, "RemovePodSandbox", t, measured);
            record(steps, "cycle", cycleStart, measured);
        }
        System.out.printf(Locale.ROOT, "%d sequential cycles, %s (container: sleep; StopContainer timeout 0), median per step:%n", cycles,
                hostNetwork ? "hostNetwork pods" : "pods on the CNI bridge network (netns + loopback + bridge/host-local/portmap ADD and DEL)");
        steps.forEach((step, nanos) -> System.out.printf(Locale.ROOT, "  %-18s %6.1f ms%n", step,
                FoundationBenchmark.median(nanos) / 1e6));
    }

    private static long record(Map<String, List<Long>> steps, String step, long since, boolean measured) {
        long now = System.nanoTime();
        if (measured) {
            steps.get(step).add(now - since);
        }
        return now;
    }

    private static void running(CriClient cri, Path work, long daemonPid, int pods) throws IOException {
        if (pods <= 0) {
            return;
        }
        for (int i = 0; i < pods; i++) {
            PodSandboxConfig pod = pod("running-" + i, work);
            String podId = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build()).getPodSandboxId();
            String id = cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId).setConfig(container("c"))
                    .setSandboxConfig(pod).build()).getContainerId();
            cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        }
        List<Long> monitors = conmons();
        long pss = 0;
        for (long pid : monitors) {
            pss += pssKib(pid);
        }
        System.out.printf(Locale.ROOT, "%d pods running (1 container each): daemon RSS %d KiB; %d conmon processes, PSS sum %d KiB, %.0f KiB per monitor%n",
                pods, FoundationBenchmark.rssKib(daemonPid), monitors.size(), pss, monitors.isEmpty() ? 0.0 : (double) pss / monitors.size());
        removeAll(cri);
    }

    private static void listing(CriClient cri, Path work, int containers) {
        if (containers <= 0) {
            return;
        }
        int perPod = 20;
        for (int p = 0; p * perPod < containers; p++) {
            PodSandboxConfig pod = pod("list-" + p, work);
            String podId = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).build()).getPodSandboxId();
            for (int c = 0; c < perPod && p * perPod + c < containers; c++) {
                cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId).setConfig(container("c" + c))
                        .setSandboxConfig(pod).build());
            }
        }
        ListContainersRequest list = ListContainersRequest.getDefaultInstance();
        int present = cri.runtime().listContainers(list).getContainersCount();
        for (int i = 0; i < 2000; i++) {
            cri.runtime().listContainers(list);
        }
        for (int round = 0; round < 3; round++) {
            FoundationBenchmark.report("ListContainers (" + present + ")", 5000, i -> cri.runtime().listContainers(list));
        }
        removeAll(cri);
    }

    private static void removeAll(CriClient cri) {
        for (PodSandbox pod : cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()) {
            cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.getId()).build());
        }
    }

    private static PodSandboxConfig pod(String name, Path work) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("bench").setUid(name + "-" + System.nanoTime()))
                .setHostname(name).setLogDirectory(work.resolve("logs").resolve(name).toString()).build();
    }

    private static PodSandboxConfig hostNetwork(PodSandboxConfig pod) {
        PodSandboxConfig.Builder b = pod.toBuilder();
        b.getLinuxBuilder().getSecurityContextBuilder().getNamespaceOptionsBuilder().setNetwork(io.crisp.cri.v1.NamespaceMode.NODE);
        return b.build();
    }

    private static ContainerConfig container(String name) {
        return ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(BUSYBOX)).addCommand("sleep").addCommand("100000")
                .setLogPath(name + ".log").build();
    }

    private static List<Long> conmons() throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    return Files.readString(p.resolve("comm")).trim().equals("conmon");
                } catch (IOException e) {
                    return false;
                }
            }).map(p -> Long.parseLong(p.getFileName().toString())).toList();
        }
    }

    private static long pssKib(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/smaps_rollup"))) {
                if (line.startsWith("Pss:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return 0;
    }
}
