package io.crisp.core.stream.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;

/**
 * A blocking stream of chunks that a connection's event loop hands over as they arrive. When more
 * than {@link #HIGH_WATER} bytes wait unread it asks the connection to stop reading, and to resume
 * once the reader has taken them below {@link #LOW_WATER}.
 */
final class ChunkInputStream extends InputStream {
    static final int HIGH_WATER = 1024 * 1024;
    static final int LOW_WATER = 256 * 1024;

    /** Told when this stream's buffer is too full ({@code true}) or drained again ({@code false}). */
    interface Pressure {
        void full(boolean full);
    }

    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private final Pressure pressure;
    private byte[] current;
    private int position;
    private long queued;
    private boolean full;
    private boolean ended;
    private IOException failure;

    ChunkInputStream(Pressure pressure) {
        this.pressure = pressure;
    }

    /** Adds a chunk (the array is kept). */
    void offer(byte[] chunk) {
        if (chunk.length == 0) {
            return;
        }
        boolean becameFull = false;
        synchronized (this) {
            if (ended) {
                return;
            }
            chunks.add(chunk);
            queued += chunk.length;
            if (!full && queued > HIGH_WATER) {
                full = true;
                becameFull = true;
            }
            notifyAll();
        }
        if (becameFull) {
            pressure.full(true);
        }
    }

    /** No more chunks: readers see end of stream after what is queued, or {@code error} if given. */
    synchronized void end(IOException error) {
        if (!ended) {
            ended = true;
            failure = error;
            notifyAll();
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        boolean drained = false;
        int n;
        synchronized (this) {
            while (current == null && chunks.isEmpty()) {
                if (ended) {
                    if (failure != null) {
                        throw new IOException(failure.getMessage(), failure);
                    }
                    return -1;
                }
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading");
                }
            }
            if (current == null) {
                current = chunks.poll();
                position = 0;
            }
            n = Math.min(length, current.length - position);
            System.arraycopy(current, position, buffer, offset, n);
            position += n;
            if (position == current.length) {
                current = null;
            }
            queued -= n;
            if (full && queued < LOW_WATER) {
                full = false;
                drained = true;
            }
        }
        if (drained) {
            pressure.full(false);
        }
        return n;
    }

    @Override
    public synchronized int available() {
        return (int) Math.min(Integer.MAX_VALUE, queued);
    }
}
