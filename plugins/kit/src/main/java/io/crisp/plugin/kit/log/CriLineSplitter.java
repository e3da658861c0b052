package io.crisp.plugin.kit.log;

import java.io.IOException;

/**
 * Cuts one stream's output into CRI log records, as containerd's CRI plugin does: a line ending in a
 * newline becomes an F record; a line longer than {@link CriLogWriter#MAX_CONTENT} becomes P records
 * of that size followed by an F record with the rest; at end of output, bytes without a final newline
 * become a P record (the line never ended). A line is held back until its newline or until it fills
 * a record, so a prompt without a newline reaches the log only later; attached clients get output
 * unsplit and at once. One thread at a time.
 */
public final class CriLineSplitter {
    private final CriLogWriter log;
    private final StreamName stream;
    private final byte[] pending;
    private int count;

    public CriLineSplitter(CriLogWriter log, StreamName stream) {
        this(log, stream, CriLogWriter.MAX_CONTENT);
    }

    CriLineSplitter(CriLogWriter log, StreamName stream, int maxContent) {
        this.log = log;
        this.stream = stream;
        this.pending = new byte[maxContent];
    }

    /** Takes the next bytes of the stream; writes the records they complete. */
    public void write(byte[] b, int off, int len) throws IOException {
        int end = off + len;
        while (off < end) {
            int newline = indexOfNewline(b, off, end);
            append(b, off, (newline < 0 ? end : newline) - off);
            if (newline < 0) {
                return;
            }
            emit(false);
            off = newline + 1;
        }
    }

    /** End of the stream: what is left of an unfinished line becomes a P record. */
    public void finish() throws IOException {
        if (count > 0) {
            emit(true);
        }
    }

    private void append(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (count == pending.length) {
                emit(true); // only once more of the line came: a line of exactly the maximum is one F record
            }
            int n = Math.min(len, pending.length - count);
            System.arraycopy(b, off, pending, count, n);
            count += n;
            off += n;
            len -= n;
        }
    }

    private void emit(boolean partial) throws IOException {
        int n = count;
        count = 0; // even when the write fails: a broken log must not hold output back forever
        log.write(stream, partial, pending, 0, n);
    }

    private static int indexOfNewline(byte[] b, int from, int end) {
        for (int i = from; i < end; i++) {
            if (b[i] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
