package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.Experimental;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/** A container as the backend sees it. */
@Experimental(settledBy = "issue 4: pod and container lifecycle")
public record ContainerState(String id, Phase phase, OptionalLong pid, Optional<Instant> startedAt, Optional<ExitStatus> exit) {
    /** The CRI container states. */
    public enum Phase { CREATED, RUNNING, EXITED, UNKNOWN }

    public ContainerState {
        requireNonNull(id, "id is null");
        requireNonNull(phase, "phase is null");
        requireNonNull(pid, "pid is null");
        requireNonNull(startedAt, "startedAt is null");
        requireNonNull(exit, "exit is null");
        if (phase == Phase.EXITED && exit.isEmpty()) {
            throw new IllegalArgumentException("an exited container needs an exit status: " + id);
        }
    }
}
