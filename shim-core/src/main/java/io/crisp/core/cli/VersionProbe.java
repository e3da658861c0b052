package io.crisp.core.cli;

import io.crisp.core.daemon.SocketProbe;
import io.crisp.cri.client.CriClient;
import io.crisp.cri.v1.VersionRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** A CRI Version call through the daemon's socket, answered within {@code deadline} or a problem. */
final class VersionProbe implements SocketProbe {
    private final Path socket;
    private final Duration deadline;
    private CriClient client;

    VersionProbe(Path socket, Duration deadline) {
        this.socket = socket;
        this.deadline = deadline;
    }

    @Override
    public synchronized Optional<String> problem() {
        if (client == null) {
            client = CriClient.connect(socket, deadline);
        }
        try {
            client.runtime().withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).version(VersionRequest.getDefaultInstance());
            return Optional.empty();
        } catch (RuntimeException e) {
            // A channel that failed waits out a growing reconnect backoff (up to minutes) and fails
            // every call meanwhile: the next probe gets a fresh one, so it sees the socket as it is.
            close();
            return Optional.of(e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    @Override
    public synchronized void close() {
        if (client != null) {
            client.close();
            client = null;
        }
    }
}
