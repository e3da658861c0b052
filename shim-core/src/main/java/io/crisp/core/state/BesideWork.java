package io.crisp.core.state;

import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs work on a small pool of its own while the calling thread does something else that does not
 * wait for it, and lets the caller wait for it afterwards: a pod's CNI ADD or DEL beside the start or
 * stop of its infra process, loopback's ADD beside the network list's. Each side spends tens of
 * milliseconds in processes of its own.
 *
 * <p>At most {@code threads} tasks run on the pool; one more runs on the caller's thread before
 * {@link #start} returns, as if there were no pool. Idle threads retire after 10 s, as the RPC and
 * backend pools' do, so an idle daemon keeps none.
 */
public final class BesideWork {
    private final ThreadPoolExecutor pool;

    /** A pool of at most {@code threads} daemon threads named {@code name-N}. */
    public BesideWork(String name, int threads) {
        AtomicInteger made = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(0, threads, 10, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, name + "-" + made.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
    }

    /** Starts {@code work} on the pool (on this thread when the pool is full). */
    public <T> Task<T> start(Supplier<T> work) {
        return new Task<>(CompletableFuture.supplyAsync(work, pool));
    }

    /** Starts {@code work} on the pool (on this thread when the pool is full). */
    public Task<Void> start(Runnable work) {
        return start(() -> {
            work.run();
            return null;
        });
    }

    /** The result of work done already on the caller's thread. */
    public static <T> Task<T> done(T result) {
        return new Task<>(CompletableFuture.completedFuture(result));
    }

    /** Work under way. Waiting for it cannot be interrupted: whoever started it must see it end before undoing what it made. */
    public static final class Task<T> {
        private final CompletableFuture<T> future;

        private Task(CompletableFuture<T> future) {
            this.future = future;
        }

        /** Waits for the work; its result, or its own exception. */
        public T join() {
            Optional<RuntimeException> failed = await();
            if (failed.isPresent()) {
                throw failed.get();
            }
            return future.join();
        }

        /** Waits for the work; its exception, if it failed. */
        public Optional<RuntimeException> await() {
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
         * work's failure with {@code own} suppressed in it when the work failed too (for a pod's CNI
         * ADD: its error is the one a user needs first, as when CNI ran before everything else),
         * {@code own} otherwise.
         */
        public RuntimeException firstOver(RuntimeException own) {
            Optional<RuntimeException> failed = await();
            if (failed.isEmpty() || failed.get() == own) {
                return own;
            }
            failed.get().addSuppressed(own);
            return failed.get();
        }

        /** As {@link #firstOver}, but {@code own} is the error returned, with the work's failure suppressed in it. */
        public <E extends RuntimeException> E after(E own) {
            await().filter(f -> f != own).ifPresent(own::addSuppressed);
            return own;
        }
    }
}
