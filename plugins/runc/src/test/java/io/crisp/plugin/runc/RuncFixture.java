package io.crisp.plugin.runc;

import io.crisp.plugin.kit.FileTrees;
import io.crisp.plugin.kit.conmon.ConmonBackend;
import io.crisp.spi.CgroupDriver;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ExitStatus;
import io.crisp.spi.model.PodIdentity;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A state directory, backends and a busybox sandbox or container per test, for tests that drive the
 * real runc and conmon; {@link #close} removes every container it made and all files.
 *
 * <p>As a JUnit extension ({@code @RegisterExtension final RuncFixture fx = new RuncFixture();}) it
 * opens before each test and, after it, closes and removes the tests' parent cgroups. Made with
 * another runtime or monitor it opens at once and the test closes it.
 */
final class RuncFixture implements AutoCloseable, BeforeEachCallback, AfterEachCallback {
    static final Duration LONG = Duration.ofSeconds(30);

    Path base;
    Path stateDir;
    RuncConfig config;
    final Map<String, ExitStatus> exited = new ConcurrentHashMap<>();
    final Map<String, Boolean> oomKilled = new ConcurrentHashMap<>();
    private final List<ConmonBackend> backends = new ArrayList<>();
    private final List<String> ids = new ArrayList<>();
    private final Path runtimePath;
    private final Path monitorPath;
    private int counter;

    /** The real runc and conmon; opened by JUnit before each test (see the class comment). */
    RuncFixture() {
        this.runtimePath = TestBundles.RUNC;
        this.monitorPath = TestBundles.CONMON;
    }

    /** With another OCI runtime CLI (a wrapper of runc). */
    RuncFixture(Path runtimePath) throws IOException {
        this(runtimePath, TestBundles.CONMON);
    }

    /** With another OCI runtime CLI and another conmon (wrappers that log their calls). */
    RuncFixture(Path runtimePath, Path monitorPath) throws IOException {
        this.runtimePath = runtimePath;
        this.monitorPath = monitorPath;
        open();
    }

    private void open() throws IOException {
        TestBundles.requirePrerequisites();
        base = Files.createTempDirectory("crisp-runc-");
        stateDir = base.resolve("state");
        config = new RuncConfig(runtimePath, base.resolve("runc-root"), monitorPath);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws IOException {
        if (base == null) {
            open();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        if (base != null) {
            close();
            removeParentCgroups();
        }
    }

    @Override
    public void close() throws IOException {
        ConmonBackend cleaner = backend();
        for (String id : ids) {
            try {
                cleaner.removeContainer(id);
            } catch (RuntimeException e) {
                System.err.println("cleanup of " + id + " failed: " + e);
            }
        }
        backends.forEach(ConmonBackend::close);
        FileTrees.deleteTree(base);
    }

    /** runc removes each container's cgroup; the shared parent is the tests' to remove. */
    static void removeParentCgroups() throws IOException {
        Path root = Path.of("/sys/fs/cgroup");
        if (!Files.isDirectory(root)) {
            return;
        }
        try (var controllers = Files.list(root)) {
            for (Path controller : controllers.toList()) {
                try {
                    Files.deleteIfExists(controller.resolve("crisp-test"));
                } catch (IOException e) {
                    System.err.println("cannot remove " + controller.resolve("crisp-test") + ": " + e);
                }
            }
        }
    }

    ConmonBackend backend() {
        return backend(CgroupDriver.CGROUPFS);
    }

    /** A backend as the daemon creates it with {@code cgroup_driver} = {@code driver}. */
    ConmonBackend backend(CgroupDriver driver) {
        RuntimeContext context = new RuntimeContext() {
            @Override
            public CgroupDriver cgroupDriver() {
                return driver;
            }

            @Override
            public String spiVersion() {
                return "1.1.0";
            }

            @Override
            public String handlerName() {
                return "runc-test";
            }

            @Override
            public ContainerEventSink events() {
                return new ContainerEventSink() {
                    @Override
                    public void exited(String containerId, ExitStatus status) {
                        exited.put(containerId, status);
                    }

                    @Override
                    public void oomKilled(String containerId) {
                        oomKilled.put(containerId, true);
                    }
                };
            }
        };
        ConmonBackend backend = RuncPlugin.backend(config, stateDir, context);
        backends.add(backend);
        return backend;
    }

    String newId(String prefix) {
        String id = prefix + "-" + ProcessHandle.current().pid() + "-" + (counter++);
        ids.add(id);
        return id;
    }

    SandboxState sandbox(ConmonBackend backend, String id) throws IOException {
        Path bundle = TestBundles.bundle(base.resolve(id), id, "trap 'exit 0' TERM; while true; do sleep 1; done",
                OptionalLong.empty(), 0);
        return backend.runSandbox(new SandboxSpec(id, new PodIdentity("pod", "default", "uid-" + id, 0), bundle,
                Optional.empty(), Optional.empty(), Map.of(), Map.of(), TestBundles.cgroupsPath(id)));
    }

    ContainerState container(ConmonBackend backend, String id, String sandboxId, OptionalLong sandboxPid,
            String script, long memory) throws IOException {
        return container(backend, id, sandboxId, sandboxPid, script, memory, false, false, false);
    }

    /** A container with the given stdio wiring; with {@code tty} its config.json asks for a terminal. */
    ContainerState container(ConmonBackend backend, String id, String sandboxId, OptionalLong sandboxPid,
            String script, long memory, boolean stdin, boolean stdinOnce, boolean tty) throws IOException {
        Path bundle = TestBundles.bundle(base.resolve(id), id, script, sandboxPid, memory);
        if (tty) {
            Path config = bundle.resolve("config.json");
            Files.writeString(config, Files.readString(config).replace("\"terminal\":false", "\"terminal\":true"));
        }
        return backend.createContainer(new ContainerSpec(id, sandboxId, "c-" + id, bundle, Optional.of(log(id)),
                stdin, stdinOnce, tty, Map.of(), TestBundles.cgroupsPath(id)));
    }

    Path log(String id) {
        return base.resolve("logs").resolve(id + ".log");
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + LONG.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    static boolean hostProcessWithArgs(String... args) {
        return ProcessHandle.allProcesses().anyMatch(p -> {
            try {
                byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
                return List.of(new String(raw, StandardCharsets.UTF_8).split("\0")).equals(List.of(args));
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** A pid file's number (conmon's or runc's). */
    static long readPid(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).trim());
    }

    /** Whether {@code pid} runs and is not a zombie waiting to be reaped. */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    /** Runs {@code runc --root R ARGS...} as the backend would and returns its combined output. */
    static String runc(RuncConfig config, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(config.runtimePath().toString(), "--root", config.runtimeRoot().toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        process.waitFor();
        return output;
    }
}
