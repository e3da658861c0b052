package io.crisp.client.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;

/** One forwarded connection over a {@link SpdyStreamClient}: an error and a data stream. */
final class SpdyForwardConnection implements ForwardConnection {
    private final SpdyClientStream error;
    private final SpdyClientStream data;
    private final InputStream input;
    private final OutputStream output;

    SpdyForwardConnection(SpdyClientStream error, SpdyClientStream data) {
        this.error = error;
        this.data = data;
        this.input = data.input();
        this.output = data.output();
    }

    @Override
    public OutputStream output() {
        return output;
    }

    @Override
    public InputStream input() {
        return input;
    }

    @Override
    public Optional<String> error() {
        String text = error.text();
        return text.isEmpty() ? Optional.empty() : Optional.of(text);
    }

    @Override
    public Optional<String> awaitError(Duration timeout) throws IOException {
        error.awaitText(timeout.toNanos());
        return error();
    }

    @Override
    public void close() {
        data.reset();
        error.reset();
    }
}
