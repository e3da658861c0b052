package io.crisp.spi;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A streaming client's connection to a process's stdio: an interactive exec
 * ({@link RuntimeBackend#exec}) or an attachment to a container ({@link RuntimeBackend#attach}).
 * The core pumps the streams on threads of its own: reads block, writes block while the process
 * does not read, and nothing is buffered without bound.
 *
 * <p>The streams present are exactly those asked for in the {@link io.crisp.spi.model.StdioWiring}
 * (with a tty, the terminal's output is {@link #stdout()} and there is no stderr). Output streams end
 * (read returns -1) once the process closed them or exited; closing {@link #stdin()} sends EOF.
 */
@Experimental(settledBy = "issue 6: streaming")
public interface StdioSession extends AutoCloseable {
    /** Where the client's input goes, when stdin was asked for. */
    Optional<OutputStream> stdin();

    /** The process's stdout (with a tty: everything the terminal shows), when asked for. */
    Optional<InputStream> stdout();

    /** The process's stderr, when asked for without a tty. */
    Optional<InputStream> stderr();

    /** Sets the terminal's size in columns and rows; does nothing without a tty. */
    void resize(int width, int height);

    /**
     * Completes when the session is over. Exec: with the process's exit code once it exited.
     * Attach: once the container's stdio closed (it exited) or the attachment broke, with the
     * container's exit code when known, else -1. Completes exceptionally (with a
     * {@link BackendException}) when the backend lost track of the process.
     */
    CompletableFuture<Integer> exit();

    /**
     * Ends the session from the client's side: an exec'd process is killed (with its children), an
     * attachment is detached and the container keeps running. Idempotent; releases every fd.
     */
    @Override
    void close();
}
