package io.crisp.core.stream.session;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;

/**
 * Switches an HTTP connection to a streaming protocol (SPDY/3.1 or WebSocket) for a target whose
 * token the request carried. Called on the event loop by the router; the router has consumed the
 * token and still owns {@code request} (it releases it after the call). The implementation answers
 * the upgrade (101, or an HTTP error naming what is wrong, for example no common protocol
 * version), rewires the pipeline, waits up to the creation timeout for the client's streams and
 * then calls {@link StreamSessions}.
 */
public interface StreamUpgrade {
    void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, StreamTarget target);
}
