package io.crisp.core.os;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a short-lived helper program the daemon talks to through pipes (a CNI plugin, a credential
 * helper): its stdin written and closed, its stdout and stderr read to their end with the first
 * {@code cap} bytes of each kept, so a chatty program never blocks on a full pipe. Pipes rather than
 * temp files: nothing to create, delete or leave behind when the daemon dies mid-call. The three
 * stream copies run on a shared pool of daemon threads that idle threads leave after a while (a
 * two-core node's common pool has one thread, and blocking reads would starve it). A run longer
 * than the timeout is killed with its descendants.
 */
public final class ChildRun {
    private static final ExecutorService IO = pool();

    private ChildRun() {}

    /** What a finished program left: its exit code and the kept head of stdout and stderr. */
    public record Outcome(int exitCode, byte[] stdout, byte[] stderr) {}

    /**
     * The program did not finish within the timeout, or exited while something it started still held
     * its output open; it was killed with its descendants either way. The second is seen only when a
     * copy was already reading as the program exited: otherwise the JDK's process reaper takes the
     * pipe over with what was written so far, and the run ends as if the output had closed. Either
     * way the caller has its answer within the timeout.
     */
    public static final class Hung extends IOException {
        private static final long serialVersionUID = 1L;

        Hung(String message) {
            super(message);
        }
    }

    /** The program could not be started (missing, not executable, no resources); the cause says why. */
    public static final class NotStarted extends IOException {
        private static final long serialVersionUID = 1L;

        NotStarted(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /**
     * Starts {@code builder} (its redirects are replaced by pipes), writes {@code stdin} and waits.
     *
     * @throws Hung when it outlived {@code timeout} or its output stayed open after it exited
     * @throws InterruptedIOException when the calling thread was interrupted (the program is killed)
     * @throws NotStarted when it cannot be started
     * @throws IOException when its output cannot be read
     */
    public static Outcome run(ProcessBuilder builder, byte[] stdin, int cap, Duration timeout) throws IOException {
        builder.redirectInput(ProcessBuilder.Redirect.PIPE).redirectOutput(ProcessBuilder.Redirect.PIPE)
                .redirectError(ProcessBuilder.Redirect.PIPE);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new NotStarted(e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        Future<?> in = IO.submit(() -> feed(process.getOutputStream(), stdin));
        Future<byte[]> out = IO.submit(() -> keep(process.getInputStream(), cap));
        Future<byte[]> err = IO.submit(() -> keep(process.getErrorStream(), cap));
        try {
            if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                killTree(process);
                throw new Hung("did not finish within " + timeout.toMillis() + " ms and was killed");
            }
            // A descendant may still hold stdout or stderr open: give the copies the rest of the time.
            byte[] stdout = out.get(left(deadline), TimeUnit.NANOSECONDS);
            byte[] stderr = err.get(left(deadline), TimeUnit.NANOSECONDS);
            in.cancel(true);
            return new Outcome(process.exitValue(), stdout, stderr);
        } catch (InterruptedException e) {
            killTree(process);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for " + builder.command().get(0));
        } catch (TimeoutException e) {
            killTree(process);
            throw new Hung("exited, but something it started kept its output open; killed it");
        } catch (ExecutionException e) {
            killTree(process);
            throw new IOException("cannot read its output: " + e.getCause().getMessage(), e.getCause());
        }
    }

    /** Kills the program and everything it started: descendants first, while it can still reap them. */
    public static void killTree(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        descendants.forEach(ProcessHandle::destroyForcibly);
        try {
            for (ProcessHandle d : descendants) {
                try {
                    d.onExit().get(1, TimeUnit.SECONDS);
                } catch (ExecutionException | TimeoutException e) {
                    // killed anyway; nothing more to wait for
                }
            }
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static long left(long deadline) {
        return Math.max(TimeUnit.MILLISECONDS.toNanos(100), deadline - System.nanoTime());
    }

    private static Void feed(OutputStream stream, byte[] bytes) {
        try (OutputStream out = stream) {
            out.write(bytes);
        } catch (IOException e) {
            // It exited or closed stdin without reading all: its exit code and output tell why.
        }
        return null;
    }

    private static byte[] keep(InputStream stream, int cap) throws IOException {
        try (InputStream in = stream) {
            byte[] kept = in.readNBytes(cap);
            in.transferTo(OutputStream.nullOutputStream());
            return kept;
        }
    }

    private static ExecutorService pool() {
        AtomicInteger count = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS,
                new SynchronousQueue<>(), task -> {
                    Thread thread = new Thread(task, "crisp-child-io-" + count.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
        return pool;
    }
}
