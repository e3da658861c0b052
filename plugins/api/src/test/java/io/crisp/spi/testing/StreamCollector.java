package io.crisp.spi.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Reads a session's output stream on a thread of its own until end of file, as the core's pumps do. */
final class StreamCollector {
    private final StringBuffer seen = new StringBuffer();
    private final CompletableFuture<String> end = new CompletableFuture<>();

    StreamCollector(InputStream in, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[4096];
            try (in) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
                end.complete(seen.toString());
            } catch (IOException e) {
                end.completeExceptionally(new UncheckedIOException(e));
            }
        }, "contract-" + name);
        t.setDaemon(true);
        t.start();
    }

    /** Waits until the output so far contains {@code text}. */
    void awaitContains(String text) throws InterruptedException {
        ContractHarness.await("\"" + text.strip() + "\" in the output (so far: \"" + seen + "\")",
                () -> seen.indexOf(text) >= 0);
    }

    /** Everything read, once the stream ended (read returned -1). */
    String atEnd() throws Exception {
        return end.get(ContractHarness.PATIENCE.toSeconds(), TimeUnit.SECONDS);
    }
}
