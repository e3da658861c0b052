package io.crisp.client.stream;

import io.crisp.spi.model.StdioWiring;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/** An exec or attach over a WebSocket channel protocol, client side. */
final class WebSocketStdioConnection implements StdioConnection, ChannelClient.Receiver {
    private static final int STDIN = 0;
    private static final int STDOUT = 1;
    private static final int STDERR = 2;
    private static final int ERROR = 3;
    private static final int RESIZE = 4;

    private final StdioWiring stdio;
    private final ChunkInputStream stdout;
    private final ChunkInputStream stderr;
    private final ByteArrayOutputStream error = new ByteArrayOutputStream();
    private volatile ChannelClient client;

    WebSocketStdioConnection(StdioWiring stdio) {
        this.stdio = stdio;
        this.stdout = ChunkInputStream.withWaterMarks(this::full);
        this.stderr = ChunkInputStream.withWaterMarks(this::full);
    }

    void connected(ChannelClient client) {
        this.client = client;
    }

    private void full(boolean full) {
        ChannelClient c = client;
        if (c != null) {
            c.streamFull(full);
        }
    }

    @Override
    public void message(int channel, byte[] data) {
        switch (channel) {
            case STDOUT -> stdout.offer(data);
            case STDERR -> stderr.offer(data);
            case ERROR -> {
                synchronized (error) {
                    error.writeBytes(data);
                }
            }
            default -> {
                // nothing else comes from the server
            }
        }
    }

    @Override
    public void closed(boolean normal) {
        IOException cut = normal ? null : new IOException("the connection ended without the server finishing");
        stdout.end(cut);
        stderr.end(cut);
    }

    @Override
    public String protocol() {
        return client.protocol();
    }

    @Override
    public void stdin(byte[] data) throws IOException {
        if (!stdio.stdin()) {
            throw new IOException("this connection was opened without stdin");
        }
        client.send(STDIN, data, 0, data.length);
    }

    /**
     * Sends the v5 close signal for stdin.
     *
     * @throws IOException with protocols before v5, which have no way to end stdin but closing the connection
     */
    @Override
    public void closeStdin() throws IOException {
        if (!client.protocol().startsWith("v5.")) {
            throw new IOException("protocol " + (client.protocol().isEmpty() ? "channel.k8s.io" : client.protocol())
                    + " cannot close stdin alone (v5.channel.k8s.io can); close the connection instead");
        }
        client.sendCloseSignal(STDIN);
    }

    @Override
    public void resize(int width, int height) throws IOException {
        byte[] json = ("{\"Width\":" + width + ",\"Height\":" + height + "}").getBytes(StandardCharsets.UTF_8);
        client.send(RESIZE, json, 0, json.length);
    }

    @Override
    public InputStream stdout() {
        return stdout;
    }

    @Override
    public InputStream stderr() {
        return stderr;
    }

    @Override
    public Optional<String> awaitStatus(Duration timeout) throws IOException {
        if (!client.awaitClosed(timeout)) {
            throw new IOException("the server did not finish within " + timeout);
        }
        if (!client.closedNormally()) {
            throw new IOException("the connection ended without the server finishing");
        }
        String text;
        synchronized (error) {
            text = error.toString(StandardCharsets.UTF_8);
        }
        return text.isEmpty() ? Optional.empty() : Optional.of(text);
    }

    @Override
    public void close() {
        client.close();
    }
}
