package io.crisp.core.stream.session;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * How an exec or attach ended, as reported on the error stream: success (exit code 0, or an attach
 * that ended), a non-zero exit code, or a failure message (the process could not run, the container
 * stopped, the backend failed).
 */
public record StdioOutcome(OptionalInt exitCode, Optional<String> failure) {
    public StdioOutcome {
        requireNonNull(exitCode, "exitCode is null");
        requireNonNull(failure, "failure is null");
    }

    public static StdioOutcome exited(int code) {
        return new StdioOutcome(OptionalInt.of(code), Optional.empty());
    }

    public static StdioOutcome success() {
        return exited(0);
    }

    public static StdioOutcome failed(String message) {
        return new StdioOutcome(OptionalInt.empty(), Optional.of(message));
    }

    public boolean isSuccess() {
        return failure.isEmpty() && exitCode.orElse(0) == 0;
    }
}
