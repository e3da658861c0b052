package io.crisp.core.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

/** {@link SandboxService} in-process on an in-memory backend (see {@link InProcessCore}): what it keeps and what it undoes. Needs root. */
final class SandboxServiceTest {
    @TempDir
    Path dir;

    private InProcessCore core;
    private SandboxService sandboxes;

    @BeforeEach
    void start() throws Exception {
        core = new InProcessCore(dir);
        sandboxes = core.lifecycle.sandboxes();
    }

    @AfterEach
    void stop() {
        if (core != null) {
            core.close();
        }
    }

    @Test
    void aPodRunsOnTheBackendAndRemovingItReleasesItsFiles() throws Exception {
        String id = sandboxes.runPodSandbox(CriRequests.pod("web"));
        assertEquals(Sandbox.State.READY, sandboxes.status(id).state());
        assertEquals(Set.of(id), core.backend.sandboxIds());
        List<String> traces = core.traces();
        assertTrue(traces.stream().anyMatch(t -> t.endsWith("/bundles/" + id)), traces::toString);
        assertTrue(traces.stream().anyMatch(t -> t.startsWith("mount ") && t.contains("/netns/")), () -> "a pinned netns: " + traces);
        assertTrue(traces.stream().anyMatch(t -> t.startsWith("mount ") && t.contains("/snapshots/")), () -> "a rootfs: " + traces);
        sandboxes.stop(id);
        assertEquals(Sandbox.State.NOT_READY, sandboxes.status(id).state());
        sandboxes.remove(id);
        sandboxes.remove(id);
        assertEquals(Set.of(), core.backend.sandboxIds());
        assertEquals(List.of(), core.traces());
        assertEquals(List.of(), sandboxes.listPodSandbox(SandboxFilter.ALL));
    }

    @Test
    void aBackendFailingAtRunSandboxLeavesNoBundleRootfsOrName() throws Exception {
        core.backend.failNext("runSandbox");
        BackendException e = assertThrows(BackendException.class, () -> sandboxes.runPodSandbox(CriRequests.pod("web")));
        assertEquals(BackendException.Kind.INTERNAL, e.kind());
        assertEquals(List.of(), sandboxes.listPodSandbox(SandboxFilter.ALL));
        assertEquals(Set.of(), core.backend.sandboxIds());
        assertEquals(List.of(), core.traces(), "bundle, rootfs snapshot and its mount, netns and CNI result are gone");

        String again = sandboxes.runPodSandbox(CriRequests.pod("web"));
        assertEquals(Sandbox.State.READY, sandboxes.status(again).state(), "the pod's name was released");
        sandboxes.remove(again);
    }
}
