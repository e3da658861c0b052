package io.crisp.plugin.kata.io;

import io.crisp.spi.model.ContainerSpec;

/** How a container's own stdio is wired: the CRI's stdin, stdin_once and tty. */
public record StdioFlags(boolean stdin, boolean stdinOnce, boolean tty) {
    public static StdioFlags of(ContainerSpec spec) {
        return new StdioFlags(spec.stdin(), spec.stdinOnce(), spec.tty());
    }
}
