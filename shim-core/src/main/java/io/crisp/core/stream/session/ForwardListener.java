package io.crisp.core.stream.session;

/** What the protocol layer tells one forwarded connection. Called on the event loop: never block. */
public interface ForwardListener {
    /** Bytes from the client for the pod's port; the array is the listener's to keep. */
    void data(byte[] data);

    /** The client half-closed the data stream: shut down writing toward the pod's port. */
    void dataClosed();

    /** The stream or the whole connection is gone. */
    void clientGone();
}
