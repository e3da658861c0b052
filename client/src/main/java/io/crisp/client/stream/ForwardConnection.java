package io.crisp.client.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;

/**
 * One forwarded connection to a pod port over a streaming URL, as {@code kubectl port-forward}
 * opens it (client-go's portforward): SPDY error and data streams with one {@code requestID}, or the
 * data and error channels of one port over WebSocket.
 */
public interface ForwardConnection extends AutoCloseable {
    /** Bytes toward the pod's port; {@code close()} on it half-closes the data stream. */
    OutputStream output();

    /** Bytes from the pod's port; ends when the server half-closed the data stream. */
    InputStream input();

    /** What the server reported on the error stream or channel so far, if anything. */
    Optional<String> error();

    /** Waits for an error message to arrive (for tests of refused connections). */
    Optional<String> awaitError(Duration timeout) throws IOException;

    /** Ends this forwarded connection (resets or closes its streams). */
    @Override
    void close();
}
