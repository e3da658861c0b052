package io.crisp.core.stream;

import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.core.stream.session.StdioTarget;
import io.crisp.core.stream.session.StreamTarget;
import io.crisp.core.stream.session.StreamUpgrade;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming server's only HTTP handler: {@code GET|POST /exec/TOKEN}, {@code /attach/TOKEN},
 * {@code /portforward/TOKEN} with an {@code Upgrade} header. It takes the token's target out of
 * {@link StreamTokens} and hands the connection to the protocol named by the header (SPDY/3.1 or
 * websocket). Everything else gets a plain-text HTTP error and the connection is closed. Tokens are
 * never logged: they are credentials until used.
 */
final class StreamRouter extends SimpleChannelInboundHandler<FullHttpRequest> {
    static final String NAME = "router";
    private static final Logger LOG = LoggerFactory.getLogger(StreamRouter.class);
    private static final Set<String> KINDS = Set.of("exec", "attach", "portforward");

    private final StreamTokens tokens;
    /** By lower-case {@code Upgrade} header value. */
    private final Map<String, StreamUpgrade> upgrades;

    StreamRouter(StreamTokens tokens, Map<String, StreamUpgrade> upgrades) {
        this.tokens = tokens;
        this.upgrades = Map.copyOf(upgrades);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, "malformed HTTP request");
            return;
        }
        String[] parts = new QueryStringDecoder(request.uri()).path().split("/", -1);
        if (parts.length != 3 || !parts[0].isEmpty() || !KINDS.contains(parts[1]) || parts[2].isEmpty()) {
            refuse(ctx, HttpResponseStatus.NOT_FOUND, "not found: streaming URLs are /exec/TOKEN, /attach/TOKEN and /portforward/TOKEN");
            return;
        }
        if (!request.method().equals(HttpMethod.GET) && !request.method().equals(HttpMethod.POST)) {
            refuse(ctx, HttpResponseStatus.METHOD_NOT_ALLOWED, "method " + request.method() + " not allowed: use GET or POST");
            return;
        }
        String upgradeHeader = request.headers().get(HttpHeaderNames.UPGRADE);
        StreamUpgrade upgrade = upgradeHeader == null ? null : upgrades.get(upgradeHeader.trim().toLowerCase(Locale.ROOT));
        if (upgrade == null) {
            refuse(ctx, HttpResponseStatus.BAD_REQUEST, "a streaming URL needs an upgrade: Upgrade: SPDY/3.1 or Upgrade: websocket"
                    + (upgradeHeader == null ? "" : " (got '" + upgradeHeader + "')"));
            return;
        }
        Optional<StreamTarget> target = tokens.consume(parts[2], parts[1]);
        if (target.isEmpty()) {
            refuse(ctx, HttpResponseStatus.NOT_FOUND, "unknown or expired " + parts[1] + " token: streaming URLs are single-use and valid for "
                    + StreamTokens.TTL.toSeconds() + "s");
            return;
        }
        LOG.debug("{} {} over {} from {}", parts[1], describe(target.get()), upgradeHeader, ctx.channel().remoteAddress());
        upgrade.upgrade(ctx, request, target.get());
    }

    private static String describe(StreamTarget target) {
        if (target instanceof StdioTarget stdio) {
            return "container " + stdio.containerId();
        }
        return "pod " + ((PortForwardTarget) target).sandboxId();
    }

    static void refuse(ChannelHandlerContext ctx, HttpResponseStatus status, String message) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(message + "\n", StandardCharsets.UTF_8));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("streaming connection from {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}
