package io.crisp.spi.testing;

import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.HandlerConfig;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.RuntimePlugin;
import io.crisp.spi.model.ExitStatus;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * One test's world: a directory holding the handler's root and state directories, the bundles and
 * the logs; the backends made on that state directory; the events they reported; and every id the
 * test used, so {@link #close} can remove what a failed test left behind.
 */
final class ContractHarness implements AutoCloseable {
    static final String HANDLER = "contract";
    static final Duration PATIENCE = Duration.ofSeconds(30);

    final Path dir;
    final Path stateDir;
    final Map<String, ExitStatus> exits = new ConcurrentHashMap<>();
    final Set<String> oomKills = ConcurrentHashMap.newKeySet();
    private final RuntimePlugin plugin;
    private final Map<String, Object> options;
    private final List<RuntimeBackend> backends = new ArrayList<>();
    private final List<String> sandboxes = new ArrayList<>();
    private final List<String> containers = new ArrayList<>();
    private int counter;

    ContractHarness(RuntimePlugin plugin, Map<String, Object> options, Path dir) throws IOException {
        this.plugin = plugin;
        this.options = options;
        this.dir = dir;
        this.stateDir = Files.createDirectories(dir.resolve("state"));
        Files.createDirectories(dir.resolve("root"));
        Files.createDirectories(dir.resolve("logs"));
    }

    /** A new backend for the handler, on the same root and state directories as every other one of this test. */
    RuntimeBackend newBackend() {
        HandlerConfig config = new HandlerConfig(HANDLER, "contract-plugin", options, dir.resolve("root"), stateDir);
        RuntimeBackend backend = plugin.create(config, context());
        backends.add(backend);
        return backend;
    }

    String sandboxId() {
        String id = newId("sb");
        sandboxes.add(id);
        return id;
    }

    String containerId() {
        String id = newId("c");
        containers.add(id);
        return id;
    }

    /** An id unique on the host (the runtime's state is host-wide), valid for every backend. */
    private String newId(String prefix) {
        return prefix + ProcessHandle.current().pid() + "x" + Math.floorMod(System.nanoTime(), 1_000_000) + "x" + (counter++);
    }

    /** A new, empty bundle directory for {@code id} (a second one when the test reuses an id). */
    Path bundleDir(String id) throws IOException {
        Path bundles = Files.createDirectories(dir.resolve("bundles"));
        Path bundle = bundles.resolve(id);
        for (int i = 1; Files.exists(bundle); i++) {
            bundle = bundles.resolve(id + "-" + i);
        }
        return Files.createDirectories(bundle);
    }

    Path log(String containerId) {
        return dir.resolve("logs").resolve(containerId + ".log");
    }

    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + PATIENCE + " waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    /**
     * Closes the test's backends, then removes every container and sandbox the test made through a
     * new backend on the same state (as a restarted daemon would), and closes that one too.
     */
    @Override
    public void close() {
        for (RuntimeBackend backend : List.copyOf(backends)) {
            quietly("close backend", backend::close);
        }
        RuntimeBackend cleaner = newBackend();
        for (String id : containers) {
            quietly("remove container " + id, () -> cleaner.removeContainer(id));
        }
        for (String id : sandboxes) {
            quietly("stop sandbox " + id, () -> cleaner.stopSandbox(id, Duration.ZERO));
            quietly("remove sandbox " + id, () -> cleaner.removeSandbox(id));
        }
        quietly("close the cleaning backend", cleaner::close);
    }

    private static void quietly(String what, Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            System.err.println("contract cleanup: " + what + " failed: " + e);
        }
    }

    private RuntimeContext context() {
        ContainerEventSink sink = new ContainerEventSink() {
            @Override
            public void exited(String containerId, ExitStatus status) {
                exits.put(containerId, status);
            }

            @Override
            public void oomKilled(String containerId) {
                oomKills.add(containerId);
            }
        };
        return new RuntimeContext() {
            @Override
            public String spiVersion() {
                return io.crisp.spi.SpiVersion.CURRENT;
            }

            @Override
            public String handlerName() {
                return HANDLER;
            }

            @Override
            public ContainerEventSink events() {
                return sink;
            }
        };
    }

    /**
     * Deletes a tree without following symbolic links (the rootfs is full of them). What vanishes
     * meanwhile is fine: a closed backend's trash thread may still be deleting its part of it.
     */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
