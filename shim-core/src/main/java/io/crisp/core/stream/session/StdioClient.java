package io.crisp.core.stream.session;

import java.io.IOException;

/**
 * The client's end of an exec or attach, as a protocol layer (SPDY or WebSocket) offers it to the
 * session. Methods may be called from any thread but the connection's event loop.
 */
public interface StdioClient {
    /** The process's output streams, as the protocols name them. */
    enum Output { STDOUT, STDERR }

    /**
     * Sends process output to the client and blocks until the protocol has written it to the
     * connection (flow control included), so a fast process cannot fill the daemon's memory.
     *
     * @throws IOException when the client is gone
     */
    void write(Output stream, byte[] data, int offset, int length) throws IOException;

    /** Stops or resumes reading client input (stdin), for back pressure toward the client. */
    void pauseInput(boolean paused);

    /**
     * Ends the session: sends {@code outcome} the way the negotiated protocol version reports it
     * (error stream or channel 3: a {@code metav1.Status} JSON from v4 on, plain text before), then
     * closes every stream and the connection. Only the first call counts.
     */
    void finish(StdioOutcome outcome);
}
