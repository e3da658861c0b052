package io.crisp.core.stream.session;

/**
 * What a streaming token unlocks: the request that {@code Exec}, {@code Attach} or
 * {@code PortForward} validated, kept until the client connects to the URL it was given.
 */
public sealed interface StreamTarget permits StdioTarget, PortForwardTarget {
    /** The URL path segment of this kind of target: {@code exec}, {@code attach}, {@code portforward}. */
    String kind();
}
