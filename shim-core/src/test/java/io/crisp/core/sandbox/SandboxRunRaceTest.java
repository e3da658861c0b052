package io.crisp.core.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.container.Container;
import io.crisp.core.container.ContainerFilter;
import io.crisp.core.container.ContainerService;
import io.crisp.core.testing.CriRequests;
import io.crisp.core.testing.InProcessCore;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stop and Remove racing an in-flight RunPodSandbox (and Remove racing CreateContainer) of the same
 * object, as crictl rmp -a or critest's cleanup do: they reach the backend only after the creating
 * call returned, while other pods go on. Needs root (see {@link InProcessCore}).
 */
final class SandboxRunRaceTest {
    @TempDir
    Path dir;

    private InProcessCore core;
    private SandboxService sandboxes;
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    @BeforeEach
    void start() throws Exception {
        core = new InProcessCore(dir);
        sandboxes = core.lifecycle.sandboxes();
    }

    @AfterEach
    void stop() throws Exception {
        release.countDown();
        threads.shutdown();
        assertTrue(threads.awaitTermination(30, TimeUnit.SECONDS), "no call is left hanging");
        if (core != null) {
            core.close();
        }
    }

    @Test
    void stopAndRemoveOfAPodWaitForItsRunWhileOtherPodsGoOn() throws Exception {
        core.backend.holdNext("runSandbox", reached, release);
        Future<String> run = threads.submit(() -> sandboxes.runPodSandbox(CriRequests.pod("slow")));
        assertTrue(reached.await(30, TimeUnit.SECONDS), "runSandbox was called");
        List<Sandbox> listed = sandboxes.listPodSandbox(SandboxFilter.ALL);
        assertEquals(1, listed.size(), "the starting pod is listed");
        String id = listed.get(0).id();
        assertEquals(Sandbox.State.NOT_READY, listed.get(0).state());

        Future<?> stopping = threads.submit(() -> sandboxes.stop(id));
        Future<?> removing = threads.submit(() -> sandboxes.remove(id));
        Future<?> exitEvent = threads.submit(() -> sandboxes.infraExited(id));
        exitEvent.get(10, TimeUnit.SECONDS); // an exit event never waits for the pod's run

        String other = sandboxes.runPodSandbox(CriRequests.pod("quick"));
        assertEquals(Sandbox.State.READY, sandboxes.status(other).state(), "another pod runs while the slow one starts");
        sandboxes.stop(other);
        sandboxes.remove(other);

        Thread.sleep(300);
        assertFalse(stopping.isDone(), "StopPodSandbox waits for the run");
        assertFalse(removing.isDone(), "RemovePodSandbox waits for the run");
        assertFalse(core.backend.calls().contains("stopSandbox " + id), core.backend.calls()::toString);
        assertFalse(core.backend.calls().contains("removeSandbox " + id), core.backend.calls()::toString);

        release.countDown();
        assertEquals(id, run.get(30, TimeUnit.SECONDS));
        stopping.get(30, TimeUnit.SECONDS);
        removing.get(30, TimeUnit.SECONDS);

        List<String> calls = core.backend.calls();
        int returned = calls.indexOf("runSandbox " + id + " returns");
        assertTrue(returned >= 0, calls::toString);
        assertTrue(calls.indexOf("removeSandbox " + id) > returned, calls::toString);
        int stopped = calls.indexOf("stopSandbox " + id);
        assertTrue(stopped == -1 || stopped > returned, calls::toString);
        assertEquals(List.of(), sandboxes.listPodSandbox(SandboxFilter.ALL));
        assertEquals(Set.of(), core.backend.sandboxIds());
        assertEquals(List.of(), core.traces(), "no bundle, rootfs, netns or CNI result is left");
    }

    @Test
    void anInfraExitDuringTheRunLeavesThePodNotReady() throws Exception {
        core.backend.holdNext("runSandbox", reached, release);
        Future<String> run = threads.submit(() -> sandboxes.runPodSandbox(CriRequests.pod("short")));
        assertTrue(reached.await(30, TimeUnit.SECONDS), "runSandbox was called");
        String id = sandboxes.listPodSandbox(SandboxFilter.ALL).get(0).id();
        threads.submit(() -> sandboxes.infraExited(id)).get(10, TimeUnit.SECONDS);
        release.countDown();
        assertEquals(id, run.get(30, TimeUnit.SECONDS));
        assertEquals(Sandbox.State.NOT_READY, sandboxes.status(id).state(), "the exit seen while it started is not lost");
    }

    @Test
    void removeOfAContainerWaitsForItsCreate() throws Exception {
        ContainerService containers = core.lifecycle.containers();
        String pod = sandboxes.runPodSandbox(CriRequests.pod("web"));
        core.backend.holdNext("createContainer", reached, release);
        Future<String> create = threads.submit(() -> containers.create(pod, CriRequests.container("app")));
        assertTrue(reached.await(30, TimeUnit.SECONDS), "createContainer was called");
        List<Container> listed = containers.list(ContainerFilter.ALL);
        assertEquals(1, listed.size(), "the container being created is listed");
        String id = listed.get(0).id();
        Future<?> removing = threads.submit(() -> containers.remove(id));

        String other = containers.create(pod, CriRequests.container("other"));
        containers.remove(other);

        Thread.sleep(300);
        assertFalse(removing.isDone(), "RemoveContainer waits for the create");
        assertFalse(core.backend.calls().contains("removeContainer " + id), core.backend.calls()::toString);
        release.countDown();
        assertEquals(id, create.get(30, TimeUnit.SECONDS));
        removing.get(30, TimeUnit.SECONDS);
        List<String> calls = core.backend.calls();
        assertTrue(calls.indexOf("removeContainer " + id) > calls.indexOf("createContainer " + id + " returns"), calls::toString);
        assertEquals(List.of(), containers.list(ContainerFilter.ALL));
        assertEquals(Set.of(), core.backend.containerIds());
    }

    @Test
    void aContainerCreatedWhileItsPodIsRemovedIsRefusedAndLeavesNothing() throws Exception {
        ContainerService containers = core.lifecycle.containers();
        String pod = sandboxes.runPodSandbox(CriRequests.pod("doomed"));
        core.backend.holdNext("removeSandbox", reached, release);
        Future<?> removing = threads.submit(() -> sandboxes.remove(pod));
        assertTrue(reached.await(30, TimeUnit.SECONDS), "removeSandbox was called");
        // the pod is still listed READY and its infra still runs: the create gets past its first check
        Future<String> create = threads.submit(() -> containers.create(pod, CriRequests.container("late")));
        Thread.sleep(300);
        release.countDown();
        removing.get(30, TimeUnit.SECONDS);
        java.util.concurrent.ExecutionException refused = org.junit.jupiter.api.Assertions.assertThrows(
                java.util.concurrent.ExecutionException.class, () -> create.get(30, TimeUnit.SECONDS));
        assertTrue(refused.getCause() instanceof io.crisp.spi.BackendException, refused::toString);
        assertEquals(io.crisp.spi.BackendException.Kind.FAILED_PRECONDITION, ((io.crisp.spi.BackendException) refused.getCause()).kind());
        assertEquals(List.of(), containers.list(ContainerFilter.ALL), "no container outlives its pod");
        assertEquals(Set.of(), core.backend.containerIds());
        assertEquals(List.of(), sandboxes.listPodSandbox(SandboxFilter.ALL));
        assertEquals(List.of(), core.traces(), "no bundle, rootfs, netns or CNI result is left");
    }
}
