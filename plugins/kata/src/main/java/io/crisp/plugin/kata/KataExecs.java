package io.crisp.plugin.kata;

import static io.crisp.plugin.kata.ShimCalls.KILL_WAIT;
import static io.crisp.plugin.kata.ShimCalls.SIGKILL;
import static io.crisp.plugin.kata.ShimCalls.asBackend;
import static io.crisp.plugin.kata.ShimCalls.awaitQuietly;
import static io.crisp.plugin.kata.ShimCalls.ignoreNotFound;
import static io.crisp.plugin.kata.ShimCalls.ignoreNotFoundQuietly;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import io.crisp.plugin.kata.io.ExecOutput;
import io.crisp.plugin.kata.io.ExecStdio;
import io.crisp.plugin.kata.io.StdioPaths;
import io.crisp.plugin.kata.proto.task.ExecProcessRequest;
import io.crisp.plugin.kata.proto.task.WaitResponse;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Execs in a running container, as containerd's CRI plugin makes them: an Exec of the container's
 * task with the OCI process the core derived, Start, Wait, Delete; stdio through FIFOs in a directory
 * per exec under {@code execDir}, gone when the exec ends.
 */
final class KataExecs {
    /** type_url of the protobuf Any holding an exec's OCI process JSON. */
    private static final String PROCESS_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Process";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Path execDir;

    KataExecs(Path execDir) {
        this.execDir = execDir;
    }

    /** ExecSync: runs the command to its end (or {@code spec.timeout()}) and returns its capped output. */
    ExecResult execSync(Pod pod, Task t, ExecSpec spec) {
        String execId = newExecId();
        Path dir = execDir.resolve(execId);
        // Closing the ExecStdio removes its FIFO directory.
        try (ExecStdio stdio = ExecStdio.forExecSync(dir, spec.tty())) {
            // Read while the process runs: a full pipe would stop it before it could exit.
            CompletableFuture<ExecOutput> output = stdio.collect(spec.maxOutputBytes());
            startExec(pod, t, execId, spec.processJson(), stdio.paths());
            CompletableFuture<WaitResponse> wait = pod.client().waitAsync(t.id, execId);
            WaitResponse done;
            try {
                done = spec.timeout().isZero() ? wait.get() : wait.get(spec.timeout().toNanos(), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                ignoreNotFound(() -> pod.client().kill(t.id, execId, SIGKILL, false));
                awaitQuietly(wait, KILL_WAIT);
                ignoreNotFound(() -> pod.client().delete(t.id, execId));
                throw new BackendException(Kind.DEADLINE_EXCEEDED, String.format(
                        "container %s: command %s timed out after %s", t.id, spec.command().get(0), spec.timeout()));
            }
            ExecOutput out;
            try {
                out = output.get(10, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                // A child of the exec'd process still holds the output open: take what came.
                stdio.close();
                out = output.get(5, TimeUnit.SECONDS);
            }
            ignoreNotFound(() -> pod.client().delete(t.id, execId));
            return out.toResult((int) done.getExitStatus());
        } catch (IOException e) {
            throw execStdioFailed(t, e);
        } catch (TimeoutException e) {
            throw new BackendException(Kind.INTERNAL, "container " + t.id + ": exec output did not end", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BackendException(Kind.INTERNAL, "container " + t.id + ": interrupted during exec", e);
        } catch (ExecutionException e) {
            throw asBackend(e.getCause(), "container " + t.id + ": exec");
        }
    }

    /** A streaming exec (crictl exec -i, kubectl exec): its stdio wired to the session the core hands on. */
    StdioSession exec(Pod pod, Task t, StreamExecSpec spec) {
        String execId = newExecId();
        Path dir = execDir.resolve(execId);
        StdioWiring wiring = spec.stdio();
        ExecStdio stdio;
        try {
            stdio = ExecStdio.create(dir, wiring);
        } catch (IOException e) {
            throw execStdioFailed(t, e);
        }
        try {
            startExec(pod, t, execId, spec.processJson(), stdio.paths());
        } catch (RuntimeException e) {
            stdio.close(); // also removes the exec's FIFO directory
            throw asBackend(e, "container " + t.id + ": exec");
        }
        CompletableFuture<Integer> exit = pod.client().waitAsync(t.id, execId)
                .thenApply(r -> (int) r.getExitStatus());
        exit.whenComplete((code, error) -> {
            if (pod.reachable()) {
                ignoreNotFoundQuietly(() -> pod.client().delete(t.id, execId));
            }
        });
        return stdio.session(exit,
                (width, height) -> ignoreNotFoundQuietly(() -> pod.client().resizePty(t.id, execId, width, height)),
                () -> ignoreNotFoundQuietly(() -> pod.client().kill(t.id, execId, SIGKILL, false)),
                () -> ignoreNotFoundQuietly(() -> pod.client().closeStdin(t.id, execId)));
    }

    /** Runs {@code process}, the exec's OCI process JSON the core derived from the container's spec. */
    private void startExec(Pod pod, Task t, String execId, String process, StdioPaths paths) {
        if (process.isEmpty()) {
            throw BackendException.failedPrecondition("container %s: the exec carries no OCI process (a core older than SPI 1.2)", t.id);
        }
        pod.client().exec(ExecProcessRequest.newBuilder().setId(t.id).setExecId(execId).setTerminal(paths.terminal())
                .setStdin(paths.stdin()).setStdout(paths.stdout()).setStderr(paths.stderr())
                .setSpec(Any.newBuilder().setTypeUrl(PROCESS_TYPE_URL)
                        .setValue(ByteString.copyFrom(process, StandardCharsets.UTF_8)))
                .build());
        try {
            pod.client().start(t.id, execId);
        } catch (RuntimeException e) {
            ignoreNotFoundQuietly(() -> pod.client().delete(t.id, execId));
            throw e;
        }
    }

    private static BackendException execStdioFailed(Task t, IOException e) {
        return new BackendException(Kind.INTERNAL, "container " + t.id + ": exec stdio: " + e.getMessage(), e);
    }

    private static String newExecId() {
        byte[] b = new byte[8];
        RANDOM.nextBytes(b);
        return "exec-" + HexFormat.of().formatHex(b);
    }
}
