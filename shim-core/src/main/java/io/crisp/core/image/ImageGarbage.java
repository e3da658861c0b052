package io.crisp.core.image;

import io.crisp.core.image.store.ContentStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides what of the store may go: blobs and layers that no image record references and that no
 * running pull or import has touched.
 *
 * <p>Invariants:
 * <ol>
 *   <li>A pull pins every digest it touches (manifest, config, layers, diff_ids) before it reads
 *       or writes them, and unpins them when it ends; a pinned digest is never collected, so an
 *       image removed meanwhile cannot take a layer the pull is about to use.</li>
 *   <li>Pins are counted: two pulls sharing a layer each hold it.</li>
 *   <li>A failed pull deletes only what it added itself and nothing another image references.</li>
 * </ol>
 */
final class ImageGarbage {
    private static final Logger log = LoggerFactory.getLogger(ImageGarbage.class);

    private final Path root;
    private final ContentStore blobs;
    private final LayerStore layers;
    private final ImageStore images;
    private final Map<String, Integer> pinned = new ConcurrentHashMap<>();

    ImageGarbage(Path root, ContentStore blobs, LayerStore layers, ImageStore images) {
        this.root = root;
        this.blobs = blobs;
        this.layers = layers;
        this.images = images;
    }

    /** Pins {@code digest} once for the operation whose touched set this is. */
    void pin(Set<String> touched, String digest) {
        if (touched.add(digest)) {
            pinned.merge(digest, 1, Integer::sum);
        }
    }

    /** Releases every pin of an operation. */
    void unpin(Set<String> touched) {
        touched.forEach(d -> pinned.computeIfPresent(d, (k, n) -> n <= 1 ? null : n - 1));
        touched.clear();
    }

    /** After a failed operation: unpins, then deletes what it added that nothing else needs. */
    void discard(List<String> addedBlobs, List<String> addedLayers, Set<String> touched) {
        unpin(touched);
        Set<String> keepBlobs = new HashSet<>();
        Set<String> keepLayers = new HashSet<>();
        referenced(keepBlobs, keepLayers);
        synchronized (addedBlobs) {
            addedBlobs.stream().filter(d -> !keepBlobs.contains(d)).forEach(blobs::delete);
        }
        synchronized (addedLayers) {
            addedLayers.stream().filter(d -> !keepLayers.contains(d)).forEach(layers::delete);
        }
    }

    /** Deletes blobs and layers that no image references. */
    void collect() {
        Set<String> keepBlobs = new HashSet<>();
        Set<String> keepLayers = new HashSet<>();
        referenced(keepBlobs, keepLayers);
        try (var files = Files.list(root.resolve("blobs").resolve("sha256"))) {
            for (Iterator<Path> it = files.iterator(); it.hasNext(); ) {
                String digest = "sha256:" + it.next().getFileName();
                if (!keepBlobs.contains(digest)) {
                    blobs.delete(digest);
                }
            }
        } catch (IOException e) {
            log.warn("Blob garbage collection failed: {}", e.getMessage());
        }
        try (var dirs = Files.list(root.resolve("layers"))) {
            for (Iterator<Path> it = dirs.iterator(); it.hasNext(); ) {
                String name = it.next().getFileName().toString();
                if (name.matches("[a-f0-9]{64}") && !keepLayers.contains("sha256:" + name)) {
                    layers.delete("sha256:" + name);
                }
            }
        } catch (IOException e) {
            log.warn("Layer garbage collection failed: {}", e.getMessage());
        }
    }

    private void referenced(Set<String> blobDigests, Set<String> diffIds) {
        for (ImageRecord image : images.list()) {
            blobDigests.add(image.id());
            for (String repoDigest : image.repoDigests()) {
                blobDigests.add(repoDigest.substring(repoDigest.indexOf('@') + 1));
            }
            for (ImageRecord.Layer layer : image.layers()) {
                blobDigests.add(layer.digest());
                diffIds.add(layer.diffId());
            }
        }
        blobDigests.addAll(pinned.keySet());
        diffIds.addAll(pinned.keySet());
    }
}
