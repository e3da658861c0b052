package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * How a process ended. {@code code} is the exit code, or 128 plus the signal number for a process
 * killed by a signal; {@code reason} is a CRI reason such as {@code OOMKilled} or {@code Error}.
 */
public record ExitStatus(int code, Instant finishedAt, Optional<String> reason) {
    public ExitStatus {
        requireNonNull(finishedAt, "finishedAt is null");
        requireNonNull(reason, "reason is null");
    }
}
