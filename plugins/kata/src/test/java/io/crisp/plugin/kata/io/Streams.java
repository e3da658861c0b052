package io.crisp.plugin.kata.io;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/** Test helpers: read streams on threads of their own, wait for conditions. */
final class Streams {
    private Streams() {}

    static CompletableFuture<byte[]> readAllBytes(InputStream in) {
        CompletableFuture<byte[]> result = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                result.complete(in.readAllBytes());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "test-reader");
        t.setDaemon(true);
        t.start();
        return result;
    }

    static CompletableFuture<String> readAll(InputStream in) {
        return readAllBytes(in).thenApply(b -> new String(b, StandardCharsets.UTF_8));
    }

    /** Reads exactly {@code n} bytes (fails at end of file). */
    static String readExactly(InputStream in, int n) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[n];
        while (out.size() < n) {
            int k = in.read(buf, 0, n - out.size());
            if (k < 0) {
                throw new IOException("end of file after " + out.size() + " of " + n + " bytes: " + out);
            }
            out.write(buf, 0, k);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Polls {@code condition} every 10 ms for up to {@code millis}; fails when it never holds. */
    static void awaitTrue(BooleanSupplier condition, long millis, String what) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(10);
        }
    }
}
