package io.crisp.plugin.kata;

import static io.crisp.plugin.kata.ShimCalls.KILL_WAIT;
import static io.crisp.plugin.kata.ShimCalls.SIGKILL;
import static io.crisp.plugin.kata.ShimCalls.asBackend;
import static io.crisp.plugin.kata.ShimCalls.awaitExit;
import static io.crisp.plugin.kata.ShimCalls.awaitQuietly;
import static io.crisp.plugin.kata.ShimCalls.connect;
import static io.crisp.plugin.kata.ShimCalls.ignoreNotFound;
import static io.crisp.plugin.kata.ShimCalls.ignoreNotFoundQuietly;

import io.crisp.plugin.kata.io.ContainerStdio;
import io.crisp.plugin.kata.io.ResizeHandler;
import io.crisp.plugin.kata.io.StdioFlags;
import io.crisp.plugin.kata.proto.task.StateResponse;
import io.crisp.plugin.kata.proto.types.Status;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.ContainerEventSink;
import io.crisp.ttrpc.Code;
import io.crisp.ttrpc.TtrpcException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tasks of the shim v2 backend through their lives: started and watched (exits arrive by
 * {@code Wait} and by TaskExit events, whichever comes first, and are recorded and reported once),
 * stopped, deleted (through the shim, or by the shim binary's {@code delete} when the shim is gone),
 * their shims shut down, and everything rebuilt from the records after a daemon restart.
 */
final class TaskSupervisor {
    private static final Logger LOG = LoggerFactory.getLogger(TaskSupervisor.class);
    private static final Duration OOM_EVENT_GRACE = Duration.ofSeconds(2);

    private final Map<String, Pod> pods;
    private final Map<String, Task> tasks;
    private final StateFiles files;
    private final ShimBinary binary;
    private final ContainerEventSink sink;
    private final Path stateDir;
    private volatile boolean closing;

    TaskSupervisor(Map<String, Pod> pods, Map<String, Task> tasks, StateFiles files, ShimBinary binary, ContainerEventSink sink,
            Path stateDir) {
        this.pods = pods;
        this.tasks = tasks;
        this.files = files;
        this.binary = binary;
        this.sink = sink;
        this.stateDir = stateDir;
    }

    /** The daemon is closing: a connection that ends now is not a shim lost. */
    void closing() {
        closing = true;
    }

    /** Starts the created task and watches for its exit. */
    void start(Pod pod, Task t) {
        try {
            long pid = pod.client().start(t.id, "").getPid();
            t.started(pid, Instant.now());
            files.writeContainer(t.id, t.record());
            watch(pod, t);
        } catch (RuntimeException e) {
            throw asBackend(e, (t.sandbox ? "sandbox " : "container ") + t.id + ": cannot start");
        }
    }

    /** Waits for the task's exit on the shim's connection; records and reports it. */
    private void watch(Pod pod, Task t) {
        pod.client().waitAsync(t.id, "").whenComplete((response, error) -> {
            if (response != null) {
                int code = (int) response.getExitStatus();
                Instant at = Timestamps.instant(response.getExitedAt());
                if (code == 128 + SIGKILL && !t.oomKilled() && !t.killRequested()) {
                    // Killed, and not by crisp: an OOM kill's TaskOOM event travels ahead of its TaskExit
                    // on the event connection, which may lag this answer. The TaskExit, when it comes,
                    // records the exit at once; this answer waits up to the grace for it.
                    CompletableFuture.delayedExecutor(OOM_EVENT_GRACE.toMillis(), TimeUnit.MILLISECONDS)
                            .execute(() -> onExit(t, code, at));
                } else {
                    onExit(t, code, at);
                }
            } else if (!closing && tasks.get(t.id) == t && !pod.reachable()) {
                // The shim is gone and took the task's supervision with it.
                LOG.warn("{} {}: lost its shim ({}); recording it as exited", t.sandbox ? "sandbox" : "container", t.id,
                        error == null ? "closed" : error.getMessage());
                onExit(t, 255, Instant.now());
            }
        });
    }

    /** Records the task's exit (once) and tells the core. */
    void onExit(Task t, int code, Instant at) {
        if (!t.exited(code, at)) {
            return;
        }
        try {
            files.writeContainer(t.id, t.record());
        } catch (UncheckedIOException e) {
            LOG.warn("container {}: cannot record its exit: {}", t.id, e.getMessage());
        }
        ContainerStdio stdio = t.stdio;
        if (stdio != null) {
            stdio.containerExited(code);
            stdio.awaitOutputDrained(Duration.ofSeconds(2));
        }
        if (t.claimReport()) {
            if (t.oomKilled()) {
                sink.oomKilled(t.id);
            }
            sink.exited(t.id, t.exit().orElseThrow());
        }
    }

    /** Stops the task: {@code signal}, then SIGKILL after {@code timeout} (at once when zero). */
    void stop(Task t, int signal, Duration timeout) {
        if (!t.isRunning()) {
            return;
        }
        Pod pod = pods.get(t.sandboxId);
        if (pod == null || !pod.reachable()) {
            onExit(t, 255, Instant.now());
            return;
        }
        try {
            if (!timeout.isZero()) {
                if (signal == SIGKILL) {
                    t.markKillRequested();
                }
                ignoreNotFound(() -> pod.client().kill(t.id, "", signal, false));
                if (awaitExit(t, timeout)) {
                    return;
                }
            }
            t.markKillRequested();
            ignoreNotFound(() -> pod.client().kill(t.id, "", SIGKILL, true));
            if (!awaitExit(t, KILL_WAIT)) {
                throw new BackendException(Kind.DEADLINE_EXCEEDED, "container " + t.id + " did not exit within " + KILL_WAIT
                        + " of SIGKILL");
            }
        } catch (RuntimeException e) {
            if (t.exit().isPresent()) {
                return; // it exited meanwhile (or its shim went away): stopped all the same
            }
            throw asBackend(e, "container " + t.id + ": stop");
        }
    }

    /**
     * Deletes a task for good: through its shim, or, when the shim is gone, with the shim binary's
     * {@code delete} action, which kills and removes what the dead shim left (as containerd does).
     */
    void delete(Pod pod, Task t) {
        if (pod != null && pod.reachable()) {
            try {
                pod.client().delete(t.id, "");
                return;
            } catch (TtrpcException e) {
                if (e.code() == Code.NOT_FOUND) {
                    return;
                }
                if (e.code() != Code.UNAVAILABLE) {
                    throw asBackend(e, "task " + t.id + ": delete");
                }
            } catch (BackendException e) {
                if (e.kind() != Kind.FAILED_PRECONDITION) {
                    throw e;
                }
            }
        }
        ShimBinary.Result r = binary.delete(t.id, t.bundle);
        LOG.info("{} {}: its shim is gone; shim delete exited {}{}", t.sandbox ? "sandbox" : "container", t.id, r.exitCode(),
                r.stderr().isBlank() ? "" : ": " + r.stderr().strip());
    }

    /** Shuts the shim down (it exits once it holds no task), then makes sure it is gone. */
    void destroyPod(Pod pod) {
        pods.remove(pod.id);
        if (pod.reachable()) {
            try {
                pod.client().shutdown(pod.id);
            } catch (RuntimeException e) {
                LOG.debug("sandbox {}: shim shutdown: {}", pod.id, e.getMessage());
            }
            awaitQuietly(pod.disconnected(), Duration.ofSeconds(5));
        }
        if (pod.reachable()) {
            LOG.warn("sandbox {}: its shim did not exit after Shutdown; leaving it to `{} delete`", pod.id, binary.binary());
            ShimBinary.Result r = binary.delete(pod.id, pod.bundle);
            LOG.info("sandbox {}: shim delete exited {}: {}", pod.id, r.exitCode(), r.stderr().strip());
        }
        pod.disconnect();
        files.deletePod(pod.id);
        try {
            Files.deleteIfExists(pod.bundle.resolve("log"));
            // The copy of the shim's log goes with the pod: kept, one file per pod ever run piles up.
            Files.deleteIfExists(stateDir.resolve("logs").resolve(pod.id + ".log"));
        } catch (IOException e) {
            LOG.debug("sandbox {}: {}", pod.id, e.getMessage());
        }
    }

    /** Rebuilds pods and tasks from the records, reconnecting to every shim that still serves. */
    void recover() {
        for (String id : files.podIds()) {
            Pod pod = Pod.fromRecord(id, files.readPod(id).orElseThrow());
            pods.put(id, pod);
            try {
                pod.logging(ShimLog.resume(pod.bundle.resolve("log"), stateDir.resolve("logs").resolve(id + ".log")));
                pod.connected(connect(pod.address));
            } catch (RuntimeException e) {
                LOG.warn("sandbox {}: its shim at {} is gone ({}); its tasks count as exited", id, pod.address, e.getMessage());
            }
        }
        for (String id : files.containerIds()) {
            Task t = Task.fromRecord(id, files.readContainer(id).orElseThrow());
            tasks.put(id, t);
            Pod pod = pods.get(t.sandboxId);
            if (!t.sandbox && t.exit().isEmpty()) {
                try {
                    t.stdio = ContainerStdio.recover(stateDir.resolve("io").resolve(id),
                            new StdioFlags(t.stdin, t.stdinOnce, t.tty), t.logPath, resizer(pod, id), stdinCloser(pod, id));
                } catch (IOException | RuntimeException e) {
                    LOG.warn("container {}: cannot reopen its stdio: {}", id, e.getMessage());
                }
            }
            if (t.exit().isPresent()) {
                continue;
            }
            if (pod == null || !pod.reachable()) {
                t.exited(255, Instant.now());
                continue;
            }
            try {
                StateResponse state = pod.client().state(id, "");
                if (state.getStatus() == Status.STOPPED) {
                    t.exited((int) state.getExitStatus(), Timestamps.instant(state.getExitedAt()));
                    t.claimReport();
                    files.writeContainer(id, t.record());
                } else if (state.getStatus() == Status.RUNNING || state.getStatus() == Status.PAUSED) {
                    t.started(state.getPid(), Instant.now());
                    watch(pod, t);
                }
            } catch (RuntimeException e) {
                LOG.warn("container {}: state from its shim: {}", id, e.getMessage());
                t.exited(255, Instant.now());
            }
        }
    }

    static ResizeHandler resizer(Pod pod, String id) {
        return (width, height) -> {
            if (pod != null && pod.reachable()) {
                ignoreNotFoundQuietly(() -> pod.client().resizePty(id, "", width, height));
            }
        };
    }

    /**
     * stdin_once let go of the container's stdin: the shim closes its own end of the FIFO too (CloseIO),
     * as containerd asks it to, or the process never reads end of file.
     */
    static Runnable stdinCloser(Pod pod, String id) {
        return () -> {
            if (pod != null && pod.reachable()) {
                ignoreNotFoundQuietly(() -> pod.client().closeStdin(id, ""));
            }
        };
    }
}
