package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.Experimental;
import java.util.List;

/** An interactive command in a running container (CRI {@code Exec} through the streaming server). */
@Experimental(settledBy = "issue 6: streaming")
public record StreamExecSpec(String containerId, List<String> command, StdioWiring stdio) {
    public StreamExecSpec {
        requireNonNull(containerId, "containerId is null");
        command = List.copyOf(requireNonNull(command, "command is null"));
        requireNonNull(stdio, "stdio is null");
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command is empty");
        }
    }
}
