package io.crisp.plugin.kit;

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
 * A plugin's state directory trees deleted off the caller's path: {@link #discard} renames an entry
 * into the directory's {@code .trash/} (one atomic {@code rename(2)}: the entry is at its name or in
 * the trash, never half deleted at its name) and one background thread deletes it with
 * {@link FileTrees#deleteTree}, which never follows a symlink. Made on a directory, it deletes what
 * that trash already holds: the entries a daemon killed meanwhile left. {@code .trash} starts with a
 * dot, so it is no valid object id.
 */
public final class TrashDir {
    private static final Logger LOG = LoggerFactory.getLogger(TrashDir.class);
    /** The trash's name in the directory it serves. */
    public static final String NAME = ".trash";

    private final Path trash;
    private final ThreadPoolExecutor thread;
    private final AtomicLong sequence = new AtomicLong(System.nanoTime());

    /** The trash of {@code directory} (which must exist), created if needed; its leftovers are deleted in the background. */
    public TrashDir(Path directory, String threadName) {
        this.trash = directory.resolve(NAME);
        // One thread, ended when idle.
        this.thread = new ThreadPoolExecutor(1, 1, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, threadName);
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
            LOG.info("Deleting {} entries left in {} by an earlier daemon", left.size(), trash);
        }
        left.forEach(this::deleteLater);
    }

    /** The trash directory. */
    public Path directory() {
        return trash;
    }

    /**
     * Moves {@code entry}, a child of the directory, into the trash and has it deleted in the
     * background; an absent entry is fine. One that cannot be renamed there (another file system) is
     * deleted now.
     */
    public void discard(Path entry) throws IOException {
        Path target = trash.resolve(entry.getFileName() + "-" + Long.toHexString(sequence.incrementAndGet()));
        try {
            Files.move(entry, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException gone) {
            return;
        } catch (AtomicMoveNotSupportedException otherFileSystem) {
            FileTrees.deleteTree(entry);
            return;
        }
        deleteLater(target);
    }

    /** Waits until everything discarded before this call is deleted, at most {@code max}; true if it was. */
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

    /** Stops the thread once the deletions queued so far are done; later ones are left for the next start. */
    public void close() {
        thread.shutdown();
    }

    private void deleteLater(Path tree) {
        try {
            thread.execute(() -> {
                try {
                    FileTrees.deleteTree(tree);
                } catch (IOException | RuntimeException e) {
                    if (!Files.exists(tree, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        return; // deleted meanwhile by another bin on this directory (a reloaded plugin's)
                    }
                    LOG.warn("Cannot delete {} (it stays in the trash until the next start): {}", tree, e.getMessage());
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException closed) {
            LOG.debug("{} stays in the trash until the next start: closed", tree);
        }
    }
}
