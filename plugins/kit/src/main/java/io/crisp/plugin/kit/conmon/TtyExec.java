package io.crisp.plugin.kit.conmon;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An interactive exec with a terminal. The backend opens a pseudo-terminal and runs
 * {@code setsid -c -w runtime exec --tty ...} with the slave as stdin, stdout and stderr: setsid
 * makes it the controlling terminal of runc's new session. runc creates the container's own
 * console, copies between it and its stdio, and on SIGWINCH (which the kernel sends when
 * {@link #resize} changes the master's size) copies the size to the container's console.
 *
 * <p>Closing {@link #stdin()} sends the terminal's EOF character (^D, 0x04): a terminal has no
 * end of input of its own; the line discipline in the container turns ^D at the start of a line
 * into EOF for the reader, as when a user types it.
 */
final class TtyExec implements StdioSession {
    private static final Logger LOG = LoggerFactory.getLogger(TtyExec.class);
    static final int DEFAULT_WIDTH = 80;
    static final int DEFAULT_HEIGHT = 24;
    private static final byte EOF_CHAR = 0x04;

    private final String id;
    private final Pty pty;
    private final ExecProcess exec;
    private final StdioWiring stdio;

    private TtyExec(String id, Pty pty, ExecProcess exec, StdioWiring stdio) {
        this.id = id;
        this.pty = pty;
        this.exec = exec;
        this.stdio = stdio;
    }

    static TtyExec start(ExecRunner runner, StreamExecSpec spec, Path workDir) {
        String id = spec.containerId();
        Pty pty;
        try {
            pty = Pty.open();
            pty.resize(DEFAULT_WIDTH, DEFAULT_HEIGHT);
        } catch (IOException | RuntimeException e) {
            throw new BackendException(Kind.INTERNAL, "container " + id + ": cannot open a pseudo-terminal for exec: "
                    + e.getMessage(), e);
        }
        Path pidFile = ExecRunner.pidFile(workDir);
        List<String> command = new ArrayList<>(List.of("setsid", "--ctty", "--wait"));
        command.addAll(runner.command(id, pidFile, spec.command(), true));
        Redirect slave = Redirect.to(pty.slavePath().toFile());
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(Redirect.from(pty.slavePath().toFile()))
                .redirectOutput(slave)
                .redirectError(slave);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            pty.close();
            throw new BackendException(Kind.UNAVAILABLE, "container " + id + ": cannot run setsid + runtime exec: "
                    + e.getMessage(), e);
        }
        pty.closeSlave();
        TtyExec session = new TtyExec(id, pty, new ExecProcess(id, process, pidFile), spec.stdio());
        if (!spec.stdio().stdout()) {
            session.discardOutput();
        }
        return session;
    }

    /** Nobody reads the terminal: drain it so that the process never blocks on a full terminal. */
    private void discardOutput() {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                while (pty.read(buf, 0, buf.length) >= 0) {
                    // Dropped.
                }
            } catch (IOException e) {
                LOG.debug("container {}: draining the exec terminal ended: {}", id, e.getMessage());
            }
        }, "exec-tty-drain-" + id);
        t.setDaemon(true);
        t.start();
    }

    @Override
    public Optional<OutputStream> stdin() {
        if (!stdio.stdin()) {
            return Optional.empty();
        }
        return Optional.of(new OutputStream() {
            private final AtomicBoolean eofSent = new AtomicBoolean();

            @Override
            public void write(int b) throws IOException {
                pty.write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                pty.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                if (eofSent.compareAndSet(false, true) && !exec.ended()) {
                    pty.write(new byte[] {EOF_CHAR}, 0, 1);
                }
            }
        });
    }

    @Override
    public Optional<InputStream> stdout() {
        return stdio.stdout() ? Optional.of(pty.input()) : Optional.empty();
    }

    @Override
    public Optional<InputStream> stderr() {
        return Optional.empty();
    }

    @Override
    public void resize(int width, int height) {
        try {
            pty.resize(width, height);
        } catch (IOException e) {
            LOG.debug("container {}: exec terminal resize to {}x{} failed: {}", id, width, height, e.getMessage());
        }
    }

    @Override
    public CompletableFuture<Integer> exit() {
        return exec.exit();
    }

    @Override
    public void close() {
        if (exec.end()) {
            pty.close();
        }
    }
}
