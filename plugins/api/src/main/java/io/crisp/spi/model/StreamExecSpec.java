package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.Experimental;
import java.util.List;

/**
 * An interactive command in a running container (CRI {@code Exec} through the streaming server).
 *
 * @param processJson the exec's OCI {@code process} object as JSON, ready to run (SPI 1.2), as in
 *     {@link ExecSpec#processJson()}, with {@code terminal} set to {@code stdio.tty()}; empty when
 *     built with the 1.1 constructor
 */
@Experimental(settledBy = "issue 6: streaming")
public record StreamExecSpec(String containerId, List<String> command, StdioWiring stdio, String processJson) {
    public StreamExecSpec {
        requireNonNull(containerId, "containerId is null");
        command = List.copyOf(requireNonNull(command, "command is null"));
        requireNonNull(stdio, "stdio is null");
        requireNonNull(processJson, "processJson is null");
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command is empty");
        }
    }

    /** SPI 1.1: without the process JSON. */
    public StreamExecSpec(String containerId, List<String> command, StdioWiring stdio) {
        this(containerId, command, stdio, "");
    }
}
