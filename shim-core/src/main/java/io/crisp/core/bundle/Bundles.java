package io.crisp.core.bundle;

import io.crisp.core.image.ImageRecord;
import io.crisp.core.image.LayerStore;
import io.crisp.core.image.snapshot.SnapshotService;
import io.crisp.core.state.FileTrees;
import io.crisp.core.state.MountInfo;
import io.crisp.core.state.TrashBin;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a sandbox's or container's OCI bundle lives: {@code <state>/bundles/<id>/config.json} with
 * the root filesystem an overlay snapshot of the image ({@code <root>/snapshots/<id>/rootfs}), and
 * for sandboxes the pod's shared files under {@code <state>/pods/<id>/}. The mounts survive a daemon
 * restart; {@link #removeLeftovers} deletes what belongs to no known object. A removed bundle
 * directory, like a removed snapshot, is renamed into a trash ({@code <state>/bundles/.trash/}) and
 * deleted in the background ({@link TrashBin}).
 */
public final class Bundles {
    private static final Logger log = LoggerFactory.getLogger(Bundles.class);

    private final Path bundlesDir;
    private final Path podsDir;
    private final SnapshotService snapshots;
    private final LayerStore layers;
    private final TrashBin bundleTrash;

    public Bundles(Path stateDir, SnapshotService snapshots, LayerStore layers) {
        this.bundlesDir = stateDir.resolve("bundles");
        this.podsDir = stateDir.resolve("pods");
        this.snapshots = snapshots;
        this.layers = layers;
        try {
            Files.createDirectories(bundlesDir);
            Files.createDirectories(podsDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + bundlesDir + ": " + e.getMessage(), e);
        }
        this.bundleTrash = new TrashBin(bundlesDir, "bundles", Bundles::deleteUnmounted);
    }

    /** The bundle directory of an object; created on first use. */
    public Path bundle(String id) {
        Path dir = bundlesDir.resolve(id);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        return dir;
    }

    /** The OCI spec of an object as written at creation, for verbose status; empty when there is none. */
    public java.util.Optional<String> spec(String id) {
        try {
            return java.util.Optional.of(Files.readString(bundlesDir.resolve(id).resolve("config.json")));
        } catch (IOException e) {
            return java.util.Optional.empty();
        }
    }

    /** The directory of a pod's shared files (hostname, hosts, resolv.conf, shm). */
    public Path podFiles(String sandboxId) {
        return podsDir.resolve(sandboxId);
    }

    /** The container's writable layer: where it lives (its overlay upper directory) and what it holds, in one walk. */
    public WritableLayer writableLayer(String containerId) {
        SnapshotService.UpperUsage usage = snapshots.upperUsage(containerId);
        return new WritableLayer(snapshots.path(containerId).resolve("upper"), usage.bytes(), usage.inodes());
    }

    /** A container's writable layer: its directory, bytes of its regular files and its inodes. */
    public record WritableLayer(Path directory, long bytes, long inodes) {}

    /**
     * The containers' writable layers together, for ImageFsInfo's {@code container_filesystems}: the
     * snapshots root (where every upper directory lives) and the bytes and inodes of all upper
     * directories. Measured at most every 10 s, like the image store.
     */
    public WritableLayer writableLayers() {
        WritableLayer current = allLayers;
        long now = System.currentTimeMillis();
        if (current != null && now - allLayersAt < 10_000) {
            return current;
        }
        SnapshotService.UpperUsage usage = snapshots.totalUpperUsage();
        current = new WritableLayer(snapshots.root(), usage.bytes(), usage.inodes());
        allLayers = current;
        allLayersAt = now;
        return current;
    }

    private volatile WritableLayer allLayers;
    private volatile long allLayersAt;

    /** Mounts the object's root filesystem from the image's layers and returns it. */
    public Path mountRootfs(String id, ImageRecord image) {
        List<Path> bottomFirst = new ArrayList<>();
        for (ImageRecord.Layer layer : image.layers()) {
            bottomFirst.add(layers.path(layer.diffId()));
        }
        return snapshots.prepare(id, bottomFirst, false);
    }

    /**
     * Unmounts the rootfs and deletes the bundle and pod files of {@code id}; nothing there is fine.
     * The snapshot and the bundle directory leave their names at once and are deleted in the background.
     */
    public void remove(String id) {
        snapshots.remove(id);
        try {
            bundleTrash.discard(bundlesDir.resolve(id));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + bundlesDir.resolve(id) + ": " + e.getMessage(), e);
        }
        delete(podsDir.resolve(id));
    }

    /** Waits until the snapshots and bundles removed so far are deleted, at most {@code max} each; true if they are. */
    public boolean awaitDeleted(java.time.Duration max) {
        return snapshots.awaitDeleted(max) & bundleTrash.awaitDeleted(max);
    }

    /** After a restart: removes snapshots, bundles and pod directories of ids no record knows. */
    public void removeLeftovers(Set<String> known) {
        List<String> ids = new ArrayList<>(snapshots.list());
        for (Path dir : List.of(bundlesDir, podsDir)) {
            try (Stream<Path> entries = Files.list(dir)) {
                entries.map(p -> p.getFileName().toString()).filter(name -> !name.equals(TrashBin.NAME)).forEach(ids::add);
            } catch (IOException e) {
                log.warn("Cannot list {}: {}", dir, e.getMessage());
            }
        }
        ids.stream().distinct().filter(id -> !known.contains(id)).forEach(id -> {
            log.info("Removing leftovers of {}, which no pod or container record names", id);
            try {
                remove(id);
            } catch (RuntimeException e) {
                log.warn("Cannot remove leftovers of {}: {}", id, e.getMessage());
            }
        });
    }

    /** A bundle never has mounts (plugins mount elsewhere); one made under it is not walked into. */
    private static void deleteUnmounted(Path tree) throws IOException {
        String prefix = tree + "/";
        List<String> mounts = MountInfo.read().stream().map(MountInfo.Mount::mountPoint)
                .filter(point -> point.equals(tree.toString()) || point.startsWith(prefix)).toList();
        if (!mounts.isEmpty()) {
            throw new IOException("not deleted: mounts under it at " + mounts);
        }
        FileTrees.delete(tree);
    }

    private static void delete(Path dir) {
        try {
            FileTrees.delete(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
