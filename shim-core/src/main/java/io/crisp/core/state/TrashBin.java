package io.crisp.core.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes directory trees off the caller's path: {@link #discard} renames an entry of a directory
 * into that directory's {@code .trash/} (one {@code rename(2)}, atomic: the entry is at its name or
 * in the trash, never half deleted at its name) and a background thread deletes it. A removal call
 * returns after the rename; the tree's files are deleted while the next call is served.
 *
 * <p>A daemon killed before the thread finished leaves entries in the trash: a bin made on a
 * directory deletes whatever its trash holds (a restarted daemon's recovery), so nothing stays. The
 * trash is a child of the directory, so the rename never crosses file systems; {@code .trash} starts
 * with a dot, which no id may, so no listing of ids takes it for one.
 *
 * <p>What the deleter gets was checked by the caller before the rename (no mounts below it, for a
 * snapshot); it must never follow a symlink. A deletion that fails is logged and left for the next
 * start.
 */
public final class TrashBin {
    private static final Logger log = LoggerFactory.getLogger(TrashBin.class);
    /** The trash's name in the directory it serves. */
    public static final String NAME = ".trash";

    /** Deletes one tree in the trash. */
    @FunctionalInterface
    public interface Deleter {
        void delete(Path tree) throws IOException;
    }

    private final Path trash;
    private final Deleter deleter;
    private final ThreadPoolExecutor thread;
    private final AtomicLong sequence = new AtomicLong(System.nanoTime());

    /**
     * The trash of {@code directory}, created if needed; what it holds already (left by a daemon that
     * was killed) is scheduled for deletion at once.
     */
    public TrashBin(Path directory, String what, Deleter deleter) {
        this.trash = directory.resolve(NAME);
        this.deleter = deleter;
        // One thread, ended when idle: an idle daemon keeps none for this.
        this.thread = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "trash-" + what);
            t.setDaemon(true);
            return t;
        });
        thread.allowCoreThreadTimeOut(true);
        List<Path> left = new ArrayList<>();
        try {
            Files.createDirectories(trash);
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(trash)) {
                entries.forEach(left::add);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create or list " + trash + ": " + e.getMessage(), e);
        }
        if (!left.isEmpty()) {
            log.info("Deleting {} entries left in {} by an earlier daemon", left.size(), trash);
            left.forEach(this::deleteLater);
        }
    }

    /** The trash directory. */
    public Path directory() {
        return trash;
    }

    /**
     * Moves {@code entry} (a child of the directory this bin serves) into the trash and has it deleted
     * in the background; an absent entry is fine. Where the rename cannot be done (the entry is a
     * mount point of another file system), the entry is deleted now instead.
     */
    public void discard(Path entry) throws IOException {
        Path target = trash.resolve(entry.getFileName() + "-" + Long.toHexString(sequence.incrementAndGet()));
        try {
            Files.move(entry, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException gone) {
            return;
        } catch (AtomicMoveNotSupportedException otherFileSystem) {
            deleter.delete(entry);
            return;
        }
        deleteLater(target);
    }

    /**
     * Waits until everything discarded before this call is deleted (or failed), at most {@code max};
     * true if it was. For tests and for callers that must see the space freed.
     */
    public boolean awaitDeleted(Duration max) {
        try {
            thread.submit(() -> { }).get(max.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            return false;
        }
    }

    private void deleteLater(Path tree) {
        thread.execute(() -> {
            try {
                deleter.delete(tree);
            } catch (IOException | RuntimeException e) {
                if (!Files.exists(tree, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    return; // deleted meanwhile
                }
                log.warn("Cannot delete {} (it stays in the trash until the next start): {}", tree, e.getMessage());
            }
        });
    }
}
