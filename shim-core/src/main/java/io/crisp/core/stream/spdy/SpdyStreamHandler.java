package io.crisp.core.stream.spdy;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.spdy.DefaultSpdyDataFrame;
import io.netty.handler.codec.spdy.DefaultSpdyRstStreamFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyGoAwayFrame;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySessionHandler;
import io.netty.handler.codec.spdy.SpdyStreamStatus;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the exec/attach and the port-forward sides share: the last handler of an upgraded SPDY
 * pipeline (after {@link SpdySessionHandler}, which keeps stream states and flow control). It
 * turns frames into calls of the subclass on the event loop, and offers replies, resets, FINs,
 * blocking writes for other threads, and the graceful end of the connection.
 */
abstract class SpdyStreamHandler extends ChannelInboundHandlerAdapter {
    /** Data frames crisp sends carry at most this much. */
    static final int MAX_FRAME = 32 * 1024;

    /** How long a finished connection may wait for the client before it is closed anyway. */
    static final long LINGER_MILLIS = 10_000;

    private static final Logger LOG = LoggerFactory.getLogger(SpdyStreamHandler.class);

    protected ChannelHandlerContext ctx;
    private final Set<Integer> finSent = new HashSet<>();
    private boolean closing;
    private int pausedInputs;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public final void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof SpdySynStreamFrame syn) {
                onSynStream(syn);
            } else if (msg instanceof SpdyDataFrame data) {
                byte[] bytes = ByteBufUtil.getBytes(data.content());
                onData(data.streamId(), bytes, data.isLast());
            } else if (msg instanceof SpdyRstStreamFrame rst) {
                onReset(rst.streamId());
            } else if (msg instanceof SpdyGoAwayFrame) {
                onGoAway();
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public final void channelInactive(ChannelHandlerContext ctx) {
        onClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("SPDY streaming connection {} failed", ctx.channel(), cause);
        forceClose();
    }

    /** A client opened a stream; reply to it (or reset it). */
    protected abstract void onSynStream(SpdySynStreamFrame syn);

    /** Bytes (possibly none) from the client on a stream, and whether the client half-closed it. */
    protected abstract void onData(int streamId, byte[] data, boolean last);

    /** The client reset a stream. */
    protected abstract void onReset(int streamId);

    /** The client sent GOAWAY: it opens no more streams. */
    protected void onGoAway() {
    }

    /** The connection is closed. */
    protected abstract void onClosed();

    /** The value of a header of the stream (lower-case name, as SPDY/3 requires), or null. */
    static String header(SpdySynStreamFrame syn, String name) {
        String value = syn.headers().getAsString(name);
        return value == null ? null : value.trim();
    }

    /**
     * Accepts a stream. The reply repeats the stream's type as its one header: Netty encodes a
     * reply without headers as no header block at all, which Go's SPDY framer (and Netty's own
     * decoder) reject, while spdystream itself sends a block with zero headers.
     */
    protected final void reply(int streamId, String streamType) {
        SpdySynReplyFrame reply = new DefaultSpdySynReplyFrame(streamId);
        reply.headers().set("streamtype", streamType);
        ctx.writeAndFlush(reply);
    }

    protected final void reset(int streamId, SpdyStreamStatus status) {
        finSent.add(streamId);
        ctx.writeAndFlush(new DefaultSpdyRstStreamFrame(streamId, status));
    }

    /** Writes text on a stream from the event loop, without waiting. */
    protected final ChannelFuture writeText(int streamId, String text) {
        return ctx.writeAndFlush(new DefaultSpdyDataFrame(streamId, Unpooled.copiedBuffer(text, java.nio.charset.StandardCharsets.UTF_8)));
    }

    /** Half-closes a stream toward the client (an empty data frame with FIN), once. */
    protected final ChannelFuture fin(int streamId) {
        if (!finSent.add(streamId)) {
            return ctx.newSucceededFuture();
        }
        SpdyDataFrame frame = new DefaultSpdyDataFrame(streamId);
        frame.setLast(true);
        return ctx.writeAndFlush(frame);
    }

    protected final boolean finSent(int streamId) {
        return finSent.contains(streamId);
    }

    /**
     * Sends bytes on a stream from a thread other than the event loop and waits until they are
     * written to the socket, which includes waiting for flow-control window when the peer does
     * flow control.
     */
    protected final void writeBlocking(int streamId, byte[] data, int offset, int length) throws IOException {
        if (ctx.executor().inEventLoop()) {
            throw new IllegalStateException("blocking write on the event loop");
        }
        if (!ctx.channel().isActive()) {
            throw new IOException("the client is gone");
        }
        List<ChannelFuture> futures = new ArrayList<>();
        for (int at = 0; at < length; at += MAX_FRAME) {
            int n = Math.min(MAX_FRAME, length - at);
            futures.add(ctx.writeAndFlush(new DefaultSpdyDataFrame(streamId, Unpooled.copiedBuffer(data, offset + at, n))));
        }
        for (ChannelFuture future : futures) {
            try {
                future.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while writing to the client");
            }
            if (!future.isSuccess()) {
                throw new IOException("the client is gone: " + future.cause(), future.cause());
            }
        }
    }

    /** Stops or resumes reading from the socket for one more or one less reason (any thread). */
    protected final void pauseReading(boolean paused) {
        ctx.executor().execute(() -> {
            pausedInputs = Math.max(0, pausedInputs + (paused ? 1 : -1));
            ctx.channel().config().setAutoRead(pausedInputs == 0 || closing);
        });
    }

    /**
     * Ends the connection once {@code pending} writes are done: GOAWAY through the session handler,
     * which closes the socket when the client has closed or reset its streams; whatever is still
     * open after {@link #LINGER_MILLIS} is closed without waiting further.
     */
    protected final void closeAfter(List<ChannelFuture> pending) {
        if (closing) {
            return;
        }
        closing = true;
        ctx.channel().config().setAutoRead(true);
        int[] left = {pending.size()};
        Runnable goAway = () -> ctx.channel().close();
        if (pending.isEmpty()) {
            goAway.run();
        }
        for (ChannelFuture future : pending) {
            future.addListener(f -> {
                if (--left[0] == 0) {
                    goAway.run();
                }
            });
        }
        ctx.executor().schedule(this::forceClose, LINGER_MILLIS, TimeUnit.MILLISECONDS);
    }

    protected final boolean closing() {
        return closing;
    }

    /** Closes the socket now, past the session handler's wait for open streams. */
    protected final void forceClose() {
        closing = true;
        ChannelHandlerContext session = ctx.pipeline().context(SpdySessionHandler.class);
        if (session != null) {
            session.close();
        } else {
            ctx.channel().close();
        }
    }
}
