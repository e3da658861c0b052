package io.crisp.core.stream.session;

/**
 * What the protocol layers call once a client's streams are all there: the core side that runs the
 * process or opens the connection into the pod. Both methods return quickly (they start threads
 * of their own); failures are {@link StreamFailure}s, which the protocol reports and then closes.
 */
public interface StreamSessions {
    /** Starts an exec or attach whose output goes to {@code client}. */
    StdioListener startStdio(StdioTarget target, StdioClient client);

    /** Opens one connection to {@code port} on the pod's loopback, relayed to {@code client}. */
    ForwardListener startForward(PortForwardTarget target, int port, ForwardClient client);
}
