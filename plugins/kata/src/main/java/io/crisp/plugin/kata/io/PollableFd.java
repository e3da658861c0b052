package io.crisp.plugin.kata.io;

import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import io.crisp.plugin.kit.LibC;
import java.io.IOException;
import java.nio.file.Path;

/**
 * A non-blocking file descriptor whose waits can be cut short from another thread. Each instance
 * owns an eventfd next to the descriptor; {@link #await} polls both, and {@link #close} signals the
 * eventfd, so a thread waiting for data or room returns at once instead of hanging on a peer that
 * never comes. The descriptor is closed by the last thread to leave it, so a number the kernel hands
 * out again is never read or written by mistake.
 */
final class PollableFd {
    /** {@link #readNow}/{@link #writeNow}: nothing to read or no room yet. */
    static final int AGAIN = -2;
    /** Any call after {@link #close}. */
    static final int CLOSED = -3;

    private final int fd;
    private final int wake;
    private final String name;
    private int users;
    private boolean closing;
    private boolean released;

    private PollableFd(int fd, int wake, String name) {
        this.fd = fd;
        this.wake = wake;
        this.name = name;
    }

    /** Opens {@code path} with {@code flags} plus O_NONBLOCK and O_CLOEXEC; never blocks. */
    static PollableFd open(Path path, int flags) throws IOException {
        int fd = LibC.C.open(path.toString(), flags | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (fd < 0) {
            throw new IOException("open " + path + " failed: errno " + LibC.errno());
        }
        int wake = LibC.C.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (wake < 0) {
            int errno = LibC.errno();
            LibC.C.close(fd);
            throw new IOException("eventfd failed: errno " + errno);
        }
        return new PollableFd(fd, wake, path.toString());
    }

    /**
     * Waits until the descriptor reports one of {@code events}, or a hang-up or error; returns the
     * reported events, or {@link #CLOSED} once {@link #close} was called.
     */
    int await(short events) throws IOException {
        if (!acquire()) {
            return CLOSED;
        }
        try (Memory fds = new Memory(16)) {
            fds.clear();
            fds.setInt(0, fd);
            fds.setShort(4, events);
            fds.setInt(8, wake);
            fds.setShort(12, LibC.POLLIN);
            while (true) {
                int n = LibC.C.poll(fds, new NativeLong(2), -1);
                if (n < 0) {
                    int errno = LibC.errno();
                    if (errno == LibC.EINTR) {
                        continue;
                    }
                    throw new IOException("poll " + name + " failed: errno " + errno);
                }
                if (fds.getShort(14) != 0 || isClosing()) {
                    return CLOSED;
                }
                short revents = fds.getShort(6);
                if (revents != 0) {
                    return revents;
                }
            }
        } finally {
            release();
        }
    }

    /** One read(2) into {@code buf}: the count, 0 at end of file, {@link #AGAIN} or {@link #CLOSED}. */
    int readNow(Pointer buf, int len) throws IOException {
        if (!acquire()) {
            return CLOSED;
        }
        try {
            long n = LibC.C.read(fd, buf, new NativeLong(len)).longValue();
            return n >= 0 ? (int) n : failure("read");
        } finally {
            release();
        }
    }

    /** One write(2) from {@code buf}: the count, {@link #AGAIN} or {@link #CLOSED}. */
    int writeNow(Pointer buf, int len) throws IOException {
        if (!acquire()) {
            return CLOSED;
        }
        try {
            long n = LibC.C.write(fd, buf, new NativeLong(len)).longValue();
            return n >= 0 ? (int) n : failure("write");
        } finally {
            release();
        }
    }

    private int failure(String call) throws IOException {
        int errno = LibC.errno();
        if (errno == LibC.EAGAIN || errno == LibC.EINTR) {
            return AGAIN;
        }
        throw new IOException(call + " " + name + " failed: errno " + errno);
    }

    synchronized boolean isClosing() {
        return closing;
    }

    /** Idempotent: wakes every waiter; the descriptor goes once the last one left. */
    synchronized void close() {
        if (closing) {
            return;
        }
        closing = true;
        // Under the lock: the eventfd cannot be released (and its number reused) before this write.
        try (Memory one = new Memory(8)) {
            one.setLong(0, 1);
            LibC.C.write(wake, one, new NativeLong(8));
        }
        releaseIfIdle();
    }

    private synchronized boolean acquire() {
        if (closing) {
            return false;
        }
        users++;
        return true;
    }

    private synchronized void release() {
        users--;
        releaseIfIdle();
    }

    private synchronized void releaseIfIdle() {
        if (closing && users == 0 && !released) {
            released = true;
            LibC.C.close(fd);
            LibC.C.close(wake);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
