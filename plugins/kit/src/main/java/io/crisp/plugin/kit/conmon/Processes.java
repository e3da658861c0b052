package io.crisp.plugin.kit.conmon;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/** Host processes by pid, read from /proc; no fork. */
final class Processes {
    private Processes() {}

    /**
     * Whether {@code pid} runs and one of its arguments is {@code arg}: guards against a recycled
     * pid. A zombie has an empty command line and counts as gone.
     */
    static boolean aliveWithArg(OptionalLong pid, String arg) {
        if (pid.isEmpty()) {
            return false;
        }
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid.getAsLong()), "cmdline"));
            return Arrays.asList(new String(raw, StandardCharsets.UTF_8).split("\0")).contains(arg);
        } catch (IOException e) {
            return false;
        }
    }

    /** Whether {@code pid} exists and is not a zombie. */
    static boolean alive(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && close + 2 < stat.length() && stat.charAt(close + 2) != 'Z';
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGKILL to any process the daemon may signal; false if it was already gone. */
    static boolean kill(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false);
    }

    /**
     * SIGKILL to {@code pid} and every process below it. The tree is read before the first kill,
     * since orphans are re-parented (to the container's init) and could no longer be found.
     */
    static void killTree(long pid) {
        java.util.List<ProcessHandle> below = ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(java.util.List.of());
        kill(pid);
        below.forEach(ProcessHandle::destroyForcibly);
    }

    /** Waits until {@code pid} is gone (or a zombie); true if it went within {@code timeout}. */
    static boolean awaitGone(long pid, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (alive(pid)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
        return true;
    }
}
