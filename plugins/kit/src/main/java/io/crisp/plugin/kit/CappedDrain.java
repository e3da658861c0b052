package io.crisp.plugin.kit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a stream to its end on a thread of its own, keeping its first {@code cap} bytes and reading
 * on past them without keeping them, so the writing process never blocks on a full pipe. Own
 * threads rather than the common pool: on a two-core node that pool has one thread, and blocking
 * reads would starve it.
 */
public final class CappedDrain {
    private static final Logger LOG = LoggerFactory.getLogger(CappedDrain.class);
    private static final int CHUNK = 32 * 1024;

    private CappedDrain() {}

    /**
     * Completes with what was kept once {@code in} ended, or was closed under the drain (a killed
     * process), or failed; closes {@code in}. The thread is a daemon thread named {@code threadName}.
     */
    public static CompletableFuture<byte[]> start(InputStream in, int cap, String threadName) {
        CompletableFuture<byte[]> kept = new CompletableFuture<>();
        Thread thread = new Thread(() -> kept.complete(drain(in, cap)), threadName);
        thread.setDaemon(true);
        thread.start();
        return kept;
    }

    private static byte[] drain(InputStream in, int cap) {
        ByteArrayOutputStream kept = new ByteArrayOutputStream(Math.max(0, Math.min(cap, CHUNK)));
        byte[] buffer = new byte[CHUNK];
        try (in) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                int room = cap - kept.size();
                if (room > 0) {
                    kept.write(buffer, 0, Math.min(room, n));
                }
            }
        } catch (IOException e) {
            LOG.debug("draining {} stopped: {}", in, e.toString());
        }
        return kept.toByteArray();
    }
}
