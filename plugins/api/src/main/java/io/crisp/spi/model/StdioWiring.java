package io.crisp.spi.model;

import io.crisp.spi.Experimental;

/**
 * Which of a process's stdio a streaming client asked for (CRI {@code ExecRequest} and
 * {@code AttachRequest}). With {@code tty} the process's output arrives on stdout only: a terminal
 * merges stderr into it, so {@code stderr} is never set together with {@code tty}.
 */
@Experimental(settledBy = "issue 6: streaming")
public record StdioWiring(boolean stdin, boolean stdout, boolean stderr, boolean tty) {
    public StdioWiring {
        if (tty && stderr) {
            throw new IllegalArgumentException("tty and stderr cannot both be set: a terminal has no separate stderr");
        }
    }
}
