package io.crisp.plugin.kit.conmon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A running interactive {@code runtime exec}, pipes or terminal alike: the JVM's child process,
 * the pid file naming the exec'd process inside the container, and its exit code. Ending it kills
 * the exec'd process tree (killing runc alone would leave it running in the container).
 */
final class ExecProcess {
    private final String containerId;
    private final Process process;
    private final Path pidFile;
    private final CompletableFuture<Integer> exit;
    private final AtomicBoolean ended = new AtomicBoolean();

    ExecProcess(String containerId, Process process, Path pidFile) {
        this.containerId = containerId;
        this.process = process;
        this.pidFile = pidFile;
        this.exit = process.onExit().thenApply(p -> {
            deletePidFile(pidFile);
            return p.exitValue();
        });
    }

    Process process() {
        return process;
    }

    /** Completes with the exit code (runtime exec exits with the process's code). */
    CompletableFuture<Integer> exit() {
        return exit;
    }

    /** Whether {@link #end} was called. */
    boolean ended() {
        return ended.get();
    }

    /**
     * Kills the exec'd process tree if it still runs and removes the pid file. Returns true the
     * first time only, so the caller releases its own resources once.
     */
    boolean end() {
        if (!ended.compareAndSet(false, true)) {
            return false;
        }
        if (process.isAlive()) {
            ExecRunner.killExec(containerId, process, pidFile);
        }
        deletePidFile(pidFile);
        return true;
    }

    static void deletePidFile(Path pidFile) {
        try {
            Files.deleteIfExists(pidFile);
        } catch (IOException e) {
            // Left in the container's state directory, removed with it.
        }
    }
}
