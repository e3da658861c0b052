package io.crisp.plugin.kata.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container's stdin FIFO, kept open for writing from creation until the container exits, so the
 * process sees end of file only when crisp decides. Each attachment writes through a descriptor of
 * its own, so detaching cuts short only that attachment's blocked write. With stdin_once, the first
 * attachment to let go of stdin (closing its stdin or detaching) closes every descriptor: the process
 * reads what is left in the pipe, then end of file, once the shim too let go of its own descriptor:
 * a shim keeps the FIFO open for writing (containerd's runc shim does) until it is asked to close it,
 * which {@code onceClosed} does (the backend calls the shim's CloseIO, as containerd does for
 * stdin_once). A marker file next to the FIFO
 * ({@link #closedMarker}) records that, so a {@link ContainerStdio} recovered after a restart keeps
 * stdin closed; the FIFO itself stays, in case the shim has yet to open it.
 */
final class ContainerStdin {
    private static final Logger LOG = LoggerFactory.getLogger(ContainerStdin.class);

    private final Path fifo;
    private final boolean once;
    private final FifoWriter keeper;
    private final Runnable onceClosed;
    private final List<FifoWriter> attached = new ArrayList<>();
    private boolean closed;

    private ContainerStdin(Path fifo, boolean once, FifoWriter keeper, Runnable onceClosed) {
        this.fifo = fifo;
        this.once = once;
        this.keeper = keeper;
        this.onceClosed = onceClosed;
    }

    /** {@code onceClosed} runs after stdin_once closed stdin (not when the container exited). */
    static ContainerStdin open(Path fifo, boolean once, Runnable onceClosed) throws IOException {
        return new ContainerStdin(fifo, once, FifoWriter.open(fifo), onceClosed);
    }

    /** A writer for one attachment; end it with {@link #detach}. Fails once stdin was closed. */
    synchronized FifoWriter attach() throws IOException {
        if (closed) {
            throw new IOException("the container's stdin is closed");
        }
        FifoWriter writer = FifoWriter.open(fifo);
        attached.add(writer);
        return writer;
    }

    /** The attachment let go of stdin; with stdin_once that closes the container's stdin. */
    void detach(FifoWriter writer) {
        synchronized (this) {
            attached.remove(writer);
            writer.close();
            if (!once || closed) {
                return;
            }
            close();
            try {
                Files.newByteChannel(closedMarker(fifo), StandardOpenOption.CREATE, StandardOpenOption.WRITE).close();
            } catch (IOException e) {
                LOG.warn("cannot record that stdin {} is closed; after a restart it would be open again: {}", fifo, e.toString());
            }
        }
        try {
            onceClosed.run(); // outside the lock: it may be a call to the shim
        } catch (RuntimeException e) {
            LOG.warn("stdin {} closed, but the shim was not told (its process may not see end of file): {}", fifo,
                    e.toString());
        }
    }

    /** The file whose presence says stdin_once closed the stdin FIFO {@code fifo} for good. */
    static Path closedMarker(Path fifo) {
        return fifo.resolveSibling(fifo.getFileName() + ".closed");
    }

    synchronized boolean isClosed() {
        return closed;
    }

    /** Closes every descriptor (the container exited, or stdin_once); the FIFO stays. Idempotent. */
    synchronized void close() {
        closed = true;
        keeper.close();
        for (FifoWriter writer : attached) {
            writer.close();
        }
        attached.clear();
    }
}
