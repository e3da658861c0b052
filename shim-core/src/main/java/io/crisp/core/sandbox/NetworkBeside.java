package io.crisp.core.sandbox;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs a pod's CNI ADD or DEL on a small pool of its own while the calling thread starts or stops the
 * pod's infra process. The two do not wait for each other: the infra process needs only the path of
 * the pinned network namespace, not what CNI puts in it, and DEL needs only the pin, which the caller
 * removes after both. Each side spends tens of milliseconds in plugin, runc and conmon processes.
 *
 * <p>At most {@link #THREADS} tasks run on the pool; one more runs on the caller's thread before
 * {@link #start} returns, as if there were no pool. Idle threads retire after 10 s, as the RPC and
 * backend pools' do, so an idle daemon keeps none.
 */
final class NetworkBeside {
    static final int THREADS = 4;

    private final ThreadPoolExecutor pool;

    NetworkBeside() {
        AtomicInteger threads = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(0, THREADS, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "crisp-pod-network-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
    }

    /** Starts {@code work} on the pool (on this thread when the pool is full). */
    <T> Task<T> start(Supplier<T> work) {
        return new Task<>(CompletableFuture.supplyAsync(work, pool));
    }

    /** Starts {@code work} on the pool (on this thread when the pool is full). */
    Task<Void> start(Runnable work) {
        return start(() -> {
            work.run();
            return null;
        });
    }

    /** The result of work done already on the caller's thread. */
    static <T> Task<T> done(T result) {
        return new Task<>(CompletableFuture.completedFuture(result));
    }

    /** Work under way. Waiting for it cannot be interrupted: whoever started it must see it end before undoing what it made. */
    static final class Task<T> {
        private final CompletableFuture<T> future;

        private Task(CompletableFuture<T> future) {
            this.future = future;
        }

        /** Waits for the work; its result, or its own exception. */
        T join() {
            Optional<RuntimeException> failed = await();
            if (failed.isPresent()) {
                throw failed.get();
            }
            return future.join();
        }

        /** Waits for the work; its exception, if it failed. */
        Optional<RuntimeException> await() {
            try {
                future.join();
                return Optional.empty();
            } catch (CompletionException e) {
                Throwable cause = e.getCause() == null ? e : e.getCause();
                if (cause instanceof Error error) {
                    throw error;
                }
                return Optional.of(cause instanceof RuntimeException r ? r : e);
            }
        }

        /**
         * For a caller whose own part failed with {@code own}: waits for the work, then returns the
         * work's failure with {@code own} suppressed in it when the work failed too (CNI's error is the
         * one a user needs first, as when CNI ran before everything else), {@code own} otherwise.
         */
        RuntimeException firstOver(RuntimeException own) {
            Optional<RuntimeException> failed = await();
            if (failed.isEmpty() || failed.get() == own) {
                return own;
            }
            failed.get().addSuppressed(own);
            return failed.get();
        }

        /** As {@link #firstOver}, but {@code own} is the error returned, with the work's failure suppressed in it. */
        RuntimeException after(RuntimeException own) {
            await().filter(f -> f != own).ifPresent(own::addSuppressed);
            return own;
        }
    }
}
