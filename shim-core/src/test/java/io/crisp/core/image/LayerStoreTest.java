package io.crisp.core.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.image.store.ContentStore;
import io.crisp.core.image.testing.TestImages;
import io.crisp.core.image.testing.TestImages.TarEntry;
import io.crisp.core.image.testing.TestRegistry;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A layer's directory is the whole layer or absent, whenever the daemon is killed: deletion renames
 * it out of place first, start removes what a killed unpack or delete left, and layers no image
 * record references.
 */
final class LayerStoreTest {
    @TempDir
    Path dir;

    @Test
    void aDeleteCutShortLeavesNoPartialLayerUnderItsName() throws Exception {
        Path images = dir.resolve("images");
        ContentStore blobs = new ContentStore(images);
        byte[] tar = TestImages.layerTar(List.of(TarEntry.dir("d/", 0755), TarEntry.file("d/a", 0644, "a"),
                TarEntry.file("d/b", 0644, "b")));
        byte[] gz = TestImages.gzip(tar);
        String digest = TestRegistry.sha256(gz);
        String diffId = TestRegistry.sha256(tar);
        blobs.ingest(digest, gz.length, new ByteArrayInputStream(gz));
        LayerStore layers = new LayerStore(images, blobs);
        assertTrue(layers.unpack(digest, diffId));
        Path layer = layers.path(diffId);

        // what a kill inside delete leaves now: the layer moved out of place, partly deleted
        Path trash = layer.resolveSibling(layer.getFileName() + ".trash-1234");
        Files.move(layer, trash);
        Files.delete(trash.resolve("d/b"));
        assertFalse(layers.has(diffId), "a half-deleted layer does not pass for the layer");

        LayerStore restarted = new LayerStore(images, blobs);
        restarted.cleanPartial();
        assertEquals(List.of(), names(images.resolve("layers")), "the trash is gone at start");
        assertTrue(restarted.unpack(digest, diffId), "unpacked again, whole");
        assertTrue(Files.isRegularFile(layer.resolve("d/a")) && Files.isRegularFile(layer.resolve("d/b")));

        restarted.delete(diffId);
        assertEquals(List.of(), names(images.resolve("layers")), "nothing of the layer is left, under any name");
    }

    @Test
    void startRemovesLayersAndBlobsNoImageReferences() throws Exception {
        Path root = dir.resolve("crisp");
        Path orphanLayer = Files.createDirectories(root.resolve("images/layers").resolve("ab".repeat(32)).resolve("etc"));
        Files.writeString(orphanLayer.resolve("passwd"), "root:x:0:0::/:/bin/sh\n");
        Path orphanBlob = Files.createDirectories(root.resolve("images/blobs/sha256")).resolve("cd".repeat(32));
        Files.writeString(orphanBlob, "a blob of a pull that never finished");
        new ImageService(root, () -> null).start();
        assertEquals(List.of(), names(root.resolve("images/layers")));
        assertEquals(List.of(), names(root.resolve("images/blobs/sha256")));
    }

    private static List<String> names(Path dir) throws Exception {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.getFileName().toString()).toList();
        }
    }
}
