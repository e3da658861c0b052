package io.crisp.plugin.kit.conmon;

import io.crisp.plugin.kit.CappedDrain;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The OCI runtime's command line (runc and compatibles), always with the handler's {@code --root}. */
final class RuntimeCli {
    private static final Logger LOG = LoggerFactory.getLogger(RuntimeCli.class);
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);

    /** Exit code and combined stdout and stderr of one runtime command. */
    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }

        /** runc's answers for a container that is gone or has stopped already. */
        boolean saysGoneOrStopped() {
            String o = output.toLowerCase();
            return o.contains("does not exist") || o.contains("not running") || o.contains("container not found")
                    || o.contains("process already finished") || o.contains("no such process");
        }
    }

    private final OciCliConfig config;

    RuntimeCli(OciCliConfig config) {
        this.config = config;
    }

    /** {@code runtime [--systemd-cgroup] --root R}, the start of every runtime command line. */
    List<String> base() {
        List<String> args = new ArrayList<>();
        args.add(config.runtimePath().toString());
        if (config.systemdCgroup()) {
            args.add("--systemd-cgroup");
        }
        args.add("--root");
        args.add(config.runtimeRoot().toString());
        return args;
    }

    Result start(String id) {
        return run(id, null, "start", id);
    }

    Result kill(String id, int signal, boolean all) {
        return all ? run(id, null, "kill", "--all", id, Integer.toString(signal))
                : run(id, null, "kill", id, Integer.toString(signal));
    }

    /** {@code runtime state ID}: the container's state as JSON ({@code status}: created, running, stopped, ...). */
    Result state(String id) {
        return run(id, null, "state", id);
    }

    Result delete(String id) {
        return run(id, null, "delete", "--force", id);
    }

    Result update(String id, String resourcesJson) {
        return run(id, resourcesJson.getBytes(StandardCharsets.UTF_8), "update", "--resources", "-", id);
    }

    /**
     * {@code runtime --root R --criu C checkpoint --image-path I --work-path W [--leave-running] ID},
     * waiting up to {@code timeout} (zero: the usual command timeout).
     */
    Result checkpoint(String id, Path criu, Path imageDir, Path workDir, boolean leaveRunning, Duration timeout) {
        List<String> args = new ArrayList<>(List.of("checkpoint", "--image-path", imageDir.toString(), "--work-path", workDir.toString()));
        if (leaveRunning) {
            args.add("--leave-running");
        }
        args.add(id);
        return run(id, null, timeout.isZero() ? COMMAND_TIMEOUT : timeout, List.of("--criu=" + criu), args.toArray(String[]::new));
    }

    /** Runs {@code runtime --root R ARGS...}, feeding {@code stdin} when given. */
    Result run(String id, byte[] stdin, String... args) {
        return run(id, stdin, COMMAND_TIMEOUT, List.of(), args);
    }

    /** Runs {@code runtime --root R GLOBALS... ARGS...} within {@code timeout}, feeding {@code stdin} when given. */
    private Result run(String id, byte[] stdin, Duration timeout, List<String> globals, String... args) {
        List<String> command = base();
        command.addAll(globals);
        command.addAll(List.of(args));
        long began = System.nanoTime();
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new BackendException(Kind.UNAVAILABLE,
                    "container " + id + ": cannot run " + config.runtimePath() + " " + args[0] + ": " + e.getMessage(), e);
        }
        CompletableFuture<byte[]> output = CappedDrain.start(process.getInputStream(), 1 << 20, "runtime-" + args[0] + "-output");
        try (OutputStream in = process.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin);
            }
        } catch (IOException e) {
            LOG.debug("container {}: runtime {} did not take its input: {}", id, args[0], e.getMessage());
        }
        try {
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.destroyForcibly();
                throw new BackendException(Kind.DEADLINE_EXCEEDED, "container " + id + ": " + config.runtimePath()
                        + " " + args[0] + " did not finish in " + timeout.toSeconds() + "s");
            }
            String text = new String(output.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8).trim();
            LOG.debug("container {}: {} {} exited {} in {} ms", id, config.runtimePath().getFileName(), String.join(" ", args),
                    process.exitValue(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began));
            return new Result(process.exitValue(), text);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new BackendException(Kind.INTERNAL, "container " + id + ": interrupted while running runtime " + args[0], e);
        } catch (ExecutionException | TimeoutException e) {
            return new Result(process.exitValue(), "(output not readable: " + e + ")");
        }
    }

    /** Throws INTERNAL naming the container, the operation and the runtime's own words. */
    static void check(Result result, String id, String operation) {
        if (!result.ok()) {
            throw new BackendException(Kind.INTERNAL,
                    "container " + id + ": runtime " + operation + " failed (exit " + result.exitCode() + "): " + result.output());
        }
    }
}
