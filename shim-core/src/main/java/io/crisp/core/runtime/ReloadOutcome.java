package io.crisp.core.runtime;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Optional;

/**
 * The last configuration load: when, which attempt (counting from 1 at start), and the error if it
 * was refused. {@code crisp reload} waits for the attempt number to move and prints the error.
 */
public record ReloadOutcome(long attempt, Instant at, Optional<String> error) {
    public ReloadOutcome {
        requireNonNull(at, "at is null");
        requireNonNull(error, "error is null");
    }
}
