package io.crisp.spi.model;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.Experimental;

/** What a finished {@link ExecSpec} produced. The byte arrays are owned by the receiver. */
@Experimental(settledBy = "issue 4: pod and container lifecycle")
public record ExecResult(int exitCode, byte[] stdout, byte[] stderr) {
    public ExecResult {
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
    }
}
