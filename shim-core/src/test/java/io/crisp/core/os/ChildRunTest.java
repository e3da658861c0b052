package io.crisp.core.os;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class ChildRunTest {
    @TempDir
    Path dir;

    private static ProcessBuilder sh(String script) {
        return new ProcessBuilder("/bin/sh", "-c", script);
    }

    @Test
    void stdinReachesTheProgramAndBothOutputsComeBack() throws Exception {
        ChildRun.Outcome outcome = ChildRun.run(sh("cat; echo oops >&2; exit 3"),
                "{\"a\":1}".getBytes(StandardCharsets.UTF_8), 4096, Duration.ofSeconds(10));
        assertEquals(3, outcome.exitCode());
        assertEquals("{\"a\":1}", new String(outcome.stdout(), StandardCharsets.UTF_8));
        assertEquals("oops\n", new String(outcome.stderr(), StandardCharsets.UTF_8));
    }

    @Test
    void outputBeyondTheCapIsReadAndDropped() throws Exception {
        // 8 MiB on each stream: far beyond a pipe's buffer, so a reader that stopped at the cap would hang.
        ChildRun.Outcome outcome = ChildRun.run(sh("head -c 8388608 /dev/zero; head -c 8388608 /dev/zero >&2"),
                new byte[0], 100, Duration.ofSeconds(20));
        assertEquals(0, outcome.exitCode());
        assertArrayEquals(new byte[100], outcome.stdout());
        assertArrayEquals(new byte[100], outcome.stderr());
    }

    @Test
    void aLargeStdinTheProgramIgnoresDoesNotBlock() throws Exception {
        byte[] big = new byte[4 * 1024 * 1024];
        Arrays.fill(big, (byte) 'x');
        ChildRun.Outcome outcome = ChildRun.run(sh("echo ignored"), big, 4096, Duration.ofSeconds(10));
        assertEquals(0, outcome.exitCode());
        assertEquals("ignored\n", new String(outcome.stdout(), StandardCharsets.UTF_8));
    }

    @Test
    void aProgramOutlivingTheTimeoutIsKilledWithWhatItStarted() throws Exception {
        Path pid = dir.resolve("child.pid");
        long start = System.nanoTime();
        ChildRun.Hung hung = assertThrows(ChildRun.Hung.class, () -> ChildRun.run(
                sh("sleep 300 & echo $! > " + pid + "; wait"), new byte[0], 4096, Duration.ofMillis(800)));
        assertTrue(hung.getMessage().contains("did not finish within 800 ms"), hung.getMessage());
        assertTrue(System.nanoTime() - start < 10_000_000_000L);
        long child = Long.parseLong(Files.readString(pid).strip());
        assertFalse(ProcessHandle.of(child).map(ProcessHandle::isAlive).orElse(false), "the sleep it started is gone");
    }

    @Test
    void aDescendantHoldingTheOutputOpenDoesNotHoldUpTheCaller() throws Exception {
        Path pid = dir.resolve("child.pid");
        long start = System.nanoTime();
        String answer;
        try {
            answer = "exit " + ChildRun.run(sh("sleep 300 & echo $! > " + pid), new byte[0], 4096,
                    Duration.ofMillis(800)).exitCode();
        } catch (ChildRun.Hung hung) {
            answer = hung.getMessage();
        }
        long took = System.nanoTime() - start;
        long child = Long.parseLong(Files.readString(pid).strip());
        // The sh exited first, so the sleep was reparented and is no descendant any more: it is left to
        // its fate like any daemonised child, but the caller got its answer within the timeout.
        ProcessHandle.of(child).ifPresent(ProcessHandle::destroyForcibly);
        assertTrue(took < 5_000_000_000L, "answered after " + took / 1_000_000 + " ms, not within the timeout");
        // Which answer depends on a race inside the JDK: when the sh exits before a copy is blocked in
        // read, the JDK's reaper takes the pipe over (what was written so far) and the copy sees its
        // end; when a copy is already reading, the open write end holds it until the deadline.
        assertTrue(answer.equals("exit 0") || answer.contains("kept its output open"), answer);
    }

    @Test
    void aMissingProgramIsNotStarted() {
        ChildRun.NotStarted e = assertThrows(ChildRun.NotStarted.class, () -> ChildRun.run(
                new ProcessBuilder(dir.resolve("nope").toString()), new byte[0], 4096, Duration.ofSeconds(5)));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }
}
