package io.crisp.client.stream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/** An exec or attach over a {@link SpdyStreamClient} connection of its own. */
final class SpdyStdioConnection implements StdioConnection {
    private static final InputStream NOTHING = InputStream.nullInputStream();

    private final SpdyStreamClient client;
    private final SpdyClientStream error;
    private final SpdyClientStream stdin;
    private final SpdyClientStream stdout;
    private final SpdyClientStream stderr;
    private final SpdyClientStream resize;

    SpdyStdioConnection(SpdyStreamClient client, SpdyClientStream error, SpdyClientStream stdin,
            SpdyClientStream stdout, SpdyClientStream stderr, SpdyClientStream resize) {
        this.client = client;
        this.error = error;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        this.resize = resize;
    }

    @Override
    public String protocol() {
        return client.protocol();
    }

    @Override
    public void stdin(byte[] data) throws IOException {
        if (stdin == null) {
            throw new IOException("opened without stdin");
        }
        stdin.write(data, 0, data.length);
    }

    @Override
    public void closeStdin() throws IOException {
        if (stdin == null) {
            throw new IOException("opened without stdin");
        }
        stdin.fin();
    }

    @Override
    public void resize(int width, int height) throws IOException {
        if (resize == null) {
            throw new IOException("no resize stream: opened without a tty or with a protocol before v3");
        }
        byte[] json = ("{\"Width\":" + width + ",\"Height\":" + height + "}\n").getBytes(StandardCharsets.UTF_8);
        resize.write(json, 0, json.length);
    }

    @Override
    public InputStream stdout() {
        return stdout == null ? NOTHING : stdout.input();
    }

    @Override
    public InputStream stderr() {
        return stderr == null ? NOTHING : stderr.input();
    }

    @Override
    public Optional<String> awaitStatus(Duration timeout) throws IOException {
        if (!error.awaitEnd(timeout.toNanos())) {
            throw new IOException("the server did not finish within " + timeout);
        }
        if (!error.endedByFin()) {
            throw new IOException("the connection ended before the server reported an outcome");
        }
        String text = error.text();
        return text.isEmpty() ? Optional.empty() : Optional.of(text);
    }

    @Override
    public void close() {
        client.close();
    }
}
