package io.crisp.plugin.kit.conmon;

import io.crisp.plugin.kit.CappedDrain;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.Durations;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code runtime exec}: the process inherits the container's environment, working directory and user
 * from its config.json. Output is drained concurrently and capped per stream; on timeout the exec'd
 * process (pid from {@code --pid-file}) is killed and the call fails with DEADLINE_EXCEEDED.
 */
final class ExecRunner {
    private static final Logger LOG = LoggerFactory.getLogger(ExecRunner.class);

    private final RuntimeCli cli;

    ExecRunner(RuntimeCli cli) {
        this.cli = cli;
    }

    ExecResult run(ExecSpec spec, Path workDir) {
        String id = spec.containerId();
        Path pidFile = pidFile(workDir);
        List<String> command = command(id, pidFile, spec.command(), false);
        long began = System.nanoTime();
        Process process;
        try {
            process = new ProcessBuilder(command).start();
        } catch (IOException e) {
            throw new BackendException(Kind.UNAVAILABLE, "container " + id + ": cannot run runtime exec: " + e.getMessage(), e);
        }
        try {
            process.getOutputStream().close();
            int cap = spec.maxOutputBytes();
            CompletableFuture<byte[]> out = CappedDrain.start(process.getInputStream(), cap, "exec-stdout-" + id);
            CompletableFuture<byte[]> err = CappedDrain.start(process.getErrorStream(), cap, "exec-stderr-" + id);
            boolean finished;
            if (spec.timeout().isZero()) {
                process.waitFor();
                finished = true;
            } else {
                finished = process.waitFor(spec.timeout().toNanos(), TimeUnit.NANOSECONDS);
            }
            if (!finished) {
                killExec(id, process, pidFile);
                throw new BackendException(Kind.DEADLINE_EXCEEDED, "container " + id + ": exec " + spec.command()
                        + " did not finish within its timeout of " + Durations.format(spec.timeout()) + " and was killed");
            }
            // The exec'd process has exited; children it left behind may still hold the pipes.
            ExecResult result = new ExecResult(process.exitValue(), collect(out, process), collect(err, process));
            LOG.debug("container {}: runtime exec ({} args) exited {} in {} ms", id, spec.command().size(),
                    result.exitCode(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
            return result;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killExec(id, process, pidFile);
            throw new BackendException(Kind.INTERNAL, "container " + id + ": interrupted during exec", e);
        } catch (IOException e) {
            killExec(id, process, pidFile);
            throw new BackendException(Kind.INTERNAL, "container " + id + ": exec failed: " + e.getMessage(), e);
        } finally {
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException e) {
                LOG.debug("container {}: cannot delete {}", id, pidFile, e);
            }
        }
    }

    /** A fresh pid file name in the container's state directory, for one exec. */
    static Path pidFile(Path workDir) {
        return workDir.resolve("exec-" + UUID.randomUUID() + ".pid");
    }

    /**
     * {@code runtime --root R exec [--tty] --pid-file F ID ARGS...}: the process takes user,
     * environment and working directory from the container's config.json.
     */
    List<String> command(String id, Path pidFile, List<String> args, boolean tty) {
        List<String> command = cli.base();
        command.add("exec");
        if (tty) {
            command.add("--tty");
        }
        command.add("--pid-file");
        command.add(pidFile.toString());
        command.add(id);
        command.addAll(args);
        return command;
    }

    private static byte[] collect(CompletableFuture<byte[]> stream, Process process) {
        try {
            return stream.get(2, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            // A daemonised child keeps the pipe open: close our end, the drain returns what it kept.
            closeQuietly(process);
            try {
                return stream.get(2, TimeUnit.SECONDS);
            } catch (InterruptedException | ExecutionException | TimeoutException again) {
                return new byte[0];
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new byte[0];
        } catch (ExecutionException e) {
            return new byte[0];
        }
    }

    /** Kills the exec'd process with everything it started (and runc exec with it) and waits until it is gone. */
    static void killExec(String id, Process process, Path pidFile) {
        OptionalLong pid = awaitPid(pidFile, process);
        if (pid.isPresent()) {
            Processes.killTree(pid.getAsLong());
            if (!Processes.awaitGone(pid.getAsLong(), Duration.ofSeconds(10))) {
                LOG.warn("container {}: exec'd process {} survived SIGKILL for 10s", id, pid.getAsLong());
            }
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
        closeQuietly(process);
    }

    /** The exec'd pid; runc writes the file once the process runs, so wait while runc lives. */
    private static OptionalLong awaitPid(Path pidFile, Process process) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            OptionalLong pid = ContainerFiles.readPid(pidFile);
            if (pid.isPresent() || !process.isAlive()) {
                return pid;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        return OptionalLong.empty();
    }

    private static void closeQuietly(Process process) {
        try {
            process.getInputStream().close();
            process.getErrorStream().close();
        } catch (IOException e) {
            // Nothing more to do.
        }
    }
}
