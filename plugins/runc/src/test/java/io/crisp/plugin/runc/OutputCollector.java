package io.crisp.plugin.runc;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/** Reads a session's output stream on a thread of its own, for tests to look at. */
final class OutputCollector {
    private final StringBuilder text = new StringBuilder();
    private final CompletableFuture<String> end = new CompletableFuture<>();

    OutputCollector(InputStream in, String name) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[4096];
            try {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    synchronized (text) {
                        text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                }
            } catch (IOException e) {
                synchronized (text) {
                    text.append("<").append(e).append(">");
                }
            }
            end.complete(text());
        }, name);
        t.setDaemon(true);
        t.start();
    }

    String text() {
        synchronized (text) {
            return text.toString();
        }
    }

    /** Everything up to the end of the stream. */
    CompletableFuture<String> end() {
        return end;
    }

    void awaitContains(String expected) throws InterruptedException {
        RuncFixture.await("output containing '" + expected + "', got '" + text() + "'", () -> text().contains(expected));
    }
}
