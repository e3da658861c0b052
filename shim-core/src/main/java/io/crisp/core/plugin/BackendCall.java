package io.crisp.core.plugin;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One call running on a handler's pool. The caller waits for it up to the call's deadline; a call
 * it gave up on is abandoned ("late"): it keeps running in the plugin (the core does not interrupt
 * a plugin mid-operation), and removals of its object asked for meanwhile run right after it, on
 * the same pool thread, so the plugin never sees two calls for one object at once.
 */
final class BackendCall<T> implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(BackendCall.class);

    final String method;
    final String objectId;
    final long startedNanos = System.nanoTime();
    final CompletableFuture<T> result = new CompletableFuture<>();
    private final Supplier<T> body;
    private final Consumer<BackendCall<T>> finished;
    private final List<Runnable> afterLate = new ArrayList<>();
    private boolean done;
    private boolean abandoned;

    /**
     * @param objectId the pod or container the call is for, or null
     * @param finished runs once the call returned (and its deferred removals ran): frees its slot
     */
    BackendCall(String method, String objectId, Supplier<T> body, Consumer<BackendCall<T>> finished) {
        this.method = method;
        this.objectId = objectId;
        this.body = body;
        this.finished = finished;
    }

    @Override
    public void run() {
        try {
            try {
                result.complete(body.get());
            } catch (Throwable t) { // a plugin's Error is its fault, reported to the caller, never the pool's end
                result.completeExceptionally(t);
            }
            List<Runnable> deferred;
            synchronized (this) {
                done = true;
                deferred = abandoned ? List.copyOf(afterLate) : List.of();
                if (abandoned) {
                    log.warn("Late backend call {} of {} returned {} ms after it started (outcome: {})", method, objectId,
                            (System.nanoTime() - startedNanos) / 1_000_000, result.isCompletedExceptionally() ? "failed" : "ok");
                }
            }
            for (Runnable r : deferred) {
                try {
                    r.run();
                } catch (RuntimeException | LinkageError e) {
                    log.warn("Deferred cleanup after late call {} of {} failed: {}", method, objectId, e.toString());
                }
            }
        } finally {
            finished.accept(this);
        }
    }

    /** The caller gives up: true when the call is still running (it is now late), false when it has just finished. */
    synchronized boolean abandon() {
        if (done) {
            return false;
        }
        abandoned = true;
        return true;
    }

    /** Runs {@code cleanup} once this late call returns: true, or false when it has returned already. */
    synchronized boolean runAfter(Runnable cleanup) {
        if (done) {
            return false;
        }
        afterLate.add(cleanup);
        return true;
    }

    synchronized boolean wasAbandoned() {
        return abandoned;
    }

    synchronized boolean done() {
        return done;
    }
}
