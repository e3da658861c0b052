package io.crisp.plugin.kata.io;

import static java.util.Objects.requireNonNull;

import io.crisp.spi.model.ExecResult;

/** What ExecSync kept of an exec's stdout and stderr (each capped). The arrays are the receiver's. */
public record ExecOutput(byte[] stdout, byte[] stderr) {
    public ExecOutput {
        requireNonNull(stdout, "stdout is null");
        requireNonNull(stderr, "stderr is null");
    }

    public ExecResult toResult(int exitCode) {
        return new ExecResult(exitCode, stdout, stderr);
    }
}
