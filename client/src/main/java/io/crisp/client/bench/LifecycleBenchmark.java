package io.crisp.client.bench;

import io.crisp.admin.v1.ImportImagesRequest;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ContainerMetadata;
import io.crisp.cri.v1.CreateContainerRequest;
import io.crisp.cri.v1.ExecSyncRequest;
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
 * Measures the pod lifecycle against a real daemon: the median of each step of N sequential
 * RunPodSandbox .. RemovePodSandbox cycles and of the whole cycle, per handler side by side (runc
 * with conmon, and the kata plugin on a shim v2 when one is given: {@code shimv2-runc}), the daemon's
 * RSS and the summed PSS of the per-pod processes (conmon, shims) with P pods running, and
 * ListContainers with C containers present.
 *
 * <p>Run through {@code packaging/bench/lifecycle.sh}; arguments: launcher, work directory (holding
 * the images built by busybox-image.sh under {@code images/busybox} and {@code images/pause}),
 * cycles, running pods, listed containers, and optionally the shim v2 binary ("" for none).
 */
public final class LifecycleBenchmark {
    private static final String BUSYBOX = "localhost/crisp/busybox:latest";
    private static final String PAUSE = "localhost/crisp/pause:latest";
    private static final String SHIM_HANDLER = "shimv2-runc";

    private LifecycleBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path launcher = Path.of(args[0]);
        Path work = Path.of(args[1]);
        int cycles = Integer.parseInt(args[2]);
        int pods = Integer.parseInt(args[3]);
        int listed = Integer.parseInt(args[4]);
        String shim = args.length > 5 ? args[5] : "";
        List<String> handlers = shim.isEmpty() ? List.of("runc") : List.of("runc", SHIM_HANDLER);
        Path socket = work.resolve("crisp.sock");
        Path config = work.resolve("crisp.toml");
        String toml = "[image]\npause_image = \"" + PAUSE + "\"\n[network]\ncni_conf_dir = \"" + work.resolve("net.d")
                + "\"\n[runtimes.runc]\nplugin = \"runc\"\nruntime_root = \"" + work.resolve("runc") + "\"\n";
        if (!shim.isEmpty()) {
            toml += "[runtimes." + SHIM_HANDLER + "]\nplugin = \"kata\"\nshim_path = \"" + shim + "\"\n";
        }
        Files.writeString(config, toml);
        Process daemon = FoundationBenchmark.spawn(launcher, work, socket, config);
        try (CriClient cri = CriClient.connect(socket, Duration.ofSeconds(120))) {
            FoundationBenchmark.awaitVersion(daemon, socket);
            for (String name : List.of("busybox", "pause")) {
                cri.admin().importImages(ImportImagesRequest.newBuilder().setPath(work.resolve("images").resolve(name).toString()).build());
            }
            cycles(cri, work, cycles, true, handlers);
            cycles(cri, work, cycles, false, handlers);
            for (String handler : handlers) {
                execs(cri, work, handler, Math.max(cycles, 1) * 5);
            }
            running(cri, work, daemon.pid(), pods, "runc", "conmon");
            if (!shim.isEmpty()) {
                running(cri, work, daemon.pid(), pods, SHIM_HANDLER, "containerd-shim");
            }
            listing(cri, work, listed);
        } finally {
            FoundationBenchmark.stop(daemon);
        }
    }

    private static void cycles(CriClient cri, Path work, int cycles, boolean hostNetwork, List<String> handlers) {
        if (cycles <= 0) {
            return;
        }
        Map<String, Map<String, List<Long>>> byHandler = new LinkedHashMap<>();
        for (String handler : handlers) {
            byHandler.put(handler, cycles(cri, work, cycles, hostNetwork, handler));
        }
        System.out.printf(Locale.ROOT, "%d sequential cycles, %s (container: sleep; StopContainer timeout 0), median per step:%n", cycles,
                hostNetwork ? "hostNetwork pods" : "pods on the CNI bridge network (netns + loopback + bridge/host-local/portmap ADD and DEL)");
        StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "  %-18s", "step"));
        handlers.forEach(h -> header.append(String.format(Locale.ROOT, " %12s", h)));
        System.out.println(header);
        for (String step : byHandler.get(handlers.get(0)).keySet()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-18s", step));
            for (String handler : handlers) {
                line.append(String.format(Locale.ROOT, " %9.1f ms", FoundationBenchmark.median(byHandler.get(handler).get(step)) / 1e6));
            }
            System.out.println(line);
        }
    }

    private static Map<String, List<Long>> cycles(CriClient cri, Path work, int cycles, boolean hostNetwork, String handler) {
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
            String podId = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).setRuntimeHandler(handler)
                    .build()).getPodSandboxId();
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
        return steps;
    }

    private static long record(Map<String, List<Long>> steps, String step, long since, boolean measured) {
        long now = System.nanoTime();
        if (measured) {
            steps.get(step).add(now - since);
        }
        return now;
    }

    /** ExecSync of {@code true} in a running container, median of {@code count} after 5 warm-ups. */
    private static void execs(CriClient cri, Path work, String handler, int count) {
        PodSandboxConfig pod = hostNetwork(pod("exec-" + handler, work));
        String podId = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).setRuntimeHandler(handler)
                .build()).getPodSandboxId();
        String id = cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId).setConfig(container("c"))
                .setSandboxConfig(pod).build()).getContainerId();
        cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        ExecSyncRequest exec = ExecSyncRequest.newBuilder().setContainerId(id).addCmd("true").setTimeout(10).build();
        List<Long> nanos = new ArrayList<>();
        for (int i = -5; i < count; i++) {
            long t = System.nanoTime();
            cri.runtime().execSync(exec);
            if (i >= 0) {
                nanos.add(System.nanoTime() - t);
            }
        }
        System.out.printf(Locale.ROOT, "ExecSync `true` on %s, median of %d: %.1f ms%n", handler, count,
                FoundationBenchmark.median(nanos) / 1e6);
        removeAll(cri);
    }

    private static void running(CriClient cri, Path work, long daemonPid, int pods, String handler, String monitor) throws IOException {
        if (pods <= 0) {
            return;
        }
        for (int i = 0; i < pods; i++) {
            PodSandboxConfig pod = pod("running-" + i, work);
            String podId = cri.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(pod).setRuntimeHandler(handler)
                    .build()).getPodSandboxId();
            String id = cri.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId).setConfig(container("c"))
                    .setSandboxConfig(pod).build()).getContainerId();
            cri.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        }
        List<Long> monitors = processes(monitor);
        long pss = 0;
        for (long pid : monitors) {
            pss += pssKib(pid);
        }
        System.out.printf(Locale.ROOT, "%d %s pods running (1 container each): daemon RSS %d KiB; %d %s processes, PSS sum %d KiB,"
                + " %.0f KiB per pod%n", pods, handler, FoundationBenchmark.rssKib(daemonPid), monitors.size(), monitor, pss,
                (double) pss / pods);
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

    static void removeAll(CriClient cri) {
        for (PodSandbox pod : cri.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()) {
            cri.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.getId()).build());
        }
    }

    static PodSandboxConfig pod(String name, Path work) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("bench").setUid(name + "-" + System.nanoTime()))
                .setHostname(name).setLogDirectory(work.resolve("logs").resolve(name).toString()).build();
    }

    static PodSandboxConfig hostNetwork(PodSandboxConfig pod) {
        PodSandboxConfig.Builder b = pod.toBuilder();
        b.getLinuxBuilder().getSecurityContextBuilder().getNamespaceOptionsBuilder().setNetwork(io.crisp.cri.v1.NamespaceMode.NODE);
        return b.build();
    }

    static ContainerConfig container(String name) {
        return ContainerConfig.newBuilder().setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(BUSYBOX)).addCommand("sleep").addCommand("100000")
                .setLogPath(name + ".log").build();
    }

    /** Processes whose name (comm, at most 15 characters) is {@code comm}. */
    private static List<Long> processes(String comm) throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
                try {
                    return Files.readString(p.resolve("comm")).trim().equals(comm);
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
