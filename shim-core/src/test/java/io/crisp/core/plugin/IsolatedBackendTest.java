package io.crisp.core.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.timeout;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import io.crisp.core.config.CallLimits;
import io.crisp.core.config.CallLimits.Kind;
import io.crisp.core.testing.BackendWrappers;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendHealth;
import io.crisp.spi.Capability;
import io.crisp.spi.NodeCheck;
import io.crisp.spi.RuntimeBackend;
import io.crisp.spi.model.ContainerState;
import io.crisp.spi.model.SandboxSpec;
import io.crisp.spi.model.SandboxState;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class IsolatedBackendTest {
    private static final Duration SHORT = Duration.ofMillis(300);
    private final CountDownLatch release = new CountDownLatch(1);
    private final RuntimeBackend plugin = mock(RuntimeBackend.class);
    private IsolatedBackend isolated;

    private static CallLimits limits(int concurrency, int failures) {
        Map<Kind, Duration> t = new EnumMap<>(Kind.class);
        for (Kind k : Kind.values()) {
            t.put(k, SHORT);
        }
        return new CallLimits(t, concurrency, failures);
    }

    private IsolatedBackend wrap(int concurrency, int failures) {
        when(plugin.capabilities()).thenReturn(Set.of(Capability.POD_LIFECYCLE));
        when(plugin.health()).thenReturn(BackendHealth.healthy());
        isolated = IsolatedBackend.wrap("faulty", "bad", limits(concurrency, failures), plugin);
        return isolated;
    }

    @AfterEach
    void releaseHungCalls() {
        release.countDown();
        if (isolated != null) {
            isolated.close();
        }
    }

    private SandboxState hang() throws InterruptedException {
        release.await();
        return new SandboxState("x", true, java.util.OptionalLong.of(42L));
    }

    private static SandboxSpec spec(String id) {
        return new SandboxSpec(id, new io.crisp.spi.model.PodIdentity("p", "ns", "uid", 0), java.nio.file.Path.of("/tmp/b"), Optional.empty(),
                Optional.empty(), Map.of(), Map.of(), "");
    }

    @Test
    void aHungCallTimesOutAtItsDeadlineWhileOtherCallsAnswer() throws Exception {
        wrap(4, 3);
        when(plugin.runSandbox(any())).thenAnswer(i -> hang());
        when(plugin.containerState("c2")).thenReturn(new ContainerState("c2", ContainerState.Phase.RUNNING, java.util.OptionalLong.of(7L), Optional.empty(),
                Optional.empty()));
        long t0 = System.nanoTime();
        BackendException e = assertThrows(BackendException.class, () -> isolated.runSandbox(spec("pod1")));
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(BackendException.Kind.DEADLINE_EXCEEDED, e.kind());
        assertTrue(e.getMessage().contains("runSandbox of pod1") && e.getMessage().contains("plugin 'faulty'"), e.getMessage());
        assertTrue(tookMs >= 250 && tookMs < 2000, "took " + tookMs + " ms");
        long t1 = System.nanoTime();
        assertEquals(java.util.OptionalLong.of(7L), isolated.containerState("c2").pid());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1) < 200, "another object's call was held up");
        assertTrue(isolated.health().ready(), "one timeout is below call_failures");
    }

    @Test
    void repeatedTimeoutsMakeTheHandlerNotReadyAndRefuseNewPodsUntilAProbeAnswers() throws Exception {
        wrap(8, 2);
        when(plugin.runSandbox(any())).thenAnswer(i -> hang());
        assertThrows(BackendException.class, () -> isolated.runSandbox(spec("pod1")));
        assertThrows(BackendException.class, () -> isolated.runSandbox(spec("pod2")));
        BackendHealth h = isolated.breaker().problem().orElseThrow();
        assertEquals(CallBreaker.REASON_TIMEOUT, h.reason());
        assertTrue(h.message().contains("plugin 'faulty'") && h.message().contains("runSandbox"), h.message());
        BackendException refused = assertThrows(BackendException.class, () -> isolated.runSandbox(spec("pod3")));
        assertEquals(BackendException.Kind.UNAVAILABLE, refused.kind());
        assertTrue(refused.getMessage().contains("handler 'bad' is not ready") && refused.getMessage().contains("runSandbox"), refused.getMessage());
        // While the hung calls still run, or within the cool-down, a probe answering does not bring it back.
        assertFalse(isolated.health().ready(), "calls still running past their deadline keep it not ready");
        release.countDown();
        Thread.sleep(SHORT.toMillis() + 50);
        BackendHealth after = isolated.health();
        assertTrue(after.ready(), "once the hung calls returned, a health probe answering in time brings the handler back: " + after);
        when(plugin.runSandbox(any())).thenReturn(new SandboxState("pod4", true, java.util.OptionalLong.of(9L)));
        assertEquals(java.util.OptionalLong.of(9L), isolated.runSandbox(spec("pod4")).pid());
        assertTrue(isolated.health().ready());
    }

    @Test
    void halfOpenTripsAgainOnTheNextFault() throws Exception {
        wrap(8, 3);
        when(plugin.runSandbox(any())).thenThrow(new IllegalStateException("boom"));
        for (int i = 0; i < 3; i++) {
            BackendException e = assertThrows(BackendException.class, () -> isolated.runSandbox(spec("p")));
            assertEquals(BackendException.Kind.INTERNAL, e.kind());
            assertTrue(e.getMessage().contains("boom"), e.getMessage());
        }
        assertEquals(CallBreaker.REASON_BROKEN, isolated.breaker().problem().orElseThrow().reason());
        assertFalse(isolated.health().ready(), "not ready for the cool-down at least");
        Thread.sleep(SHORT.toMillis() + 50);
        assertTrue(isolated.health().ready());
        assertThrows(BackendException.class, () -> isolated.runSandbox(spec("p")));
        assertTrue(isolated.breaker().problem().isPresent(), "one fault after half-open trips again");
    }

    @Test
    void aNullAnswerIsABrokenCallNotANullPointerInTheCore() {
        wrap(4, 1);
        when(plugin.runSandbox(any())).thenReturn(null);
        BackendException e = assertThrows(BackendException.class, () -> isolated.runSandbox(spec("p")));
        assertEquals(BackendException.Kind.INTERNAL, e.kind());
        assertTrue(e.getMessage().contains("returned nothing"), e.getMessage());
        assertTrue(isolated.breaker().problem().orElseThrow().message().contains("returned null"));
    }

    @Test
    void refusalsAreAnswersAndClearTheCount() {
        wrap(4, 2);
        when(plugin.sandboxState("x")).thenThrow(BackendException.notFound("no x"));
        for (int i = 0; i < 5; i++) {
            assertEquals(BackendException.Kind.NOT_FOUND, assertThrows(BackendException.class, () -> isolated.sandboxState("x")).kind());
        }
        assertTrue(isolated.breaker().problem().isEmpty());
    }

    @Test
    void aRemovalOfAnObjectWithALateCallRunsAfterItAndOtherCallsForItAreRefused() throws Exception {
        wrap(4, 5);
        when(plugin.runSandbox(any())).thenAnswer(i -> hang());
        assertThrows(BackendException.class, () -> isolated.runSandbox(spec("pod1")));
        isolated.removeSandbox("pod1"); // the core's rollback: returns at once
        verify(plugin, never()).removeSandbox("pod1");
        BackendException busy = assertThrows(BackendException.class, () -> isolated.stopSandbox("pod1", Duration.ZERO));
        assertEquals(BackendException.Kind.UNAVAILABLE, busy.kind());
        assertTrue(busy.getMessage().contains("runSandbox of pod1 is still running"), busy.getMessage());
        verify(plugin, never()).stopSandbox(any(), any());
        release.countDown(); // the late call returns: what it made is removed
        verify(plugin, timeout(2000)).removeSandbox("pod1");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (System.nanoTime() < until) {
            try {
                isolated.stopSandbox("pod1", Duration.ZERO);
                break;
            } catch (BackendException e) {
                Thread.sleep(20);
            }
        }
        verify(plugin).stopSandbox("pod1", Duration.ZERO);
    }

    @Test
    void theBulkheadBoundsOneHandlersHungCalls() throws Exception {
        wrap(2, 100);
        when(plugin.runSandbox(any())).thenAnswer(i -> hang());
        assertThrows(BackendException.class, () -> isolated.runSandbox(spec("a")));
        assertThrows(BackendException.class, () -> isolated.runSandbox(spec("b")));
        BackendException full = assertThrows(BackendException.class, () -> isolated.runSandbox(spec("c")));
        assertEquals(BackendException.Kind.UNAVAILABLE, full.kind());
        assertTrue(full.getMessage().contains("all 2 call slots"), full.getMessage());
        BackendHealth h = isolated.health();
        assertFalse(h.ready());
        assertTrue(h.message().contains("call slots"), h.message());
        release.countDown();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (!isolated.health().ready() && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertTrue(isolated.health().ready(), "freed slots bring the handler back");
    }

    @Test
    void aHungHealthCheckCostsStatusOneShortWaitThenTheHandlerIsNotReady() throws Exception {
        wrap(4, 3);
        when(plugin.health()).thenAnswer(i -> {
            release.await();
            return BackendHealth.healthy();
        });
        long t0 = System.nanoTime();
        isolated.health();
        long first = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(first < IsolatedBackend.HEALTH_WAIT.toMillis() + 500, "first Status took " + first + " ms");
        long t1 = System.nanoTime();
        isolated.health();
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1) < 100, "a pending probe must not be waited for again");
        Thread.sleep(SHORT.toMillis() + 100);
        BackendHealth h = isolated.health();
        assertFalse(h.ready());
        assertTrue(h.message().contains("health has not returned"), h.message());
    }

    @Test
    void aPluginCreateThatThrowsOrReturnsNullLeavesOnlyThatHandlerNotReady() {
        IsolatedBackend threw = IsolatedBackend.start("faulty", "h1", limits(2, 2), () -> {
            throw new IllegalStateException("broken constructor");
        });
        IsolatedBackend none = IsolatedBackend.start("faulty", "h2", limits(2, 2), () -> null);
        try {
            for (IsolatedBackend b : new IsolatedBackend[] {threw, none}) {
                BackendHealth h = b.health();
                assertEquals(PluginStart.REASON_FAILED, h.reason());
                assertTrue(h.message().contains("plugin 'faulty' failed to create handler"), h.message());
                assertTrue(b.capabilities().isEmpty());
                assertTrue(b.createFailed());
                assertEquals(BackendException.Kind.UNAVAILABLE, assertThrows(BackendException.class, b::admitPod).kind());
            }
            assertTrue(threw.health().message().contains("broken constructor"));
            assertTrue(none.health().message().contains("null"));
        } finally {
            threw.close();
            none.close();
        }
    }

    @Test
    void aPluginCreateThatBlocksIsAdoptedWhenItReturns() throws Exception {
        when(plugin.capabilities()).thenReturn(Set.of(Capability.POD_LIFECYCLE));
        when(plugin.health()).thenReturn(BackendHealth.healthy());
        isolated = IsolatedBackend.start("faulty", "slow", limits(2, 2), () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return plugin;
        });
        assertEquals(PluginStart.REASON_TIMEOUT, isolated.health().reason());
        assertFalse(isolated.createFailed(), "still running: a reload need not replace it");
        assertEquals(BackendException.Kind.UNAVAILABLE, assertThrows(BackendException.class, () -> isolated.sandboxState("x")).kind());
        release.countDown();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!isolated.health().ready() && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        assertTrue(isolated.health().ready());
        assertEquals(Set.of(Capability.POD_LIFECYCLE), isolated.capabilities());
    }

    @Test
    void aPluginRefusingItsOptionsIsStillAConfigurationError() {
        BackendException e = assertThrows(BackendException.class, () -> IsolatedBackend.start("faulty", "h", limits(1, 1), () -> {
            throw BackendException.invalidArgument("[runtimes.h] key 'x': unknown");
        }));
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
    }

    @Test
    void execSyncWithoutATimeoutHasNoDeadlineButStopsGetTheirGracePeriod() throws Exception {
        wrap(4, 3);
        org.mockito.Mockito.doAnswer(i -> {
            Thread.sleep(SHORT.toMillis() + 200);
            return null;
        }).when(plugin).stopContainer("c", 15, Duration.ofSeconds(1));
        isolated.stopContainer("c", 15, Duration.ofSeconds(1)); // 500 ms: inside 300 ms + its 1 s grace period
        assertNull(isolated.breaker().problem().orElse(null));
    }

    @Test
    void statsOfAHandlerWithAHungStatsCallFailFastSoTheCollectorMovesOn() throws Exception {
        wrap(4, 3);
        when(plugin.containerStats(any())).thenAnswer(i -> {
            release.await();
            return null;
        });
        assertEquals(BackendException.Kind.DEADLINE_EXCEEDED, assertThrows(BackendException.class, () -> isolated.containerStats("c1")).kind());
        long t0 = System.nanoTime();
        BackendException fast = assertThrows(BackendException.class, () -> isolated.containerStats("c2"));
        assertEquals(BackendException.Kind.UNAVAILABLE, fast.kind());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 100, "no second deadline for the next container");
    }

    @Test
    void anExitReportedFromInsideACallDoesNotWaitForTheLockItsCallerHolds() throws Exception {
        wrap(4, 3);
        java.util.concurrent.locks.ReentrantLock containerLock = new java.util.concurrent.locks.ReentrantLock();
        CountDownLatch applied = new CountDownLatch(1);
        io.crisp.spi.ContainerEventSink core = new io.crisp.spi.ContainerEventSink() {
            @Override
            public void exited(String containerId, io.crisp.spi.model.ExitStatus status) {
                containerLock.lock(); // as ContainerService.exited takes the container's lock
                try {
                    applied.countDown();
                } finally {
                    containerLock.unlock();
                }
            }

            @Override
            public void oomKilled(String containerId) {}
        };
        OrderedEventSink sink = new OrderedEventSink(core, "bad");
        ContainerState exited = new ContainerState("c", ContainerState.Phase.EXITED, java.util.OptionalLong.empty(), Optional.empty(),
                Optional.of(new io.crisp.spi.model.ExitStatus(137, java.time.Instant.now(), Optional.empty())));
        when(plugin.containerState("c")).thenAnswer(i -> {
            sink.exited("c", exited.exit().orElseThrow()); // the conmon backend reports the exit it just found
            return exited;
        });
        containerLock.lock(); // as ContainerService.stop holds it around stopContainer + containerState
        try {
            long t0 = System.nanoTime();
            assertEquals(ContainerState.Phase.EXITED, isolated.containerState("c").phase());
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < SHORT.toMillis(), "the call waited for the caller's lock");
            assertEquals(1, applied.getCount(), "applied only once the caller lets go of the lock");
        } finally {
            containerLock.unlock();
        }
        assertTrue(applied.await(2, TimeUnit.SECONDS));
    }

    @Test
    void everyBackendMethodIsForwarded() {
        // Every SPI method goes through the wrapper (nodeChecks once did not, hiding every plugin's checks).
        assertEquals(List.of(), BackendWrappers.notForwardedBy(IsolatedBackend.class));
    }

    @Test
    void nodeChecksComeFromTheHealthProbeAndAHungOneCostsStatusLittle() throws Exception {
        wrap(4, 3);
        List<NodeCheck> checks = List.of(NodeCheck.ok("OCI runtime", "/usr/sbin/runc (1.1)"), NodeCheck.warn("disk", "low", "free some"));
        when(plugin.nodeChecks()).thenReturn(checks);
        assertEquals(checks, isolated.nodeChecks(), "the plugin's own checks, not the SPI default's one check");
        // Status asks health, then the checks: one probe serves both, the plugin's checks run once.
        assertTrue(isolated.health().ready());
        assertEquals(checks, isolated.nodeChecks());
        verify(plugin, timeout(1000).times(2)).nodeChecks();
        Thread.sleep(100);
        verify(plugin, times(2)).nodeChecks();
        // The plugin's checks hang from now on: a Status (health, then checks) is answered within HEALTH_WAIT.
        when(plugin.nodeChecks()).thenAnswer(i -> {
            release.await();
            return List.of();
        });
        Thread.sleep(20);
        long t0 = System.nanoTime();
        isolated.health(); // as Status does: its probe, which hangs in the checks, serves the next ask
        List<NodeCheck> meanwhile = isolated.nodeChecks();
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(tookMs < IsolatedBackend.HEALTH_WAIT.toMillis() + 500, "took " + tookMs + " ms");
        // Here the query deadline (300 ms) is shorter than HEALTH_WAIT: the hung probe is past it, so
        // the handler's checks are its timeout, named, rather than a stale OK.
        assertEquals(1, meanwhile.size(), meanwhile.toString());
        assertEquals(NodeCheck.Status.FAIL, meanwhile.get(0).status());
        assertEquals(CallBreaker.REASON_TIMEOUT, meanwhile.get(0).reason());
        assertTrue(meanwhile.get(0).detail().contains("plugin 'faulty'"), meanwhile.get(0).detail());
    }
}
