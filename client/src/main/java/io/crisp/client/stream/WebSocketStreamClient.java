package io.crisp.client.stream;

import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Opens exec, attach and port-forward connections to a streaming URL over WebSocket, with
 * Kubernetes' channel subprotocols, the way client-go's WebSocket executor does for exec and attach
 * (binary messages whose first byte is the channel; stdin 0, stdout 1, stderr 2, error 3, resize 4;
 * v5's {@code [255, channel]} close signal). Plain {@code ws://} (or {@code http://}) URLs only.
 *
 * <p>Every method offers {@code protocols} in the given order and fails with an
 * {@link IOException} naming the HTTP status and body when the server refuses the upgrade.
 */
public final class WebSocketStreamClient {
    /** What client-go offers for exec and attach today, then the older versions crisp speaks. */
    public static final List<String> STDIO_PROTOCOLS =
            List.of("v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io");

    /** The port-forward protocol of the kubelet's WebSocket server. */
    public static final List<String> FORWARD_PROTOCOLS = List.of("v4.channel.k8s.io");

    /** How long connecting and the handshake may take. */
    public static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);

    private WebSocketStreamClient() {
    }

    /**
     * Opens an exec or attach. {@code stdio} is what the URL's request asked for (the server
     * decides the channels from its own record of it); the client uses it to refuse stdin input
     * on a connection without stdin.
     */
    public static StdioConnection openStdio(URI url, StdioWiring stdio, List<String> protocols) throws IOException {
        WebSocketStdioConnection connection = new WebSocketStdioConnection(stdio);
        connection.connected(ChannelClient.connect(url, protocols, connection, HANDSHAKE_TIMEOUT));
        return connection;
    }

    /**
     * Opens a port-forward of one port: {@code port=<port>} is added to the URL's query unless it
     * already names ports ({@code port} or {@code ports}). Closing the connection closes the WebSocket.
     */
    public static ForwardConnection openForward(URI url, int port, List<String> protocols) throws IOException {
        return openForward(url, List.of(port), protocols).get(0);
    }

    /**
     * Opens a port-forward of several ports over one WebSocket, one {@link ForwardConnection} per
     * port in order; {@code port=<p1>,<p2>,...} is added to the query unless it already names ports.
     * The WebSocket closes when every returned connection is closed (or the server closes it).
     */
    public static List<ForwardConnection> openForward(URI url, List<Integer> ports, List<String> protocols)
            throws IOException {
        if (ports.isEmpty()) {
            throw new IllegalArgumentException("no ports to forward");
        }
        WebSocketForwardConnection connection = new WebSocketForwardConnection(ports);
        connection.connected(ChannelClient.connect(withPorts(url, ports), protocols, connection, HANDSHAKE_TIMEOUT));
        return List.copyOf(connection.connections());
    }

    private static URI withPorts(URI url, List<Integer> ports) {
        String query = url.getRawQuery();
        if (query != null && (query.matches("(.*&)?port=.*") || query.matches("(.*&)?ports=.*"))) {
            return url;
        }
        String param = "port=" + ports.stream().map(String::valueOf).collect(Collectors.joining(","));
        String text = url.toString();
        int fragment = text.indexOf('#');
        String base = fragment < 0 ? text : text.substring(0, fragment);
        return URI.create(base + (query == null ? "?" : "&") + param);
    }
}
