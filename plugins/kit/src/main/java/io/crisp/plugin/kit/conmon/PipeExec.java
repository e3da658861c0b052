package io.crisp.plugin.kit.conmon;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * An interactive exec without a terminal: {@code runtime exec} with the JVM's pipes as the process's
 * stdio (runc hands them to the process as they are). Streams not asked for are /dev/null. Closing
 * {@link #stdin()} closes the pipe, which the process reads as EOF.
 */
final class PipeExec implements StdioSession {
    private static final Redirect NULL_INPUT = Redirect.from(new File("/dev/null"));

    private final ExecProcess exec;
    private final Process process;
    private final StdioWiring stdio;

    private PipeExec(ExecProcess exec, StdioWiring stdio) {
        this.exec = exec;
        this.process = exec.process();
        this.stdio = stdio;
    }

    static PipeExec start(ExecRunner runner, StreamExecSpec spec, Path workDir) {
        StdioWiring stdio = spec.stdio();
        Path pidFile = ExecRunner.pidFile(workDir);
        ProcessBuilder pb = new ProcessBuilder(runner.command(spec.containerId(), pidFile, spec.command(), false))
                .redirectInput(stdio.stdin() ? Redirect.PIPE : NULL_INPUT)
                .redirectOutput(stdio.stdout() ? Redirect.PIPE : Redirect.DISCARD)
                .redirectError(stdio.stderr() ? Redirect.PIPE : Redirect.DISCARD);
        try {
            return new PipeExec(new ExecProcess(spec.containerId(), pb.start(), pidFile), stdio);
        } catch (IOException e) {
            throw new BackendException(Kind.UNAVAILABLE, "container " + spec.containerId()
                    + ": cannot run runtime exec: " + e.getMessage(), e);
        }
    }

    @Override
    public Optional<OutputStream> stdin() {
        return stdio.stdin() ? Optional.of(process.getOutputStream()) : Optional.empty();
    }

    @Override
    public Optional<InputStream> stdout() {
        return stdio.stdout() ? Optional.of(process.getInputStream()) : Optional.empty();
    }

    @Override
    public Optional<InputStream> stderr() {
        return stdio.stderr() ? Optional.of(process.getErrorStream()) : Optional.empty();
    }

    @Override
    public void resize(int width, int height) {
        // No terminal: nothing to resize.
    }

    @Override
    public CompletableFuture<Integer> exit() {
        return exec.exit();
    }

    @Override
    public void close() {
        if (!exec.end()) {
            return;
        }
        try {
            process.getOutputStream().close();
        } catch (IOException e) {
            // The process is gone; its pipe may be broken.
        }
        try {
            process.getInputStream().close();
            process.getErrorStream().close();
        } catch (IOException e) {
            // Nothing more to release.
        }
    }
}
