package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.Experimental;
import java.time.Duration;
import java.util.List;

/**
 * A command to run in a container; a zero timeout means no timeout (CRI {@code ExecSync}).
 * {@code maxOutputBytes} caps what is kept of stdout and of stderr each (CRI: 16 MiB).
 *
 * @param processJson the exec's OCI {@code process} object as JSON, ready to run (SPI 1.2): the
 *     container's process (user, env, cwd, capabilities, AppArmor, noNewPrivileges, rlimits) with
 *     {@code args} set to {@code command} and {@code terminal} to {@code tty}; empty when built with
 *     the 1.1 constructor
 */
@Experimental(settledBy = "issue 4: pod and container lifecycle")
public record ExecSpec(String containerId, List<String> command, Duration timeout, boolean tty, int maxOutputBytes,
        String processJson) {
    /** The CRI's cap on each of stdout and stderr of {@code ExecSync}. */
    public static final int CRI_MAX_OUTPUT_BYTES = 16 << 20;

    public ExecSpec {
        requireNonNull(containerId, "containerId is null");
        command = List.copyOf(requireNonNull(command, "command is null"));
        requireNonNull(timeout, "timeout is null");
        requireNonNull(processJson, "processJson is null");
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command is empty");
        }
        if (maxOutputBytes < 0) {
            throw new IllegalArgumentException("maxOutputBytes is negative: " + maxOutputBytes);
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout is negative: " + timeout);
        }
    }

    /** SPI 1.1: without the process JSON. */
    public ExecSpec(String containerId, List<String> command, Duration timeout, boolean tty, int maxOutputBytes) {
        this(containerId, command, timeout, tty, maxOutputBytes, "");
    }
}
