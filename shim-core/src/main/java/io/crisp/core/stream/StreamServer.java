package io.crisp.core.stream;

import static java.util.Objects.requireNonNull;

import io.crisp.core.config.CrispConfig.StreamTls;
import io.crisp.core.stream.session.StreamSessions;
import io.crisp.core.stream.session.StreamUpgrade;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP server behind the URLs {@code Exec}, {@code Attach} and {@code PortForward} return
 * (the kubelet and crictl connect to it). Bound to {@code [stream] stream_address} (loopback by
 * default, so only the node itself can connect) and {@code stream_port} (0: a free port), HTTPS when
 * a certificate and key are configured. One event-loop thread serves every connection; the
 * processes and connections behind them are pumped on threads of {@link StreamSessions}.
 *
 * <p>Pipeline: [tls] idle, idle-close, http, aggregate, router. The router hands a connection to a
 * {@link StreamUpgrade}, which replaces the HTTP handlers with SPDY's or WebSocket's. A connection
 * with no traffic either way for the idle timeout is closed, whatever protocol it speaks by then.
 */
public final class StreamServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamServer.class);
    /** Upgrade requests are a few headers; nothing large is accepted before the upgrade. */
    private static final int MAX_REQUEST_BYTES = 64 * 1024;

    private final EventLoopGroup group;
    private final Channel channel;
    private final String scheme;
    private final String host;
    private final int port;

    private StreamServer(EventLoopGroup group, Channel channel, boolean tls) {
        this.group = group;
        this.channel = channel;
        this.scheme = tls ? "https" : "http";
        InetSocketAddress bound = (InetSocketAddress) channel.localAddress();
        InetAddress address = bound.getAddress();
        String text = address.getHostAddress();
        int zone = text.indexOf('%');
        if (zone >= 0) {
            text = text.substring(0, zone);
        }
        this.host = address instanceof Inet6Address ? "[" + text + "]" : text;
        this.port = bound.getPort();
    }

    /**
     * Binds and starts serving.
     *
     * @param upgrades the protocols by lower-case {@code Upgrade} header value ({@code spdy/3.1}, {@code websocket})
     * @throws IOException when the address cannot be bound or the TLS files cannot be read
     */
    public static StreamServer start(String address, int port, Duration idleTimeout, Optional<StreamTls> tls, StreamTokens tokens,
            Map<String, StreamUpgrade> upgrades) throws IOException {
        requireNonNull(tokens, "tokens is null");
        SslContext ssl = null;
        if (tls.isPresent()) {
            try {
                ssl = SslContextBuilder.forServer(tls.get().certificate().toFile(), tls.get().privateKey().toFile()).build();
            } catch (Exception e) {
                throw new IOException("[stream] stream_tls_cert " + tls.get().certificate() + " / stream_tls_key "
                        + tls.get().privateKey() + ": cannot load the certificate and key: " + e.getMessage(), e);
            }
        }
        SslContext sslContext = ssl;
        long idleMillis = idleTimeout.toMillis();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("crisp-stream-io", true), EpollIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (sslContext != null) {
                            ch.pipeline().addLast("tls", sslContext.newHandler(ch.alloc()));
                        }
                        // First, so it sees the bytes of every protocol the connection is upgraded to.
                        ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS));
                        ch.pipeline().addLast("idle-close", new IdleCloser());
                        ch.pipeline().addLast("http", new HttpServerCodec());
                        ch.pipeline().addLast("aggregate", new HttpObjectAggregator(MAX_REQUEST_BYTES));
                        ch.pipeline().addLast(StreamRouter.NAME, new StreamRouter(tokens, upgrades));
                    }
                });
        InetSocketAddress bindTo;
        try {
            bindTo = new InetSocketAddress(InetAddress.getByName(address), port);
        } catch (IOException e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IOException("[stream] stream_address '" + address + "' is not an address of this node: " + e.getMessage(), e);
        }
        try {
            Channel channel = bootstrap.bind(bindTo).sync().channel();
            StreamServer server = new StreamServer(group, channel, sslContext != null);
            LOG.info("Streaming server listening on {}://{}:{}", server.scheme, server.host, server.port);
            return server;
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IOException("streaming server: cannot listen on " + bindTo + ": " + e.getMessage(), e);
        } 
    }

    /** The URL a client connects to for {@code token}: {@code http://127.0.0.1:PORT/exec/TOKEN}. */
    public String url(String kind, String token) {
        return scheme + "://" + host + ":" + port + "/" + kind + "/" + token;
    }

    /** Where the server answers: {@code http://127.0.0.1:PORT}. */
    public String baseUrl() {
        return scheme + "://" + host + ":" + port;
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    /** Closes a connection the idle handler found silent in both directions. */
    private static final class IdleCloser extends ChannelDuplexHandler {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                LOG.debug("Closing idle streaming connection from {}", ctx.channel().remoteAddress());
                ctx.close();
                return;
            }
            super.userEventTriggered(ctx, evt);
        }
    }
}
