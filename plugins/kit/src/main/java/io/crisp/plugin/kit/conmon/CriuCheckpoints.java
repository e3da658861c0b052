package io.crisp.plugin.kit.conmon;

import io.crisp.plugin.kit.CappedDrain;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.model.CheckpointSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Checkpoints through the runtime's {@code checkpoint} command with the handler's CRIU, and tells a
 * node that cannot checkpoint (CRIU missing, or {@code criu check} failing on this kernel) from a
 * checkpoint that failed: the first is FAILED_PRECONDITION with CRIU's own words, the second
 * INTERNAL with the runtime's error and the end of CRIU's {@code dump.log}.
 */
final class CriuCheckpoints {
    private static final long CHECK_TIMEOUT_SECONDS = 30;

    private final RuntimeCli cli;
    private final Path criu;

    CriuCheckpoints(RuntimeCli cli, Path criu) {
        this.cli = cli;
        this.criu = criu;
    }

    void checkpoint(String id, CheckpointSpec spec) {
        requireUsableCriu(id);
        RuntimeCli.Result result = cli.checkpoint(id, criu, spec.imageDir(), spec.workDir(), spec.leaveRunning(), spec.timeout());
        if (result.ok()) {
            return;
        }
        // Was it the node? criu check answers that without touching the container.
        String check = criuCheck();
        if (check != null) {
            throw BackendException.failedPrecondition("container %s: cannot checkpoint on this node: `%s check` fails: %s",
                    id, criu, check);
        }
        throw new BackendException(Kind.INTERNAL, "container " + id + ": runtime checkpoint failed (exit " + result.exitCode()
                + "): " + result.output() + logTail(spec.workDir(), "dump.log"));
    }

    /** Before a restore: a CRIU that cannot work here fails the restore with the same clear answer. */
    void requireUsableForRestore(String id) {
        requireUsableCriu(id);
        String check = criuCheck();
        if (check != null) {
            throw BackendException.failedPrecondition("container %s: cannot restore a checkpoint on this node: `%s check` fails: %s",
                    id, criu, check);
        }
    }

    private void requireUsableCriu(String id) {
        if (!Files.isRegularFile(criu) || !Files.isExecutable(criu)) {
            throw BackendException.failedPrecondition("container %s: cannot checkpoint or restore: CRIU %s is missing or not executable"
                    + " (install criu, or set the handler's criu_path)", id, criu);
        }
    }

    /** Null when {@code criu check} passes, else what it printed (its last lines). */
    String criuCheck() {
        Process process;
        try {
            process = new ProcessBuilder(criu.toString(), "check").redirectErrorStream(true).start();
        } catch (IOException e) {
            return "cannot run it: " + e.getMessage();
        }
        CompletableFuture<byte[]> output = CappedDrain.start(process.getInputStream(), 64 << 10, "criu-check-output");
        try {
            process.getOutputStream().close();
            if (!process.waitFor(CHECK_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return "did not finish in " + CHECK_TIMEOUT_SECONDS + "s";
            }
            String text = new String(output.get(5, TimeUnit.SECONDS), StandardCharsets.UTF_8).trim();
            return process.exitValue() == 0 ? null : "exit " + process.exitValue() + ": " + lastLines(text, 6);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return "interrupted";
        } catch (IOException | ExecutionException | TimeoutException e) {
            return "output not readable: " + e;
        }
    }

    /** "; CRIU NAME ends: ..." from the CRIU log {@code name} in {@code dir}; empty when there is none. */
    static String logTail(Path dir, String name) {
        try {
            return "; CRIU " + name + " ends: " + lastLines(Files.readString(dir.resolve(name)), 8);
        } catch (IOException e) {
            return "";
        }
    }

    static String lastLines(String text, int count) {
        List<String> lines = text.lines().filter(l -> !l.isBlank()).toList();
        return String.join(" | ", lines.subList(Math.max(0, lines.size() - count), lines.size()));
    }
}
