package io.crisp.core.stream;

import io.crisp.core.network.NetnsDialer;
import io.crisp.core.stream.session.ForwardClient;
import io.crisp.core.stream.session.ForwardListener;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One forwarded connection: dials {@code localhost:port} in the pod's network namespace, then one
 * thread copies the pod's bytes to the client (blocking on the client's flow control) while another
 * writes the client's bytes, queued by the event loop, to the pod. Half-closes travel both ways:
 * the client's end of data shuts down the socket's output; the pod's EOF half-closes the client's
 * data stream. The socket is closed once both directions ended or either side failed.
 */
final class ForwardPump implements ForwardListener {
    private static final Logger LOG = LoggerFactory.getLogger(ForwardPump.class);
    private static final int CHUNK = 64 * 1024;
    private static final long PAUSE_ABOVE = 1 << 20;
    private static final long RESUME_BELOW = 256 * 1024;
    private static final byte[] EOF = new byte[0];
    private static final byte[] ABORT = new byte[0];

    private final String sandboxId;
    private final Path netns;
    private final int port;
    private final ForwardClient client;
    private final NetnsDialer dialer;
    private final Executor threads;
    private final Runnable onEnd;
    private final LinkedBlockingQueue<byte[]> toPod = new LinkedBlockingQueue<>();
    private final AtomicLong queued = new AtomicLong();
    private final AtomicBoolean paused = new AtomicBoolean();
    private final AtomicBoolean ended = new AtomicBoolean();
    /** Directions still open: pod-to-client and client-to-pod. */
    private final AtomicInteger open = new AtomicInteger(2);
    private volatile SocketChannel socket;

    ForwardPump(String sandboxId, Path netns, int port, ForwardClient client, NetnsDialer dialer, Executor threads, Runnable onEnd) {
        this.sandboxId = sandboxId;
        this.netns = netns;
        this.port = port;
        this.client = client;
        this.dialer = dialer;
        this.threads = threads;
        this.onEnd = onEnd;
    }

    String sandboxId() {
        return sandboxId;
    }

    void start() {
        threads.execute(this::dialThenWrite);
    }

    private void dialThenWrite() {
        try {
            socket = dialer.connect(netns, port);
        } catch (IOException e) {
            fail("failed to connect to localhost:" + port + " inside the network namespace of pod sandbox " + sandboxId + ": "
                    + e.getMessage());
            return;
        }
        if (ended.get()) {
            closeSocket();
            return;
        }
        threads.execute(this::copyToClient);
        writeToPod();
    }

    private void writeToPod() {
        try {
            while (true) {
                byte[] data = toPod.take();
                if (data == ABORT) {
                    return;
                }
                if (data == EOF) {
                    socket.shutdownOutput();
                    directionDone();
                    return;
                }
                ByteBuffer buffer = ByteBuffer.wrap(data);
                while (buffer.hasRemaining()) {
                    socket.write(buffer);
                }
                if (queued.addAndGet(-data.length) < RESUME_BELOW && paused.compareAndSet(true, false)) {
                    client.pauseInput(false);
                }
            }
        } catch (IOException e) {
            if (!ended.get()) {
                fail("error writing to localhost:" + port + " in pod sandbox " + sandboxId + ": " + e.getMessage());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void copyToClient() {
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
        try {
            while (socket.read(buffer) >= 0) {
                if (buffer.position() > 0) {
                    client.write(buffer.array(), 0, buffer.position());
                    buffer.clear();
                }
            }
            client.closeData();
            directionDone();
        } catch (IOException e) {
            if (!ended.get()) {
                LOG.debug("port-forward to pod {} port {}: {}", sandboxId, port, e.toString());
                fail("error reading from localhost:" + port + " in pod sandbox " + sandboxId + ": " + e.getMessage());
            }
        }
    }

    private void directionDone() {
        if (open.decrementAndGet() == 0 && ended.compareAndSet(false, true)) {
            closeSocket();
            onEnd.run();
        }
    }

    private void fail(String message) {
        if (ended.compareAndSet(false, true)) {
            toPod.add(ABORT);
            closeSocket();
            try {
                client.fail(message);
            } finally {
                onEnd.run();
            }
        }
    }

    /** The pod stopped or the daemon shuts down. */
    void stop(String why) {
        fail(why);
    }

    private void closeSocket() {
        SocketChannel s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException e) {
                // closing: nothing to add
            }
        }
    }

    @Override
    public void data(byte[] data) {
        if (ended.get() || data.length == 0) {
            return;
        }
        toPod.add(data);
        if (queued.addAndGet(data.length) > PAUSE_ABOVE && paused.compareAndSet(false, true)) {
            client.pauseInput(true);
        }
    }

    @Override
    public void dataClosed() {
        toPod.add(EOF);
    }

    @Override
    public void clientGone() {
        if (ended.compareAndSet(false, true)) {
            toPod.add(ABORT);
            closeSocket();
            onEnd.run();
        }
    }
}
