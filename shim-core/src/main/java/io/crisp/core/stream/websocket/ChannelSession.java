package io.crisp.core.stream.websocket;

import static java.util.Objects.requireNonNull;

import io.crisp.stream.wire.ChannelCodec;
import io.crisp.stream.wire.ChannelCodec.ChannelMessage;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One upgraded WebSocket connection speaking a channel protocol, server side: decodes client
 * messages into channel payloads, answers pings and close frames, and writes channel messages
 * with back pressure. The exec/attach and port-forward sessions build on it.
 */
abstract class ChannelSession extends SimpleChannelInboundHandler<WebSocketFrame> {
    /** Largest payload per message the server sends; larger writes are split. */
    static final int MAX_MESSAGE_PAYLOAD = 32 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(ChannelSession.class);

    protected final Channel channel;
    protected final ChannelProtocol protocol;
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicBoolean gone = new AtomicBoolean();

    ChannelSession(Channel channel, ChannelProtocol protocol) {
        this.channel = requireNonNull(channel, "channel is null");
        this.protocol = requireNonNull(protocol, "protocol is null");
    }

    /** The upgrade is complete (101 written): send initial frames and start the core session. */
    abstract void start();

    /** A data message from the client. Runs on the event loop. */
    abstract void received(int channelNumber, byte[] data);

    /** A v5 close signal from the client for {@code channelNumber}. Runs on the event loop. */
    abstract void closeSignal(int channelNumber);

    /** The connection is gone. Runs on the event loop, once. */
    abstract void gone();

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof PingWebSocketFrame) {
            ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
        } else if (frame instanceof CloseWebSocketFrame close) {
            closing.set(true);
            ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode() < 0 ? 1000 : close.statusCode(), ""))
                    .addListener(ChannelFutureListener.CLOSE);
        } else if (frame instanceof BinaryWebSocketFrame || frame instanceof TextWebSocketFrame) {
            ByteBuf content = frame.content();
            if (protocol.hasCloseSignal() && frame instanceof BinaryWebSocketFrame
                    && content.readableBytes() == 2
                    && content.getUnsignedByte(content.readerIndex()) == ChannelCodec.CLOSE_SIGNAL) {
                closeSignal(content.getUnsignedByte(content.readerIndex() + 1));
                return;
            }
            ChannelMessage message = protocol.codec().decode(content);
            if (message != null) {
                received(message.channel(), message.data());
            }
        }
        // Pong frames and anything else: nothing to do.
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (gone.compareAndSet(false, true)) {
            gone();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("WebSocket stream connection {} failed", ctx.channel(), cause);
        ctx.close();
    }

    /**
     * Writes {@code data} as messages on {@code channelNumber} and waits until they are written to
     * the socket. On the event loop (never from sessions) it writes without waiting.
     */
    void send(int channelNumber, byte[] data, int offset, int length) throws IOException {
        if (!channel.isActive() || closing.get()) {
            throw new IOException("the WebSocket stream connection is closed");
        }
        ChannelFuture last = null;
        int at = offset;
        int end = offset + length;
        do {
            int chunk = Math.min(MAX_MESSAGE_PAYLOAD, end - at);
            last = channel.writeAndFlush(protocol.codec().encode(channel.alloc(), channelNumber, data, at, chunk));
            at += chunk;
        } while (at < end);
        if (channel.eventLoop().inEventLoop()) {
            return;
        }
        try {
            last.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing to the WebSocket stream");
        }
        if (!last.isSuccess()) {
            throw new IOException("the WebSocket stream connection is closed", last.cause());
        }
    }

    /** Writes one message without waiting (initial frames, error texts). */
    void sendNow(int channelNumber, byte[] data) {
        if (!closing.get()) {
            channel.writeAndFlush(protocol.codec().encode(channel.alloc(), channelNumber, data, 0, data.length));
        }
    }

    /** Stops or resumes reading from the client. */
    void readPaused(boolean paused) {
        channel.config().setAutoRead(!paused);
    }

    /** Sends a normal close frame (1000) after what was written so far, then closes. Only the first call counts. */
    void closeNormally() {
        if (closing.compareAndSet(false, true)) {
            channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                    .addListener(ChannelFutureListener.CLOSE);
        }
    }
}
