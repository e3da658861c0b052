package io.crisp.core.stream.spdy;

import io.crisp.core.stream.session.StreamTarget;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;

/** A streaming server as the router will build it: HTTP codec, aggregator, a router calling the upgrade. */
final class TestServer implements AutoCloseable {
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final Channel server;
    volatile StreamTarget target;

    TestServer(FakeSessions sessions, Duration creationTimeout) throws InterruptedException {
        SpdyStreamUpgrade upgrade = new SpdyStreamUpgrade(sessions, creationTimeout);
        server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536), new Router(upgrade));
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    URI url() {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        return URI.create("http://127.0.0.1:" + port + "/" + target.kind() + "/token");
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }

    private final class Router extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final SpdyStreamUpgrade upgrade;

        Router(SpdyStreamUpgrade upgrade) {
            this.upgrade = upgrade;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
            if ("SPDY/3.1".equalsIgnoreCase(request.headers().get(HttpHeaderNames.UPGRADE)) && target != null) {
                upgrade.upgrade(ctx, request, target);
            } else {
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NOT_FOUND,
                        Unpooled.EMPTY_BUFFER)).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
