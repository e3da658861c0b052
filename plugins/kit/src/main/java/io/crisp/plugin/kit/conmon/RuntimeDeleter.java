package io.crisp.plugin.kit.conmon;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the program's {@code delete} as soon as an exit is recorded, in the background, the way
 * containerd deletes a task when it exits: the runtime's state and cgroup go with the process, and
 * RemoveContainer (or RemovePodSandbox) only waits for a delete that is already under way or done
 * instead of starting one. A delete that failed, or never ran (no exit was recorded, the backend
 * closed meanwhile), is run again by the removal itself; {@code delete} is idempotent by the adapter
 * protocol, so a daemon killed before or after it needs nothing written down: the next instance
 * records the exit again on its first look and deletes again.
 */
final class RuntimeDeleter {
    private static final Logger LOG = LoggerFactory.getLogger(RuntimeDeleter.class);

    private final RuntimeCli cli;
    private final ExecutorService pool;

    RuntimeDeleter(RuntimeCli cli, String handlerName) {
        this.cli = cli;
        AtomicInteger n = new AtomicInteger();
        // Two: exits come in bursts (a pod's containers stop together), and each delete is a process.
        // They end when idle: an idle daemon keeps no thread for this.
        ThreadPoolExecutor threads = new ThreadPoolExecutor(2, 2, 10, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread thread = new Thread(r, "runtime-delete-" + handlerName + "-" + n.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        threads.allowCoreThreadTimeOut(true);
        this.pool = threads;
    }

    /** The exit of {@code t} was recorded: deletes it in the runtime, once. */
    void exitRecorded(Tracked t) {
        t.deleteRuntimeOnce(() -> {
            try {
                return CompletableFuture.supplyAsync(() -> delete(t.id), pool);
            } catch (RejectedExecutionException closed) {
                return CompletableFuture.completedFuture(false);
            }
        });
    }

    /**
     * Waits at most {@code max} for the delete after the exit of {@code t} (starting it if the exit is
     * recorded); true if it deleted the container, false if there is no exit, it failed or it takes longer.
     */
    boolean awaitDeleted(Tracked t, Duration max) {
        if (t.exit().isPresent()) {
            // The thread that recorded the exit may not have started the delete yet.
            exitRecorded(t);
        }
        Optional<CompletableFuture<Boolean>> deletion = t.runtimeDeletion();
        if (deletion.isEmpty()) {
            return false;
        }
        try {
            return deletion.get().get(max.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (ExecutionException | TimeoutException e) {
            LOG.debug("container {}: the delete after its exit did not finish: {}", t.id, e.toString());
            return false;
        }
    }

    void close() {
        pool.shutdown();
    }

    private boolean delete(String id) {
        try {
            RuntimeCli.Result r = cli.delete(id);
            if (r.ok() || r.saysGoneOrStopped()) {
                return true;
            }
            LOG.debug("container {}: delete after its exit failed (exit {}): {}; its removal runs it again", id, r.exitCode(), r.output());
        } catch (RuntimeException e) {
            LOG.debug("container {}: delete after its exit failed: {}; its removal runs it again", id, e.getMessage());
        }
        return false;
    }
}
