package io.crisp.core.stream.session;

import java.io.IOException;

/**
 * The client's end of one forwarded connection (SPDY: a data and an error stream with one
 * {@code requestID}; WebSocket: the data and error channels of one port). Called from any thread
 * but the connection's event loop.
 */
public interface ForwardClient {
    /** Sends bytes read from the pod's port; blocks until written (flow control included). */
    void write(byte[] data, int offset, int length) throws IOException;

    /** The pod's side closed its end for writing: half-close the data stream toward the client. */
    void closeData();

    /** Stops or resumes reading client data for this connection (back pressure). */
    void pauseInput(boolean paused);

    /** Reports a failure (cannot connect, reset) as text on the error stream and ends this connection. */
    void fail(String message);
}
