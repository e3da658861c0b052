package io.crisp.plugin.kit.conmon;

import io.crisp.plugin.kit.LibC;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An attachment to a container's own stdio through conmon's attach socket
 * ({@code SOCKET_DIR/ID/attach}, SOCK_SEQPACKET). The protocol, as conmon implements it:
 * <ul>
 *   <li>conmon to client: one packet per read from the container, the first byte naming the
 *       stream (2 stdout, 3 stderr; a terminal is stdout), the rest the bytes read (at most 8192).</li>
 *   <li>client to conmon: raw stdin bytes, one packet each; conmon writes them to the container's
 *       stdin (or terminal), and ignores them when the container has no stdin.</li>
 *   <li>The client ends its input with shutdown(SHUT_WR). conmon then closes the container's stdin
 *       unless it runs with {@code --leave-stdin-open} (CRI {@code stdin_once} false); disconnecting
 *       has the same effect.</li>
 *   <li>conmon closes the connection once the container exited and its output was drained.</li>
 * </ul>
 * Terminal size goes through the control fifo instead ({@link ControlFifo}).
 *
 * <p>Closing {@link #stdin()} shuts the socket down for writing. With a terminal that is not an
 * EOF for the process: conmon holds the terminal's master twice (input and output), and with
 * stdin_once closes only the input copy; a client that wants EOF sends the terminal's ^D itself.
 *
 * <p>Asking for stdin from a container created without it is not an error (CRI-O does not refuse
 * either): the session's stdin takes the bytes and drops them, without sending them to conmon.
 */
final class ConmonAttach implements StdioSession {
    private static final Logger LOG = LoggerFactory.getLogger(ConmonAttach.class);
    private static final byte STDOUT = 2;
    private static final byte STDERR = 3;
    /** conmon's packets carry at most 8192 bytes plus the stream byte; more room costs nothing. */
    private static final int PACKET = 32 * 1024;
    /** conmon receives into a buffer of a few KiB and cuts longer packets: send less. */
    private static final int STDIN_CHUNK = 4096;
    private static final int PIPE_BYTES = 64 * 1024;
    /** conmon may close the socket a moment before it writes the exit file. */
    private static final Duration EXIT_FILE_WAIT = Duration.ofSeconds(2);

    private final String id;
    private final SeqpacketSocket socket;
    private final Path ctl;
    private final StdioWiring asked;
    private final Tracked.Stdio container;
    private final Supplier<OptionalInt> exitCode;
    private final BoundedPipe stdout;
    private final BoundedPipe stderr;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final AtomicBoolean closed = new AtomicBoolean();

    private ConmonAttach(String id, SeqpacketSocket socket, Path ctl, StdioWiring asked, Tracked.Stdio container,
            Supplier<OptionalInt> exitCode) {
        this.id = id;
        this.socket = socket;
        this.ctl = ctl;
        this.asked = asked;
        this.container = container;
        this.exitCode = exitCode;
        this.stdout = asked.stdout() ? new BoundedPipe(PIPE_BYTES) : null;
        this.stderr = asked.stderr() ? new BoundedPipe(PIPE_BYTES) : null;
    }

    /**
     * Connects to {@code attachSocket}; {@code exitCode} tells the container's exit code once it
     * exited.
     */
    static ConmonAttach open(String id, Path attachSocket, Path ctl, StdioWiring asked, Tracked.Stdio container,
            Supplier<OptionalInt> exitCode) {
        SeqpacketSocket socket;
        try {
            socket = SeqpacketSocket.connect(attachSocket);
        } catch (IOException e) {
            throw new BackendException(Kind.UNAVAILABLE, "container " + id + ": cannot connect to conmon's attach socket "
                    + attachSocket + ": " + e.getMessage(), e);
        }
        ConmonAttach session = new ConmonAttach(id, socket, ctl, asked, container, exitCode);
        Thread demux = new Thread(session::demultiplex, "attach-" + id);
        demux.setDaemon(true);
        demux.start();
        return session;
    }

    /** Sorts conmon's packets into the streams asked for until conmon or {@link #close} ends the connection. */
    private void demultiplex() {
        byte[] packet = new byte[PACKET];
        try {
            int n;
            while ((n = socket.receive(packet)) > 0) {
                BoundedPipe target = packet[0] == STDOUT ? stdout : packet[0] == STDERR ? stderr : null;
                if (target != null) {
                    target.put(packet, 1, n - 1);
                }
            }
        } catch (IOException e) {
            if (!closed.get()) {
                LOG.debug("container {}: attach connection broke: {}", id, e.getMessage());
            }
        } finally {
            if (stdout != null) {
                stdout.closeWrite();
            }
            if (stderr != null) {
                stderr.closeWrite();
            }
            exit.complete(closed.get() ? exitCode.get().orElse(-1) : awaitExitCode());
        }
    }

    private int awaitExitCode() {
        long deadline = System.nanoTime() + EXIT_FILE_WAIT.toNanos();
        while (true) {
            OptionalInt code = exitCode.get();
            if (code.isPresent() || System.nanoTime() > deadline || closed.get()) {
                return code.orElse(-1);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
    }

    @Override
    public Optional<OutputStream> stdin() {
        if (!asked.stdin()) {
            return Optional.empty();
        }
        if (!container.stdin()) {
            return Optional.of(OutputStream.nullOutputStream());
        }
        return Optional.of(new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    int n = Math.min(len, STDIN_CHUNK);
                    socket.send(b, off, n);
                    off += n;
                    len -= n;
                }
            }

            @Override
            public void close() {
                socket.shutdown(LibC.SHUT_WR);
            }
        });
    }

    @Override
    public Optional<InputStream> stdout() {
        return Optional.ofNullable(stdout);
    }

    @Override
    public Optional<InputStream> stderr() {
        return Optional.ofNullable(stderr);
    }

    @Override
    public void resize(int width, int height) {
        if (!container.tty() || closed.get()) {
            return;
        }
        try {
            ControlFifo.send(ctl, ControlFifo.RESIZE, height, width);
        } catch (IOException e) {
            LOG.debug("container {}: resize to {}x{} failed: {}", id, width, height, e.getMessage());
        }
    }

    @Override
    public CompletableFuture<Integer> exit() {
        return exit;
    }

    /** Detaches; the container keeps running. The demultiplexer ends and the output streams reach their end. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            socket.close();
            // Unblocks a demultiplexer waiting for room in a stream nobody reads any more.
            if (stdout != null) {
                stdout.close();
            }
            if (stderr != null) {
                stderr.close();
            }
        }
    }
}
