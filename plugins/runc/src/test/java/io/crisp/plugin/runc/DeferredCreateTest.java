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
import io.crisp.spi.model.SandboxState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * runc's create runs at StartContainer (the kit's deferred create): CreateContainer only records the
 * container, and every call on a container created but not started answers from that record.
 * Drives the real runc and conmon; needs root.
 */
final class DeferredCreateTest {
    @RegisterExtension
    final RuncFixture fx = new RuncFixture();

    private Path objects(String id) {
        return fx.stateDir.resolve("objects").resolve(id);
    }

    @Test
    void createRecordsTheContainerAndStartRunsConmonAndRunc() throws Exception {
        ConmonBackend backend = fx.backend();
        String sb = fx.newId("sb");
        SandboxState s = fx.sandbox(backend, sb);
        String c = fx.newId("c");
        ContainerState created = fx.container(backend, c, sb, s.pid(), "sleep 1000", 0);
        assertEquals(Phase.CREATED, created.phase());
        assertTrue(created.pid().isEmpty(), created::toString);
        assertFalse(Files.exists(objects(c).resolve("conmon.pid")), "no conmon yet");
        assertTrue(RuncFixture.runc(fx.config, "state", c).contains("does not exist"), "runc knows nothing of it yet");
        assertEquals(Phase.CREATED, backend.containerState(c).phase());

        ContainerState running = backend.startContainer(c);
        assertEquals(Phase.RUNNING, running.phase());
        long pid = running.pid().orElseThrow();
        assertEquals(Files.readSymbolicLink(Path.of("/proc/" + s.pid().getAsLong() + "/ns/net")),
                Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/net")), "it joined the sandbox's network namespace");
        assertTrue(RuncFixture.runc(fx.config, "state", c).contains("\"running\""));
        backend.stopContainer(c, 9, Duration.ZERO);
        assertEquals(137, backend.containerState(c).exit().orElseThrow().code());
    }

    /** What a daemon killed between CreateContainer and StartContainer leaves: its files; a new backend starts it. */
    @Test
    void aNewBackendKnowsAContainerCreatedBeforeTheRestartAndStartsIt() throws Exception {
        ConmonBackend first = fx.backend();
        String sb = fx.newId("sb");
        SandboxState s = fx.sandbox(first, sb);
        String c = fx.newId("c");
        fx.container(first, c, sb, s.pid(), "echo started; sleep 1000", 0);
        first.close();

        ConmonBackend second = fx.backend();
        ContainerState state = second.containerState(c);
        assertEquals(Phase.CREATED, state.phase(), "still created, not lost or exited");
        assertTrue(state.pid().isEmpty());
        ContainerState running = second.startContainer(c);
        assertEquals(Phase.RUNNING, running.phase());
        RuncFixture.await("output of " + c, () -> {
            try {
                return Files.exists(fx.log(c)) && Files.readString(fx.log(c)).contains("stdout F started");
            } catch (IOException e) {
                return false;
            }
        });
        second.removeContainer(c);
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> second.containerState(c)).kind());
    }

    @Test
    void resourcesUpdatedBeforeTheStartApplyWhenItStarts() throws Exception {
        ConmonBackend backend = fx.backend();
        String sb = fx.newId("sb");
        SandboxState s = fx.sandbox(backend, sb);
        String c = fx.newId("c");
        fx.container(backend, c, sb, s.pid(), "sleep 1000", 64L << 20);
        backend.updateContainerResources(c, "{\"memory\":{\"limit\":104857600},\"cpu\":{\"shares\":512}}");
        // A restart in between keeps it: the update is in the bundle.
        ConmonBackend second = fx.backend();
        second.startContainer(c);
        Path cgroup = Path.of("/sys/fs/cgroup/memory/crisp-test", c);
        assertEquals("104857600", Files.readString(cgroup.resolve("memory.limit_in_bytes")).trim());
        assertEquals("512", Files.readString(Path.of("/sys/fs/cgroup/cpu/crisp-test", c, "cpu.shares")).trim());
    }

    @Test
    void aNeverStartedContainerStopsAsExitedAndIsRemovedWithoutRuntimeCalls() throws Exception {
        ConmonBackend backend = fx.backend();
        String sb = fx.newId("sb");
        SandboxState s = fx.sandbox(backend, sb);
        String stopped = fx.newId("stopped");
        fx.container(backend, stopped, sb, s.pid(), "sleep 1000", 0);
        backend.stopContainer(stopped, 15, Duration.ofSeconds(10));
        ContainerState state = backend.containerState(stopped);
        assertEquals(Phase.EXITED, state.phase());
        assertEquals(137, state.exit().orElseThrow().code());
        RuncFixture.await("exit event of " + stopped, () -> fx.exited.containsKey(stopped));
        backend.stopContainer(stopped, 15, Duration.ofSeconds(10)); // idempotent
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class, () -> backend.startContainer(stopped)).kind());
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class,
                () -> backend.updateContainerResources(stopped, "{\"memory\":{\"limit\":104857600}}")).kind());
        backend.removeContainer(stopped);
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> backend.containerState(stopped)).kind());

        String removed = fx.newId("removed");
        fx.container(backend, removed, sb, s.pid(), "sleep 1000", 0);
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class, () -> backend.containerStats(removed)).kind());
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class, () -> backend.reopenContainerLog(removed)).kind());
        backend.removeContainer(removed);
        backend.removeContainer(removed);
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> backend.containerState(removed)).kind());
        assertFalse(Files.exists(objects(removed)));
        assertFalse(Files.exists(fx.log(removed)), "nothing ran, nothing logged");
    }

    @Test
    void aCreateThatFailsAtTheStartIsAClearErrorAndLeavesTheContainerExitedAndRemovable() throws Exception {
        ConmonBackend backend = fx.backend();
        String sb = fx.newId("sb");
        SandboxState s = fx.sandbox(backend, sb);
        String c = fx.newId("bad");
        fx.container(backend, c, sb, s.pid(), "true", 0);
        Path config = fx.base.resolve(c).resolve("config.json");
        Files.writeString(config, Files.readString(config).replace(fx.base.resolve(c).resolve("rootfs").toString(), "/nonexistent-rootfs"));

        BackendException e = assertThrows(BackendException.class, () -> backend.startContainer(c));
        assertTrue(e.getMessage().contains(c) && e.getMessage().contains("runtime create failed")
                && e.getMessage().contains("/nonexistent-rootfs"), e.getMessage());
        ContainerState state = backend.containerState(c);
        assertEquals(Phase.EXITED, state.phase());
        ExitStatus exit = state.exit().orElseThrow();
        assertEquals(128, exit.code());
        assertEquals(Optional.of("StartError"), exit.reason());
        RuncFixture.await("exit event of " + c, () -> fx.exited.containsKey(c));
        assertEquals(Optional.of("StartError"), fx.exited.get(c).reason());
        assertFalse(Files.exists(objects(c).resolve("conmon.pid"))
                && RuncFixture.alive(RuncFixture.readPid(objects(c).resolve("conmon.pid"))), "its conmon is gone");
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class, () -> backend.startContainer(c)).kind());
        // Also after a restart.
        ConmonBackend second = fx.backend();
        assertEquals(Optional.of("StartError"), second.containerState(c).exit().orElseThrow().reason());
        second.stopContainer(c, 15, Duration.ofSeconds(1));
        second.removeContainer(c);
        assertEquals(Kind.NOT_FOUND, assertThrows(BackendException.class, () -> second.containerState(c)).kind());
        assertTrue(RuncFixture.runc(fx.config, "state", c).contains("does not exist"));
    }
}
