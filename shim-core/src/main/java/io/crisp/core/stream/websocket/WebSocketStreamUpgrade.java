package io.crisp.core.stream.websocket;

import static java.util.Objects.requireNonNull;

import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.core.stream.session.StdioTarget;
import io.crisp.core.stream.session.StreamSessions;
import io.crisp.core.stream.session.StreamTarget;
import io.crisp.core.stream.session.StreamUpgrade;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Upgrades a streaming request to WebSocket with one of Kubernetes' channel subprotocols (see
 * {@link ChannelProtocols}) and runs an exec, attach or port-forward over it.
 *
 * <p>Refusals are plain-text HTTP errors, then the connection closes: 403 Forbidden when the
 * client offers subprotocols but none crisp speaks for the target (Kubernetes' websocket server
 * answers 403 too; crisp adds a body naming the supported ones), 400 Bad Request for a
 * port-forward without usable ports or a malformed handshake.
 *
 * <p>The channels of a channel protocol all exist once the upgrade is done, so there are no
 * streams to wait for: the creation timeout bounds the handshake itself (the 101 response must be
 * written within it). Client messages may be up to 1 MiB, continuation frames included.
 */
public final class WebSocketStreamUpgrade implements StreamUpgrade {
    /** Largest message the server accepts from a client (frames and aggregated continuations). */
    static final int MAX_CLIENT_MESSAGE = 1024 * 1024;

    private final StreamSessions sessions;
    private final Duration creationTimeout;

    public WebSocketStreamUpgrade(StreamSessions sessions, Duration creationTimeout) {
        this.sessions = requireNonNull(sessions, "sessions is null");
        this.creationTimeout = requireNonNull(creationTimeout, "creationTimeout is null");
    }

    @Override
    public void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, StreamTarget target) {
        List<ChannelProtocol> supported = ChannelProtocols.supported(target);
        List<String> offered = ChannelProtocols.offered(request);
        ChannelProtocol protocol;
        if (offered.isEmpty()) {
            protocol = ChannelProtocols.unnamed(target);
        } else {
            Optional<ChannelProtocol> chosen = ChannelProtocols.choose(supported, offered);
            if (chosen.isEmpty()) {
                refuse(ctx, HttpResponseStatus.FORBIDDEN, "requested protocol(s) are not supported: "
                        + String.join(", ", offered) + "; supports " + ChannelProtocols.names(supported));
                return;
            }
            protocol = chosen.get();
        }
        List<Integer> ports = List.of();
        if (target instanceof PortForwardTarget forward) {
            try {
                ports = ForwardPorts.of(request.uri(), forward);
            } catch (IllegalArgumentException e) {
                refuse(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage());
                return;
            }
        }

        WebSocketDecoderConfig decoderConfig = WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(MAX_CLIENT_MESSAGE)
                .allowExtensions(false)
                .build();
        // Only the chosen protocol is offered to Netty, so its answer is exactly our choice.
        WebSocketServerHandshakerFactory factory = new WebSocketServerHandshakerFactory(
                "ws://" + request.headers().get(HttpHeaderNames.HOST, "localhost") + request.uri(),
                offered.isEmpty() ? null : protocol.name(), decoderConfig);
        WebSocketServerHandshaker handshaker = factory.newHandshaker(request);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel())
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }

        ChannelSession session = target instanceof PortForwardTarget forward
                ? new WebSocketForwardSession(ctx.channel(), protocol, sessions, forward, ports)
                : new WebSocketStdioSession(ctx.channel(), protocol, sessions, (StdioTarget) target);

        ChannelPromise handshaken = ctx.newPromise();
        try {
            handshaker.handshake(ctx.channel(), request, new DefaultHttpHeaders(), handshaken);
        } catch (WebSocketHandshakeException e) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, e.getMessage());
            return;
        }
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.addAfter(ctx.name(), "crisp-ws-aggregator", new WebSocketFrameAggregator(MAX_CLIENT_MESSAGE));
        pipeline.addAfter("crisp-ws-aggregator", "crisp-ws-session", session);
        pipeline.remove(ctx.name());

        ScheduledFuture<?> deadline = ctx.executor().schedule(() -> {
            if (!handshaken.isDone()) {
                handshaken.channel().close();
            }
        }, creationTimeout.toNanos(), TimeUnit.NANOSECONDS);
        handshaken.addListener(done -> {
            deadline.cancel(false);
            if (done.isSuccess()) {
                session.start();
            } else {
                handshaken.channel().close();
            }
        });
    }

    private static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}
