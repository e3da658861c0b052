package io.crisp.plugin.kit;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Replaces a file atomically (readers see the old or the new content, also after a crash): the
 * plugins' one way to write the files they own (records, kata's publish stub).
 */
public final class AtomicFiles {
    private static final Set<PosixFilePermission> OWNER_READ_WRITE = PosixFilePermissions.fromString("rw-------");

    private AtomicFiles() {
    }

    /**
     * Writes content to a temporary file beside the target, flushes it to disk and renames it over the
     * target. The new file gets the permissions of the file it replaces, or 0600 when there is none (on
     * file systems with POSIX permissions).
     */
    public static void writeAtomically(Path file, byte[] content) throws IOException {
        write(file, content, true);
    }

    /**
     * As {@link #writeAtomically}, atomic for readers and for a killed daemon, but without the fsyncs:
     * for files under the handler's state directory ({@code HandlerConfig.stateDir()}: tmpfs, emptied
     * by a reboot), which a power cut takes away anyway. An fsync waits for the node's journal commit,
     * tens of milliseconds on a busy node.
     */
    public static void replace(Path file, byte[] content) throws IOException {
        write(file, content, false);
    }

    private static void write(Path file, byte[] content, boolean durable) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
        Path temp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
        try {
            try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                // After writing, so that a mode without owner write (0400) does not stop the write.
                if (posix) {
                    Files.setPosixFilePermissions(temp, permissionsToKeep(file));
                }
                if (durable) {
                    channel.force(true);
                }
            }
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
        if (durable) {
            syncDirectory(dir);
        }
    }

    private static Set<PosixFilePermission> permissionsToKeep(Path file) throws IOException {
        try {
            return Files.getPosixFilePermissions(file);
        } catch (NoSuchFileException e) {
            return OWNER_READ_WRITE;
        }
    }

    /** Makes the rename durable; best effort, as not every file system lets a directory be opened. */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // The content is on disk already; only the rename may be lost in a crash.
        }
    }
}
