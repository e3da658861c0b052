package io.crisp.plugin.kata;

import io.crisp.plugin.kata.io.FifoReader;
import io.crisp.plugin.kata.io.Fifos;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a shim's own log into a file. A shim daemon writes its log to a FIFO named {@code log} in
 * its working directory (the sandbox bundle) and will not run unless someone reads it, as containerd
 * does before {@code start}. The copy is capped ({@link #MAX_BYTES}); beyond that the log is read
 * and dropped so the shim never blocks on it.
 */
final class ShimLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ShimLog.class);
    static final long MAX_BYTES = 8L << 20;

    private final FifoReader reader;
    private final Thread copier;

    private ShimLog(FifoReader reader, Path file) {
        this.reader = reader;
        this.copier = new Thread(() -> copy(reader, file), "shim-log " + file.getFileName());
        copier.setDaemon(true);
        copier.start();
    }

    /** Creates the FIFO (replacing a stale one) and starts reading it, before the shim starts. */
    static ShimLog start(Path fifo, Path file) {
        try {
            Files.deleteIfExists(fifo);
            Fifos.make(fifo);
            return new ShimLog(FifoReader.awaitWriter(fifo), file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the shim log FIFO " + fifo + ": " + e.getMessage(), e);
        }
    }

    /** Reads an existing shim's FIFO again after a daemon restart. */
    static ShimLog resume(Path fifo, Path file) {
        try {
            return new ShimLog(FifoReader.resume(fifo), file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reopen the shim log FIFO " + fifo + ": " + e.getMessage(), e);
        }
    }

    private static void copy(InputStream in, Path file) {
        byte[] buf = new byte[16 * 1024];
        try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            long written = Files.size(file);
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (written < MAX_BYTES) {
                    int keep = (int) Math.min(n, MAX_BYTES - written);
                    out.write(buf, 0, keep);
                    out.flush();
                    written += keep;
                }
            }
        } catch (IOException e) {
            LOG.debug("shim log {}: {}", file, e.getMessage());
        }
    }

    @Override
    public void close() {
        reader.close();
    }
}
