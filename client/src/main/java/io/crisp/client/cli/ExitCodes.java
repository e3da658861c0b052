package io.crisp.client.cli;

/** The exit codes every {@code crisp} command shares. */
public final class ExitCodes {
    /** Any failure other than a refused command line or configuration. */
    public static final int FAILURE = 1;
    /** A command line or configuration that is refused. */
    public static final int CONFIG = 2;

    private ExitCodes() {}
}
