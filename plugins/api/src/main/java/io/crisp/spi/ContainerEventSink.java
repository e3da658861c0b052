package io.crisp.spi;

import io.crisp.spi.model.ExitStatus;

/**
 * Receives what a backend learns about containers without being asked: a process that exited, an
 * OOM kill. Implemented by the core; thread-safe; calls return quickly and never throw.
 */
@Experimental(settledBy = "issue 4: pod and container lifecycle")
public interface ContainerEventSink {
    void exited(String containerId, ExitStatus status);

    void oomKilled(String containerId);

    /** A sink that drops everything, for tests and for backends created outside a daemon. */
    static ContainerEventSink discarding() {
        return new ContainerEventSink() {
            @Override
            public void exited(String containerId, ExitStatus status) {}

            @Override
            public void oomKilled(String containerId) {}
        };
    }
}
