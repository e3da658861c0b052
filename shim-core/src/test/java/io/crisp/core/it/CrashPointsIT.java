package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.crisp.core.image.testing.TestImages;
import io.crisp.core.image.testing.TestRegistry;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.ImageSpec;
import io.crisp.cri.v1.ImageStatusRequest;
import io.crisp.cri.v1.LinuxPodSandboxConfig;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PullImageRequest;
import io.crisp.cri.v1.RemoveContainerRequest;
import io.crisp.cri.v1.RemoveImageRequest;
import io.crisp.cri.v1.RemovePodSandboxRequest;
import io.crisp.cri.v1.StartContainerRequest;
import io.crisp.cri.v1.StopPodSandboxRequest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Crash points: a real daemon (runc, CNI on the test's own bridge, a local docker-registry) is
 * killed with SIGKILL at a random moment 0-300 ms into one call, restarted, and must come back
 * consistent: every listed pod and container matches runc (a READY pod's infra runs or, for every
 * other pod, which has none, its namespaces are pinned; a RUNNING container's process runs, a
 * NOT_READY pod's infra does not), no creation is left half done, and
 * nothing exists that no listed object owns (runc containers, conmon monitors, mounts, network
 * namespaces, cgroups, IPs, veths, records, bundles, snapshots, layers, blobs), and the trash that
 * removals delete in the background empties. Then every pod is removed through the CRI and nothing at
 * all may be left. An image is complete or absent.
 *
 * <p>Rounds per call: {@code -Dcrisp.crash.rounds} (5 by default); the delays come from
 * {@code -Dcrisp.crash.seed} (random by default, always printed, so a failing run can be replayed);
 * {@code -Dcrisp.crash.calls=RUNP,RMI} runs only those calls.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
final class CrashPointsIT {
    private static final int ROUNDS = Integer.getInteger("crisp.crash.rounds", 5);
    private static final long SEED = Long.getLong("crisp.crash.seed", new Random().nextLong());
    /** Only these calls (comma separated names of {@link Call}), to replay one; all when empty. */
    private static final String CALLS = System.getProperty("crisp.crash.calls", "");
    private static final int MAX_DELAY_MS = 300;
    /** Files in the crash image's first layer: enough that unpacking and deleting it take a while. */
    private static final int MANY = 3000;
    /** Several helpers share the machine's two cores: a JVM may take long to answer. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    /** The calls a kill lands in. */
    enum Call { RUNP, CREATE, START, STOPP, RM, RMP, PULL, RMI }

    /** What the restarted daemon logs when it settles something a kill left half done: what the rounds reached. */
    private static final String[][] SETTLED = {
        {"pods finished", "its start was cut short by a restart, but"},
        {"pods rolled back", "its start was cut short by a restart; removing"},
        {"pod stops done again", "its stop was cut short by a restart; stopped it again"},
        {"containers rolled back", "its creation was cut short by a restart"},
        {"layer leftovers", "which an interrupted unpack or delete left"},
        {"unrecorded starts adopted", "its start was not recorded"},
        {"trash left by a kill", "by an earlier daemon"},
    };

    private Path dir;
    private TestNetwork network;
    private TestRegistry registry;
    private DaemonProcess daemon;
    private CrashHost host;
    private String image;
    private TestImages.BuiltImage built;
    private final String cgroupParent = "/crisp-crash-" + HexFormat.of().toHexDigits(new Random().nextInt());
    private int pods;
    private PodSandboxConfig lastPod;

    @BeforeAll
    void start(@TempDir Path tmp) throws IOException {
        System.out.printf("CrashPointsIT: seed %d (-Dcrisp.crash.seed=%d replays it), %d rounds per call%n", SEED, SEED, ROUNDS);
        dir = tmp;
        network = TestNetwork.create(dir);
        registry = TestRegistry.start(dir.resolve("registry"));
        List<TestImages.TarEntry> many = new ArrayList<>();
        many.add(TestImages.TarEntry.dir("many/", 0755));
        for (int i = 0; i < MANY; i++) {
            many.add(TestImages.TarEntry.file("many/f" + i, 0644, "file " + i + "\n"));
        }
        byte[] big = new byte[6 << 20];
        new Random(1).nextBytes(big);
        built = TestImages.push(registry, TestImages.image(TestImages.Format.OCI, "amd64", "crisp/crash", "1",
                List.of(TestImages.layerTar(many), TestImages.layerTar(List.of(TestImages.TarEntry.file("big", 0644, big))))));
        image = registry.host() + "/crisp/crash:1";
        Path conf = dir.resolve("registries.conf");
        Files.writeString(conf, "[[registry]]\nlocation = \"%s\"\ninsecure = true\n".formatted(registry.host()));
        Pods.requirePrerequisites();
        daemon = Pods.configure(new DaemonProcess(dir.resolve("daemon")))
                .writeDropIn("50-test.toml", "[image]\nregistries_conf = \"" + conf + "\"\n");
        network.writeTo(Pods.cniConfDir(daemon));
        daemon.startWithin(START_TIMEOUT);
        Pods.importImages(daemon, dir.resolve("images"));
        host = new CrashHost(daemon, cgroupParent);
    }

    @AfterAll
    void stop() throws IOException {
        try {
            if (daemon != null) {
                Pods.removeAll(daemon.client());
                daemon.close();
            }
        } finally {
            if (registry != null) {
                registry.close();
            }
            if (network != null) {
                network.close();
            }
            if (host != null) {
                host.cgroupParents().forEach(p -> p.toFile().delete());
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Call.class)
    void killedDaemonComesBackConsistent(Call call) {
        Assumptions.assumeTrue(CALLS.isEmpty() || List.of(CALLS.split(",")).contains(call.name()),
                "-Dcrisp.crash.calls=" + CALLS + " leaves " + call + " out");
        Random random = new Random(SEED ^ call.ordinal());
        java.util.Map<String, Integer> settled = new java.util.TreeMap<>();
        long started = System.nanoTime();
        for (int round = 0; round < ROUNDS; round++) {
            int delay = random.nextInt(MAX_DELAY_MS + 1);
            String where = String.format("%s round %d, kill %d ms into the call (seed %d)", call, round, delay, SEED);
            Runnable victim = prepare(call);
            CompletableFuture<Void> inFlight = CompletableFuture.runAsync(victim);
            DaemonProcess.sleep(delay);
            daemon.signal("KILL");
            daemon.waitForExit(Duration.ofSeconds(10));
            try {
                inFlight.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                // cut off by the kill, or it finished first: either is fine
            }
            String killedLog = daemon.logs(); // the next start overwrites the file
            daemon.close();
            daemon = Pods.configure(new DaemonProcess(dir.resolve("daemon"))).startWithin(START_TIMEOUT);
            host = new CrashHost(daemon, cgroupParent);
            String log = daemon.logs();
            for (String[] kind : SETTLED) {
                settled.merge(kind[0], (int) log.lines().filter(l -> l.contains(kind[1])).count(), Integer::sum);
            }
            try {
                CrashChecks.consistent(daemon, host, network);
                if (call == Call.RUNP) {
                    nameIsFreeUnlessListed();
                }
                checkImage();
                Pods.removeAll(daemon.client());
                CrashChecks.nothingLeft(daemon, host, network);
            } catch (AssertionError e) {
                throw new AssertionError(where + ": " + e.getMessage() + "\n--- log of the killed daemon ---\n" + tail(killedLog)
                        + "\n--- log of the restarted daemon ---\n" + tail(daemon.logs()), e);
            }
        }
        System.out.printf("CrashPointsIT: %s: %d rounds in %d s; settled at the restarts: %s%n", call, ROUNDS,
                TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started), settled);
    }

    /** Sets up what the call needs and returns the call itself. */
    private Runnable prepare(Call call) {
        CriClient client = daemon.client();
        PodSandboxConfig pod = pod();
        switch (call) {
            case RUNP:
                return () -> Pods.run(client, pod);
            case CREATE: {
                String podId = Pods.run(client, pod);
                return () -> Pods.createAndStart(client, podId, pod, Pods.container("sleeper", "sleep", "100000").build());
            }
            case START: {
                String podId = Pods.run(client, pod);
                String id = Pods.create(client, podId, pod, Pods.container("sleeper", "sleep", "100000").build());
                return () -> client.runtime().startContainer(StartContainerRequest.newBuilder().setContainerId(id).build());
            }
            case STOPP: {
                String podId = Pods.run(client, pod);
                Pods.createAndStart(client, podId, pod, Pods.container("sleeper", "sleep", "100000").build());
                return () -> client.runtime().stopPodSandbox(StopPodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            }
            case RM: {
                // A writable layer of a few thousand files, whose deletion (in the background) takes a while.
                String podId = Pods.run(client, pod);
                String id = Pods.createAndStart(client, podId, pod, Pods.container("writer", "sh", "-c", "mkdir /w && i=0 && while"
                        + " [ $i -lt 3000 ]; do echo $i > /w/$i; i=$((i+1)); done && touch /written && exec sleep 100000").build());
                Path written = daemon.root.resolve("snapshots").resolve(id).resolve("upper/written");
                Pods.await(() -> Files.exists(written), 120, "container " + id + " to write its files");
                return () -> client.runtime().removeContainer(RemoveContainerRequest.newBuilder().setContainerId(id).build());
            }
            case RMP: {
                String podId = Pods.run(client, pod);
                Pods.createAndStart(client, podId, pod, Pods.container("sleeper", "sleep", "100000").build());
                return () -> client.runtime().removePodSandbox(RemovePodSandboxRequest.newBuilder().setPodSandboxId(podId).build());
            }
            case PULL:
                client.images().removeImage(RemoveImageRequest.newBuilder().setImage(spec()).build());
                return () -> client.images().pullImage(PullImageRequest.newBuilder().setImage(spec()).build());
            case RMI:
                client.images().pullImage(PullImageRequest.newBuilder().setImage(spec()).build());
                return () -> client.images().removeImage(RemoveImageRequest.newBuilder().setImage(spec()).build());
            default:
                throw new AssertionError(call);
        }
    }

    /** A pod rolled back at start gave its name back: the kubelet's retry of the same RunPodSandbox succeeds. */
    private void nameIsFreeUnlessListed() {
        CriClient client = daemon.client();
        boolean listed = client.runtime().listPodSandbox(io.crisp.cri.v1.ListPodSandboxRequest.getDefaultInstance()).getItemsList()
                .stream().anyMatch(p -> p.getMetadata().getUid().equals(lastPod.getMetadata().getUid()));
        if (!listed) {
            Pods.run(client, lastPod);
        }
    }

    private PodSandboxConfig pod() {
        pods++;
        LinuxPodSandboxConfig.Builder linux = LinuxPodSandboxConfig.newBuilder().setCgroupParent(cgroupParent);
        if (pods % 2 == 0) { // every other pod as the kubelet asks for most: a PID namespace per container, so no infra process
            linux.setSecurityContext(io.crisp.cri.v1.LinuxSandboxSecurityContext.newBuilder().setNamespaceOptions(
                    io.crisp.cri.v1.NamespaceOption.newBuilder().setPid(io.crisp.cri.v1.NamespaceMode.CONTAINER)));
        }
        lastPod = Pods.pod("crash" + pods, dir.resolve("logs").resolve("crash" + pods)).setLinux(linux).build();
        return lastPod;
    }

    private ImageSpec spec() {
        return ImageSpec.newBuilder().setImage(image).build();
    }

    /**
     * The crash image is whole or absent, and it can be pulled whole again: every layer's directory
     * holds all its files (a layer deleted half way must never pass for the layer).
     */
    private void checkImage() {
        CriClient client = daemon.client();
        if (client.images().imageStatus(ImageStatusRequest.newBuilder().setImage(spec()).build()).hasImage()) {
            assertWhole("the image listed after the restart");
        }
        client.images().pullImage(PullImageRequest.newBuilder().setImage(spec()).build());
        assertWhole("the image pulled again after the restart");
    }

    private void assertWhole(String what) {
        List<String> diffIds = built.diffIds();
        Path layers = daemon.root.resolve("images/layers");
        Path many = layers.resolve(diffIds.get(0).substring(7)).resolve("many");
        assertEquals(MANY, CrashHost.named(many, "").size(), what + ": files of its first layer in " + many);
        Path big = layers.resolve(diffIds.get(1).substring(7)).resolve("big");
        try {
            assertEquals(6 << 20, Files.size(big), what + ": size of " + big);
        } catch (IOException e) {
            fail(what + ": " + big + " is missing: " + e);
        }
    }

    private static String tail(String log) {
        String[] lines = log.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 60), lines.length));
    }
}
