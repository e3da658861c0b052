package io.crisp.plugin.kit.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Set;

/**
 * Appends records in the CRI container log format, the one the kubelet reads:
 * {@code <timestamp> <stdout|stderr> <F|P> <content>\n}, the timestamp RFC 3339 in UTC with nine
 * fractional digits. {@code F} ends a line (its newline is not part of the content), {@code P} is a
 * piece of a line that continues in the next record of the same stream. Cutting output into records
 * is {@link CriLineSplitter}'s job. Records of several streams may be written concurrently: each is
 * one append. The file is created 0640 when absent.
 */
public final class CriLogWriter implements AutoCloseable {
    /** Content bytes per record at most: longer lines are cut into P pieces of this size. */
    public static final int MAX_CONTENT = 16 * 1024;

    private static final DateTimeFormatter TIMESTAMP =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.nnnnnnnnn'Z'").withZone(ZoneOffset.UTC);
    private static final byte[] FULL = {' ', 'F', ' '};
    private static final byte[] PARTIAL = {' ', 'P', ' '};

    private final Path path;
    private final Clock clock;
    private FileChannel file;

    /** Opens {@code path} for appending, creating it (0640) when absent. */
    public CriLogWriter(Path path) throws IOException {
        this(path, Clock.systemUTC());
    }

    CriLogWriter(Path path, Clock clock) throws IOException {
        this.path = path;
        this.clock = clock;
        reopen();
    }

    public Path path() {
        return path;
    }

    /**
     * Appends one record stamped now; {@code len} at most {@link #MAX_CONTENT} and no newline in the
     * content (neither is checked: the splitter guarantees both).
     */
    public void write(StreamName stream, boolean partial, byte[] content, int off, int len) throws IOException {
        byte[] stamp = TIMESTAMP.format(clock.instant()).getBytes(StandardCharsets.US_ASCII);
        byte[] word = stream.word();
        ByteBuffer record = ByteBuffer.allocate(stamp.length + 1 + word.length + FULL.length + len + 1);
        record.put(stamp).put((byte) ' ').put(word).put(partial ? PARTIAL : FULL).put(content, off, len).put((byte) '\n');
        record.flip();
        synchronized (this) {
            if (file == null) {
                throw new IOException("log " + path + " is not open");
            }
            while (record.hasRemaining()) {
                file.write(record);
            }
        }
    }

    /**
     * Closes the file and opens {@code path} again, creating it when absent: after the kubelet
     * renamed the log to rotate it, records go to a new file under the old name.
     */
    public synchronized void reopen() throws IOException {
        closeFile();
        file = FileChannel.open(path, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r-----")));
    }

    @Override
    public synchronized void close() {
        closeFile();
    }

    private void closeFile() {
        if (file != null) {
            try {
                file.close();
            } catch (IOException e) {
                // Nothing buffered on our side: a failing close loses nothing we could save.
            }
            file = null;
        }
    }
}
