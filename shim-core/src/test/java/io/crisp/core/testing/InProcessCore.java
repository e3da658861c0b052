package io.crisp.core.testing;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import io.crisp.core.config.ConfigLoader;
import io.crisp.core.config.CrispConfig;
import io.crisp.core.daemon.Lifecycle;
import io.crisp.core.image.ImageService;
import io.crisp.core.plugin.HandlerRegistry;
import io.crisp.core.plugin.LoadedPlugin;
import io.crisp.core.plugin.PluginCatalog;
import io.crisp.core.runtime.DaemonState;
import io.crisp.core.runtime.EventRouter;
import io.crisp.core.runtime.ReloadOutcome;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.RuntimePlugin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The core's pod and container services, wired as the daemon wires them ({@link Lifecycle}), in
 * this JVM, on one handler {@code fake} whose backend is an {@link InMemoryBackend}; the pause and
 * busybox images are imported from layouts {@code packaging/busybox-image.sh} writes. Needs root
 * (rootfs snapshots are overlay mounts). {@link #close} stops everything; the directory is the
 * caller's.
 */
public final class InProcessCore implements AutoCloseable {
    public static final String PAUSE = "localhost/crisp/pause:latest";
    public static final String BUSYBOX = "localhost/crisp/busybox:latest";
    private static final Path IMAGE_SCRIPT = Path.of("..", "packaging", "busybox-image.sh");

    public final Path dir;
    public final InMemoryBackend backend;
    public final CrispConfig config;
    public final Lifecycle lifecycle;
    private final HandlerRegistry registry;

    public InProcessCore(Path dir) throws Exception {
        this(dir, new InMemoryBackend());
    }

    public InProcessCore(Path dir, InMemoryBackend backend) throws Exception {
        this.backend = backend;
        if (!"root".equals(System.getProperty("user.name"))) {
            // Rootfs snapshots are overlay mounts. Skipped on a workstation, never under CI.
            if ("true".equals(System.getenv("CI"))) {
                fail("in-process core tests need root");
            }
            assumeTrue(false, "in-process core tests need root");
        }
        this.dir = dir;
        Path home = Files.createDirectories(dir.resolve("home"));
        Path plugins = Files.createDirectories(home.resolve("plugins"));
        Path file = dir.resolve("crisp.toml");
        // A network of only the loopback plugin: pods get a pinned namespace and CNI ADD/DEL, no
        // bridge or address on the host.
        // A test may put a network of its own (named before 10-) in dir/cni and plugins in dir/cni-bin first.
        Path cni = Files.createDirectories(dir.resolve("cni"));
        Path cniBin = Files.createDirectories(dir.resolve("cni-bin"));
        Files.writeString(cni.resolve("10-loopback.conflist"), """
                {"cniVersion": "1.0.0", "name": "crisp-core-test", "plugins": [{"type": "loopback"}]}
                """);
        Files.writeString(file, """
                root = "%s"
                state = "%s"

                [image]
                pause_image = "%s"

                [network]
                cni_conf_dir = "%s"
                cni_bin_dir = ["/usr/lib/cni", "%s"]

                [runtime]
                default_runtime = "fake"
                plugins_dir = "%s"

                [runtimes.fake]
                plugin = "fake"
                """.formatted(dir.resolve("root"), dir.resolve("state"), PAUSE, cni, cniBin, plugins));
        config = new ConfigLoader(home).load(file, true, dir.resolve("crisp.d"), Map.of());

        RuntimePlugin plugin = (handlerConfig, context) -> backend;
        LoadedPlugin loaded = new LoadedPlugin("fake", "0.1.0", "in-memory backend for core tests", ">=1.0.0",
                plugins.resolve("fake.jar"), plugin);
        PluginCatalog catalog = mock(PluginCatalog.class);
        when(catalog.find("fake")).thenReturn(Optional.of(loaded));
        when(catalog.plugins()).thenReturn(Map.of("fake", loaded));
        registry = new HandlerRegistry(ContainerEventSink.discarding());
        registry.apply(config, catalog);
        DaemonState state = new DaemonState(registry, catalog);
        state.config(config);
        state.lastLoad(new ReloadOutcome(1, Instant.now(), Optional.empty()));

        ImageService images = new ImageService(config.root(), () -> new ImageService.PullSettings(config.registriesConf(),
                config.authFile(), config.imagePullProgressTimeout(), config.maxConcurrentDownloads(), config.platform()));
        images.start();
        images.importImages(imageLayout(dir.resolve("images/pause"), PAUSE, "[\"sleep\",\"2147483647\"]"));
        images.importImages(imageLayout(dir.resolve("images/busybox"), BUSYBOX, "[\"sh\"]"));
        lifecycle = Lifecycle.start(state, config, images, new EventRouter());
    }

    /** What pods and containers leave: entries of the bundles, snapshots, netns and CNI results directories, and mounts. */
    public List<String> traces() throws IOException {
        List<String> traces = new java.util.ArrayList<>();
        // Removed snapshots and bundles are deleted in the background: what is left once that is done.
        if (!lifecycle.bundles().awaitDeleted(java.time.Duration.ofSeconds(60))) {
            traces.add("trash still deleting after 60 s");
        }
        for (Path d : List.of(config.state().resolve("bundles"), config.root().resolve("snapshots"),
                config.state().resolve("netns"), config.root().resolve("cni").resolve("results"))) {
            if (Files.isDirectory(d)) {
                try (Stream<Path> entries = Files.list(d)) {
                    entries.forEach(e -> traces.add(e.toString()));
                }
            }
            Path trash = d.resolve(io.crisp.core.state.TrashBin.NAME);
            if (Files.isDirectory(trash)) {
                traces.remove(trash.toString()); // the trash itself stays; what it holds must not
                try (Stream<Path> entries = Files.list(trash)) {
                    entries.forEach(e -> traces.add(e.toString()));
                }
            }
        }
        Files.readAllLines(Path.of("/proc/mounts")).stream().map(l -> l.split(" ")[1])
                .filter(m -> m.startsWith(dir.toString())).forEach(m -> traces.add("mount " + m));
        return traces;
    }

    /** Removes every pod (with its containers), as the kubelet would, then stops the services. */
    @Override
    public void close() {
        for (var pod : lifecycle.sandboxes().listPodSandbox(io.crisp.core.sandbox.SandboxFilter.ALL)) {
            lifecycle.sandboxes().remove(pod.id());
        }
        lifecycle.close();
        registry.close();
    }

    private static Path imageLayout(Path out, String name, String cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", IMAGE_SCRIPT.toString(), out.toString(), name, cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("busybox-image.sh failed: " + output);
        }
        return out;
    }
}
