package io.crisp.spi.testing;

import static io.crisp.spi.testing.ContractHarness.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.Capability;
import io.crisp.spi.NodeCheck;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ContainerState.Phase;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.ExitStatus;
import io.crisp.spi.model.SandboxState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * The lifecycle part of the backend contract: sandboxes, containers, stop and remove, error kinds
 * and recovery on a new backend. Plugins subclass {@link BaseBackendContractTest}, which includes it.
 */
public abstract class LifecycleContract extends BackendContractFixture {
    // ---- declared abilities -----------------------------------------------------------------

    @Test
    void declaresItsCapabilitiesAndIsHealthy() {
        assertEquals(supportedCapabilities(), backend.capabilities());
        assertTrue(backend.health().ready(), () -> "health: " + backend.health());
    }

    /** The suite runs pods on this node: none of the backend's node checks may fail, and they agree with health(). */
    @Test
    void nodeChecksPassWhereItRunsPodsAndAgreeWithHealth() {
        List<NodeCheck> checks = backend.nodeChecks();
        assertFalse(checks.isEmpty(), "the default nodeChecks() derives one from health()");
        assertEquals(List.of(), checks.stream().filter(NodeCheck::failed).toList(), "failed node checks");
        assertEquals(backend.health().ready(), NodeCheck.health(checks).ready(), () -> "health " + backend.health() + ", checks " + checks);
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

    /**
     * SPI 1.5: a sandbox without an infra process (its namespaces are the core's pinned files) runs
     * nothing, is ready until stopped, and is known to a new backend on the same state.
     */
    @Test
    void aSandboxWithoutInfraRunsNoProcessAndOutlivesTheBackend() throws Exception {
        requires(Capability.PODS_WITHOUT_INFRA);
        String sb = harness.sandboxId();
        io.crisp.spi.model.SandboxSpec spec = new io.crisp.spi.model.SandboxSpec(sb,
                new io.crisp.spi.model.PodIdentity("contract", "default", "uid-" + sb, 0), harness.bundleDir(sb), Optional.empty(),
                Optional.empty(), java.util.Map.of(), java.util.Map.of(), "", false);
        SandboxState ready = backend.runSandbox(spec);
        assertTrue(ready.ready());
        assertTrue(ready.pid().isEmpty(), "no infra process");
        assertKind(Kind.ALREADY_EXISTS, () -> backend.runSandbox(spec));
        backend.close();
        RuntimeBackend second = harness.newBackend();
        backend = second;
        assertTrue(second.sandboxState(sb).ready());
        second.stopSandbox(sb, LONG);
        second.stopSandbox(sb, LONG);
        assertFalse(second.sandboxState(sb).ready(), "a stopped sandbox is not ready");
        second.removeSandbox(sb);
        second.removeSandbox(sb);
        assertKind(Kind.NOT_FOUND, () -> second.sandboxState(sb));
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
    void createContainerInAStoppedSandboxIsFailedPrecondition() throws Exception {
        requires(Capability.POD_LIFECYCLE);
        String sb = harness.sandboxId();
        SandboxState pod = runSandbox(sb);
        backend.stopSandbox(sb, LONG);
        String c = harness.containerId();
        assertKind(Kind.FAILED_PRECONDITION, () -> createContainer(c, pod, "true"));
        assertKind(Kind.NOT_FOUND, () -> backend.containerState(c));
    }

    @Test
    void startingAContainerTwiceIsFailedPrecondition() throws Exception {
        requires(Capability.POD_LIFECYCLE);
        String c = running(runSandbox(harness.sandboxId()), "sleep 1000");
        assertKind(Kind.FAILED_PRECONDITION, () -> backend.startContainer(c));
        assertEquals(Phase.RUNNING, backend.containerState(c).phase());
    }

    @Test
    void aContainerOverItsMemoryLimitIsOomKilled() throws Exception {
        requires(Capability.POD_LIFECYCLE);
        SandboxState pod = runSandbox(harness.sandboxId());
        String c = harness.containerId();
        Path bundle = bundle(c, pod, "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived");
        BusyboxBundles.limitMemory(bundle, 20L << 20);
        backend.createContainer(containerSpec(c, pod, bundle, false, false));
        backend.startContainer(c);
        await("exit of " + c, () -> backend.containerState(c).phase() == Phase.EXITED);
        ExitStatus exit = backend.containerState(c).exit().orElseThrow();
        assertEquals(128 + SIGKILL, exit.code(), exit::toString);
        assertEquals(Optional.of("OOMKilled"), exit.reason(), exit::toString);
        await("OOM event of " + c, () -> harness.oomKills.contains(c));
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

    /**
     * StopContainer of a container created but never started (the kubelet does so when a pod is
     * deleted between its CreateContainer and StartContainer): the command never runs, the
     * container is not running afterwards, and RemoveContainer leaves no process of it.
     */
    @Test
    void aCreatedContainerThatIsStoppedNeverRunsAndRemoveLeavesNothing() throws Exception {
        requires(Capability.POD_LIFECYCLE);
        SandboxState pod = runSandbox(harness.sandboxId());
        String c = harness.containerId();
        ContainerState created = createContainer(c, pod, "echo it ran; sleep 1000");
        assertEquals(Phase.CREATED, created.phase());
        OptionalLong pid = backend.containerState(c).pid(); // a runtime may hold the process before its start
        backend.stopContainer(c, SIGTERM, Duration.ofSeconds(2));
        backend.stopContainer(c, SIGTERM, Duration.ofSeconds(2));
        assertNotEquals(Phase.RUNNING, backend.containerState(c).phase(), "a stopped container does not run");
        backend.removeContainer(c);
        assertKind(Kind.NOT_FOUND, () -> backend.containerState(c));
        if (pid.isPresent()) {
            long p = pid.getAsLong();
            await("process " + p + " of the created container gone", () -> ProcessHandle.of(p).map(h -> !h.isAlive()).orElse(true));
        }
        Path log = harness.log(c);
        List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
        assertTrue(lines.stream().noneMatch(l -> l.endsWith("it ran")), () -> "the command of a container never started ran: " + lines);
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
    void unknownIdsAreNotFoundNamingTheId() throws Exception {
        requires(Capability.POD_LIFECYCLE);
        String c = harness.containerId();
        SandboxState noSuchPod = new SandboxState(harness.sandboxId(), true, OptionalLong.empty());
        assertKindNaming(Kind.NOT_FOUND, noSuchPod.id(), () -> backend.createContainer(containerSpec(c, noSuchPod,
                bundle(c, noSuchPod, "true"), false, false)));
        String unknown = "unknown42";
        assertKindNaming(Kind.NOT_FOUND, unknown, () -> backend.sandboxState(unknown));
        assertKindNaming(Kind.NOT_FOUND, unknown, () -> backend.containerState(unknown));
        assertKindNaming(Kind.NOT_FOUND, unknown, () -> backend.startContainer(unknown));
        if (supportedCapabilities().contains(Capability.EXEC_SYNC)) {
            assertKindNaming(Kind.NOT_FOUND, unknown,
                    () -> backend.execSync(new ExecSpec(unknown, List.of("true"), Duration.ZERO, false, 10)));
        }
        if (supportedCapabilities().contains(Capability.STATS)) {
            assertKindNaming(Kind.NOT_FOUND, unknown, () -> backend.containerStats(unknown));
        }
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

}
