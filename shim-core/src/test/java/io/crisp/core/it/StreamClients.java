package io.crisp.core.it;

import io.crisp.core.stream.client.ForwardConnection;
import io.crisp.core.stream.client.StdioConnection;
import io.crisp.core.stream.client.WebSocketStreamClient;
import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.net.URI;

/** Opens a streaming URL with the client of either protocol, offering what client-go offers. */
final class StreamClients {
    enum Wire { SPDY, WEBSOCKET }

    private StreamClients() {}

    static StdioConnection stdio(Wire wire, String url, StdioWiring stdio) throws IOException {
        return switch (wire) {
            case SPDY -> throw new UnsupportedOperationException("SPDY client not merged yet");
            case WEBSOCKET -> WebSocketStreamClient.openStdio(URI.create(url), stdio, WebSocketStreamClient.STDIO_PROTOCOLS);
        };
    }

    static ForwardConnection forward(Wire wire, String url, int port) throws IOException {
        return switch (wire) {
            case SPDY -> throw new UnsupportedOperationException("SPDY client not merged yet");
            case WEBSOCKET -> WebSocketStreamClient.openForward(URI.create(url), port, WebSocketStreamClient.FORWARD_PROTOCOLS);
        };
    }
}
