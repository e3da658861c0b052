package io.crisp.plugin.kata.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * One attached client's copy of one output stream, filled by a copier that must never wait for the
 * client: {@link #offer} takes a chunk whole or refuses it when the buffer would hold more than its
 * capacity, and the attachment then decides what to do (see {@link Attachment}). Memory grows only
 * with what is actually buffered.
 */
final class AttachBuffer extends InputStream {
    private final int capacity;
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private int headOffset;
    private int buffered;
    private boolean writeClosed;
    private boolean readClosed;

    AttachBuffer(int capacity) {
        this.capacity = capacity;
    }

    /** Adds a copy of the bytes; false, adding nothing, when they do not fit. Dropped silently once closed. */
    synchronized boolean offer(byte[] b, int off, int len) {
        if (readClosed || writeClosed || len == 0) {
            return true;
        }
        if ((long) buffered + len > capacity) {
            return false;
        }
        chunks.add(Arrays.copyOfRange(b, off, off + len));
        buffered += len;
        notifyAll();
        return true;
    }

    /** No more output: the reader gets what is buffered, then end of file. */
    synchronized void finish() {
        writeClosed = true;
        notifyAll();
    }

    synchronized int buffered() {
        return buffered;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (buffered == 0 && !writeClosed && !readClosed) {
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while waiting for container output");
            }
        }
        if (buffered == 0 || readClosed) {
            return -1;
        }
        int n = 0;
        while (n < len && !chunks.isEmpty()) {
            byte[] head = chunks.peek();
            int k = Math.min(len - n, head.length - headOffset);
            System.arraycopy(head, headOffset, b, off + n, k);
            n += k;
            headOffset += k;
            if (headOffset == head.length) {
                chunks.poll();
                headOffset = 0;
            }
        }
        buffered -= n;
        return n;
    }

    @Override
    public synchronized int available() {
        return readClosed ? 0 : buffered;
    }

    /** The reader is done: what is buffered is dropped, reads return -1. */
    @Override
    public synchronized void close() {
        readClosed = true;
        chunks.clear();
        buffered = 0;
        notifyAll();
    }
}
