package io.crisp.core.state;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a state file so that a reader, or the daemon after a crash, sees either the old content
 * or the new, never a mix: temp file in the same directory (mode 0600), fsync, rename over the
 * target, fsync of the directory so the rename itself survives a power cut.
 */
public final class AtomicFiles {
    private AtomicFiles() {}

    /** @throws IOException naming {@code target} (a full disk's ENOSPC carries no file name of its own) */
    public static void write(Path target, byte[] content) throws IOException {
        try {
            writeNow(target, content, true);
        } catch (IOException e) {
            throw naming(target, e);
        }
    }

    /**
     * As {@link #write}, atomic for readers and for a killed daemon, but without the fsyncs: for files
     * under the state directory (tmpfs, emptied by a reboot), which a power cut takes away anyway.
     * Each fsync waits for the node's whole journal commit, tens of milliseconds when it is busy.
     */
    public static void replace(Path target, byte[] content) throws IOException {
        try {
            writeNow(target, content, false);
        } catch (IOException e) {
            throw naming(target, e);
        }
    }

    /**
     * {@code e} as an exception whose message names {@code file}: as is when it names it already,
     * otherwise a {@link FileSystemException} for the file with {@code e}'s message as the reason and {@code e} as the cause.
     */
    public static IOException naming(Path file, IOException e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains(file.toString()) || e instanceof FileSystemException fse && fse.getFile() != null) {
            return e;
        }
        FileSystemException named = new FileSystemException(file.toString(), null, message);
        named.initCause(e);
        return named;
    }

    private static void writeNow(Path target, byte[] content, boolean durable) throws IOException {
        Path dir = target.getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buffer = ByteBuffer.wrap(content);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                if (durable) {
                    channel.force(true);
                }
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        if (durable) {
            syncDirectory(dir);
        }
    }

    /** Makes the entries of {@code dir} (a file created or renamed there) survive a power cut. */
    public static void syncDirectory(Path dir) {
        try (FileChannel directory = FileChannel.open(dir, StandardOpenOption.READ)) {
            directory.force(true);
        } catch (IOException ignored) {
            // Some filesystems refuse fsync on a directory; the rename is still atomic.
        }
    }

    /**
     * Deletes the temp files of writes a killed process left in {@code dir} ({@code .<name><random>.tmp});
     * call before anything writes there. A missing directory is fine.
     */
    public static void removeLeftovers(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (java.nio.file.DirectoryStream<Path> leftovers = Files.newDirectoryStream(dir, ".*.tmp")) {
            for (Path p : leftovers) {
                Files.deleteIfExists(p);
            }
        }
    }
}
