package io.crisp.client.stream;

import io.crisp.stream.wire.ChannelCodec;
import io.crisp.stream.wire.ChannelCodec.ChannelMessage;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The client end of one WebSocket speaking a channel protocol: the handshake offering the given
 * subprotocols, channel messages in both directions, ping answers and the closing handshake.
 * Messages go to a {@link Receiver} on the event loop.
 */
final class ChannelClient {
    static final int MAX_MESSAGE = 1024 * 1024;
    static final int MAX_PAYLOAD_PER_MESSAGE = 32 * 1024;

    /** What the connection reports; called on the event loop, never blocking. */
    interface Receiver {
        void message(int channel, byte[] data);

        /** The connection is closed; {@code normal} when the server sent a normal close frame first. */
        void closed(boolean normal);
    }

    private static volatile EventLoopGroup group;

    private final Channel channel;
    private final String protocol;
    private final ChannelCodec codec;
    private final Handler handler;
    private final AtomicBoolean closing = new AtomicBoolean();
    private int pausedStreams;

    private ChannelClient(Channel channel, String protocol, Handler handler) {
        this.channel = channel;
        this.protocol = protocol;
        this.codec = protocol.contains("base64") ? ChannelCodec.BASE64 : ChannelCodec.BINARY;
        this.handler = handler;
    }

    /**
     * Connects and completes the handshake.
     *
     * @throws IOException when the server refuses (naming the HTTP status and body) or cannot be reached
     */
    static ChannelClient connect(URI url, List<String> protocols, Receiver receiver, Duration timeout) throws IOException {
        URI ws = webSocketUri(url);
        int port = ws.getPort() > 0 ? ws.getPort() : 80;
        WebSocketClientHandshaker handshaker = WebSocketClientHandshakerFactory.newHandshaker(ws, WebSocketVersion.V13,
                protocols.isEmpty() ? null : String.join(",", protocols), false, new DefaultHttpHeaders(), MAX_MESSAGE);
        Handler handler = new Handler(handshaker, receiver);
        Bootstrap bootstrap = new Bootstrap()
                .group(group())
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(64 * 1024), handler);
                    }
                });
        ChannelFuture connected = bootstrap.connect(ws.getHost(), port);
        connected.addListener(f -> {
            if (!f.isSuccess()) {
                handler.handshaken.completeExceptionally(new IOException("cannot connect to " + url + ": " + f.cause(), f.cause()));
            }
        });
        try {
            String chosen = handler.handshaken.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return new ChannelClient(connected.channel(), chosen, handler);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            connected.channel().close();
            throw new InterruptedIOException("interrupted during the WebSocket handshake");
        } catch (TimeoutException e) {
            connected.channel().close();
            throw new IOException("WebSocket handshake with " + url + " timed out after " + timeout);
        } catch (ExecutionException e) {
            connected.channel().close();
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException("WebSocket handshake with " + url + " failed: " + cause, cause);
        }
    }

    private static URI webSocketUri(URI url) throws IOException {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase();
        if (!scheme.equals("ws") && !scheme.equals("http")) {
            throw new IOException("only plain ws:// or http:// URLs are supported, not " + url);
        }
        try {
            return new URI("ws", url.getRawAuthority(), url.getRawPath(), url.getRawQuery(), null);
        } catch (URISyntaxException e) {
            throw new IOException("bad URL " + url, e);
        }
    }

    private static EventLoopGroup group() {
        EventLoopGroup g = group;
        if (g == null) {
            synchronized (ChannelClient.class) {
                g = group;
                if (g == null) {
                    g = new MultiThreadIoEventLoopGroup(0, new DefaultThreadFactory("crisp-ws-client", true),
                            NioIoHandler.newFactory());
                    group = g;
                }
            }
        }
        return g;
    }

    /** The subprotocol the server chose, empty if it named none. */
    String protocol() {
        return protocol;
    }

    /** Sends {@code data} on {@code channelNumber} (split into messages of at most 32 KiB) and waits until written. */
    void send(int channelNumber, byte[] data, int offset, int length) throws IOException {
        ChannelFuture last = null;
        int at = offset;
        int end = offset + length;
        do {
            int chunk = Math.min(MAX_PAYLOAD_PER_MESSAGE, end - at);
            last = channel.writeAndFlush(codec.encode(channel.alloc(), channelNumber, data, at, chunk));
            at += chunk;
        } while (at < end);
        await(last);
    }

    /** Sends the v5 close signal for {@code channelNumber} and waits until written. */
    void sendCloseSignal(int channelNumber) throws IOException {
        await(channel.writeAndFlush(ChannelCodec.closeSignal(channelNumber)));
    }

    private static void await(ChannelFuture future) throws IOException {
        try {
            future.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while writing");
        }
        if (!future.isSuccess()) {
            throw new IOException("the WebSocket connection is closed", future.cause());
        }
    }

    /** One more (or one less) reader is full: reading stops while any is. */
    synchronized void streamFull(boolean full) {
        pausedStreams += full ? 1 : -1;
        channel.config().setAutoRead(pausedStreams <= 0);
    }

    /** Waits until the connection is closed; false on timeout. */
    boolean awaitClosed(Duration timeout) throws IOException {
        try {
            return channel.closeFuture().await(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the connection to close");
        }
    }

    /** Whether the server ended the connection with a normal close frame. */
    boolean closedNormally() {
        return handler.normalClose;
    }

    /** Starts the closing handshake (normal closure) and closes the connection. */
    void close() {
        if (closing.compareAndSet(false, true) && channel.isActive()) {
            channel.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }

    private static final class Handler extends SimpleChannelInboundHandler<Object> {
        private final WebSocketClientHandshaker handshaker;
        private final Receiver receiver;
        final CompletableFuture<String> handshaken = new CompletableFuture<>();
        private ChannelCodec codec = ChannelCodec.BINARY;
        private volatile boolean normalClose;

        Handler(WebSocketClientHandshaker handshaker, Receiver receiver) {
            this.handshaker = handshaker;
            this.receiver = receiver;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            handshaker.handshake(ctx.channel());
            super.channelActive(ctx);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            if (!handshaker.isHandshakeComplete()) {
                if (!(msg instanceof FullHttpResponse response)) {
                    return;
                }
                if (!response.status().equals(HttpResponseStatus.SWITCHING_PROTOCOLS)) {
                    handshaken.completeExceptionally(new IOException("WebSocket upgrade refused: HTTP "
                            + response.status() + ": " + response.content().toString(StandardCharsets.UTF_8).trim()));
                    ctx.close();
                    return;
                }
                try {
                    handshaker.finishHandshake(ctx.channel(), response);
                } catch (RuntimeException e) {
                    handshaken.completeExceptionally(new IOException("WebSocket handshake failed: " + e.getMessage(), e));
                    ctx.close();
                    return;
                }
                ctx.pipeline().addBefore(ctx.name(), "ws-aggregator", new WebSocketFrameAggregator(MAX_MESSAGE));
                String chosen = handshaker.actualSubprotocol() == null ? "" : handshaker.actualSubprotocol();
                codec = chosen.contains("base64") ? ChannelCodec.BASE64 : ChannelCodec.BINARY;
                handshaken.complete(chosen);
                return;
            }
            if (msg instanceof PingWebSocketFrame ping) {
                ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
            } else if (msg instanceof CloseWebSocketFrame close) {
                normalClose = close.statusCode() == WebSocketCloseStatus.NORMAL_CLOSURE.code();
                ctx.writeAndFlush(new CloseWebSocketFrame(WebSocketCloseStatus.NORMAL_CLOSURE))
                        .addListener(ChannelFutureListener.CLOSE);
            } else if (msg instanceof BinaryWebSocketFrame || msg instanceof TextWebSocketFrame) {
                ByteBuf content = ((WebSocketFrame) msg).content();
                ChannelMessage message = codec.decode(content);
                if (message != null) {
                    receiver.message(message.channel(), message.data());
                }
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            handshaken.completeExceptionally(new IOException("the server closed the connection during the WebSocket handshake"));
            receiver.closed(normalClose);
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            handshaken.completeExceptionally(cause instanceof IOException ? cause : new IOException(cause.toString(), cause));
            ctx.close();
        }
    }
}
