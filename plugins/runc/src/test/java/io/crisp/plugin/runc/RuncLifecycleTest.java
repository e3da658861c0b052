package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.plugin.kit.conmon.ConmonBackend;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.ContainerState.Phase;
import io.crisp.spi.model.ExitStatus;
import io.crisp.spi.model.PodIdentity;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Drives the real runc and conmon through the backend. Needs root; see TestBundles. What every
 * backend must do is checked by {@link RuncBackendContractTest}; these are the runc specifics
 * (conmon, runc's state, exit files, cgroup files, the exit event of an exit seen after a restart).
 */
final class RuncLifecycleTest {
    @RegisterExtension
    final RuncFixture fx = new RuncFixture();

    @Test
    void sandboxAndContainerFullLifecycleWithLogAndExitEvent() throws Exception {
        ConmonBackend backend = fx.backend();
        String sb = fx.newId("sb");
        long began = System.nanoTime();
        SandboxState s = fx.sandbox(backend, sb);
        System.out.printf("runSandbox (create+start) took %d ms%n", (System.nanoTime() - began) / 1_000_000);
        assertTrue(s.ready());
        assertTrue(s.pid().isPresent());
        long conmonPid = RuncFixture.readPid(fx.stateDir.resolve("objects").resolve(sb).resolve("conmon.pid"));
        System.out.println("conmon " + Files.readAllLines(Path.of("/proc/" + conmonPid + "/status")).stream()
                .filter(l -> l.startsWith("VmRSS")).findFirst().orElse("VmRSS ?"));

        String c = fx.newId("c");
        ContainerState created = fx.container(backend, c, sb, s.pid(), "echo hello; echo oops >&2; sleep 1; exit 3", 0);
        assertEquals(Phase.CREATED, created.phase());
        assertTrue(created.pid().isEmpty(), "runc's create runs at the start (DeferredCreateTest)");
        ContainerState running = backend.startContainer(c);
        assertTrue(running.phase() == Phase.RUNNING || running.phase() == Phase.EXITED);
        assertTrue(running.startedAt().isPresent());

        RuncFixture.await("exit event of " + c, () -> fx.exited.containsKey(c));
        ExitStatus exit = fx.exited.get(c);
        assertEquals(3, exit.code());
        assertEquals(Optional.of("Error"), exit.reason());
        ContainerState after = backend.containerState(c);
        assertEquals(Phase.EXITED, after.phase());
        assertEquals(3, after.exit().orElseThrow().code());

        List<String> log = Files.readAllLines(fx.base.resolve("logs").resolve(c + ".log"));
        assertTrue(log.stream().anyMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\S+ stdout F hello")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.matches("\\S+ stderr F oops")), log.toString());

        backend.stopContainer(c, 15, Duration.ofSeconds(1)); // already exited: no error
        // Like containerd's task delete at exit: once stopped, runc has forgotten the container
        // (state and cgroup gone), while its exit stays known until the removal.
        String state = RuncFixture.runc(fx.config, "state", c);
        assertTrue(state.contains("does not exist"), state);
        assertEquals(3, backend.containerState(c).exit().orElseThrow().code());
        backend.removeContainer(c);
        backend.removeContainer(c); // idempotent
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> backend.containerState(c)).kind());

        backend.stopSandbox(sb, Duration.ofSeconds(10));
        assertFalse(backend.sandboxState(sb).ready());
        String stopped = RuncFixture.runc(fx.config, "list", "-q");
        assertFalse(stopped.contains(sb), "deleted from runc by the stop: " + stopped);
        backend.stopSandbox(sb, Duration.ofSeconds(10));
        backend.removeSandbox(sb);
        backend.removeSandbox(sb);
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> backend.sandboxState(sb)).kind());
        assertFalse(RuncFixture.alive(conmonPid), "conmon of the sandbox is gone");
        assertFalse(Files.exists(fx.stateDir.resolve("objects").resolve(sb)));
        String list = RuncFixture.runc(fx.config, "list", "-q");
        assertFalse(list.contains(sb), list);
    }

    @Test
    void failedCreateCarriesTheRuntimeErrorAndLeavesNothing() throws Exception {
        ConmonBackend backend = fx.backend();
        String sb = fx.newId("bad");
        Path bundle = TestBundles.bundle(fx.base.resolve(sb), sb, "true", OptionalLong.empty(), 0);
        String broken = Files.readString(bundle.resolve("config.json")).replace(bundle.resolve("rootfs").toString(), "/nonexistent-rootfs");
        Files.writeString(bundle.resolve("config.json"), broken);
        BackendException e = assertThrows(BackendException.class, () -> backend.runSandbox(new SandboxSpec(sb,
                new PodIdentity("pod", "default", "u", 0), bundle, Optional.empty(), Optional.empty(), Map.of(), Map.of())));
        assertTrue(e.getMessage().contains(sb) && e.getMessage().contains("/nonexistent-rootfs"), e.getMessage());
        assertFalse(Files.exists(fx.stateDir.resolve("objects").resolve(sb)));
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> backend.sandboxState(sb)).kind());
    }

    @Test
    void completedAndOomKilledReasons() throws Exception {
        ConmonBackend backend = fx.backend();
        String sb = fx.newId("sb");
        SandboxState s = fx.sandbox(backend, sb);
        String ok = fx.newId("ok");
        fx.container(backend, ok, sb, s.pid(), "echo done", 0);
        backend.startContainer(ok);
        String oom = fx.newId("oom");
        fx.container(backend, oom, sb, s.pid(), "x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo survived", 20L << 20);
        backend.startContainer(oom);
        RuncFixture.await("exits", () -> fx.exited.containsKey(ok) && fx.exited.containsKey(oom));
        assertEquals(0, fx.exited.get(ok).code());
        assertEquals(Optional.of("Completed"), fx.exited.get(ok).reason());
        assertEquals(Optional.of("OOMKilled"), fx.exited.get(oom).reason(), fx.exited.get(oom).toString());
        assertEquals(137, fx.exited.get(oom).code());
        assertTrue(fx.oomKilled.containsKey(oom));
        assertFalse(fx.oomKilled.containsKey(ok));
    }

    @Test
    void updateResourcesAndReopenLog() throws Exception {
        ConmonBackend backend = fx.backend();
        String sb = fx.newId("sb");
        SandboxState s = fx.sandbox(backend, sb);
        String c = fx.newId("ticker");
        fx.container(backend, c, sb, s.pid(), "while true; do echo tick; sleep 0.1; done", 64L << 20);
        backend.startContainer(c);
        backend.updateContainerResources(c, "{\"memory\":{\"limit\":104857600}}");
        Path limit = Path.of("/sys/fs/cgroup/memory/crisp-test", c, "memory.limit_in_bytes");
        assertEquals("104857600", Files.readString(limit).trim());

        Path log = fx.base.resolve("logs").resolve(c + ".log");
        RuncFixture.await("first ticks", () -> log.toFile().length() > 0);
        Path rotated = log.resolveSibling(c + ".log.1");
        Files.move(log, rotated);
        backend.reopenContainerLog(c);
        assertTrue(Files.exists(log));
        RuncFixture.await("ticks in the reopened log", () -> log.toFile().length() > 0);
        assertTrue(Files.readString(log).contains("stdout F tick"));
    }

    @Test
    void containersSurviveABackendRestartAndExitsAreReportedAfterwards() throws Exception {
        ConmonBackend first = fx.backend();
        String sb = fx.newId("sb");
        SandboxState s = fx.sandbox(first, sb);
        String lives = fx.newId("lives");
        fx.container(first, lives, sb, s.pid(), "sleep 1000", 0);
        first.startContainer(lives);
        String diesWhileDown = fx.newId("down");
        fx.container(first, diesWhileDown, sb, s.pid(), "sleep 1; exit 7", 0);
        first.startContainer(diesWhileDown);
        first.close();
        RuncFixture.await("exit file written while no backend ran",
                () -> Files.exists(fx.stateDir.resolve("exits").resolve(diesWhileDown)));

        ConmonBackend second = fx.backend();
        assertTrue(second.sandboxState(sb).ready());
        assertEquals(s.pid(), second.sandboxState(sb).pid());
        ContainerState state = second.containerState(lives);
        assertEquals(Phase.RUNNING, state.phase());
        assertTrue(state.startedAt().isPresent());
        ContainerState down = second.containerState(diesWhileDown);
        assertEquals(Phase.EXITED, down.phase());
        assertEquals(7, down.exit().orElseThrow().code());
        RuncFixture.await("event for the exit that happened while down", () -> fx.exited.containsKey(diesWhileDown));

        long pid = state.pid().getAsLong();
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        RuncFixture.await("exit event after restart", () -> fx.exited.containsKey(lives));
        assertEquals(137, fx.exited.get(lives).code());
        assertEquals(Phase.EXITED, second.containerState(lives).phase());
    }
}
