package io.crisp.core.stream.session;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.model.StdioWiring;

/** A validated CRI {@code AttachRequest}. */
public record AttachTarget(String containerId, StdioWiring stdio) implements StdioTarget {
    public AttachTarget {
        requireNonNull(containerId, "containerId is null");
        requireNonNull(stdio, "stdio is null");
    }

    @Override
    public String kind() {
        return "attach";
    }
}
