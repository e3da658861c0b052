package io.crisp.plugin.kit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One short run of a program that answers and exits (a {@code --version}, a runtime's
 * {@code features}): stdin closed, stderr merged into stdout, the output drained by another thread
 * ({@link CappedDrain}) so that a program that never exits cannot hold the caller past the
 * deadline, and the program and its descendants killed when it does not finish in time.
 */
public final class ShortRun {
    /**
     * How the run ended.
     *
     * @param finished false when the program was killed at the deadline ({@code exitCode} and
     *     {@code output} then tell nothing)
     */
    public record Result(boolean finished, int exitCode, String output) {}

    private ShortRun() {}

    /**
     * Runs {@code command}, keeping at most {@code cap} bytes of its output.
     *
     * @throws IOException when it cannot start, or its output cannot be read once it exited
     */
    public static Result run(List<String> command, int cap, Duration deadline, String threadName)
            throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        process.getOutputStream().close();
        CompletableFuture<byte[]> drained = CappedDrain.start(process.getInputStream(), cap, threadName);
        if (!process.waitFor(deadline.toMillis(), TimeUnit.MILLISECONDS)) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            return new Result(false, -1, "");
        }
        try {
            return new Result(true, process.exitValue(), new String(drained.get(2, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("cannot read the output of " + String.join(" ", command), e);
        }
    }
}
