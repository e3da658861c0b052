package io.crisp.core.stream.session;

/**
 * What the protocol layer tells an exec or attach session about the client. Called on the
 * connection's event loop: implementations never block.
 */
public interface StdioListener {
    /** Input for the process's stdin; the array is the listener's to keep. */
    void stdin(byte[] data);

    /** The client closed stdin (SPDY stream half-closed, WebSocket v5 close signal). */
    void stdinClosed();

    /** The client's terminal changed size (resize stream or channel 4). */
    void resize(int width, int height);

    /** The connection is gone (closed, reset, timed out) before or after {@link StdioClient#finish}. */
    void clientGone();
}
