package io.crisp.plugin.kata.io;

import com.sun.jna.Memory;
import io.crisp.plugin.kit.LibC;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;

/**
 * The write side of a FIFO a shim reads a process's stdin from. It is opened read-write: on Linux
 * that never waits for the shim to open its read side, input written before the shim came waits in
 * the pipe, and our own read side means no EPIPE. The price: the shim sees end of file only when
 * this writer is {@link #close closed}. A write blocks while the pipe is full, and {@link #close}
 * from another thread cuts it short with an IOException.
 */
public final class FifoWriter extends OutputStream {
    private static final int CHUNK = 64 * 1024;

    private final PollableFd fd;
    private final Memory buffer = new Memory(CHUNK);

    private FifoWriter(PollableFd fd) {
        this.fd = fd;
    }

    public static FifoWriter open(Path fifo) throws IOException {
        return new FifoWriter(PollableFd.open(fifo, LibC.O_RDWR));
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int chunk = Math.min(len, CHUNK);
            buffer.write(0, b, off, chunk);
            int done = 0;
            while (done < chunk) {
                int n = fd.writeNow(buffer.share(done), chunk - done);
                if (n == PollableFd.CLOSED || (n == PollableFd.AGAIN && fd.await(LibC.POLLOUT) == PollableFd.CLOSED)) {
                    throw new IOException(fd + " is closed");
                }
                if (n > 0) {
                    done += n;
                }
            }
            off += chunk;
            len -= chunk;
        }
    }

    /** Idempotent; the shim sees end of file once the pipe is drained (unless it holds another writer). */
    @Override
    public void close() {
        fd.close();
    }

    public boolean isClosed() {
        return fd.isClosing();
    }

    @Override
    public String toString() {
        return "FIFO writer " + fd;
    }
}
