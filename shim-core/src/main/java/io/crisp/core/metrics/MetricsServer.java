package io.crisp.core.metrics;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus endpoint: {@code GET /metrics} on {@code [metrics] metrics_address:metrics_port},
 * plain HTTP, one event-loop thread. Any other path is 404, another method on {@code /metrics} 405.
 * The body comes from a supplier (the registry's scrape), called on the event loop: it reads memory only.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
    /** Prometheus text exposition format 0.0.4, which every scraper reads. */
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    private static final int MAX_REQUEST_BYTES = 16 * 1024;

    private final EventLoopGroup group;
    private final Channel channel;

    private MetricsServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    /**
     * Binds and starts serving.
     *
     * @throws IOException when the address is not this node's or the port cannot be bound
     */
    public static MetricsServer start(String address, int port, Supplier<String> scrape) throws IOException {
        InetSocketAddress bindTo;
        try {
            bindTo = new InetSocketAddress(InetAddress.getByName(address), port);
        } catch (IOException e) {
            throw new IOException("[metrics] metrics_address '" + address + "' is not an address of this node: " + e.getMessage(), e);
        }
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("crisp-metrics-io", true), EpollIoHandler.newFactory());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("http", new HttpServerCodec());
                        ch.pipeline().addLast("aggregate", new HttpObjectAggregator(MAX_REQUEST_BYTES));
                        ch.pipeline().addLast("metrics", new MetricsHandler(scrape));
                    }
                });
        try {
            Channel channel = bootstrap.bind(bindTo).sync().channel();
            MetricsServer server = new MetricsServer(group, channel);
            LOG.info("Metrics server listening on {}", server.url());
            return server;
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw new IOException("metrics server: cannot listen on " + bindTo + ": " + e.getMessage(), e);
        }
    }

    public InetSocketAddress localAddress() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** {@code http://127.0.0.1:PORT/metrics}. */
    public String url() {
        InetAddress address = localAddress().getAddress();
        String text = address.getHostAddress();
        int zone = text.indexOf('%');
        if (zone >= 0) {
            text = text.substring(0, zone);
        }
        return "http://" + (address instanceof Inet6Address ? "[" + text + "]" : text) + ":" + localAddress().getPort() + "/metrics";
    }

    @Override
    public void close() {
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }

    private static final class MetricsHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Supplier<String> scrape;

        MetricsHandler(Supplier<String> scrape) {
            this.scrape = scrape;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            String path = new QueryStringDecoder(request.uri()).path();
            FullHttpResponse response;
            if (!path.equals("/metrics")) {
                response = text(HttpResponseStatus.NOT_FOUND, "404 not found: only /metrics is served here\n", "text/plain; charset=utf-8");
            } else if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.HEAD)) {
                response = text(HttpResponseStatus.METHOD_NOT_ALLOWED, "405 method not allowed: GET /metrics\n", "text/plain; charset=utf-8");
                response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            } else {
                String body;
                try {
                    body = scrape.get();
                } catch (RuntimeException e) {
                    LOG.warn("Metrics scrape failed: {}", e.toString());
                    body = null;
                }
                response = body == null
                        ? text(HttpResponseStatus.INTERNAL_SERVER_ERROR, "500 scrape failed\n", "text/plain; charset=utf-8")
                        : text(HttpResponseStatus.OK, body, CONTENT_TYPE);
                if (request.method().equals(HttpMethod.HEAD)) {
                    response.content().clear();
                }
            }
            boolean keepAlive = HttpUtil.isKeepAlive(request);
            HttpUtil.setKeepAlive(response, keepAlive);
            if (keepAlive) {
                ctx.writeAndFlush(response);
            } else {
                ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
            }
        }

        private static FullHttpResponse text(HttpResponseStatus status, String body, String contentType) {
            ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
            HttpUtil.setContentLength(response, content.readableBytes());
            return response;
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("Metrics connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
            ctx.close();
        }
    }
}
