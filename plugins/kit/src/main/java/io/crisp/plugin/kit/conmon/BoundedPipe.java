package io.crisp.plugin.kit.conmon;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;

/**
 * A byte pipe between one producing thread (a demultiplexer or a pump) and the core's reading
 * thread, with a fixed buffer: the producer blocks while it is full, so nothing piles up without
 * bound. Unlike {@link java.io.PipedInputStream} it does not care which threads read or write.
 * Once the reader closed its end, further writes are dropped instead of blocking.
 */
final class BoundedPipe extends InputStream {
    private final byte[] ring;
    private int start;
    private int count;
    private boolean writeClosed;
    private boolean readClosed;

    BoundedPipe(int capacity) {
        this.ring = new byte[capacity];
    }

    /** Blocks until all of {@code data[off, off+len)} went in, or the reader closed its end. */
    synchronized void put(byte[] data, int off, int len) throws InterruptedIOException {
        while (len > 0 && !readClosed) {
            while (count == ring.length && !readClosed) {
                awaitChange();
            }
            if (readClosed) {
                return;
            }
            int end = (start + count) % ring.length;
            int n = Math.min(len, Math.min(ring.length - count, ring.length - end));
            System.arraycopy(data, off, ring, end, n);
            count += n;
            off += n;
            len -= n;
            notifyAll();
        }
    }

    /** End of data: the reader sees -1 once it took what is buffered. */
    synchronized void closeWrite() {
        writeClosed = true;
        notifyAll();
    }

    @Override
    public synchronized int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (count == 0 && !writeClosed && !readClosed) {
            awaitChange();
        }
        if (count == 0) {
            return -1;
        }
        int n = Math.min(len, Math.min(count, ring.length - start));
        System.arraycopy(ring, start, b, off, n);
        start = (start + n) % ring.length;
        count -= n;
        notifyAll();
        return n;
    }

    @Override
    public synchronized int available() {
        return count;
    }

    @Override
    public synchronized void close() {
        readClosed = true;
        count = 0;
        notifyAll();
    }

    private void awaitChange() throws InterruptedIOException {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting on a stdio pipe");
        }
    }
}
