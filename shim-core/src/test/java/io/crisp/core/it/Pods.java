package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.crisp.admin.v1.ImportImagesRequest;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ContainerConfig;
import io.crisp.cri.v1.ContainerMetadata;
import io.crisp.cri.v1.ContainerStatus;
import io.crisp.cri.v1.ContainerStatusRequest;
import io.crisp.cri.v1.CreateContainerRequest;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.ListPodSandboxRequest;
import io.crisp.cri.v1.PodSandbox;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.RunPodSandboxRequest;
import io.crisp.cri.v1.StartContainerRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Pods for integration tests: a daemon configured with the runc handler and a local pause image,
 * the two busybox images built from the host's busybox-static by {@code packaging/busybox-image.sh}
 * and imported over the admin API (no network), and builders for CRI configs.
 */
final class Pods {
    static final String BUSYBOX = "localhost/crisp/busybox:latest";
    static final String PAUSE = "localhost/crisp/pause:latest";
    private static final Path SCRIPT = Crisp.LAUNCHER.getParent().getParent().resolve("busybox-image.sh");

    private Pods() {}

    /** Fails unless this machine can run containers: root, runc, conmon, busybox-static. */
    static void requirePrerequisites() {
        assertTrue(Crisp.isRoot(), "pod lifecycle tests need root (runc, overlay mounts, cgroups)");
        Crisp.requireExecutable(Path.of("/usr/sbin/runc"), "to run containers");
        Crisp.requireExecutable(Path.of("/usr/bin/conmon"), "to monitor containers");
        Crisp.requireExecutable(Path.of("/bin/busybox"), "to build the test images (busybox-static)");
        TestNetwork.requirePlugins();
    }


    /** The daemon's config: local pause image, runc under the daemon's state dir, CNI from {@link #cniConfDir}. */
    static DaemonProcess configure(DaemonProcess daemon) {
        return daemon.writeConfig("""
                [image]
                pause_image = "%s"
                [network]
                cni_conf_dir = "%s"
                cni_bin_dir = ["%s"]
                [runtimes.runc]
                plugin = "runc"
                runtime_root = "%s"
                """.formatted(PAUSE, cniConfDir(daemon), TestNetwork.CNI_BIN, daemon.state.resolve("runc")));
    }

    static Path cniConfDir(DaemonProcess daemon) {
        return daemon.dir.resolve("net.d");
    }

    /** A daemon whose pods are wired by {@code network} (its conflist written before the start). */
    static DaemonProcess daemon(Path dir, TestNetwork network) {
        return daemon(dir, network, "");
    }

    /**
     * As {@link #daemon(Path, TestNetwork)}, plus a drop-in ({@code crisp.toml.d/50-test.toml}) when not
     * empty and plugin JARs beside the runc plugin's.
     */
    static DaemonProcess daemon(Path dir, TestNetwork network, String dropIn, Path... plugins) {
        requirePrerequisites();
        DaemonProcess daemon = configure(new DaemonProcess(dir));
        for (Path jar : plugins) {
            daemon.withPlugin(jar);
        }
        if (!dropIn.isEmpty()) {
            daemon.writeDropIn("50-test.toml", dropIn);
        }
        network.writeTo(cniConfDir(daemon));
        daemon.start();
        importImages(daemon, dir.resolve("images"));
        return daemon;
    }

    static void importImages(DaemonProcess daemon, Path work) {
        build(work.resolve("busybox"), BUSYBOX, "[\"sh\"]");
        build(work.resolve("pause"), PAUSE, "[\"sleep\",\"2147483647\"]");
        for (String name : List.of("busybox", "pause")) {
            daemon.client().admin().importImages(ImportImagesRequest.newBuilder().setPath(work.resolve(name).toString()).build());
        }
    }

    static void build(Path out, String name, String cmd) {
        try {
            Process p = new ProcessBuilder("sh", SCRIPT.toString(), out.toString(), name, cmd).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                fail("busybox-image.sh failed: " + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    static PodSandboxConfig.Builder pod(String name, Path logDir) {
        return PodSandboxConfig.newBuilder()
                .setMetadata(PodSandboxMetadata.newBuilder().setName(name).setNamespace("crisp-test").setUid(UUID.randomUUID().toString()))
                .setHostname(name)
                .setLogDirectory(logDir.toString())
                .putLabels("app", name);
    }

    static ContainerConfig.Builder container(String name, String... command) {
        return ContainerConfig.newBuilder()
                .setMetadata(ContainerMetadata.newBuilder().setName(name))
                .setImage(ImageSpec.newBuilder().setImage(BUSYBOX))
                .addAllCommand(List.of(command))
                .setLogPath(name + "/0.log")
                .putLabels("container", name);
    }

    static String run(CriClient client, PodSandboxConfig config) {
        return run(client, config, "");
    }

    /** A pod on runtime handler {@code handler} ("" is the default, runc; "lxc" the lxc plugin's). */
    static String run(CriClient client, PodSandboxConfig config, String handler) {
        return client.runtime().runPodSandbox(RunPodSandboxRequest.newBuilder().setConfig(config).setRuntimeHandler(handler)
                .build()).getPodSandboxId();
    }

    static String create(CriClient client, String podId, PodSandboxConfig pod, ContainerConfig config) {
        return client.runtime().createContainer(CreateContainerRequest.newBuilder().setPodSandboxId(podId).setConfig(config)
                .setSandboxConfig(pod).build()).getContainerId();
    }

    static String createAndStart(CriClient client, String podId, PodSandboxConfig pod, ContainerConfig config) {
        String id = create(client, podId, pod, config);
        client.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
        return id;
    }

    static ContainerStatus status(CriClient client, String id) {
        return client.runtime().containerStatus(ContainerStatusRequest.newBuilder().setContainerId(id).build()).getStatus();
    }

    /** Waits up to {@code seconds} for the container to reach {@code state}. */
    static ContainerStatus awaitState(CriClient client, String id, io.crisp.cri.v1.ContainerState state, int seconds) {
        await(() -> status(client, id).getState() == state, seconds, "container " + id + " to be " + state);
        return status(client, id);
    }

    static void await(BooleanSupplier condition, int seconds, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out after " + seconds + " s waiting for " + what);
            }
            DaemonProcess.sleep(50);
        }
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Removes every pod (and with it every container) the daemon knows: tests leave nothing running. */
    static void removeAll(CriClient client) {
        for (PodSandbox pod : client.runtime().listPodSandbox(ListPodSandboxRequest.getDefaultInstance()).getItemsList()) {
            client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(pod.getId()).build());
        }
    }
}
