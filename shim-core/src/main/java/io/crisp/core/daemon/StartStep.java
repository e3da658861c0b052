package io.crisp.core.daemon;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * A step of the daemon's start that depends on none of the steps it runs beside, on a thread of
 * its own: a restart after a crash waits for the slowest chain of steps, not for their sum. The
 * start {@link #join}s each such step before anything that needs its result, and before it fails
 * (a failed start leaves no step running), so a failure surfaces as it would have in sequence.
 *
 * @param <T> what the step makes
 */
final class StartStep<T> {
    private final CompletableFuture<T> result = new CompletableFuture<>();

    private StartStep(String name, Supplier<T> body) {
        Thread thread = new Thread(() -> {
            try {
                result.complete(body.get());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        }, "crisp-start-" + name);
        thread.setDaemon(true);
        thread.start();
    }

    static <T> StartStep<T> begin(String name, Supplier<T> body) {
        return new StartStep<>(name, body);
    }

    static StartStep<Void> begin(String name, Runnable body) {
        return new StartStep<>(name, () -> {
            body.run();
            return null;
        });
    }

    /** What the step made; its unchecked exception or error as thrown. */
    T join() {
        try {
            return result.join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw e;
        }
    }

    /** After {@link #settle}: hands what the step made, if it made something, to {@code close}. */
    void closeIfMade(java.util.function.Consumer<T> close) {
        T made = result.isDone() && !result.isCompletedExceptionally() ? result.join() : null;
        if (made != null) {
            close.accept(made);
        }
    }

    /** Waits for the step to end, ignoring how: another failure is being reported. */
    void settle() {
        try {
            result.join();
        } catch (RuntimeException e) {
            // the caller's failure is the one reported
        }
    }
}
