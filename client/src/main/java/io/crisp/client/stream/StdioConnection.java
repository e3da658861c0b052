package io.crisp.client.stream;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Optional;

/**
 * A client's exec or attach over a streaming URL, as kubectl and crictl hold it (client-go's
 * remotecommand): streams created in client-go's order, input sent as the client sends it,
 * output collected. Implemented per protocol (SPDY/3.1, WebSocket); used by tests and benchmarks.
 */
public interface StdioConnection extends AutoCloseable {
    /** The protocol version the server chose ({@code v4.channel.k8s.io}, ...). */
    String protocol();

    /** Sends input to the process's stdin (the connection must have been opened with stdin). */
    void stdin(byte[] data) throws IOException;

    /** Closes stdin (SPDY: half-close the stdin stream; WebSocket v5: the close signal for channel 0). */
    void closeStdin() throws IOException;

    /** Sends a terminal size (resize stream or channel 4, JSON {@code {"Width":w,"Height":h}}). */
    void resize(int width, int height) throws IOException;

    /** The process's stdout as it arrives; ends when the server closes the stream or the connection. */
    InputStream stdout();

    /** The process's stderr as it arrives, when opened with stderr. */
    InputStream stderr();

    /**
     * Waits until the server reported the outcome and closed: the text of the error stream
     * (channel 3), empty for protocols that report success by sending nothing.
     *
     * @throws IOException if the connection ended without the server finishing, or on timeout
     */
    Optional<String> awaitStatus(Duration timeout) throws IOException;

    /** Closes the connection (the client goes away). */
    @Override
    void close();
}
