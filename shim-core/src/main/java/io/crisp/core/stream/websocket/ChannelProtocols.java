package io.crisp.core.stream.websocket;

import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.core.stream.session.StreamTarget;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The subprotocols crisp speaks over WebSocket, newest first, and the choice among those a
 * client offers.
 *
 * <p>Kubernetes' kubelet streaming server (wsstream.Conn) accepts {@code channel.k8s.io},
 * {@code base64.channel.k8s.io}, {@code v4.channel.k8s.io} and {@code v4.base64.channel.k8s.io}
 * for exec and attach, and only the two v4 names for port-forward; {@code v5.channel.k8s.io} is
 * what client-go's WebSocket executor asks for (the API server translates it). crisp accepts v5 to
 * v1 for exec and attach (v2 and v3 behave like v1 here: channels carry no version difference
 * over WebSocket) and the v4 names for port-forward; {@code portforward.k8s.io} is the SPDY name,
 * which no Kubernetes WebSocket server accepts. A request offering no subprotocol at all is served
 * like {@code channel.k8s.io} for exec and attach and like {@code v4.channel.k8s.io} for
 * port-forward, as Kubernetes does with its empty protocol entry.
 */
public final class ChannelProtocols {
    public static final ChannelProtocol V5 = new ChannelProtocol("v5.channel.k8s.io", 5, false);
    public static final ChannelProtocol V4 = new ChannelProtocol("v4.channel.k8s.io", 4, false);
    public static final ChannelProtocol V4_BASE64 = new ChannelProtocol("v4.base64.channel.k8s.io", 4, true);
    public static final ChannelProtocol V3 = new ChannelProtocol("v3.channel.k8s.io", 3, false);
    public static final ChannelProtocol V2 = new ChannelProtocol("v2.channel.k8s.io", 2, false);
    public static final ChannelProtocol V1 = new ChannelProtocol("channel.k8s.io", 1, false);
    public static final ChannelProtocol V1_BASE64 = new ChannelProtocol("base64.channel.k8s.io", 1, true);

    /** Exec and attach, in order of preference. */
    public static final List<ChannelProtocol> STDIO = List.of(V5, V4, V4_BASE64, V3, V2, V1, V1_BASE64);

    /** Port-forward, in order of preference. */
    public static final List<ChannelProtocol> FORWARD = List.of(V4, V4_BASE64);

    private ChannelProtocols() {
    }

    public static List<ChannelProtocol> supported(StreamTarget target) {
        return target instanceof PortForwardTarget ? FORWARD : STDIO;
    }

    /** What a request with no {@code Sec-WebSocket-Protocol} header gets (no header is answered). */
    public static ChannelProtocol unnamed(StreamTarget target) {
        return target instanceof PortForwardTarget ? V4 : V1;
    }

    /** Every token of every {@code Sec-WebSocket-Protocol} header, in the client's order. */
    public static List<String> offered(HttpRequest request) {
        List<String> tokens = new ArrayList<>();
        for (String header : request.headers().getAll(HttpHeaderNames.SEC_WEBSOCKET_PROTOCOL)) {
            for (String token : header.split(",")) {
                String trimmed = token.trim();
                if (!trimmed.isEmpty()) {
                    tokens.add(trimmed);
                }
            }
        }
        return tokens;
    }

    /**
     * The newest supported protocol among those offered. Kubernetes takes the client's first
     * acceptable token instead; clients list the newest first, so both choose the same in practice.
     */
    public static Optional<ChannelProtocol> choose(List<ChannelProtocol> supported, List<String> offered) {
        return supported.stream().filter(p -> offered.contains(p.name())).findFirst();
    }

    public static String names(List<ChannelProtocol> protocols) {
        return String.join(", ", protocols.stream().map(ChannelProtocol::name).toList());
    }
}
