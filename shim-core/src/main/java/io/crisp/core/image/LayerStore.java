package io.crisp.core.image;

import io.crisp.core.image.store.ContentStore;
import io.crisp.core.state.FileTrees;
import io.crisp.core.image.unpack.LayerCompression;
import io.crisp.core.image.unpack.LayerUnpacker;
import io.crisp.spi.BackendException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;

/**
 * Unpacked layers, one directory per layer under {@code <root>/images/layers/<diff_id hex>}, in the
 * form overlayfs takes as a lower directory; a layer shared by several images is stored once.
 *
 * <p>The layer's uncompressed tar is hashed while it is unpacked and must equal the image config's
 * {@code diff_id}; on a mismatch or any unpack error nothing of the layer stays.
 *
 * <p>A directory named by a diff_id is always a whole layer, whenever the daemon is killed: a layer
 * is built in {@code <hex>.tmp-<random>} and renamed into place when complete, and deleted by first
 * renaming it to {@code <hex>.trash-<random>}, then deleting that. {@link #cleanPartial()} removes
 * both kinds of leftovers at start.
 */
public final class LayerStore {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LayerStore.class);
    private final Path layers;
    private final ContentStore blobs;
    private final LayerUnpacker unpacker = new LayerUnpacker();
    /** One unpack per layer at a time, across pulls: two images may share a layer. */
    private final java.util.concurrent.ConcurrentHashMap<String, Object> unpacking = new java.util.concurrent.ConcurrentHashMap<>();

    public LayerStore(Path imagesRoot, ContentStore blobs) {
        this.layers = imagesRoot.resolve("layers");
        this.blobs = blobs;
        try {
            Files.createDirectories(layers);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + layers + ": " + e.getMessage(), e);
        }
    }

    /** Removes half-unpacked and half-deleted directories an interrupted daemon left. Call once at start. */
    public void cleanPartial() {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(layers, "*.{tmp,trash}-*")) {
            for (Path dir : dirs) {
                log.info("Removing {}, which an interrupted unpack or delete left", dir.getFileName());
                deleteTree(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + layers + ": " + e.getMessage(), e);
        }
    }

    public Path path(String diffId) {
        if (!ContentStore.isDigest(diffId)) {
            throw BackendException.invalidArgument("unsupported layer diff_id \"%s\"", diffId);
        }
        return layers.resolve(diffId.substring(7));
    }

    public boolean has(String diffId) {
        return Files.isDirectory(path(diffId));
    }

    /**
     * Unpacks the blob {@code digest} as layer {@code diffId}, unless it is unpacked already.
     *
     * @return true when this call unpacked it
     */
    public boolean unpack(String digest, String diffId) {
        Path target = path(diffId);
        synchronized (unpacking.computeIfAbsent(diffId, d -> new Object())) {
            if (Files.isDirectory(target)) {
                return false;
            }
            long started = System.nanoTime();
            unpackNow(digest, diffId, target);
            log.info("Unpacked layer {} in {} ms", diffId, (System.nanoTime() - started) / 1_000_000);
            return true;
        }
    }

    private void unpackNow(String digest, String diffId, Path target) {
        MessageDigest sha = ContentStore.sha256();
        try (BufferedInputStream blob = new BufferedInputStream(blobs.open(digest), 64 * 1024);
             InputStream tar = new DigestInputStream(LayerCompression.decompressed(blob), sha)) {
            unpacker.unpack(tar, target);
            tar.transferTo(java.io.OutputStream.nullOutputStream()); // tar padding after the end blocks counts too
        } catch (IOException e) {
            deleteTree(target);
            throw new BackendException(BackendException.Kind.INTERNAL, "cannot unpack layer " + digest + ": " + e.getMessage(), e);
        }
        String actual = ContentStore.digestOf(sha);
        if (!actual.equals(diffId)) {
            deleteTree(target);
            throw BackendException.invalidArgument("layer %s unpacks to %s, but the image config says diff_id %s", digest, actual, diffId);
        }
    }

    /** Deletes the layer: renamed out of place first, so a kill meanwhile never leaves a partial layer under its name. */
    public void delete(String diffId) {
        Path dir = path(diffId);
        synchronized (unpacking.computeIfAbsent(diffId, d -> new Object())) {
            if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                return;
            }
            Path trash = layers.resolve(dir.getFileName() + ".trash-" + java.util.HexFormat.of().toHexDigits(System.nanoTime()));
            try {
                Files.move(dir, trash, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot move layer " + dir + " out of place: " + e.getMessage(), e);
            }
            deleteTree(trash);
        }
    }

    static void deleteTree(Path dir) {
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
