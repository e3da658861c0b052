package io.crisp.plugin.kata.io;

import io.crisp.plugin.kit.log.CriLineSplitter;
import io.crisp.plugin.kit.log.CriLogWriter;
import io.crisp.plugin.kit.log.StreamName;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container's own stdio for its whole life, what conmon does for the runc plugin: FIFOs in one
 * directory ({@code stdin} when the container has stdin, {@code stdout}, {@code stderr} unless it
 * has a terminal) whose paths go into CreateTaskRequest; the output copied into the CRI log and to
 * attached clients; the stdin held open and shared by attachments.
 *
 * <p>Lifecycle: {@link #create} before CreateTask (the read sides are open already, so the shim's
 * opening of its write sides does not wait); {@link #containerExited} when the shim reports the exit;
 * {@link #awaitOutputDrained} so the log is complete; {@link #close}. After a daemon restart,
 * {@link #recover} takes over the FIFOs of a container that may still run.
 *
 * <p>Policies: partial lines as {@link CriLineSplitter} writes them; a slow attached client is
 * disconnected when it falls {@link #ATTACH_BUFFER_BYTES} behind ({@link Attachment}), never slowing
 * the log; with stdin_once the first attachment to let go of stdin closes it ({@link ContainerStdin}).
 */
public final class ContainerStdio implements AutoCloseable {
    /** How far an attached client may fall behind on a stream before it is disconnected. */
    public static final int ATTACH_BUFFER_BYTES = 1 << 20;
    /** After the output ended, how long attachments wait for the exit code before reporting -1. */
    static final Duration EXIT_CODE_WAIT = Duration.ofSeconds(2);
    private static final Duration COPIER_STOP_WAIT = Duration.ofSeconds(1);
    private static final Logger LOG = LoggerFactory.getLogger(ContainerStdio.class);
    private static final String STDIN = "stdin";
    private static final String STDOUT = "stdout";
    private static final String STDERR = "stderr";

    private final String name;
    private final StdioFlags flags;
    private final StdioPaths paths;
    private final CriLogWriter log;
    private final ContainerStdin stdin;
    private final ResizeHandler resize;
    private final List<OutputCopier> copiers = new ArrayList<>();
    private final CopyOnWriteArrayList<Attachment> attachments = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Integer> exitCode = new CompletableFuture<>();
    private final CompletableFuture<Void> outputDone;
    /** For attachments: once the output ended, the exit code, or -1 when it does not come soon. */
    private final CompletableFuture<Integer> sessionExit;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ContainerStdio(Path dir, StdioFlags flags, Opened opened, ResizeHandler resize) {
        this.name = dir.getFileName().toString();
        this.flags = flags;
        this.log = opened.log;
        this.stdin = opened.stdin;
        this.resize = resize;
        this.paths = new StdioPaths(StdioPaths.of(opened.stdinPath), StdioPaths.of(opened.stdoutPath),
                StdioPaths.of(opened.stderrPath), flags.tty());
        addCopier(opened.stdout, StreamName.STDOUT);
        addCopier(opened.stderr, StreamName.STDERR);
        this.outputDone = CompletableFuture.allOf(copiers.stream().map(OutputCopier::done).toArray(CompletableFuture[]::new));
        this.sessionExit = outputDone.thenCompose(
                v -> exitCode.copy().completeOnTimeout(-1, EXIT_CODE_WAIT.toMillis(), TimeUnit.MILLISECONDS));
        copiers.forEach(OutputCopier::start);
    }

    private void addCopier(FifoReader reader, StreamName stream) {
        if (reader != null) {
            CriLineSplitter lines = log == null ? null : new CriLineSplitter(log, stream);
            copiers.add(new OutputCopier(reader, stream, lines, this::deliver, "kata-" + stream.name().toLowerCase() + "-" + name));
        }
    }

    /**
     * Makes the FIFOs in {@code dir} (created when absent, 0700; leftovers of a failed attempt are
     * replaced), opens them and starts copying. {@code logPath}'s file is created 0640 when absent.
     */
    public static ContainerStdio create(Path dir, StdioFlags flags, Optional<Path> logPath, ResizeHandler resize)
            throws IOException {
        return create(dir, flags, logPath, resize, () -> { });
    }

    /**
     * {@link #create}, with {@code stdinClosed} run once stdin_once closed the container's stdin (the
     * backend tells the shim to close its end too, so the process reads end of file).
     */
    public static ContainerStdio create(Path dir, StdioFlags flags, Optional<Path> logPath, ResizeHandler resize,
            Runnable stdinClosed) throws IOException {
        List<String> names = new ArrayList<>();
        if (flags.stdin()) {
            names.add(STDIN);
        }
        names.add(STDOUT);
        if (!flags.tty()) {
            names.add(STDERR);
        }
        Fifos.makeAll(dir, names);
        Opened opened = new Opened();
        try {
            opened.stdoutPath = dir.resolve(STDOUT);
            opened.stdout = FifoReader.awaitWriter(opened.stdoutPath);
            if (!flags.tty()) {
                opened.stderrPath = dir.resolve(STDERR);
                opened.stderr = FifoReader.awaitWriter(opened.stderrPath);
            }
            if (flags.stdin()) {
                opened.stdinPath = dir.resolve(STDIN);
                opened.stdin = ContainerStdin.open(opened.stdinPath, flags.stdinOnce(), stdinClosed);
            }
            opened.log = logPath.isPresent() ? new CriLogWriter(logPath.get()) : null;
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
        return new ContainerStdio(dir, flags, opened, resize);
    }

    /** {@link #create} with the flags and log path of {@code spec}. */
    public static ContainerStdio create(Path dir, ContainerSpec spec, ResizeHandler resize) throws IOException {
        return create(dir, StdioFlags.of(spec), spec.logPath(), resize);
    }

    /**
     * Takes over the FIFOs {@link #create} made in {@code dir}, after a daemon restart: copying resumes
     * (output written while crisp was down and still in the pipes is not lost), and the output ends at
     * once if the shim has left already. A stdin that stdin_once closed stays closed (its path is
     * "" in {@link #paths}). Records go on
     * being appended to {@code logPath}.
     *
     * @throws IOException when {@code dir} holds no stdout FIFO
     */
    public static ContainerStdio recover(Path dir, StdioFlags flags, Optional<Path> logPath, ResizeHandler resize)
            throws IOException {
        return recover(dir, flags, logPath, resize, () -> { });
    }

    /** {@link #recover}, with {@code stdinClosed} as in {@link #create(Path, StdioFlags, Optional, ResizeHandler, Runnable)}. */
    public static ContainerStdio recover(Path dir, StdioFlags flags, Optional<Path> logPath, ResizeHandler resize,
            Runnable stdinClosed) throws IOException {
        Opened opened = new Opened();
        try {
            opened.stdoutPath = dir.resolve(STDOUT);
            if (!Fifos.isFifo(opened.stdoutPath)) {
                throw new IOException("no stdout FIFO in " + dir);
            }
            opened.stdout = FifoReader.resume(opened.stdoutPath);
            if (!flags.tty() && Fifos.isFifo(dir.resolve(STDERR))) {
                opened.stderrPath = dir.resolve(STDERR);
                opened.stderr = FifoReader.resume(opened.stderrPath);
            }
            Path stdinFifo = dir.resolve(STDIN);
            if (flags.stdin() && Fifos.isFifo(stdinFifo) && !Files.exists(ContainerStdin.closedMarker(stdinFifo))) {
                opened.stdinPath = dir.resolve(STDIN);
                opened.stdin = ContainerStdin.open(opened.stdinPath, flags.stdinOnce(), stdinClosed);
            }
            opened.log = logPath.isPresent() ? new CriLogWriter(logPath.get()) : null;
        } catch (IOException | RuntimeException e) {
            opened.close();
            throw e;
        }
        return new ContainerStdio(dir, flags, opened, resize);
    }

    /** {@link #recover} with the flags and log path of {@code spec}. */
    public static ContainerStdio recover(Path dir, ContainerSpec spec, ResizeHandler resize) throws IOException {
        return recover(dir, StdioFlags.of(spec), spec.logPath(), resize);
    }

    /** What CreateTaskRequest carries: the FIFO paths ("" for none) and whether it is a terminal. */
    public StdioPaths paths() {
        return paths;
    }

    public StdioFlags flags() {
        return flags;
    }

    /**
     * A new attachment: output from now on, input into the container's stdin (dropped when the
     * container has none), resize through the backend's handler. After the output ended, the
     * session's streams end at once.
     *
     * @throws IllegalStateException after {@link #close}
     */
    public StdioSession attach(StdioWiring wiring) {
        if (closed.get()) {
            throw new IllegalStateException("the stdio of " + name + " is closed");
        }
        Attachment attachment = new Attachment(name, wiring, flags.tty(), ATTACH_BUFFER_BYTES, stdin, resize,
                attachments::remove, () -> exitCode.getNow(-1));
        attachments.add(attachment);
        outputDone.whenComplete((v, e) -> attachment.outputEnded());
        sessionExit.whenComplete((code, e) -> attachment.exited(code == null ? -1 : code));
        return attachment;
    }

    private void deliver(StreamName stream, byte[] b, int off, int len) {
        for (Attachment attachment : attachments) {
            attachment.offer(stream, b, off, len);
        }
    }

    /** The shim reported the container's exit: attachments get {@code code}, and stdin is closed. */
    public void containerExited(int code) {
        exitCode.complete(code);
        if (stdin != null) {
            stdin.close();
        }
    }

    /** The kubelet rotated the log: records go to a new file at the log path. Does nothing without a log. */
    public void reopenLog() throws IOException {
        if (log != null) {
            log.reopen();
        }
    }

    /** Completes once stdout and stderr reached end of file (or {@link #close} stopped them) and all was logged. */
    public CompletableFuture<Void> outputDone() {
        return outputDone.copy();
    }

    /** Waits up to {@code timeout} for {@link #outputDone}; true when the output is complete. */
    public boolean awaitOutputDrained(Duration timeout) {
        try {
            outputDone.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException | ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Stops copying (an unfinished line is logged as P), closes every descriptor and the log, and
     * ends the attachments. Deletes nothing. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        copiers.forEach(OutputCopier::cancel);
        if (stdin != null) {
            stdin.close();
        }
        try {
            for (OutputCopier copier : copiers) {
                if (!copier.join(COPIER_STOP_WAIT)) {
                    LOG.warn("{}: an output copier did not stop within {}", name, COPIER_STOP_WAIT);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        exitCode.complete(-1);
        if (log != null) {
            log.close();
        }
    }

    /** What a factory opened so far, to close on failure. */
    private static final class Opened {
        Path stdinPath;
        Path stdoutPath;
        Path stderrPath;
        FifoReader stdout;
        FifoReader stderr;
        ContainerStdin stdin;
        CriLogWriter log;

        void close() {
            if (stdout != null) {
                stdout.close();
            }
            if (stderr != null) {
                stderr.close();
            }
            if (stdin != null) {
                stdin.close();
            }
            if (log != null) {
                log.close();
            }
        }
    }
}
