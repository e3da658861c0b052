package io.crisp.core.image.snapshot;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;

import io.crisp.core.os.Mounts;
import io.crisp.core.state.FileTrees;
import io.crisp.core.state.KeyedLocks;
import io.crisp.core.state.MountInfo;
import io.crisp.core.state.TrashBin;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One overlayfs snapshot per container, under {@code <snapshotsRoot>/<containerId>/}: {@code upper}
 * takes the container's writes, {@code work} is overlay's scratch directory, and {@code rootfs} is
 * where the image's layers (unpacked by {@code LayerStore} in lower-directory form) and the upper
 * directory are merged into the container's root filesystem. A read-only snapshot has no upper or
 * work directory; when the image has a single layer it gets an empty {@code empty} directory as a
 * second lower layer, because overlay refuses a mount with no upper directory and one lower one.
 *
 * <p>The mounts belong to the kernel, not to this process: they survive a daemon restart, and
 * {@link #list()} with {@link #mounted(String)} is how a restarted daemon finds them again.
 *
 * <p>Invariants:
 * <ol>
 *   <li>A container id is a single path name ({@code [a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}}), so a
 *       snapshot is always a direct child of the snapshots root, never {@code ..} or a nested path.
 *   <li>No path given to overlay contains {@code ,} or {@code :} (or {@code "}, which mount(8) reads
 *       as quoting): overlay has no way to escape them, so such a path would be split into other
 *       options or other layers. It is refused, never passed on.
 *   <li>{@code prepare} either returns a mounted rootfs or leaves nothing behind.
 *   <li>Deleting a snapshot never follows a symlink and never descends into a mount: the upper
 *       directory holds whatever the container wrote, symlinks to anywhere on the host included, and
 *       the tree is only deleted once nothing is mounted under it.
 *   <li>{@code prepare} and {@code remove} are serialised per id, so two calls for one id never
 *       interleave their mount and delete steps, while calls for other ids (a CreateContainer's mount
 *       beside a RemoveContainer) do not wait for them.
 *   <li>A removed snapshot's directory leaves its id at once: it is renamed into
 *       {@code <snapshotsRoot>/.trash/} once nothing is mounted under it, and its tree (the
 *       container's writes) is deleted there in the background, never following a symlink. A
 *       restarted daemon deletes what a killed one left in the trash.
 * </ol>
 */
public final class SnapshotService {
    private static final Pattern CONTAINER_ID = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}");
    private static final String OPTION_BREAKERS = ",:\"";
    /** Stacked mounts on one rootfs are unmounted one by one; more than this many is a bug elsewhere. */
    private static final int MAX_UNMOUNTS = 16;

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(SnapshotService.class);

    private final Path root;
    private final KeyedLocks locks = new KeyedLocks();
    private final TrashBin trash;
    /** Whether writable snapshots are mounted volatile; cleared once if the kernel's overlay refuses it. */
    private volatile boolean volatileMounts = true;

    /** Creates the snapshots root if needed; its real path is used, since mountinfo shows real paths. */
    public SnapshotService(Path snapshotsRoot) {
        try {
            Files.createDirectories(snapshotsRoot);
            this.root = snapshotsRoot.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + snapshotsRoot + ": " + e.getMessage(), e);
        }
        this.trash = new TrashBin(root, "snapshots", SnapshotService::deleteUnmounted);
    }

    /** The snapshot directory of a container; the id is validated, nothing is created. */
    public Path path(String containerId) {
        return root.resolve(validId(containerId));
    }

    /**
     * Mounts the container's root filesystem from the image's layers.
     *
     * <ol>
     *   <li>The id, the layers and every path overlay will see are checked before anything is made.
     *   <li>A snapshot directory for the id that is not mounted is a leftover (an interrupted
     *       {@code prepare}, or a reboot that took the mount away) and is replaced; a mounted one is
     *       {@code ALREADY_EXISTS}.
     *   <li>On any failure the rootfs is unmounted if it got mounted and the snapshot directory is
     *       deleted.
     * </ol>
     *
     * @param layersBottomFirst the image's layer directories, the base layer first, as the image
     *        config lists its diff_ids; overlay wants the opposite order, which is done here
     * @param readOnly mount without an upper directory and with {@code ro}
     * @return the mounted rootfs, {@code <snapshotsRoot>/<containerId>/rootfs}
     */
    public Path prepare(String containerId, List<Path> layersBottomFirst, boolean readOnly) {
        Path dir = path(containerId);
        return locks.with(containerId, () -> prepareLocked(containerId, dir, layersBottomFirst, readOnly));
    }

    private Path prepareLocked(String containerId, Path dir, List<Path> layersBottomFirst, boolean readOnly) {
        if (layersBottomFirst == null || layersBottomFirst.isEmpty()) {
            throw BackendException.invalidArgument("snapshot for container %s needs at least one layer", containerId);
        }
        List<Path> lowerTopFirst = new ArrayList<>();
        for (Path layer : layersBottomFirst) {
            Path absolute = layer.toAbsolutePath().normalize();
            if (!Files.isDirectory(absolute)) {
                throw BackendException.invalidArgument("snapshot for container %s: layer %s is not an existing directory",
                        containerId, absolute);
            }
            lowerTopFirst.add(0, optionSafe(containerId, absolute));
        }
        SnapshotLayout layout = new SnapshotLayout(dir);
        optionSafe(containerId, layout.upper());
        optionSafe(containerId, layout.work());
        optionSafe(containerId, layout.empty());

        if (Files.exists(dir, NOFOLLOW_LINKS)) {
            if (mounted(containerId)) {
                throw new BackendException(Kind.ALREADY_EXISTS,
                        "snapshot for container " + containerId + " is already mounted on " + layout.rootfs());
            }
            removeNow(containerId, layout);
        }

        try {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------")); // umask may have narrowed it
            Files.createDirectory(layout.rootfs());
            String options;
            if (readOnly) {
                if (lowerTopFirst.size() == 1) {
                    Files.createDirectory(layout.empty());
                    lowerTopFirst.add(layout.empty());
                }
                options = "lowerdir=" + joined(lowerTopFirst);
            } else {
                Files.createDirectory(layout.upper());
                Files.createDirectory(layout.work());
                options = "lowerdir=" + joined(lowerTopFirst) + ",upperdir=" + layout.upper() + ",workdir=" + layout.work();
            }
            mountOverlay(layout.rootfs().toString(), options, readOnly);
            return layout.rootfs();
        } catch (IOException | RuntimeException e) {
            String undo = undoPrepare(containerId, layout);
            throw new BackendException(Kind.INTERNAL, "cannot prepare snapshot for container " + containerId + " at "
                    + layout.rootfs() + ": " + e.getMessage() + undo, e);
        }
    }

    /**
     * A writable snapshot is mounted {@code volatile} where the kernel has it (5.10+): unmounting an
     * overlay otherwise syncs the whole file system its upper directory is on, every dirty page of
     * every process on the node, which made RemoveContainer take as long as the node's write-back.
     * volatile only gives up what a container's writable layer never had under the CRI: surviving a
     * crash of the node (its containers are created anew after a reboot, and a snapshot whose mount
     * is gone is replaced, see {@link #prepare}).
     */
    private void mountOverlay(String rootfs, String options, boolean readOnly) throws IOException {
        if (!readOnly && volatileMounts) {
            try {
                Mounts.overlay(rootfs, options + ",volatile", false);
                return;
            } catch (IOException withVolatile) {
                Mounts.overlay(rootfs, options, false); // the real error, if it was not the option
                volatileMounts = false;
                log.info("overlay refuses the volatile option ({}); snapshots are mounted without it, and unmounting one"
                        + " syncs its file system", withVolatile.getMessage());
                return;
            }
        }
        Mounts.overlay(rootfs, options, readOnly);
    }

    /**
     * Unmounts and deletes a container's snapshot; a snapshot that does not exist is not an error.
     *
     * <p>A plain unmount comes first. If it fails with {@code EBUSY} (a process that outlived its
     * container still has its cwd or a file open in the rootfs), a lazy unmount ({@code MNT_DETACH})
     * detaches the mount anyway: it disappears from the namespace at once, so the directory can be
     * deleted, while the kernel keeps the filesystem alive for whoever still uses it until they let
     * go. Those late users then see an overlay whose upper directory is being deleted under them;
     * that is their problem, a leaked snapshot would be everyone's.
     */
    public void remove(String containerId) {
        Path dir = path(containerId);
        locks.run(containerId, () -> {
            if (Files.exists(dir, NOFOLLOW_LINKS)) {
                removeNow(containerId, new SnapshotLayout(dir));
            }
        });
    }

    /**
     * Waits until the trees of the snapshots removed so far are deleted (in the background, see
     * {@link TrashBin}), at most {@code max}; true if they are.
     */
    public boolean awaitDeleted(java.time.Duration max) {
        return trash.awaitDeleted(max);
    }

    /** Whether the container's rootfs is a mount point now, by {@code /proc/self/mountinfo}. */
    public boolean mounted(String containerId) {
        String rootfs = new SnapshotLayout(path(containerId)).rootfs().toString();
        return mountPoints().contains(rootfs);
    }

    /** The snapshots root: the filesystem the containers' writable layers live on. */
    public Path root() {
        return root;
    }

    /**
     * Bytes and inodes of every container's upper directory together (ImageFsInfo's container
     * filesystem). A snapshot removed while it is measured counts as empty.
     */
    public UpperUsage totalUpperUsage() {
        long bytes = 0;
        long inodes = 0;
        for (String id : list()) {
            try {
                UpperUsage u = upperUsage(id);
                bytes += u.bytes();
                inodes += u.inodes();
            } catch (BackendException e) {
                // Removed meanwhile.
            }
        }
        return new UpperUsage(bytes, inodes);
    }

    /** The ids of the snapshots on disk, mounted or not, sorted; what a restarted daemon recovers from. */
    public List<String> list() {
        List<String> ids = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(root)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                if (CONTAINER_ID.matcher(name).matches() && Files.isDirectory(entry, NOFOLLOW_LINKS)) {
                    ids.add(name);
                }
            }
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "cannot list snapshots in " + root + ": " + e.getMessage(), e);
        }
        ids.sort(null);
        return ids;
    }

    /**
     * Bytes of the regular files in the container's upper directory, each inode counted once (hard
     * links share it); 0 for a read-only snapshot.
     */
    public long upperBytes(String containerId) {
        return upperUsage(containerId).bytes();
    }

    /** Inodes under the container's upper directory (not counting the directory itself); 0 for a read-only snapshot. */
    public long upperInodes(String containerId) {
        return upperUsage(containerId).inodes();
    }

    // ---- internals ----

    /** The paths of one snapshot; only names, nothing is checked or created. */
    private record SnapshotLayout(Path dir) {
        Path upper() {
            return dir.resolve("upper");
        }

        Path work() {
            return dir.resolve("work");
        }

        Path rootfs() {
            return dir.resolve("rootfs");
        }

        Path empty() {
            return dir.resolve("empty");
        }
    }

    /** What an upper directory holds: bytes of its regular files and its inodes, each inode counted once. */
    public record UpperUsage(long bytes, long inodes) {
    }

    private static String validId(String containerId) {
        if (containerId == null || !CONTAINER_ID.matcher(containerId).matches()) {
            throw BackendException.invalidArgument("invalid container id \"%s\" for a snapshot: expected %s",
                    containerId, CONTAINER_ID.pattern());
        }
        return containerId;
    }

    private static Path optionSafe(String containerId, Path path) {
        String text = path.toString();
        for (char c : OPTION_BREAKERS.toCharArray()) {
            if (text.indexOf(c) >= 0) {
                throw BackendException.invalidArgument(
                        "snapshot for container %s: path %s contains '%c', which overlay mount options cannot escape",
                        containerId, text, c);
            }
        }
        return path;
    }

    private static String joined(List<Path> paths) {
        StringBuilder out = new StringBuilder();
        for (Path path : paths) {
            if (out.length() > 0) {
                out.append(':');
            }
            out.append(path);
        }
        return out.toString();
    }

    /** Best effort, after a failed prepare: returns a note for the error message if the undo failed too. */
    private String undoPrepare(String containerId, SnapshotLayout layout) {
        try {
            removeNow(containerId, layout);
            return "";
        } catch (RuntimeException e) {
            return " (and undoing it failed: " + e.getMessage() + ")";
        }
    }

    /**
     * Unmounts the rootfs as often as something is mounted on it, checks that nothing is mounted
     * under the snapshot any more and moves the directory to the trash. The usual case costs one
     * {@code umount2} and one read of mountinfo (which says whether another mount was stacked below);
     * a rootfs that is no mount point ({@code EINVAL}) costs the same.
     */
    private void removeNow(String containerId, SnapshotLayout layout) {
        String rootfs = layout.rootfs().toString();
        List<String> below;
        try {
            for (int round = 1; ; round++) {
                boolean unmounted = Mounts.unmountIfMounted(rootfs);
                below = mountsUnder(layout.dir());
                if (!unmounted || !below.contains(rootfs)) {
                    break;
                }
                if (round == MAX_UNMOUNTS) {
                    throw new BackendException(Kind.INTERNAL, "snapshot for container " + containerId + ": " + rootfs
                            + " is still mounted after " + MAX_UNMOUNTS + " unmounts");
                }
            }
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "cannot unmount snapshot of container " + containerId
                    + " at " + rootfs + ": " + e.getMessage(), e);
        }
        if (!below.isEmpty()) {
            throw BackendException.failedPrecondition("snapshot of container %s is not deleted: %s still has mounts at %s",
                    containerId, layout.dir(), below);
        }
        try {
            trash.discard(layout.dir());
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "cannot delete snapshot of container " + containerId + " at "
                    + layout.dir() + ": " + e.getMessage(), e);
        }
    }

    /** The mount points at or under {@code dir}, by one read of mountinfo. */
    private static List<String> mountsUnder(Path dir) {
        String self = dir.toString();
        String prefix = self + "/";
        return mountPoints().stream().filter(point -> point.equals(self) || point.startsWith(prefix)).toList();
    }

    /**
     * The trash's deleter: refuses a tree something is mounted under (checked before the rename, so
     * only a mount made since) rather than walk into the mounted file system.
     */
    private static void deleteUnmounted(Path tree) throws IOException {
        List<String> below = mountsUnder(tree);
        if (!below.isEmpty()) {
            throw new IOException("not deleted: mounts under it at " + below);
        }
        FileTrees.delete(tree); // through directory descriptors: never follows a link out of the tree
    }

    /**
     * Bytes and inodes of the container's upper directory in one walk, which never follows a
     * symlink; zeros for a read-only snapshot.
     *
     * @throws BackendException NOT_FOUND when the container has no snapshot
     */
    public UpperUsage upperUsage(String containerId) {
        Path dir = path(containerId);
        if (!Files.isDirectory(dir, NOFOLLOW_LINKS)) {
            throw BackendException.notFound("no snapshot for container %s at %s", containerId, dir);
        }
        Path upper = new SnapshotLayout(dir).upper();
        if (!Files.isDirectory(upper, NOFOLLOW_LINKS)) {
            return new UpperUsage(0, 0);
        }
        try {
            FileTrees.Usage usage = FileTrees.usage(upper);
            return new UpperUsage(usage.bytes(), usage.inodes());
        } catch (IOException e) {
            throw new BackendException(Kind.INTERNAL, "cannot measure the upper directory of container " + containerId
                    + " at " + upper + ": " + e.getMessage(), e);
        }
    }

    /** Mount points of this mount namespace, in mountinfo order. */
    static List<String> mountPoints() {
        return MountInfo.read().stream().map(MountInfo.Mount::mountPoint).toList();
    }
}
