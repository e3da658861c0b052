package io.crisp.core.stream;

import io.crisp.core.stream.session.ExecTarget;
import io.crisp.core.stream.session.StdioClient;
import io.crisp.core.stream.session.StdioListener;
import io.crisp.core.stream.session.StdioOutcome;
import io.crisp.core.stream.session.StdioTarget;
import io.crisp.spi.StdioSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves bytes between one exec or attach session of a backend and its streaming client: one thread
 * per output stream (reads block on the process, writes block on the client's flow control), one
 * thread writing stdin from a queue the event loop fills. When the client sends faster than the
 * process reads, the client's input is paused above {@link #PAUSE_ABOVE} queued bytes. The outcome
 * goes to the client once the process exited and its output was sent.
 */
final class StdioPump implements StdioListener {
    private static final Logger LOG = LoggerFactory.getLogger(StdioPump.class);
    private static final int CHUNK = 32 * 1024;
    static final long PAUSE_ABOVE = 1 << 20;
    private static final long RESUME_BELOW = 256 * 1024;
    /** After the process exited, how long its output may take to drain (a child can hold the pipe open). */
    private static final long DRAIN_MILLIS = 5000;
    private static final byte[] EOF = new byte[0];

    private final StdioTarget target;
    private final StdioSession session;
    private final StdioClient client;
    private final Executor threads;
    private final Runnable onEnd;
    private final LinkedBlockingQueue<byte[]> stdinQueue = new LinkedBlockingQueue<>();
    private final AtomicLong queued = new AtomicLong();
    private final AtomicBoolean paused = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();
    /** The size to apply next; null when no resize task is pending. */
    private final AtomicReference<int[]> pendingSize = new AtomicReference<>();
    private final CountDownLatch outputs;

    StdioPump(StdioTarget target, StdioSession session, StdioClient client, Executor threads, Runnable onEnd) {
        this.target = target;
        this.session = session;
        this.client = client;
        this.threads = threads;
        this.onEnd = onEnd;
        this.outputs = new CountDownLatch((session.stdout().isPresent() ? 1 : 0) + (session.stderr().isPresent() ? 1 : 0));
    }

    void start() {
        session.stdout().ifPresent(in -> threads.execute(() -> copy(in, StdioClient.Output.STDOUT)));
        session.stderr().ifPresent(in -> threads.execute(() -> copy(in, StdioClient.Output.STDERR)));
        session.stdin().ifPresent(out -> threads.execute(() -> writeStdin(out)));
        session.exit().whenComplete((code, failure) -> threads.execute(() -> finish(code, failure)));
    }

    String containerId() {
        return target.containerId();
    }

    private void copy(InputStream in, StdioClient.Output stream) {
        byte[] buffer = new byte[CHUNK];
        try {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                if (n > 0) {
                    client.write(stream, buffer, 0, n);
                }
            }
        } catch (IOException e) {
            if (!ended.get()) {
                LOG.debug("{} {}: {} copy ended: {}", target.kind(), target.containerId(), stream, e.toString());
                session.close(); // the client is gone: an exec'd process must not outlive it
            }
        } finally {
            outputs.countDown();
        }
    }

    private void writeStdin(OutputStream out) {
        try (out) {
            while (true) {
                byte[] data = stdinQueue.take();
                if (data == EOF) {
                    return; // closing sends EOF to the process
                }
                out.write(data);
                out.flush();
                if (queued.addAndGet(-data.length) < RESUME_BELOW && paused.compareAndSet(true, false)) {
                    client.pauseInput(false);
                }
            }
        } catch (IOException e) {
            LOG.debug("{} {}: stdin closed by the process: {}", target.kind(), target.containerId(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void finish(Integer code, Throwable failure) {
        try {
            if (!outputs.await(DRAIN_MILLIS, TimeUnit.MILLISECONDS)) {
                LOG.debug("{} {}: output still open {} ms after the process ended; closing", target.kind(), target.containerId(), DRAIN_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        StdioOutcome outcome;
        if (failure != null) {
            Throwable cause = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
            outcome = StdioOutcome.failed(cause.getMessage() == null ? cause.toString() : cause.getMessage());
        } else if (target instanceof ExecTarget) {
            outcome = StdioOutcome.exited(code == null ? -1 : code);
        } else {
            outcome = StdioOutcome.success();
        }
        end(outcome);
    }

    private void end(StdioOutcome outcome) {
        if (!ended.compareAndSet(false, true)) {
            return;
        }
        try {
            client.finish(outcome);
        } finally {
            stdinQueue.add(EOF);
            session.close();
            onEnd.run();
        }
    }

    /** The container stopped or the daemon shuts down: detach or kill, and report why. */
    void stop(String why) {
        session.close();
        threads.execute(() -> {
            try {
                // Give the exit (and its exit code) a moment to arrive before reporting the stop.
                session.exit().get(2, TimeUnit.SECONDS);
            } catch (Exception e) {
                end(StdioOutcome.failed(why));
            }
        });
    }

    @Override
    public void stdin(byte[] data) {
        if (ended.get() || session.stdin().isEmpty() || data.length == 0) {
            return;
        }
        stdinQueue.add(data);
        if (queued.addAndGet(data.length) > PAUSE_ABOVE && paused.compareAndSet(false, true)) {
            client.pauseInput(true);
        }
    }

    @Override
    public void stdinClosed() {
        stdinQueue.add(EOF);
    }

    @Override
    public void resize(int width, int height) {
        if (width <= 0 || height <= 0 || width > 0xffff || height > 0xffff) {
            return;
        }
        // Off the event loop (a resize may write to a FIFO), one task at a time, and only the
        // latest size counts: a burst of resizes from a dragged window cannot arrive out of order.
        if (pendingSize.getAndSet(new int[] {width, height}) == null) {
            threads.execute(this::applyResizes);
        }
    }

    private void applyResizes() {
        int[] size;
        while ((size = pendingSize.get()) != null) {
            session.resize(size[0], size[1]);
            if (pendingSize.compareAndSet(size, null)) {
                return;
            }
        }
    }

    @Override
    public void clientGone() {
        if (ended.compareAndSet(false, true)) {
            LOG.debug("{} {}: client went away", target.kind(), target.containerId());
            stdinQueue.add(EOF);
            session.close();
            onEnd.run();
        }
    }
}
