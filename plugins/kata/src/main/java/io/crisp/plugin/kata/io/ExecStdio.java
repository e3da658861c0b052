package io.crisp.plugin.kata.io;

import io.crisp.plugin.kit.CappedDrain;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One exec's stdio: FIFOs in a directory of its own, whose paths go into ExecProcessRequest. The read
 * sides are open from construction on, so the shim's opening of its write sides never waits. Then
 * one use: {@link #collect} for ExecSync, or {@link #session} for a streaming exec. {@link #close}
 * stops everything and removes the directory.
 */
public final class ExecStdio implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ExecStdio.class);

    private final Path dir;
    private final StdioWiring wiring;
    private final StdioPaths paths;
    private final FifoWriter stdin;
    private final FifoReader stdout;
    private final FifoReader stderr;
    private final AtomicBoolean used = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private ExecStdio(Path dir, StdioWiring wiring, FifoWriter stdin, FifoReader stdout, FifoReader stderr) {
        this.dir = dir;
        this.wiring = wiring;
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
        this.paths = new StdioPaths(stdin == null ? "" : StdioPaths.of(dir.resolve("stdin")),
                stdout == null ? "" : StdioPaths.of(dir.resolve("stdout")),
                stderr == null ? "" : StdioPaths.of(dir.resolve("stderr")), wiring.tty());
    }

    /**
     * Makes {@code dir} (0700; it must not exist, its parent is created when absent) with a stdin FIFO
     * when {@code wiring} asks for it, and always a stdout and (without a terminal) a stderr FIFO, as
     * containerd does: a shim given no path for an output stream may not run the process's output at
     * all (containerd-shim-runc-v2 then copied nothing to stdout either). A stream the client did not
     * ask for is read and dropped by {@link #session}.
     */
    public static ExecStdio create(Path dir, StdioWiring wiring) throws IOException {
        if (dir.getParent() != null) {
            Files.createDirectories(dir.getParent());
        }
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        List<AutoCloseable> opened = new ArrayList<>();
        try {
            FifoWriter stdin = wiring.stdin() ? track(opened, FifoWriter.open(fifo(dir, "stdin"))) : null;
            FifoReader stdout = track(opened, FifoReader.awaitWriter(fifo(dir, "stdout")));
            FifoReader stderr = wiring.tty() ? null : track(opened, FifoReader.awaitWriter(fifo(dir, "stderr")));
            return new ExecStdio(dir, wiring, stdin, stdout, stderr);
        } catch (IOException | RuntimeException e) {
            for (AutoCloseable c : opened) {
                closeQuietly(c);
            }
            deleteDirectory(dir);
            throw e;
        }
    }

    /** The FIFOs of an ExecSync: stdout, and stderr unless {@code tty}; no stdin. */
    public static ExecStdio forExecSync(Path dir, boolean tty) throws IOException {
        return create(dir, new StdioWiring(false, true, !tty, tty));
    }

    private static Path fifo(Path dir, String name) throws IOException {
        Path path = dir.resolve(name);
        Fifos.make(path);
        return path;
    }

    private static <T extends AutoCloseable> T track(List<AutoCloseable> opened, T c) {
        opened.add(c);
        return c;
    }

    /** What ExecProcessRequest carries. */
    public StdioPaths paths() {
        return paths;
    }

    /**
     * For ExecSync: reads stdout and stderr to their ends, keeping at most {@code maxOutputBytes} of
     * each (the rest is read and dropped, so the process never blocks). Completes once both ended, or
     * with what was kept so far once {@link #close} stopped them (a child that outlives the process can
     * keep a FIFO open: wait for this with a timeout after the exit, then close).
     */
    public CompletableFuture<ExecOutput> collect(int maxOutputBytes) {
        if (maxOutputBytes < 0) {
            throw new IllegalArgumentException("maxOutputBytes is negative: " + maxOutputBytes);
        }
        claim();
        CompletableFuture<byte[]> out = drain(stdout, maxOutputBytes, "stdout");
        CompletableFuture<byte[]> err = drain(stderr, maxOutputBytes, "stderr");
        return out.thenCombine(err, ExecOutput::new);
    }

    private CompletableFuture<byte[]> drain(FifoReader reader, int cap, String stream) {
        if (reader == null) {
            return CompletableFuture.completedFuture(new byte[0]);
        }
        return CappedDrain.start(reader, cap, "kata-exec-" + stream + "-" + dir.getFileName());
    }

    /**
     * For a streaming exec: a session over the FIFOs. {@code exit} is the backend's (the process's
     * exit code); {@code resize} is used with a terminal only; {@code kill} is run when the client
     * closes the session before {@code exit} completed; {@code stdinClosed} when the client closed
     * stdin (after the FIFO's end was closed). Closing the session closes this ExecStdio.
     */
    public StdioSession session(CompletableFuture<Integer> exit, ResizeHandler resize, Runnable kill,
            Runnable stdinClosed) {
        claim();
        return new ExecSession(this, wiring.tty(), stdin, wanted(stdout, wiring.stdout(), "stdout"),
                wanted(stderr, wiring.stderr(), "stderr"), exit, resize, kill, stdinClosed);
    }

    /** {@code reader} when the client wants the stream; else null, with the stream read and dropped. */
    private FifoReader wanted(FifoReader reader, boolean wanted, String stream) {
        if (reader == null || wanted) {
            return reader;
        }
        CappedDrain.start(reader, 0, "kata-exec-" + stream + "-" + dir.getFileName());
        return null;
    }

    private void claim() {
        if (closed.get()) {
            throw new IllegalStateException("the stdio of exec " + dir.getFileName() + " is closed");
        }
        if (!used.compareAndSet(false, true)) {
            throw new IllegalStateException("the stdio of exec " + dir.getFileName() + " is in use already");
        }
    }

    /** Ends reads and writes on the FIFOs (the process's stdin sees end of file) and removes the directory. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (stdin != null) {
            stdin.close();
        }
        if (stdout != null) {
            stdout.close();
        }
        if (stderr != null) {
            stderr.close();
        }
        deleteDirectory(dir);
    }

    private static void deleteDirectory(Path dir) {
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path entry : (Iterable<Path>) entries::iterator) {
                Files.deleteIfExists(entry);
            }
            Files.deleteIfExists(dir);
        } catch (IOException e) {
            LOG.warn("cannot remove the exec FIFO directory {}: {}", dir, e.toString());
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // Our FIFO ends do not fail to close.
        }
    }

    @Override
    public String toString() {
        return dir.getFileName().toString();
    }
}
