package io.crisp.plugin.runc;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.concurrent.CompletableFuture;

/**
 * Reads a child's stream to its end on a thread of its own, keeping at most {@code cap} bytes and
 * discarding the rest, so the child never blocks on a full pipe. Own threads rather than the common
 * pool: on a two-core node that pool has one thread, and blocking reads would starve it.
 */
final class StreamDrain {
    private StreamDrain() {}

    static CompletableFuture<byte[]> start(InputStream in, int cap, String name) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            ByteArrayOutputStream kept = new ByteArrayOutputStream();
            byte[] buf = new byte[8192];
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    int room = cap - kept.size();
                    if (room > 0) {
                        kept.write(buf, 0, Math.min(room, n));
                    }
                }
            } catch (IOException e) {
                // The stream was closed under us (process killed): keep what we have.
            }
            result.complete(kept.toByteArray());
        }, name);
        t.setDaemon(true);
        t.start();
        return result;
    }
}
