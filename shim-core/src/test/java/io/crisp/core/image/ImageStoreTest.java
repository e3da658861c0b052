package io.crisp.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.oci.ImageConfigSummary;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageStoreTest {
    private static final String A = "sha256:" + "a1".repeat(32);
    private static final String B = "sha256:" + "b2".repeat(32);

    @TempDir
    Path root;

    private static ImageRecord image(String id) {
        return new ImageRecord(id, List.of(), List.of(), 1, new ImageConfigSummary("", null, null, null, "", "", null, null), List.of(), 0);
    }

    private ImageStore store() {
        ImageStore store = new ImageStore(root);
        store.load();
        return store;
    }

    private static Optional<String> idOf(ImageStore store, String name) {
        return store.find(name).map(ImageRecord::id);
    }

    @Test
    void findsByStoredNameByShortNameByIdAndByIdPrefix() {
        ImageStore store = store();
        store.put(image(A), Optional.of("docker.io/library/busybox:1.36"), Optional.of("docker.io/library/busybox@sha256:" + "cc".repeat(32)));
        assertEquals(Optional.of(A), idOf(store, "docker.io/library/busybox:1.36"));
        assertEquals(Optional.of(A), idOf(store, "busybox:1.36"), "a short name is normalised as the kubelet's");
        assertEquals(Optional.of(A), idOf(store, "docker.io/library/busybox@sha256:" + "cc".repeat(32)));
        assertEquals(Optional.of(A), idOf(store, "busybox@sha256:" + "cc".repeat(32)));
        assertEquals(Optional.of(A), idOf(store, A));
        assertEquals(Optional.of(A), idOf(store, A.substring("sha256:".length())), "a bare id");
        assertEquals(Optional.of(A), idOf(store, "a1a1a1a1"), "a unique id prefix");
        assertEquals(Optional.empty(), idOf(store, "busybox:latest"));
        assertEquals(Optional.empty(), idOf(store, "not a name"));
    }

    @Test
    void aTagTakenByAnotherImageNamesThatImageOnly() {
        ImageStore store = store();
        store.put(image(A), Optional.of("example.com/app:v1"), Optional.empty());
        store.put(image(B), Optional.of("example.com/app:v1"), Optional.empty());
        assertEquals(Optional.of(B), idOf(store, "example.com/app:v1"));
        assertEquals(List.of(), store.byId(A).orElseThrow().repoTags());
        store.remove(B);
        assertEquals(Optional.empty(), idOf(store, "example.com/app:v1"));
        assertEquals(Optional.of(A), idOf(store, A));
    }

    @Test
    void theVersionChangesWithEveryMutationAndReloadedRecordsAreFound() {
        ImageStore store = store();
        long empty = store.version();
        store.put(image(A), Optional.of("example.com/app:v1"), Optional.empty());
        long one = store.version();
        assertNotEquals(empty, one);
        store.put(image(A), Optional.of("example.com/app:v2"), Optional.empty());
        assertNotEquals(one, store.version(), "a new tag is a change");
        long two = store.version();
        store.remove(A);
        assertNotEquals(two, store.version());
        store.put(image(B), Optional.of("example.com/app:v3"), Optional.empty());

        ImageStore reloaded = store();
        assertEquals(Optional.of(B), idOf(reloaded, "example.com/app:v3"));
        assertTrue(reloaded.find("example.com/app:v1").isEmpty());
    }
}
