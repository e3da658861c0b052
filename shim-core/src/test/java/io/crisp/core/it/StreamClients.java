package io.crisp.core.it;

import io.crisp.client.stream.ForwardConnection;
import io.crisp.client.stream.SpdyStreamClient;
import io.crisp.client.stream.StdioConnection;
import io.crisp.client.stream.WebSocketStreamClient;
import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.net.URI;
import java.util.List;

/** Opens a streaming URL with the client of either protocol, offering what client-go offers. */
final class StreamClients {
    enum Wire { SPDY, WEBSOCKET }

    /** What kubectl offers for exec and attach over SPDY, newest first. */
    static final List<String> SPDY_STDIO = List.of("v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io");

    private StreamClients() {}

    /** One forwarded connection on its own SPDY connection; closing it closes both. */
    private static ForwardConnection forwardOverSpdy(String url, int port) throws IOException {
        SpdyStreamClient connection = SpdyStreamClient.connect(URI.create(url), List.of("portforward.k8s.io"));
        ForwardConnection forward;
        try {
            forward = connection.openForward(port);
        } catch (IOException | RuntimeException e) {
            connection.close();
            throw e;
        }
        return new ForwardConnection() {
            @Override
            public java.io.OutputStream output() {
                return forward.output();
            }

            @Override
            public java.io.InputStream input() {
                return forward.input();
            }

            @Override
            public java.util.Optional<String> error() {
                return forward.error();
            }

            @Override
            public java.util.Optional<String> awaitError(java.time.Duration timeout) throws IOException {
                return forward.awaitError(timeout);
            }

            @Override
            public void close() {
                try {
                    forward.close();
                } finally {
                    connection.close();
                }
            }
        };
    }

    static StdioConnection stdio(Wire wire, String url, StdioWiring stdio) throws IOException {
        return switch (wire) {
            case SPDY -> SpdyStreamClient.exec(URI.create(url), stdio, SPDY_STDIO);
            case WEBSOCKET -> WebSocketStreamClient.openStdio(URI.create(url), stdio, WebSocketStreamClient.STDIO_PROTOCOLS);
        };
    }

    static ForwardConnection forward(Wire wire, String url, int port) throws IOException {
        return switch (wire) {
            case SPDY -> forwardOverSpdy(url, port);
            case WEBSOCKET -> WebSocketStreamClient.openForward(URI.create(url), port, WebSocketStreamClient.FORWARD_PROTOCOLS);
        };
    }
}
