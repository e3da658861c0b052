package io.crisp.core.daemon;

import java.util.Optional;

/** A call through the daemon's own CRI socket, made by the launcher (which may see the wire types). */
public interface SocketProbe extends AutoCloseable {
    /** Empty when the socket answered in time; otherwise what went wrong. */
    Optional<String> problem();

    @Override
    void close();
}
