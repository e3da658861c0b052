package io.crisp.core.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.crisp.core.sandbox.SandboxService;
import io.crisp.core.testing.CriRequests;
import io.crisp.core.testing.InProcessCore;
import io.crisp.spi.BackendException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ContainerService} in-process on an in-memory backend (see {@link InProcessCore}): its rollback paths. Needs root. */
final class ContainerServiceTest {
    @TempDir
    Path dir;

    private InProcessCore core;
    private ContainerService containers;
    private SandboxService sandboxes;
    private String pod;
    private List<String> podTraces;

    @BeforeEach
    void start() throws Exception {
        core = new InProcessCore(dir);
        containers = core.lifecycle.containers();
        sandboxes = core.lifecycle.sandboxes();
        pod = sandboxes.runPodSandbox(CriRequests.pod("web"));
        podTraces = core.traces();
    }

    @AfterEach
    void stop() {
        if (core != null) {
            core.close();
        }
    }

    @Test
    void aBackendFailingAtCreateLeavesNoBundleRootfsOrName() throws Exception {
        core.backend.failNext("createContainer");
        BackendException e = assertThrows(BackendException.class, () -> containers.create(pod, CriRequests.container("app")));
        assertEquals(BackendException.Kind.INTERNAL, e.kind());
        assertEquals(List.of(), containers.list(ContainerFilter.ALL));
        assertEquals(Set.of(), core.backend.containerIds());
        assertEquals(podTraces, core.traces(), "only the pod's bundle and rootfs remain");

        String again = containers.create(pod, CriRequests.container("app"));
        assertEquals(Container.State.CREATED, containers.status(again).state(), "the container's name was released");
    }

    @Test
    void aBackendFailingAtStartLeavesTheContainerCreatedAndRemovable() throws Exception {
        String id = containers.create(pod, CriRequests.container("app"));
        core.backend.failNext("startContainer");
        assertThrows(BackendException.class, () -> containers.start(id));
        assertEquals(Container.State.CREATED, containers.status(id).state());
        containers.remove(id);
        assertEquals(Set.of(), core.backend.containerIds());
        assertEquals(podTraces, core.traces(), "the container's bundle and rootfs are gone");
    }

    @Test
    void aStartThatFailsLeavingTheContainerExitedRecordsTheExitBeforeItReturns() throws Exception {
        String id = containers.create(pod, CriRequests.container("app"));
        core.backend.failNext("startContainerExited");
        assertThrows(BackendException.class, () -> containers.start(id));
        Container failed = containers.status(id);
        assertEquals(Container.State.EXITED, failed.state());
        assertEquals(128, failed.exitCode());
        assertEquals("StartError", failed.reason());
        assertThrows(BackendException.class, () -> containers.start(id), "an exited container does not start");
        containers.remove(id);
        assertEquals(Set.of(), core.backend.containerIds());
    }

    @Test
    void removingThePodRemovesItsContainersAndAllFiles() throws Exception {
        String id = containers.create(pod, CriRequests.container("app"));
        containers.start(id);
        sandboxes.stop(pod);
        assertEquals(Container.State.EXITED, containers.status(id).state(), "stopping the pod stops its containers");
        sandboxes.remove(pod);
        assertEquals(List.of(), containers.list(ContainerFilter.ALL));
        assertEquals(Set.of(), core.backend.containerIds());
        assertEquals(Set.of(), core.backend.sandboxIds());
        assertEquals(List.of(), core.traces());
    }
}
