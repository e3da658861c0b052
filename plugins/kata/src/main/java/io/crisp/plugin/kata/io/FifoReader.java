package io.crisp.plugin.kata.io;

import com.sun.jna.Memory;
import io.crisp.plugin.kit.LibC;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;

/**
 * The read side of a FIFO a shim writes a process's output into. Opening never blocks (O_NONBLOCK),
 * reads block in {@code poll} until data comes, the writer leaves (end of file) or {@link #close}
 * cancels them from any thread (end of file too). Two ways to open, for the two moments crisp opens:
 * <ul>
 *   <li>{@link #awaitWriter}: before the shim has the FIFO. Until a writer arrives, reads wait;
 *       end of file comes once a writer came and every writer left. This relies on Linux's FIFO
 *       poll: a reader is told of a hang-up only when a writer opened after it did.</li>
 *   <li>{@link #resume}: after a daemon restart, while the shim may still hold its write side.
 *       When no writer held the FIFO as we opened, Linux would hold back the hang-up until a new
 *       writer came and went; opening the write side for an instant right after our read side
 *       counts as that writer, so end of file comes at once when the shim already left, or when it
 *       does.</li>
 * </ul>
 * Reads from one thread at a time; {@link #close} from any.
 */
public final class FifoReader extends InputStream {
    private static final int CHUNK = 64 * 1024;

    private final PollableFd fd;
    private final Memory buffer = new Memory(CHUNK);
    private boolean eof;

    private FifoReader(PollableFd fd) {
        this.fd = fd;
    }

    /** Opens {@code fifo} for reading before any writer has it: waits for one, ends when it left. */
    public static FifoReader awaitWriter(Path fifo) throws IOException {
        return new FifoReader(PollableFd.open(fifo, LibC.O_RDONLY));
    }

    /** Opens {@code fifo} for reading after a restart: ends as soon as no writer holds it. */
    public static FifoReader resume(Path fifo) throws IOException {
        PollableFd fd = PollableFd.open(fifo, LibC.O_RDONLY);
        int writer = LibC.C.open(fifo.toString(), LibC.O_WRONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0);
        if (writer < 0) {
            int errno = LibC.errno();
            fd.close();
            throw new IOException("open " + fifo + " for writing failed: errno " + errno);
        }
        LibC.C.close(writer);
        return new FifoReader(fd);
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    /** Blocks until at least one byte came; -1 once the writers left or {@link #close} was called. */
    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (!eof) {
            int ready = fd.await(LibC.POLLIN);
            if (ready == PollableFd.CLOSED) {
                break;
            }
            int n = fd.readNow(buffer, Math.min(len, CHUNK));
            if (n > 0) {
                buffer.read(0, b, off, n);
                return n;
            }
            if (n == 0 || n == PollableFd.CLOSED) {
                break;
            }
        }
        eof = true;
        return -1;
    }

    /** Cancels a waiting or later read (it returns -1) and releases the descriptor; idempotent. */
    @Override
    public void close() {
        fd.close();
    }

    @Override
    public String toString() {
        return "FIFO reader " + fd;
    }
}
