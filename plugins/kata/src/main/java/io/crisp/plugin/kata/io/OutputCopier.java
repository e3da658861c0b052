package io.crisp.plugin.kata.io;

import io.crisp.plugin.kit.log.CriLineSplitter;
import io.crisp.plugin.kit.log.CriLogWriter;
import io.crisp.plugin.kit.log.StreamName;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies one output FIFO, on a thread of its own, into the CRI log (when there is one) and to a
 * sink, until end of file or {@link #cancel}. A failing log is reported once and retried with every
 * later chunk (a {@link CriLogWriter#reopen} may mend it); the sink gets the output regardless.
 */
final class OutputCopier {
    private static final Logger LOG = LoggerFactory.getLogger(OutputCopier.class);
    private static final int CHUNK = 32 * 1024;

    /** Where output goes besides the log. Must not block. */
    @FunctionalInterface
    interface Sink {
        void deliver(StreamName stream, byte[] b, int off, int len);
    }

    private final FifoReader in;
    private final StreamName stream;
    private final CriLineSplitter log;
    private final Sink sink;
    private final Thread thread;
    private final CompletableFuture<Void> done = new CompletableFuture<>();
    private boolean logFailing;

    /** {@code log} may be null: output is then only delivered. */
    OutputCopier(FifoReader in, StreamName stream, CriLineSplitter log, Sink sink, String threadName) {
        this.in = in;
        this.stream = stream;
        this.log = log;
        this.sink = sink;
        this.thread = new Thread(this::run, threadName);
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Completes once the output ended (or was cancelled) and everything read was logged and delivered. */
    CompletableFuture<Void> done() {
        return done;
    }

    /** Stops reading; {@link #done} completes soon after. */
    void cancel() {
        in.close();
    }

    /** Waits up to {@code timeout} for the thread to end; true when it did. */
    boolean join(Duration timeout) throws InterruptedException {
        thread.join(Math.max(1, timeout.toMillis()));
        return !thread.isAlive();
    }

    private void run() {
        byte[] buffer = new byte[CHUNK];
        try {
            int n;
            while ((n = in.read(buffer, 0, buffer.length)) >= 0) {
                int count = n;
                if (log != null) {
                    logged(() -> log.write(buffer, 0, count));
                }
                sink.deliver(stream, buffer, 0, count);
            }
        } catch (IOException | RuntimeException e) {
            LOG.warn("{} copy of {} stopped: {}", stream, in, e.toString());
        } finally {
            in.close();
            if (log != null) {
                logged(log::finish);
            }
            done.complete(null);
        }
    }

    private interface LogWrite {
        void run() throws IOException;
    }

    private void logged(LogWrite write) {
        try {
            write.run();
            logFailing = false;
        } catch (IOException e) {
            if (!logFailing) {
                LOG.warn("cannot write {} to the container log: {}", stream, e.toString());
            }
            logFailing = true;
        }
    }
}
