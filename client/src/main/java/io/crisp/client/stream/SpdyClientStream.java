package io.crisp.client.stream;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * One client-created SPDY stream: what arrived on it (queued for an {@link InputStream}, or kept
 * as text for error streams) and blocking writes toward the server. Frames arrive on the event
 * loop; readers and writers are other threads.
 */
final class SpdyClientStream {
    static final int MAX_FRAME = 32 * 1024;

    private final SpdyStreamClient client;
    private final Channel channel;
    private final int id;
    private final boolean keepText;
    final CompletableFuture<Void> replied = new CompletableFuture<>();

    /** What arrived, for readers; unread bytes count toward the whole connection's back pressure. */
    private final ChunkInputStream data;
    private final ByteArrayOutputStream text = new ByteArrayOutputStream();
    private boolean ended;
    private boolean endedByFin;
    private volatile boolean finSent;
    private volatile boolean resetSent;

    SpdyClientStream(SpdyStreamClient client, Channel channel, int id, boolean keepText) {
        this.client = client;
        this.channel = channel;
        this.id = id;
        this.keepText = keepText;
        this.data = new ChunkInputStream(new ChunkInputStream.Accounting() {
            @Override
            public void queued(int bytes) {
                client.buffered(bytes);
            }

            @Override
            public void taken(int bytes) {
                client.consumed(bytes);
            }
        });
    }

    int id() {
        return id;
    }

    // ---- event loop side ----

    void received(byte[] bytes, boolean last) {
        synchronized (this) {
            if (bytes.length > 0 && !ended) {
                if (keepText) {
                    text.writeBytes(bytes);
                } else {
                    data.offer(bytes);
                }
            }
            if (last) {
                endedByFin = !ended || endedByFin;
                ended = true;
                data.end(null);
            }
            notifyAll();
        }
    }

    /** Reset by the server, or the connection closed. */
    void ended() {
        replied.completeExceptionally(new IOException("stream " + id + " was reset or the connection closed"));
        synchronized (this) {
            ended = true;
            data.end(null);
            notifyAll();
        }
    }

    // ---- caller side ----

    /** Waits until the server half-closed or reset the stream; true if it did within the time. */
    synchronized boolean awaitEnd(long nanos) throws InterruptedIOException {
        long deadline = System.nanoTime() + nanos;
        try {
            while (!ended) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
        }
    }

    /** Waits until some text arrived or the stream ended. */
    synchronized void awaitText(long nanos) throws InterruptedIOException {
        long deadline = System.nanoTime() + nanos;
        try {
            while (!ended && text.size() == 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
        }
    }

    synchronized boolean endedByFin() {
        return endedByFin;
    }

    synchronized String text() {
        return text.toString(StandardCharsets.UTF_8);
    }

    InputStream input() {
        return data;
    }

    OutputStream output() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                SpdyClientStream.this.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                fin();
            }
        };
    }

    /** Sends bytes and waits until they are on the socket (flow control included). */
    void write(byte[] data, int offset, int length) throws IOException {
        if (finSent || resetSent) {
            throw new IOException("stream " + id + " is closed for writing");
        }
        List<ChannelFuture> futures = new ArrayList<>();
        for (int at = 0; at < length; at += MAX_FRAME) {
            int n = Math.min(MAX_FRAME, length - at);
            futures.add(channel.writeAndFlush(new DefaultSpdyDataFrame(id, Unpooled.copiedBuffer(data, offset + at, n))));
        }
        for (ChannelFuture future : futures) {
            await(future);
        }
    }

    /** Half-closes the stream toward the server, once; waits until the FIN is written. */
    void fin() throws IOException {
        if (finSent || resetSent) {
            return;
        }
        finSent = true;
        SpdyDataFrame frame = new DefaultSpdyDataFrame(id);
        frame.setLast(true);
        await(channel.writeAndFlush(frame));
    }

    /** Resets the stream (both directions), unless it is over already. */
    void reset() {
        boolean over;
        synchronized (this) {
            over = ended && finSent;
        }
        if (!over && !resetSent && channel.isActive()) {
            resetSent = true;
            channel.writeAndFlush(new DefaultSpdyRstStreamFrame(id, SpdyStreamStatus.CANCEL));
        }
        ended();
    }

    private void await(ChannelFuture future) throws IOException {
        try {
            future.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
        }
        if (!future.isSuccess()) {
            throw new IOException("cannot write on stream " + id + ": " + future.cause(), future.cause());
        }
    }
}
