package io.crisp.client.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;

/**
 * A blocking stream of chunks that a connection's event loop hands over as they arrive. How many
 * bytes wait unread is reported to an {@link Accounting}, which applies back pressure: per stream
 * with {@link #withWaterMarks} (WebSocket: when more than {@link #HIGH_WATER} bytes wait it asks the
 * connection to stop reading, and to resume once the reader has taken them below
 * {@link #LOW_WATER}), or across a whole connection (SPDY client).
 */
final class ChunkInputStream extends InputStream {
    static final int HIGH_WATER = 1024 * 1024;
    static final int LOW_WATER = 256 * 1024;

    /** Told when this stream's buffer is too full ({@code true}) or drained again ({@code false}). */
    interface Pressure {
        void full(boolean full);
    }

    /** Told how many bytes were queued and taken; called outside the stream's lock. */
    interface Accounting {
        void queued(int bytes);

        void taken(int bytes);
    }

    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private final Accounting accounting;
    private byte[] current;
    private int position;
    private long queued;
    private boolean ended;
    private IOException failure;

    ChunkInputStream(Accounting accounting) {
        this.accounting = accounting;
    }

    /** A stream that tells {@code pressure} when its own unread bytes cross the water marks. */
    static ChunkInputStream withWaterMarks(Pressure pressure) {
        return new ChunkInputStream(new Accounting() {
            private long unread;
            private boolean full;

            @Override
            public void queued(int bytes) {
                boolean becameFull;
                synchronized (this) {
                    unread += bytes;
                    becameFull = !full && unread > HIGH_WATER;
                    full |= becameFull;
                }
                if (becameFull) {
                    pressure.full(true);
                }
            }

            @Override
            public void taken(int bytes) {
                boolean drained;
                synchronized (this) {
                    unread -= bytes;
                    drained = full && unread < LOW_WATER;
                    full &= !drained;
                }
                if (drained) {
                    pressure.full(false);
                }
            }
        });
    }

    /** Adds a chunk (the array is kept); dropped once the stream has ended. */
    void offer(byte[] chunk) {
        if (chunk.length == 0) {
            return;
        }
        synchronized (this) {
            if (ended) {
                return;
            }
            chunks.add(chunk);
            queued += chunk.length;
            notifyAll();
        }
        accounting.queued(chunk.length);
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
        }
        accounting.taken(n);
        return n;
    }

    @Override
    public synchronized int available() {
        return (int) Math.min(Integer.MAX_VALUE, queued);
    }
}
