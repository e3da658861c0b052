package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.ContainerEventSink;
import io.crisp.spi.RuntimeContext;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ContainerState.Phase;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Drives the real runc and conmon through the backend. Needs root; see TestBundles. */
final class RuncLifecycleTest {
    private static final Duration LONG = Duration.ofSeconds(30);

    private Path base;
    private Path stateDir;
    private RuncConfig config;
    private final Map<String, ExitStatus> exited = new ConcurrentHashMap<>();
    private final Map<String, Boolean> oomKilled = new ConcurrentHashMap<>();
    private final List<RuncBackend> backends = new ArrayList<>();
    private final List<String> ids = new ArrayList<>();
    private int counter;

    @BeforeEach
    void setUp() throws IOException {
        TestBundles.requirePrerequisites();
        base = Files.createTempDirectory("crisp-runc-");
        stateDir = base.resolve("state");
        config = new RuncConfig(TestBundles.RUNC, base.resolve("runc-root"), TestBundles.CONMON);
    }

    @AfterEach
    void tearDown() throws IOException {
        if (base == null) {
            return;
        }
        RuncBackend cleaner = backend();
        for (String id : ids) {
            try {
                cleaner.removeContainer(id);
            } catch (RuntimeException e) {
                System.err.println("cleanup of " + id + " failed: " + e);
            }
        }
        backends.forEach(RuncBackend::close);
        ContainerFiles.deleteTree(base);
    }

    /** runc removes each container's cgroup; the shared parent is the test's to remove. */
    @AfterAll
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

    private RuncBackend backend() {
        RuntimeContext context = new RuntimeContext() {
            @Override
            public String spiVersion() {
                return "1.0.0";
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
        RuncBackend backend = new RuncBackend(config, stateDir, context);
        backends.add(backend);
        return backend;
    }

    private String newId(String prefix) {
        String id = prefix + "-" + ProcessHandle.current().pid() + "-" + (counter++);
        ids.add(id);
        return id;
    }

    private SandboxState sandbox(RuncBackend backend, String id) throws IOException {
        Path bundle = TestBundles.bundle(base.resolve(id), id, "trap 'exit 0' TERM; while true; do sleep 1; done",
                OptionalLong.empty(), 0);
        return backend.runSandbox(new SandboxSpec(id, new PodIdentity("pod", "default", "uid-" + id, 0), bundle,
                Optional.empty(), Optional.empty(), Map.of(), Map.of()));
    }

    private ContainerState container(RuncBackend backend, String id, String sandboxId, OptionalLong sandboxPid,
            String script, long memory) throws IOException {
        Path bundle = TestBundles.bundle(base.resolve(id), id, script, sandboxPid, memory);
        Path log = base.resolve("logs").resolve(id + ".log");
        return backend.createContainer(new ContainerSpec(id, sandboxId, "c-" + id, bundle, Optional.of(log),
                false, false, false, Map.of()));
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + LONG.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void sandboxAndContainerFullLifecycleWithLogAndExitEvent() throws Exception {
        RuncBackend backend = backend();
        String sb = newId("sb");
        long began = System.nanoTime();
        SandboxState s = sandbox(backend, sb);
        System.out.printf("runSandbox (create+start) took %d ms%n", (System.nanoTime() - began) / 1_000_000);
        assertTrue(s.ready());
        assertTrue(s.pid().isPresent());
        long conmonPid = ContainerFiles.readPid(stateDir.resolve("objects").resolve(sb).resolve("conmon.pid")).getAsLong();
        System.out.println("conmon " + Files.readAllLines(Path.of("/proc/" + conmonPid + "/status")).stream()
                .filter(l -> l.startsWith("VmRSS")).findFirst().orElse("VmRSS ?"));

        String c = newId("c");
        ContainerState created = container(backend, c, sb, s.pid(), "echo hello; echo oops >&2; sleep 1; exit 3", 0);
        assertEquals(Phase.CREATED, created.phase());
        assertTrue(created.pid().isPresent());
        // It joined the sandbox's network namespace.
        assertEquals(Files.readSymbolicLink(Path.of("/proc/" + s.pid().getAsLong() + "/ns/net")),
                Files.readSymbolicLink(Path.of("/proc/" + created.pid().getAsLong() + "/ns/net")));
        ContainerState running = backend.startContainer(c);
        assertTrue(running.phase() == Phase.RUNNING || running.phase() == Phase.EXITED);
        assertTrue(running.startedAt().isPresent());

        await("exit event of " + c, () -> exited.containsKey(c));
        ExitStatus exit = exited.get(c);
        assertEquals(3, exit.code());
        assertEquals(Optional.of("Error"), exit.reason());
        ContainerState after = backend.containerState(c);
        assertEquals(Phase.EXITED, after.phase());
        assertEquals(3, after.exit().orElseThrow().code());

        List<String> log = Files.readAllLines(base.resolve("logs").resolve(c + ".log"));
        assertTrue(log.stream().anyMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\S+ stdout F hello")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.matches("\\S+ stderr F oops")), log.toString());

        backend.stopContainer(c, 15, Duration.ofSeconds(1)); // already exited: no error
        backend.removeContainer(c);
        backend.removeContainer(c); // idempotent
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> backend.containerState(c)).kind());

        backend.stopSandbox(sb, Duration.ofSeconds(10));
        assertFalse(backend.sandboxState(sb).ready());
        backend.stopSandbox(sb, Duration.ofSeconds(10));
        backend.removeSandbox(sb);
        backend.removeSandbox(sb);
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> backend.sandboxState(sb)).kind());
        assertFalse(Processes.alive(conmonPid), "conmon of the sandbox is gone");
        assertFalse(Files.exists(stateDir.resolve("objects").resolve(sb)));
        RuntimeCli.Result list = new RuntimeCli(config).run("-", null, "list", "-q");
        assertFalse(list.output().contains(sb), list.output());
    }

    @Test
    void unknownIdsAreNotFoundAndStopRemoveAreIdempotent() {
        RuncBackend backend = backend();
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> backend.containerState("nope")).kind());
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> backend.sandboxState("nope")).kind());
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class,
                () -> backend.execSync(new ExecSpec("nope", List.of("true"), Duration.ZERO, false, 100))).kind());
        backend.stopContainer("nope", 15, Duration.ofSeconds(1));
        backend.removeContainer("nope");
        backend.stopSandbox("nope", Duration.ZERO);
        backend.removeSandbox("nope");
    }

    @Test
    void failedCreateCarriesTheRuntimeErrorAndLeavesNothing() throws Exception {
        RuncBackend backend = backend();
        String sb = newId("bad");
        Path bundle = TestBundles.bundle(base.resolve(sb), sb, "true", OptionalLong.empty(), 0);
        String broken = Files.readString(bundle.resolve("config.json")).replace(bundle.resolve("rootfs").toString(), "/nonexistent-rootfs");
        Files.writeString(bundle.resolve("config.json"), broken);
        BackendException e = assertThrows(BackendException.class, () -> backend.runSandbox(new SandboxSpec(sb,
                new PodIdentity("pod", "default", "u", 0), bundle, Optional.empty(), Optional.empty(), Map.of(), Map.of())));
        assertTrue(e.getMessage().contains(sb) && e.getMessage().contains("/nonexistent-rootfs"), e.getMessage());
        assertFalse(Files.exists(stateDir.resolve("objects").resolve(sb)));
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> backend.sandboxState(sb)).kind());
    }

    @Test
    void completedAndOomKilledReasons() throws Exception {
        RuncBackend backend = backend();
        String sb = newId("sb");
        SandboxState s = sandbox(backend, sb);
        String ok = newId("ok");
        container(backend, ok, sb, s.pid(), "echo done", 0);
        backend.startContainer(ok);
        String oom = newId("oom");
        container(backend, oom, sb, s.pid(), "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived", 20L << 20);
        backend.startContainer(oom);
        await("exits", () -> exited.containsKey(ok) && exited.containsKey(oom));
        assertEquals(0, exited.get(ok).code());
        assertEquals(Optional.of("Completed"), exited.get(ok).reason());
        assertEquals(Optional.of("OOMKilled"), exited.get(oom).reason(), exited.get(oom).toString());
        assertEquals(137, exited.get(oom).code());
        assertTrue(oomKilled.containsKey(oom));
        assertFalse(oomKilled.containsKey(ok));
    }

    @Test
    void stopEscalatesToSigkillWhenTheSignalIsIgnored() throws Exception {
        RuncBackend backend = backend();
        String sb = newId("sb");
        SandboxState s = sandbox(backend, sb);
        String c = newId("stubborn");
        container(backend, c, sb, s.pid(), "trap '' TERM; while true; do sleep 1; done", 0);
        backend.startContainer(c);
        long began = System.nanoTime();
        backend.stopContainer(c, 15, Duration.ofSeconds(2));
        long tookMs = (System.nanoTime() - began) / 1_000_000;
        ContainerState state = backend.containerState(c);
        assertEquals(Phase.EXITED, state.phase());
        assertEquals(137, state.exit().orElseThrow().code());
        assertTrue(tookMs >= 1900, "waited for the timeout before SIGKILL: " + tookMs);
        backend.stopContainer(c, 15, Duration.ofSeconds(2));
    }

    @Test
    void execSyncOutputExitCodeCapAndTimeout() throws Exception {
        RuncBackend backend = backend();
        String sb = newId("sb");
        SandboxState s = sandbox(backend, sb);
        String c = newId("exec");
        container(backend, c, sb, s.pid(), "sleep 1000", 0);
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class,
                () -> backend.execSync(new ExecSpec(c, List.of("true"), Duration.ZERO, false, 100))).kind());
        backend.startContainer(c);

        ExecResult r = backend.execSync(new ExecSpec(c, List.of("sh", "-c", "echo $GREETING; pwd; echo err >&2; exit 5"),
                Duration.ofSeconds(20), false, ExecSpec.CRI_MAX_OUTPUT_BYTES));
        assertEquals(5, r.exitCode());
        assertEquals("hi from env\n/tmp\n", new String(r.stdout(), StandardCharsets.UTF_8));
        assertEquals("err\n", new String(r.stderr(), StandardCharsets.UTF_8));

        ExecResult capped = backend.execSync(new ExecSpec(c, List.of("sh", "-c", "head -c 1000000 /dev/zero"),
                Duration.ZERO, false, 10));
        assertEquals(0, capped.exitCode());
        assertArrayEquals(new byte[10], capped.stdout());

        BackendException e = assertThrows(BackendException.class, () -> backend.execSync(
                new ExecSpec(c, List.of("sleep", "4242"), Duration.ofMillis(500), false, 100)));
        assertEquals(Kind.DEADLINE_EXCEEDED, e.kind());
        assertTrue(e.getMessage().contains("500ms"), e.getMessage());
        assertFalse(hostProcessWithArgs("sleep", "4242"), "exec'd process is gone");

        backend.stopContainer(c, 9, Duration.ZERO);
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class,
                () -> backend.execSync(new ExecSpec(c, List.of("true"), Duration.ZERO, false, 100))).kind());
    }

    @Test
    void updateResourcesAndReopenLog() throws Exception {
        RuncBackend backend = backend();
        String sb = newId("sb");
        SandboxState s = sandbox(backend, sb);
        String c = newId("ticker");
        container(backend, c, sb, s.pid(), "while true; do echo tick; sleep 0.1; done", 64L << 20);
        backend.startContainer(c);
        backend.updateContainerResources(c, "{\"memory\":{\"limit\":104857600}}");
        Path limit = Path.of("/sys/fs/cgroup/memory/crisp-test", c, "memory.limit_in_bytes");
        assertEquals("104857600", Files.readString(limit).trim());

        Path log = base.resolve("logs").resolve(c + ".log");
        await("first ticks", () -> log.toFile().length() > 0);
        Path rotated = log.resolveSibling(c + ".log.1");
        Files.move(log, rotated);
        backend.reopenContainerLog(c);
        assertTrue(Files.exists(log));
        await("ticks in the reopened log", () -> log.toFile().length() > 0);
        assertTrue(Files.readString(log).contains("stdout F tick"));
    }

    @Test
    void containersSurviveABackendRestartAndExitsAreReportedAfterwards() throws Exception {
        RuncBackend first = backend();
        String sb = newId("sb");
        SandboxState s = sandbox(first, sb);
        String lives = newId("lives");
        container(first, lives, sb, s.pid(), "sleep 1000", 0);
        first.startContainer(lives);
        String diesWhileDown = newId("down");
        container(first, diesWhileDown, sb, s.pid(), "sleep 1; exit 7", 0);
        first.startContainer(diesWhileDown);
        first.close();
        await("exit file written while no backend ran",
                () -> Files.exists(stateDir.resolve("exits").resolve(diesWhileDown)));

        RuncBackend second = backend();
        assertTrue(second.sandboxState(sb).ready());
        assertEquals(s.pid(), second.sandboxState(sb).pid());
        ContainerState state = second.containerState(lives);
        assertEquals(Phase.RUNNING, state.phase());
        assertTrue(state.startedAt().isPresent());
        ContainerState down = second.containerState(diesWhileDown);
        assertEquals(Phase.EXITED, down.phase());
        assertEquals(7, down.exit().orElseThrow().code());
        await("event for the exit that happened while down", () -> exited.containsKey(diesWhileDown));

        long pid = state.pid().getAsLong();
        Processes.kill(pid);
        await("exit event after restart", () -> exited.containsKey(lives));
        assertEquals(137, exited.get(lives).code());
        assertEquals(Phase.EXITED, second.containerState(lives).phase());
    }

    private static boolean hostProcessWithArgs(String... args) {
        return ProcessHandle.allProcesses().anyMatch(p -> {
            try {
                byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(p.pid()), "cmdline"));
                return List.of(new String(raw, StandardCharsets.UTF_8).split("\0")).equals(List.of(args));
            } catch (IOException e) {
                return false;
            }
        });
    }
}
