package io.crisp.core.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which creating calls (RunPodSandbox, CreateContainer) were under way when the daemon last stopped:
 * an empty {@code <id>.creating} file beside the records, written (and synced) before the call
 * makes anything and deleted once its final record is written. A mark found at start names an
 * object that is half made: recovery finishes or rolls it back. The same marks, under another
 * suffix, can name calls of another kind under way (a pod's stop).
 */
public final class CreationMarks {
    private final String suffix;
    private final boolean synced;
    private final Path dir;

    public CreationMarks(Path dir) {
        this(dir, ".creating", true);
    }

    /**
     * @param suffix the marks' file name suffix, say {@code ".stopping"}
     * @param synced whether a mark is fsynced; an unsynced one survives a killed daemon, not a power cut
     */
    public CreationMarks(Path dir, String suffix, boolean synced) {
        this.dir = dir;
        this.suffix = suffix;
        this.synced = synced;
    }

    /**
     * Marks {@code id} as being created; on disk before this returns. An empty file has no content a
     * reader could see half written, so it is created in place, with no temp file and rename.
     */
    public void begin(String id) {
        Path mark = file(id);
        try {
            Files.createDirectories(dir);
            try (FileChannel channel = FileChannel.open(mark, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                if (synced) {
                    channel.force(true);
                }
            }
            if (synced) {
                AtomicFiles.syncDirectory(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file(id) + ": " + e.getMessage(), e);
        }
    }

    /** The creation of {@code id} ended (finished or undone); absent is fine. */
    public void end(String id) {
        try {
            Files.deleteIfExists(file(id));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + file(id) + ": " + e.getMessage(), e);
        }
    }

    /** The ids marked when the previous daemon stopped. */
    public Set<String> pending() {
        Set<String> ids = new TreeSet<>();
        if (!Files.isDirectory(dir)) {
            return ids;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + suffix)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                ids.add(name.substring(0, name.length() - suffix.length()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        return ids;
    }

    private Path file(String id) {
        if (!id.matches("[a-f0-9]{64}")) {
            throw new IllegalArgumentException("not an object id: " + id);
        }
        return dir.resolve(id + suffix);
    }
}
