package io.crisp.plugin.kata.io;

import io.crisp.spi.StdioSession;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A streaming client's connection to an exec's FIFOs. The streams are the FIFOs themselves, so the
 * process is slowed by a slow client and nothing is buffered on our side. Closing before the process
 * exited kills it (the backend's {@code kill}); closing always releases the FIFOs ({@link ExecStdio#close}).
 */
final class ExecSession implements StdioSession {
    private static final Logger LOG = LoggerFactory.getLogger(ExecSession.class);

    private final ExecStdio owner;
    private final boolean tty;
    private final OutputStream stdin;
    private final FifoReader stdout;
    private final FifoReader stderr;
    private final CompletableFuture<Integer> exit;
    private final ResizeHandler resize;
    private final Runnable kill;
    private final AtomicBoolean closed = new AtomicBoolean();

    ExecSession(ExecStdio owner, boolean tty, FifoWriter stdin, FifoReader stdout, FifoReader stderr,
            CompletableFuture<Integer> exit, ResizeHandler resize, Runnable kill, Runnable stdinClosed) {
        this.owner = owner;
        this.tty = tty;
        this.stdin = stdin == null ? null : new ClosingStdin(stdin, stdinClosed);
        this.stdout = stdout;
        this.stderr = stderr;
        this.exit = exit;
        this.resize = resize;
        this.kill = kill;
    }

    @Override
    public Optional<OutputStream> stdin() {
        return Optional.ofNullable(stdin);
    }

    @Override
    public Optional<InputStream> stdout() {
        return Optional.ofNullable(stdout);
    }

    @Override
    public Optional<InputStream> stderr() {
        return Optional.ofNullable(stderr);
    }

    @Override
    public void resize(int width, int height) {
        if (!tty || closed.get()) {
            return;
        }
        try {
            resize.resize(width, height);
        } catch (RuntimeException e) {
            LOG.debug("exec {}: resize to {}x{} failed: {}", owner, width, height, e.toString());
        }
    }

    @Override
    public CompletableFuture<Integer> exit() {
        return exit;
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (!exit.isDone()) {
                kill.run();
            }
        } catch (RuntimeException e) {
            LOG.warn("exec {}: killing the process failed: {}", owner, e.toString());
        } finally {
            owner.close();
        }
    }

    /**
     * The exec's stdin: closing it closes crisp's end of the FIFO, then runs {@code closed} (the
     * backend asks the shim to close its own end, CloseIO, which it holds open until told).
     */
    private final class ClosingStdin extends OutputStream {
        private final FifoWriter fifo;
        private final Runnable closed;
        private final AtomicBoolean done = new AtomicBoolean();

        ClosingStdin(FifoWriter fifo, Runnable closed) {
            this.fifo = fifo;
            this.closed = closed;
        }

        @Override
        public void write(int b) throws java.io.IOException {
            fifo.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws java.io.IOException {
            fifo.write(b, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            fifo.flush();
        }

        @Override
        public void close() {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            fifo.close();
            try {
                closed.run();
            } catch (RuntimeException e) {
                LOG.warn("exec {}: stdin closed, but the shim was not told: {}", owner, e.toString());
            }
        }
    }
}
