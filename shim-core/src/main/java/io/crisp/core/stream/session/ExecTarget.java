package io.crisp.core.stream.session;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.model.StdioWiring;
import java.util.List;

/** A validated CRI {@code ExecRequest}. */
public record ExecTarget(String containerId, List<String> command, StdioWiring stdio) implements StdioTarget {
    public ExecTarget {
        requireNonNull(containerId, "containerId is null");
        command = List.copyOf(command);
        requireNonNull(stdio, "stdio is null");
    }

    @Override
    public String kind() {
        return "exec";
    }
}
