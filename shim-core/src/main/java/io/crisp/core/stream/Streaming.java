package io.crisp.core.stream;

import io.crisp.core.config.CrispConfig;
import io.crisp.core.container.ContainerService;
import io.crisp.core.network.NetnsDialer;
import io.crisp.core.sandbox.SandboxService;
import io.crisp.core.stream.session.StreamSessions;
import io.crisp.core.stream.session.StreamTarget;
import io.crisp.core.stream.session.StreamUpgrade;
import io.crisp.core.stream.spdy.SpdyStreamUpgrade;
import io.crisp.core.stream.websocket.WebSocketStreamUpgrade;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;

/**
 * The streaming server wired up: tokens, the HTTP server with its SPDY and WebSocket upgrades, and
 * the bridge to containers and pod networks. {@code Exec}, {@code Attach} and {@code PortForward}
 * call {@link #url} with the request they validated.
 */
public record Streaming(StreamTokens tokens, StreamServer server, StreamBridge bridge, NetnsDialer dialer) implements AutoCloseable {
    /** How long a client may take, after the upgrade, to open all the streams it needs (kubelet: 30 s). */
    public static final Duration CREATION_TIMEOUT = Duration.ofSeconds(30);

    public static Streaming start(CrispConfig config, ContainerService containers, SandboxService sandboxes) throws IOException {
        NetnsDialer dialer = new NetnsDialer();
        StreamBridge bridge = new StreamBridge(containers.execs(), sandboxes, dialer);
        StreamTokens tokens = new StreamTokens();
        Map<String, StreamUpgrade> upgrades = upgrades(bridge, CREATION_TIMEOUT);
        try {
            StreamServer server = StreamServer.start(config.streamAddress(), config.streamPort(), config.streamIdleTimeout(),
                    config.streamTls(), tokens, upgrades);
            return new Streaming(tokens, server, bridge, dialer);
        } catch (IOException | RuntimeException e) {
            bridge.close();
            dialer.close();
            throw e;
        }
    }

    /** The protocols a client can upgrade to, by lower-case {@code Upgrade} header value. */
    static Map<String, StreamUpgrade> upgrades(StreamSessions sessions, Duration creationTimeout) {
        return Map.of("spdy/3.1", new SpdyStreamUpgrade(sessions, creationTimeout),
                "websocket", new WebSocketStreamUpgrade(sessions, creationTimeout));
    }

    /**
     * A single-use URL for {@code target}, valid for {@link StreamTokens#TTL}.
     *
     * @throws StreamTokens.TooManyInFlight when {@link StreamTokens#MAX_IN_FLIGHT} URLs wait to be used
     */
    public String url(StreamTarget target) {
        return server.url(target.kind(), tokens.issue(target));
    }

    @Override
    public void close() {
        server.close();
        bridge.close();
        dialer.close();
    }
}
