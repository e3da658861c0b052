package io.crisp.client.stream;

import io.crisp.spi.model.StdioWiring;
import io.crisp.stream.wire.AutoReadGate;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.spdy.DefaultSpdySettingsFrame;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyDataFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdyRstStreamFrame;
import io.netty.handler.codec.spdy.SpdySessionHandler;
import io.netty.handler.codec.spdy.SpdySettingsFrame;
import io.netty.handler.codec.spdy.SpdySynReplyFrame;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A SPDY/3.1 streaming client that behaves like client-go (kubectl, crictl): it upgrades a
 * streaming URL with {@code Upgrade: SPDY/3.1} and one {@code X-Stream-Protocol-Version} header per
 * offered protocol, then creates streams in client-go's order, waiting for each SYN_REPLY.
 *
 * <p>Use: {@link #connect} once per URL, then {@link #openStdio} (exec and attach: one per
 * connection; closing it closes the connection) or {@link #openForward} (port-forward: as many as
 * wanted, request IDs counting from 0), and {@link #close}. {@link #exec} does the first two
 * steps at once. Unlike spdystream, this client does SPDY/3.1 flow control and says so with a
 * SETTINGS frame before its first stream, and stops reading the socket while more than
 * {@value #HIGH_WATER} bytes wait unread in its input streams.
 */
public final class SpdyStreamClient implements AutoCloseable {
    static final long HIGH_WATER = 8L * 1024 * 1024;
    static final long LOW_WATER = 2L * 1024 * 1024;
    private static final int RECEIVE_WINDOW = 4 * 1024 * 1024;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);

    private static final class Loop {
        static final EventLoopGroup GROUP = new MultiThreadIoEventLoopGroup(2,
                new DefaultThreadFactory("crisp-spdy-client", true), NioIoHandler.newFactory());
    }

    private volatile Channel channel;
    private volatile String protocol;
    private final Map<Integer, SpdyClientStream> streams = new ConcurrentHashMap<>();
    private final AtomicInteger requestIds = new AtomicInteger();
    private final AtomicLong buffered = new AtomicLong();
    private int nextStreamId = 1;
    private volatile boolean closed;

    private SpdyStreamClient() {
    }

    /** Connects over plain HTTP ({@code http://} URLs). */
    public static SpdyStreamClient connect(URI url, List<String> protocols) throws IOException {
        return connect(url, protocols, null);
    }

    /**
     * Connects and upgrades to SPDY/3.1.
     *
     * @param ssl for {@code https://} URLs; null for {@code http://}
     * @throws IOException naming the HTTP status and body when the server does not answer 101
     */
    public static SpdyStreamClient connect(URI url, List<String> protocols, SslContext ssl) throws IOException {
        boolean https = "https".equalsIgnoreCase(url.getScheme());
        if (https && ssl == null) {
            throw new IOException("an https URL needs an SslContext");
        }
        String host = url.getHost();
        int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
        CompletableFuture<String> upgraded = new CompletableFuture<>();
        SpdyStreamClient client = new SpdyStreamClient();
        Bootstrap bootstrap = new Bootstrap()
                .group(Loop.GROUP)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) CONNECT_TIMEOUT.toMillis())
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (ssl != null) {
                            ch.pipeline().addLast("ssl", ssl.newHandler(ch.alloc(), host, port));
                        }
                        ch.pipeline().addLast("http", new HttpClientCodec());
                        ch.pipeline().addLast("aggregator", new HttpObjectAggregator(1024 * 1024));
                        ch.pipeline().addLast("upgrade", client.new UpgradeHandler(upgraded));
                    }
                });
        Channel channel;
        try {
            channel = bootstrap.connect(host, port).sync().channel();
            client.channel = channel;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while connecting to " + url);
        } catch (Exception e) {
            throw new IOException("cannot connect to " + url + ": " + e, e);
        }
        channel.closeFuture().addListener(f -> upgraded.completeExceptionally(
                new IOException("the server closed the connection before upgrading")));
        String path = (url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath())
                + (url.getRawQuery() == null ? "" : "?" + url.getRawQuery());
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
        request.headers()
                .set(HttpHeaderNames.HOST, url.getPort() > 0 ? host + ":" + port : host)
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE)
                .set(HttpHeaderNames.UPGRADE, "SPDY/3.1");
        for (String offered : protocols) {
            request.headers().add("X-Stream-Protocol-Version", offered);
        }
        channel.writeAndFlush(request);
        try {
            upgraded.get(REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            channel.close();
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while upgrading " + url);
        } catch (ExecutionException e) {
            channel.close();
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (TimeoutException e) {
            channel.close();
            throw new IOException("no answer to the upgrade of " + url + " within " + REPLY_TIMEOUT);
        }
        return client;
    }

    /** Connects and opens an exec or attach; closing the result closes the connection. */
    public static StdioConnection exec(URI url, StdioWiring stdio, List<String> protocols) throws IOException {
        SpdyStreamClient client = connect(url, protocols);
        try {
            return client.openStdio(stdio);
        } catch (IOException | RuntimeException e) {
            client.close();
            throw e;
        }
    }

    /** The protocol the server chose (its {@code X-Stream-Protocol-Version} answer). */
    public String protocol() {
        return protocol;
    }

    /**
     * Creates the streams of an exec or attach in client-go's order: error, stdin, stdout, stderr
     * (not with a tty), resize (with a tty, from v3 on). Closing the result closes the connection.
     */
    public StdioConnection openStdio(StdioWiring stdio) throws IOException {
        SpdyClientStream error = open(Map.of("streamtype", "error"), true);
        SpdyClientStream stdin = stdio.stdin() ? open(Map.of("streamtype", "stdin"), false) : null;
        SpdyClientStream stdout = stdio.stdout() ? open(Map.of("streamtype", "stdout"), false) : null;
        SpdyClientStream stderr = stdio.stderr() && !stdio.tty() ? open(Map.of("streamtype", "stderr"), false) : null;
        boolean resizes = protocol.equals("v4.channel.k8s.io") || protocol.equals("v3.channel.k8s.io");
        SpdyClientStream resize = stdio.tty() && resizes ? open(Map.of("streamtype", "resize"), false) : null;
        return new SpdyStdioConnection(this, error, stdin, stdout, stderr, resize);
    }

    /** Opens one forwarded connection to {@code port}: an error stream (half-closed at once) and a data stream. */
    public ForwardConnection openForward(int port) throws IOException {
        return openForward(Integer.toString(port));
    }

    /** As {@link #openForward(int)} with the {@code port} header as given, to test servers' checks. */
    public ForwardConnection openForward(String portHeader) throws IOException {
        String requestId = Integer.toString(requestIds.getAndIncrement());
        SpdyClientStream error = open(Map.of("streamtype", "error", "port", portHeader, "requestid", requestId), true);
        error.fin();
        SpdyClientStream data = open(Map.of("streamtype", "data", "port", portHeader, "requestid", requestId), false);
        return new SpdyForwardConnection(error, data);
    }

    public boolean isOpen() {
        return !closed && channel.isActive();
    }

    /**
     * Closes the connection: GOAWAY, then the socket. Netty's session handler would keep the socket
     * open until every stream is closed both ways, and a client that is done never half-closes the
     * streams it only reads (neither does kubectl), so the socket is closed right after the GOAWAY,
     * below the session handler.
     */
    @Override
    public void close() {
        closed = true;
        ChannelHandlerContext session = channel.pipeline().context(SpdySessionHandler.class);
        channel.close(); // the session handler writes GOAWAY (tasks run in order on the event loop)
        if (session != null) {
            session.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        } else {
            channel.closeFuture().awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    // ---- internals ----

    private SpdyClientStream open(Map<String, String> headers, boolean keepText) throws IOException {
        if (!isOpen()) {
            throw new IOException("the connection is closed");
        }
        CompletableFuture<SpdyClientStream> created = new CompletableFuture<>();
        channel.eventLoop().execute(() -> {
            int id = nextStreamId;
            nextStreamId += 2;
            SpdyClientStream stream = new SpdyClientStream(this, channel, id, keepText);
            streams.put(id, stream);
            SpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
            headers.forEach((name, value) -> syn.headers().set(name, value));
            channel.writeAndFlush(syn).addListener(f -> {
                if (!f.isSuccess()) {
                    stream.ended();
                }
            });
            created.complete(stream);
        });
        try {
            SpdyClientStream stream = created.get(REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            stream.replied.get(REPLY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            return stream;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException();
        } catch (ExecutionException e) {
            throw new IOException("the server refused stream " + headers + ": " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("no reply to stream " + headers + " within " + REPLY_TIMEOUT);
        }
    }

    /** Called on the event loop while the HTTP decoder hands over the 101, so no byte after it is lost. */
    private void switchToSpdy(ChannelPipeline pipeline) {
        SpdySessionHandler session = new SpdySessionHandler(SpdyVersion.SPDY_3_1, false);
        session.setSessionReceiveWindowSize(RECEIVE_WINDOW);
        pipeline.addAfter("http", "spdy-read-gate", AutoReadGate.INSTANCE);
        pipeline.addAfter("spdy-read-gate", "spdy-codec", new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
        pipeline.addAfter("spdy-codec", "spdy-session", session);
        pipeline.addAfter("spdy-session", "spdy-frames", new FrameHandler());
        pipeline.remove("aggregator");
        pipeline.remove("upgrade");
        // The HTTP decoder passes the bytes it still holds (frames right after the 101) on to the
        // SPDY codec as it goes; its encoder would refuse the SETTINGS frame, so that comes after.
        pipeline.remove("http");
        SpdySettingsFrame settings = new DefaultSpdySettingsFrame();
        settings.setValue(SpdySettingsFrame.SETTINGS_INITIAL_WINDOW_SIZE, RECEIVE_WINDOW);
        pipeline.context("spdy-frames").writeAndFlush(settings);
    }

    void buffered(int bytes) {
        if (buffered.addAndGet(bytes) > HIGH_WATER && channel.config().isAutoRead()) {
            channel.config().setAutoRead(false);
        }
    }

    void consumed(int bytes) {
        if (buffered.addAndGet(-bytes) < LOW_WATER && !channel.config().isAutoRead()) {
            channel.config().setAutoRead(true);
        }
    }

    /** Answers the upgrade request: 101 with a chosen protocol, or an error naming status and body. */
    private final class UpgradeHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final CompletableFuture<String> upgraded;

        UpgradeHandler(CompletableFuture<String> upgraded) {
            this.upgraded = upgraded;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
            String body = response.content().toString(StandardCharsets.UTF_8).trim();
            if (!response.status().equals(HttpResponseStatus.SWITCHING_PROTOCOLS)) {
                upgraded.completeExceptionally(new IOException("the server answered HTTP " + response.status()
                        + (body.isEmpty() ? "" : ": " + body)));
                ctx.close();
                return;
            }
            String chosen = response.headers().get("X-Stream-Protocol-Version");
            String upgrade = response.headers().get(HttpHeaderNames.UPGRADE, "");
            if (!upgrade.equalsIgnoreCase("SPDY/3.1")) {
                upgraded.completeExceptionally(new IOException("the server upgraded to " + upgrade + ", not SPDY/3.1"));
                ctx.close();
            } else {
                protocol = chosen == null ? "" : chosen;
                switchToSpdy(ctx.pipeline());
                upgraded.complete(protocol);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            upgraded.completeExceptionally(new IOException("upgrade failed: " + cause, cause));
            ctx.close();
        }
    }

    /** Routes frames to the streams on the event loop. */
    private final class FrameHandler extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof SpdySynReplyFrame reply) {
                    SpdyClientStream stream = streams.get(reply.streamId());
                    if (stream != null) {
                        stream.replied.complete(null);
                        if (reply.isLast()) {
                            stream.received(new byte[0], true);
                        }
                    }
                } else if (msg instanceof SpdyDataFrame data) {
                    SpdyClientStream stream = streams.get(data.streamId());
                    if (stream != null) {
                        stream.received(ByteBufUtil.getBytes(data.content()), data.isLast());
                    }
                } else if (msg instanceof SpdyRstStreamFrame rst) {
                    SpdyClientStream stream = streams.remove(rst.streamId());
                    if (stream != null) {
                        stream.ended();
                    }
                } else if (msg instanceof SpdySynStreamFrame) {
                    // Servers of these protocols never open streams; SpdySessionHandler already
                    // accepted it, so there is nothing to do but ignore it.
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed = true;
            for (SpdyClientStream stream : streams.values()) {
                stream.ended();
            }
            streams.clear();
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
