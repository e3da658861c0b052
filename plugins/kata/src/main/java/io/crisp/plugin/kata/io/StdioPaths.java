package io.crisp.plugin.kata.io;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * The stdio of a shim v2 task or exec, as CreateTaskRequest and ExecProcessRequest carry it: FIFO
 * paths, "" for a stream the process does not get. With {@code terminal} the shim uses only stdin
 * and stdout (the terminal), and stderr is "".
 */
public record StdioPaths(String stdin, String stdout, String stderr, boolean terminal) {
    public StdioPaths {
        requireNonNull(stdin, "stdin is null");
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
        if (terminal && !stderr.isEmpty()) {
            throw new IllegalArgumentException("a terminal has no separate stderr: " + stderr);
        }
    }

    /** The path's text, or "" for null. */
    static String of(Path fifo) {
        return fifo == null ? "" : fifo.toString();
    }
}
