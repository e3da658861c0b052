package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.Experimental;
import java.time.Duration;
import java.util.List;

/** A command to run in a container; a zero timeout means no timeout (CRI {@code ExecSync}). */
@Experimental(settledBy = "issue 4: pod and container lifecycle")
public record ExecSpec(String containerId, List<String> command, Duration timeout, boolean tty) {
    public ExecSpec {
        requireNonNull(containerId, "containerId is null");
        command = List.copyOf(requireNonNull(command, "command is null"));
        requireNonNull(timeout, "timeout is null");
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command is empty");
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout is negative: " + timeout);
        }
    }
}
