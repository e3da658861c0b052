package io.crisp.plugin.kit.conmon;

import io.crisp.plugin.kit.LibC;
import java.io.IOException;

/**
 * A raw file descriptor shared by a few threads. {@link #close} may be called while another thread
 * is inside a read or write: the descriptor is then closed by the last user on its way out, so a
 * number that the kernel hands out again is never read or written by mistake.
 */
final class NativeFd {
    private final int fd;
    private final String name;
    private int users;
    private boolean closing;
    private boolean closed;

    NativeFd(int fd, String name) {
        this.fd = fd;
        this.name = name;
    }

    /** Marks the start of a use; the returned number is valid until {@link #release}. */
    synchronized int acquire() throws IOException {
        if (closing) {
            throw new IOException(name + " is closed");
        }
        users++;
        return fd;
    }

    synchronized void release() {
        users--;
        closeIfIdle();
    }

    synchronized boolean isClosing() {
        return closing;
    }

    /** Idempotent; the descriptor is closed now or when the last user releases it. */
    synchronized void close() {
        closing = true;
        closeIfIdle();
    }

    private void closeIfIdle() {
        if (closing && users == 0 && !closed) {
            closed = true;
            LibC.C.close(fd);
        }
    }

    @Override
    public String toString() {
        return name + " (fd " + fd + ")";
    }
}
