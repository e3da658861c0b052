package io.crisp.core.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.convert.PodSettingsFromCri;
import io.crisp.cri.v1.PodSandboxConfig;
import io.crisp.cri.v1.PodSandboxMetadata;
import io.crisp.spi.model.PodIdentity;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

final class SandboxFilterTest {
    private static Sandbox sandbox(String id, Sandbox.State state, Map<String, String> labels) {
        return new Sandbox(id, new PodIdentity("web", "default", "uid-" + id, 0), state, 1L, labels, Map.of(), "runc",
                PodSettingsFromCri.from(PodSandboxConfig.newBuilder().setMetadata(PodSandboxMetadata.newBuilder()
                        .setName("web").setNamespace("default").setUid("uid-" + id)).build()), "", 0, "", List.of(), Sandbox.NO_NETWORK);
    }

    private final Sandbox ready = sandbox("abc123", Sandbox.State.READY, Map.of("app", "web", "tier", "front"));
    private final Sandbox stopped = sandbox("abd456", Sandbox.State.NOT_READY, Map.of("app", "web"));

    @Test
    void emptyFilterMatchesAll() {
        assertTrue(SandboxFilter.ALL.matches(ready));
        assertTrue(SandboxFilter.ALL.matches(stopped));
    }

    @Test
    void idMatchesAsPrefix() {
        SandboxFilter f = new SandboxFilter(Optional.of("abc"), Optional.empty(), Map.of());
        assertTrue(f.matches(ready));
        assertFalse(f.matches(stopped));
    }

    @Test
    void stateAndLabelsAreAnded() {
        SandboxFilter f = new SandboxFilter(Optional.empty(), Optional.of(Sandbox.State.READY), Map.of("app", "web"));
        assertTrue(f.matches(ready));
        assertFalse(f.matches(stopped));
        SandboxFilter labels = new SandboxFilter(Optional.empty(), Optional.empty(), Map.of("app", "web", "tier", "front"));
        assertTrue(labels.matches(ready));
        assertFalse(labels.matches(stopped));
        assertFalse(new SandboxFilter(Optional.empty(), Optional.empty(), Map.of("app", "db")).matches(ready));
    }

    @org.junit.jupiter.api.io.TempDir
    Path dir;

    @Test
    void storeListsThroughTheFilterAndKeepsRecordsOnDisk() {
        SandboxStore store = new SandboxStore(dir);
        store.put(ready);
        store.put(stopped);
        assertEquals(2, store.list(SandboxFilter.ALL).size());
        assertEquals(List.of(stopped), store.list(new SandboxFilter(Optional.empty(), Optional.of(Sandbox.State.NOT_READY), Map.of())));
        assertEquals(Map.of(ready.id(), ready, stopped.id(), stopped), new SandboxStore(dir).load());
        assertEquals(ready, store.resolve("abc", "pod_sandbox_id"));
        io.crisp.spi.BackendException ambiguous = org.junit.jupiter.api.Assertions.assertThrows(io.crisp.spi.BackendException.class,
                () -> store.resolve("ab", "pod_sandbox_id"));
        assertEquals(io.crisp.spi.BackendException.Kind.INVALID_ARGUMENT, ambiguous.kind());
        io.crisp.spi.BackendException missing = org.junit.jupiter.api.Assertions.assertThrows(io.crisp.spi.BackendException.class,
                () -> store.resolve("zz", "pod_sandbox_id"));
        assertEquals(io.crisp.spi.BackendException.Kind.NOT_FOUND, missing.kind());
    }
}
