package io.crisp.plugin.kata.io;

import io.crisp.plugin.kit.log.StreamName;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client attached to a container's own stdio ({@link ContainerStdio#attach}). Output reaches it
 * through a bounded buffer per stream. Slow client policy: the container's copiers never wait for a
 * client; when a client falls {@link ContainerStdio#ATTACH_BUFFER_BYTES} behind on a stream, it is
 * disconnected: it stops receiving output, its output streams end once it read what was buffered, and
 * {@link #exit} completes with -1. The log and the other attachments are not affected.
 */
final class Attachment implements StdioSession {
    private static final Logger LOG = LoggerFactory.getLogger(Attachment.class);

    private final String container;
    private final boolean tty;
    private final int bufferBytes;
    private final AttachBuffer stdout;
    private final AttachBuffer stderr;
    private final Optional<OutputStream> stdin;
    private final ResizeHandler resize;
    private final Consumer<Attachment> detach;
    private final IntSupplier knownExitCode;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    /**
     * {@code containerStdin} is null when the container has no stdin; {@code detach} takes the
     * attachment out of the fan-out; {@code knownExitCode} is the container's exit code, or -1.
     */
    Attachment(String container, StdioWiring wiring, boolean tty, int bufferBytes, ContainerStdin containerStdin,
            ResizeHandler resize, Consumer<Attachment> detach, IntSupplier knownExitCode) {
        this.container = container;
        this.tty = tty;
        this.bufferBytes = bufferBytes;
        this.stdout = wiring.stdout() ? new AttachBuffer(bufferBytes) : null;
        this.stderr = wiring.stderr() ? new AttachBuffer(bufferBytes) : null;
        this.resize = resize;
        this.detach = detach;
        this.knownExitCode = knownExitCode;
        this.stdin = wiring.stdin() ? Optional.of(stdinStream(containerStdin)) : Optional.empty();
    }

    /**
     * Without a container stdin, input is dropped (as CRI-O does); once stdin_once closed it, every
     * write fails.
     */
    private static OutputStream stdinStream(ContainerStdin containerStdin) {
        if (containerStdin == null) {
            return OutputStream.nullOutputStream();
        }
        try {
            return new AttachedStdin(containerStdin, containerStdin.attach());
        } catch (IOException closed) {
            return new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    throw new IOException(closed.getMessage());
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    throw new IOException(closed.getMessage());
                }
            };
        }
    }

    /** A chunk of the container's output; called by a copier, never blocks. */
    void offer(StreamName stream, byte[] b, int off, int len) {
        AttachBuffer target = stream == StreamName.STDOUT ? stdout : stderr;
        if (target != null && !target.offer(b, off, len)) {
            LOG.warn("container {}: an attached client fell {} bytes behind on {}; disconnecting it",
                    container, bufferBytes, stream);
            detach.accept(this);
            outputEnded();
            exit.complete(-1);
        }
    }

    /** The container's output ended: the streams end after what is buffered. */
    void outputEnded() {
        if (stdout != null) {
            stdout.finish();
        }
        if (stderr != null) {
            stderr.finish();
        }
    }

    void exited(int code) {
        exit.complete(code);
    }

    @Override
    public Optional<OutputStream> stdin() {
        return stdin;
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
            LOG.debug("container {}: resize to {}x{} failed: {}", container, width, height, e.toString());
        }
    }

    @Override
    public CompletableFuture<Integer> exit() {
        return exit;
    }

    /** Detaches: the container keeps running; with stdin_once, its stdin is closed if this attachment had it. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        detach.accept(this);
        if (stdout != null) {
            stdout.close();
        }
        if (stderr != null) {
            stderr.close();
        }
        stdin.ifPresent(Attachment::closeQuietly);
        exit.complete(knownExitCode.getAsInt());
    }

    private static void closeQuietly(OutputStream out) {
        try {
            out.close();
        } catch (IOException e) {
            // Our stdin streams do not fail to close.
        }
    }

    /** The attachment's stdin: its own descriptor on the container's stdin FIFO. */
    private static final class AttachedStdin extends OutputStream {
        private final ContainerStdin containerStdin;
        private final FifoWriter writer;
        private final AtomicBoolean closed = new AtomicBoolean();

        AttachedStdin(ContainerStdin containerStdin, FifoWriter writer) {
            this.containerStdin = containerStdin;
            this.writer = writer;
        }

        @Override
        public void write(int b) throws IOException {
            writer.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            writer.write(b, off, len);
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                containerStdin.detach(writer);
            }
        }
    }
}
