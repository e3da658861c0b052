package io.crisp.spi.testing;

import static io.crisp.spi.testing.ContractHarness.await;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.Capability;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.RuntimePlugin;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ContainerState.Phase;
import io.crisp.spi.model.ContainerStatsSample;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.PodIdentity;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * What every {@link RuntimeBackend} must guarantee, checked against the real thing: the backend is
 * driven in-process, exactly as the core drives it, with busybox bundles built here. A plugin runs
 * the suite by subclassing it once (see README, "Writing a plugin"); a test whose ability the
 * backend does not declare in {@link #supportedCapabilities()} is skipped, nothing else is. A
 * missing prerequisite (root, a binary) skips the suite on a workstation and fails it under CI=true.
 */
public abstract class BaseBackendContractTest {
    private static final int SIGTERM = 15;
    private static final int SIGKILL = 9;
    private static final Duration LONG = Duration.ofSeconds(20);
    private static final StdioWiring IN_OUT = new StdioWiring(true, true, false, false);

    private ContractHarness harness;
    private RuntimeBackend backend;

    /** The plugin under test; the suite calls {@link RuntimePlugin#create} as the core does. */
    protected abstract RuntimePlugin plugin();

    /** The handler's options ({@code [runtimes.NAME]} keys); {@code dir} is the test's own directory. */
    protected Map<String, Object> options(Path dir) {
        return Map.of();
    }

    /** The capabilities the backend declares; the suite checks it declares exactly these. */
    protected abstract Set<Capability> supportedCapabilities();

    /** Binaries and files the backend needs on this host; the suite also needs root and /bin/busybox. */
    protected List<Path> prerequisites() {
        return List.of();
    }

    /** Builds the bundle of sandbox {@code id} in {@code dir}; a VM backend may need another one. */
    protected Path sandboxBundle(Path dir, String id) throws Exception {
        return BusyboxBundles.sandbox(dir, id);
    }

    /** Builds the bundle of container {@code id}, running {@code sh -c script}, in {@code dir}. */
    protected Path containerBundle(Path dir, String id, String sandboxId, OptionalLong infraPid, String script, boolean tty)
            throws Exception {
        return BusyboxBundles.container(dir, id, sandboxId, infraPid, script, tty);
    }

    /** Releases what the backend leaves on the host beyond its state directory (shims, runtime state) after a test. */
    protected void cleanUpLeftovers(Path dir) throws Exception {}

    @BeforeEach
    final void createBackend() throws Exception {
        List<String> missing = new ArrayList<>();
        if (!"root".equals(System.getProperty("user.name"))) {
            missing.add("root");
        }
        List<Path> needed = new ArrayList<>(prerequisites());
        needed.add(BusyboxBundles.BUSYBOX);
        needed.stream().filter(p -> !Files.exists(p)).forEach(p -> missing.add(p.toString()));
        if (!missing.isEmpty()) {
            if ("true".equals(System.getenv("CI"))) {
                fail("the backend contract suite needs " + missing);
            }
            assumeTrue(false, "backend contract suite skipped, missing " + missing);
        }
        Path dir = Files.createTempDirectory("crisp-contract-");
        harness = new ContractHarness(plugin(), options(dir), dir);
        backend = harness.newBackend();
    }

    @AfterEach
    final void removeEverything() throws Exception {
        if (harness != null) {
            harness.close();
            cleanUpLeftovers(harness.dir);
            ContractHarness.deleteTree(harness.dir);
        }
    }

    /** Backends remove each container's cgroup; the shared parent is the suite's to remove. */
    @AfterAll
    static void removeCgroupParent() {
        BusyboxBundles.removeCgroupParent();
    }

    // ---- declared abilities -----------------------------------------------------------------

    @Test
    void declaresItsCapabilitiesAndIsHealthy() {
        assertEquals(supportedCapabilities(), backend.capabilities());
        assertTrue(backend.health().ready(), () -> "health: " + backend.health());
    }

    // ---- sandboxes ----------------------------------------------------------------------------

    @Test
    void runSandboxReturnsAReadySandboxThatStopsAndIsRemoved() throws Exception {
        requires(Capability.POD_LIFECYCLE);
        String sb = harness.sandboxId();
        SandboxState ready = runSandbox(sb);
        assertTrue(ready.ready());
        assertEquals(sb, ready.id());
        assertTrue(backend.sandboxState(sb).ready());
        backend.stopSandbox(sb, LONG);
        assertFalse(backend.sandboxState(sb).ready(), "a stopped sandbox is not ready");
        backend.removeSandbox(sb);
        assertKind(Kind.NOT_FOUND, () -> backend.sandboxState(sb));
    }

    @Test
    void runSandboxWithAnIdInUseIsAlreadyExists() throws Exception {
        requires(Capability.POD_LIFECYCLE);
        String sb = harness.sandboxId();
        runSandbox(sb);
        assertKind(Kind.ALREADY_EXISTS, () -> runSandbox(sb));
        assertTrue(backend.sandboxState(sb).ready(), "the first sandbox is untouched");
    }

    // ---- containers ---------------------------------------------------------------------------

    @Test
    void containerRunsToItsExitCodeAndWritesTheCriLog() throws Exception {
        requires(Capability.POD_LIFECYCLE);
        String sb = harness.sandboxId();
        SandboxState pod = runSandbox(sb);
        String c = harness.containerId();
        ContainerState created = createContainer(c, pod, "echo hello; echo oops >&2; exit 3");
        assertEquals(Phase.CREATED, created.phase());
        assertEquals(Phase.CREATED, backend.containerState(c).phase());
        ContainerState started = backend.startContainer(c);
        assertTrue(started.phase() == Phase.RUNNING || started.phase() == Phase.EXITED, started::toString);
        assertTrue(started.startedAt().isPresent(), "a started container has a start time");

        await("exit of " + c, () -> backend.containerState(c).phase() == Phase.EXITED);
        assertEquals(3, backend.containerState(c).exit().orElseThrow().code());
        await("exit event of " + c, () -> harness.exits.containsKey(c));
        assertEquals(3, harness.exits.get(c).code());
        List<String> log = Files.readAllLines(harness.log(c));
        assertTrue(log.stream().anyMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\S+ stdout F hello")), log::toString);
        assertTrue(log.stream().anyMatch(l -> l.matches("\\S+ stderr F oops")), log::toString);
    }

    @Test
    void stopContainerSendsTheSignalThenKillsAfterTheTimeout() throws Exception {
        requires(Capability.POD_LIFECYCLE);
        SandboxState pod = runSandbox(harness.sandboxId());
        String polite = running(pod, "trap 'exit 0' TERM; while true; do sleep 0.1; done");
        String stubborn = running(pod, "trap '' TERM; while true; do sleep 0.1; done");
        backend.stopContainer(polite, SIGTERM, LONG);
        assertEquals(0, backend.containerState(polite).exit().orElseThrow().code(), "it handled SIGTERM");
        long began = System.nanoTime();
        backend.stopContainer(stubborn, SIGTERM, Duration.ofSeconds(1));
        long tookMs = (System.nanoTime() - began) / 1_000_000;
        ContainerState killed = backend.containerState(stubborn);
        assertEquals(Phase.EXITED, killed.phase(), "stopContainer returns once the container exited");
        assertEquals(128 + SIGKILL, killed.exit().orElseThrow().code());
        assertTrue(tookMs >= 900, "waited for the timeout before SIGKILL: " + tookMs + " ms");
    }

    @Test
    void stopAndRemoveAreIdempotent() throws Exception {
        requires(Capability.POD_LIFECYCLE);
        String sb = harness.sandboxId();
        SandboxState pod = runSandbox(sb);
        String c = running(pod, "sleep 1000");
        backend.stopContainer(c, SIGKILL, Duration.ZERO);
        backend.stopContainer(c, SIGTERM, LONG);
        assertEquals(Phase.EXITED, backend.containerState(c).phase());
        backend.removeContainer(c);
        backend.removeContainer(c);
        backend.stopContainer(c, SIGTERM, LONG);
        assertKind(Kind.NOT_FOUND, () -> backend.containerState(c));
        backend.stopSandbox(sb, LONG);
        backend.stopSandbox(sb, LONG);
        backend.removeSandbox(sb);
        backend.removeSandbox(sb);
        backend.stopSandbox(sb, LONG);
        assertKind(Kind.NOT_FOUND, () -> backend.sandboxState(sb));
    }

    @Test
    void stopAndRemoveOfUnknownIdsReturnNormally() {
        requires(Capability.POD_LIFECYCLE);
        backend.stopContainer("unknown", SIGTERM, Duration.ZERO);
        backend.removeContainer("unknown");
        backend.stopSandbox("unknown", Duration.ZERO);
        backend.removeSandbox("unknown");
    }

    @Test
    void removeContainerKillsARunningContainer() throws Exception {
        requires(Capability.POD_LIFECYCLE);
        SandboxState pod = runSandbox(harness.sandboxId());
        String c = running(pod, "sleep 1000");
        long pid = backend.containerState(c).pid().orElseThrow();
        backend.removeContainer(c);
        assertKind(Kind.NOT_FOUND, () -> backend.containerState(c));
        await("container process " + pid + " gone", () -> ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
    }

    @Test
    void unknownIdsAreNotFound() {
        requires(Capability.POD_LIFECYCLE);
        assertKind(Kind.NOT_FOUND, () -> backend.sandboxState("unknown"));
        assertKind(Kind.NOT_FOUND, () -> backend.containerState("unknown"));
        assertKind(Kind.NOT_FOUND, () -> backend.startContainer("unknown"));
        if (supportedCapabilities().contains(Capability.EXEC_SYNC)) {
            assertKind(Kind.NOT_FOUND, () -> backend.execSync(new ExecSpec("unknown", List.of("true"), Duration.ZERO, false, 10)));
        }
        if (supportedCapabilities().contains(Capability.STATS)) {
            assertKind(Kind.NOT_FOUND, () -> backend.containerStats("unknown"));
        }
    }

    // ---- exec ---------------------------------------------------------------------------------

    @Test
    void execSyncReturnsStdoutStderrAndTheExitCode() throws Exception {
        requires(Capability.EXEC_SYNC);
        String c = running(runSandbox(harness.sandboxId()), "sleep 1000");
        ExecResult r = backend.execSync(new ExecSpec(c, List.of("sh", "-c", "echo $GREETING; pwd; echo err >&2; exit 5"),
                LONG, false, ExecSpec.CRI_MAX_OUTPUT_BYTES));
        assertEquals(5, r.exitCode());
        assertEquals("hello from env\n/tmp\n", new String(r.stdout(), UTF_8), "the container's env and cwd");
        assertEquals("err\n", new String(r.stderr(), UTF_8));
    }

    @Test
    void execSyncPastItsTimeoutIsDeadlineExceededAndKillsTheCommand() throws Exception {
        requires(Capability.EXEC_SYNC);
        String c = running(runSandbox(harness.sandboxId()), "sleep 1000");
        assertKind(Kind.DEADLINE_EXCEEDED,
                () -> backend.execSync(new ExecSpec(c, List.of("sleep", "4242"), Duration.ofMillis(500), false, 100)));
        ExecResult ps = backend.execSync(new ExecSpec(c, List.of("ps"), LONG, false, ExecSpec.CRI_MAX_OUTPUT_BYTES));
        assertFalse(new String(ps.stdout(), UTF_8).contains("4242"), () -> "killed: " + new String(ps.stdout(), UTF_8));
    }

    @Test
    void execInAContainerThatIsNotRunningIsFailedPrecondition() throws Exception {
        requires(Capability.EXEC_SYNC);
        SandboxState pod = runSandbox(harness.sandboxId());
        String created = harness.containerId();
        createContainer(created, pod, "sleep 1000");
        ExecSpec exec = new ExecSpec(created, List.of("true"), LONG, false, 10);
        assertKind(Kind.FAILED_PRECONDITION, () -> backend.execSync(exec));
        backend.startContainer(created);
        backend.stopContainer(created, SIGKILL, Duration.ZERO);
        assertKind(Kind.FAILED_PRECONDITION, () -> backend.execSync(exec));
    }

    @Test
    void streamingExecPassesStdinToTheCommandAndEndsAtEof() throws Exception {
        requires(Capability.EXEC);
        String c = running(runSandbox(harness.sandboxId()), "sleep 1000");
        try (StdioSession s = backend.exec(new StreamExecSpec(c, List.of("sh", "-c", "cat; exit 4"), IN_OUT))) {
            assertTrue(s.stderr().isEmpty(), "only the streams asked for");
            StreamCollector out = new StreamCollector(s.stdout().orElseThrow(), "exec-out");
            OutputStream in = s.stdin().orElseThrow();
            in.write("ping\n".getBytes(UTF_8));
            in.flush();
            out.awaitContains("ping\n");
            in.close();
            assertEquals("ping\n", out.atEnd(), "stdout ends after the command exited");
            assertEquals(4, s.exit().get(LONG.toSeconds(), TimeUnit.SECONDS));
        }
    }

    // ---- attach -------------------------------------------------------------------------------

    @Test
    void attachConnectsToTheContainersStdioAndDetachLeavesItRunning() throws Exception {
        requires(Capability.ATTACH);
        String c = running(runSandbox(harness.sandboxId()), "cat", true, false);
        try (StdioSession s = backend.attach(c, IN_OUT)) {
            StreamCollector out = new StreamCollector(s.stdout().orElseThrow(), "attach-out");
            OutputStream in = s.stdin().orElseThrow();
            in.write("ping\n".getBytes(UTF_8));
            in.flush();
            out.awaitContains("ping\n");
        }
        assertEquals(Phase.RUNNING, backend.containerState(c).phase(), "detaching does not stop the container");
    }

    @Test
    void attachWithStdinOnceClosingStdinEndsTheContainer() throws Exception {
        requires(Capability.ATTACH);
        String c = running(runSandbox(harness.sandboxId()), "cat; exit 6", true, true);
        try (StdioSession s = backend.attach(c, IN_OUT)) {
            StreamCollector out = new StreamCollector(s.stdout().orElseThrow(), "attach-out");
            OutputStream in = s.stdin().orElseThrow();
            in.write("pong\n".getBytes(UTF_8));
            in.flush();
            out.awaitContains("pong\n");
            in.close();
            assertEquals("pong\n", out.atEnd());
            assertEquals(6, s.exit().get(LONG.toSeconds(), TimeUnit.SECONDS));
        }
        await("exit of " + c, () -> backend.containerState(c).phase() == Phase.EXITED);
    }

    // ---- stats --------------------------------------------------------------------------------

    @Test
    void statsOfARunningContainerAndNotOfAStoppedOne() throws Exception {
        requires(Capability.STATS);
        String c = running(runSandbox(harness.sandboxId()), "sleep 1000");
        ContainerStatsSample sample = backend.containerStats(c);
        assertEquals(c, sample.containerId());
        assertTrue(sample.timestampNanos() > 0);
        assertTrue(sample.cpuUsageCoreNanos() >= 0 || sample.cpuUsageCoreNanos() == ContainerStatsSample.UNKNOWN);
        assertTrue(sample.memory().usageBytes() > 0, () -> "memory in use: " + sample.memory());
        backend.stopContainer(c, SIGKILL, Duration.ZERO);
        assertKind(Kind.FAILED_PRECONDITION, () -> backend.containerStats(c));
    }

    // ---- recovery -----------------------------------------------------------------------------

    @Test
    void aNewBackendOnTheSameStateDirectoryKnowsEverySandboxAndContainer() throws Exception {
        requires(Capability.POD_LIFECYCLE);
        String sb = harness.sandboxId();
        SandboxState pod = runSandbox(sb);
        String lives = running(pod, "sleep 1000");
        long livesPid = backend.containerState(lives).pid().orElseThrow();
        String exited = running(pod, "exit 2");
        await("exit of " + exited, () -> backend.containerState(exited).phase() == Phase.EXITED);
        String diesWhileDown = running(pod, "sleep 1; exit 7");
        String created = harness.containerId();
        createContainer(created, pod, "sleep 1000");
        backend.close();
        Thread.sleep(2000); // diesWhileDown exits with no backend watching

        RuntimeBackend second = harness.newBackend();
        assertTrue(second.sandboxState(sb).ready());
        assertEquals(pod.pid(), second.sandboxState(sb).pid());
        ContainerState running = second.containerState(lives);
        assertEquals(Phase.RUNNING, running.phase());
        assertEquals(OptionalLong.of(livesPid), running.pid());
        assertTrue(running.startedAt().isPresent());
        assertEquals(2, second.containerState(exited).exit().orElseThrow().code());
        ContainerState down = second.containerState(diesWhileDown);
        assertEquals(Phase.EXITED, down.phase(), "exited while no backend ran");
        assertEquals(7, down.exit().orElseThrow().code());
        assertEquals(Phase.CREATED, second.containerState(created).phase());

        harness.exits.remove(lives);
        second.stopContainer(lives, SIGKILL, Duration.ZERO);
        assertEquals(137, second.containerState(lives).exit().orElseThrow().code());
        await("exit event from the new backend", () -> harness.exits.containsKey(lives));
        backend = second;
    }

    // ---- helpers ------------------------------------------------------------------------------

    /** Skips the test when the backend does not declare {@code capability}, as the core would not call it. */
    protected final void requires(Capability capability) {
        assumeTrue(supportedCapabilities().contains(capability), () -> "backend does not declare " + capability);
    }

    private SandboxState runSandbox(String id) throws Exception {
        Path bundle = sandboxBundle(harness.bundleDir(id), id);
        return backend.runSandbox(new SandboxSpec(id, new PodIdentity("contract", "default", "uid-" + id, 0), bundle,
                Optional.empty(), Optional.of(harness.dir.resolve("logs")), Map.of(), Map.of()));
    }

    private ContainerState createContainer(String id, SandboxState pod, String script) throws Exception {
        return createContainer(id, pod, script, false, false);
    }

    private ContainerState createContainer(String id, SandboxState pod, String script, boolean stdin, boolean stdinOnce)
            throws Exception {
        Path bundle = containerBundle(harness.bundleDir(id), id, pod.id(), pod.pid(), script, false);
        return backend.createContainer(new ContainerSpec(id, pod.id(), "c-" + id, bundle, Optional.of(harness.log(id)),
                stdin, stdinOnce, false, Map.of()));
    }

    private String running(SandboxState pod, String script) throws Exception {
        return running(pod, script, false, false);
    }

    private String running(SandboxState pod, String script, boolean stdin, boolean stdinOnce) throws Exception {
        String id = harness.containerId();
        createContainer(id, pod, script, stdin, stdinOnce);
        backend.startContainer(id);
        return id;
    }

    private static void assertKind(Kind expected, Executable call) {
        BackendException e = assertThrows(BackendException.class, call);
        assertEquals(expected, e.kind(), e::getMessage);
    }
}
