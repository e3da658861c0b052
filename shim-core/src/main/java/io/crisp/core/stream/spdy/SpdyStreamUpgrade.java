package io.crisp.core.stream.spdy;

import static java.util.Objects.requireNonNull;

import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.core.stream.session.StdioTarget;
import io.crisp.core.stream.session.StreamSessions;
import io.crisp.core.stream.session.StreamTarget;
import io.crisp.core.stream.session.StreamUpgrade;
import io.crisp.stream.wire.AutoReadGate;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpResponseEncoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.spdy.DefaultSpdySettingsFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdySessionHandler;
import io.netty.handler.codec.spdy.SpdySettingsFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Upgrades an exec, attach or port-forward request to SPDY/3.1 the way the kubelet's streaming
 * server does: negotiates {@code X-Stream-Protocol-Version} (403 with
 * {@code X-Accepted-Stream-Protocol-Versions} when there is no common version), answers 101 and
 * swaps the HTTP handlers for the SPDY codec, Netty's session handler and crisp's session.
 */
public final class SpdyStreamUpgrade implements StreamUpgrade {
    /** SPDY's own initial window; what a peer may send before it hears otherwise. */
    public static final int DEFAULT_WINDOW = 64 * 1024;

    static final String SPDY_3_1 = "SPDY/3.1";

    private final StreamSessions sessions;
    private final Duration creationTimeout;
    private final int receiveWindow;

    /** With a 1 MiB receive window per stream and for the session. */
    public SpdyStreamUpgrade(StreamSessions sessions, Duration creationTimeout) {
        this(sessions, creationTimeout, 1024 * 1024);
    }

    /**
     * @param receiveWindow the initial receive window announced to the client (SETTINGS) and the
     *     session window kept open for it; at least {@link #DEFAULT_WINDOW}
     */
    public SpdyStreamUpgrade(StreamSessions sessions, Duration creationTimeout, int receiveWindow) {
        this.sessions = requireNonNull(sessions, "sessions is null");
        this.creationTimeout = requireNonNull(creationTimeout, "creationTimeout is null");
        if (creationTimeout.isNegative() || creationTimeout.isZero()) {
            throw new IllegalArgumentException("creationTimeout must be positive");
        }
        if (receiveWindow < DEFAULT_WINDOW) {
            throw new IllegalArgumentException("receiveWindow must be at least " + DEFAULT_WINDOW);
        }
        this.receiveWindow = receiveWindow;
    }

    @Override
    public void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, StreamTarget target) {
        List<String> supported = target instanceof PortForwardTarget ? ProtocolVersions.FORWARD : ProtocolVersions.STDIO;
        String connection = request.headers().get(HttpHeaderNames.CONNECTION, "");
        String upgrade = request.headers().get(HttpHeaderNames.UPGRADE, "");
        if (!connection.toLowerCase().contains("upgrade") || !upgrade.toLowerCase().contains("spdy/3.1")) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, "unable to upgrade: missing upgrade headers in request", List.of());
            return;
        }
        List<String> offered = ProtocolVersions.offered(request.headers());
        if (offered.isEmpty()) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST,
                    "unable to upgrade: " + ProtocolVersions.HEADER + " is required", supported);
            return;
        }
        Optional<String> chosen = ProtocolVersions.negotiate(offered, supported);
        if (chosen.isEmpty()) {
            refuse(ctx, HttpResponseStatus.FORBIDDEN, "unable to upgrade: unable to negotiate protocol: client supports "
                    + goList(offered) + ", server accepts " + goList(supported), supported);
            return;
        }
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.SWITCHING_PROTOCOLS);
        // Spelled as Go's net/http writes them for the kubelet (canonical names, "Upgrade").
        response.headers()
                .set("Connection", "Upgrade")
                .set("Upgrade", SPDY_3_1)
                .set(ProtocolVersions.HEADER, chosen.get());
        // Encoding happens inside this call, so the 101 is in the outbound buffer before any
        // SPDY frame; the HTTP handlers can go right away.
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.FIRE_EXCEPTION_ON_FAILURE);
        ChannelHandler session = target instanceof StdioTarget stdio
                ? new SpdyStdioSession(sessions, stdio, chosen.get(), creationTimeout)
                : new SpdyForwardSession(sessions, (PortForwardTarget) target, creationTimeout);
        switchToSpdy(ctx, session);
    }

    private void switchToSpdy(ChannelHandlerContext ctx, ChannelHandler session) {
        ChannelPipeline pipeline = ctx.pipeline();
        ChannelHandlerContext http = pipeline.context(HttpServerCodec.class);
        if (http == null) {
            http = pipeline.context(HttpRequestDecoder.class);
        }
        if (http == null) {
            throw new IllegalStateException("no HTTP server codec in the pipeline");
        }
        SpdySessionHandler sessionHandler = new SpdySessionHandler(SpdyVersion.SPDY_3_1, true);
        sessionHandler.setSessionReceiveWindowSize(receiveWindow);
        // Added right after the HTTP decoder, which hands what it still holds (bytes the client
        // sent right after its request) to the next handler when it is removed.
        pipeline.addAfter(http.name(), "spdy-read-gate", AutoReadGate.INSTANCE);
        pipeline.addAfter("spdy-read-gate", "spdy-codec", new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
        pipeline.addAfter("spdy-codec", "spdy-flow-control", new PeerFlowControl());
        pipeline.addAfter("spdy-flow-control", "spdy-session", sessionHandler);
        pipeline.addAfter("spdy-session", "spdy-streams", session);
        for (Class<? extends ChannelHandler> type : List.of(HttpObjectAggregator.class, HttpResponseEncoder.class)) {
            if (pipeline.get(type) != null) {
                pipeline.remove(type);
            }
        }
        if (!ctx.isRemoved()) {
            pipeline.remove(ctx.handler());
        }
        pipeline.remove(http.handler());
        if (receiveWindow > DEFAULT_WINDOW) {
            SpdySettingsFrame settings = new DefaultSpdySettingsFrame();
            settings.setValue(SpdySettingsFrame.SETTINGS_INITIAL_WINDOW_SIZE, receiveWindow);
            pipeline.context("spdy-streams").writeAndFlush(settings);
        }
    }

    private static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String message, List<String> accepted) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8));
        response.headers()
                .set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8")
                .set("X-Content-Type-Options", "nosniff")
                .set(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes())
                .set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        for (String version : accepted) {
            response.headers().add(ProtocolVersions.ACCEPTED_HEADER, version);
        }
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    /** A list as Go's {@code %v} prints a slice of strings. */
    private static String goList(List<String> values) {
        return "[" + String.join(" ", values) + "]";
    }
}
