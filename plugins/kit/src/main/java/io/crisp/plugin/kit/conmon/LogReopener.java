package io.crisp.plugin.kit.conmon;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Asks conmon to reopen its log files through its control fifo ({@code BUNDLE/ctl}), then waits
 * until the log file exists again at its path (the kubelet renamed the old one away).
 */
final class LogReopener {
    private static final long TIMEOUT_SECONDS = 5;

    private LogReopener() {}

    static void reopen(String id, Path ctl, String message, Path logPath) {
        // Opening a fifo for writing blocks until someone reads it; conmon always holds the read end,
        // but if it died in between, open the read end ourselves to unblock the writer.
        CompletableFuture<Void> write = new CompletableFuture<>();
        Thread writer = new Thread(() -> {
            try (OutputStream out = Files.newOutputStream(ctl, StandardOpenOption.WRITE)) {
                out.write(message.getBytes(StandardCharsets.US_ASCII));
                write.complete(null);
            } catch (IOException e) {
                write.completeExceptionally(e);
            }
        }, "reopen-log-" + id);
        writer.setDaemon(true);
        writer.start();
        try {
            write.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            try (InputStream unblock = Files.newInputStream(ctl)) {
                // Opened only to release the blocked writer.
            } catch (IOException ignored) {
                // The writer stays blocked on a fifo nobody reads; it is a daemon thread.
            }
            throw new BackendException(Kind.UNAVAILABLE, "container " + id + ": conmon does not read its control fifo " + ctl);
        } catch (ExecutionException e) {
            throw new BackendException(Kind.INTERNAL, "container " + id + ": cannot write to conmon's control fifo "
                    + ctl + ": " + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(Kind.INTERNAL, "container " + id + ": interrupted while reopening the log");
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        while (!Files.exists(logPath)) {
            if (System.nanoTime() > deadline) {
                throw new BackendException(Kind.INTERNAL, "container " + id + ": conmon did not reopen " + logPath
                        + " within " + TIMEOUT_SECONDS + "s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }
}
