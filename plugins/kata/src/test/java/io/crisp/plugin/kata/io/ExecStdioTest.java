package io.crisp.plugin.kata.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.StdioSession;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An exec's stdio with real FIFOs; {@code sh} processes play the exec'd process. */
final class ExecStdioTest {
    @TempDir
    Path tmp;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    private Process run(String script, String... paths) throws IOException {
        Path[] args = new Path[paths.length];
        for (int i = 0; i < paths.length; i++) {
            args[i] = Path.of(paths[i]);
        }
        Process p = Sh.start(script, args);
        processes.add(p);
        return p;
    }

    @Test
    void execSyncKeepsAtMostMaxOutputBytesAndStillDrains() throws Exception {
        Path dir = tmp.resolve("exec-1");
        try (ExecStdio stdio = ExecStdio.forExecSync(dir, false)) {
            StdioPaths paths = stdio.paths();
            assertEquals(new StdioPaths("", dir.resolve("stdout").toString(), dir.resolve("stderr").toString(), false), paths);
            CompletableFuture<ExecOutput> output = stdio.collect(1000);
            // 2 MiB: far more than the cap and than a pipe holds; the process would block if we stopped reading.
            Process p = run("exec >\"$1\" 2>\"$2\"; head -c 2097152 /dev/zero | tr '\\0' a; echo oops >&2; exit 3",
                    paths.stdout(), paths.stderr());
            assertEquals(3, Sh.await(p));
            ExecResult result = output.get(3, TimeUnit.SECONDS).toResult(3);
            assertEquals(3, result.exitCode());
            assertArrayEquals("a".repeat(1000).getBytes(StandardCharsets.US_ASCII), result.stdout());
            assertEquals("oops\n", new String(result.stderr(), StandardCharsets.UTF_8));
        }
        assertFalse(Files.exists(dir), "close removes the exec's directory");
    }

    @Test
    void execSyncWithATerminalHasNoStderr() throws Exception {
        Path dir = tmp.resolve("exec-tty");
        try (ExecStdio stdio = ExecStdio.forExecSync(dir, true)) {
            assertEquals(new StdioPaths("", dir.resolve("stdout").toString(), "", true), stdio.paths());
            assertFalse(Files.exists(dir.resolve("stderr")));
            CompletableFuture<ExecOutput> output = stdio.collect(ExecSpec.CRI_MAX_OUTPUT_BYTES);
            assertEquals(0, Sh.await(run("echo hi > \"$1\"", stdio.paths().stdout())));
            ExecOutput got = output.get(3, TimeUnit.SECONDS);
            assertEquals("hi\n", new String(got.stdout(), StandardCharsets.UTF_8));
            assertEquals(0, got.stderr().length);
        }
    }

    @Test
    void closeEndsACollectionWhoseWriterNeverCame() throws Exception {
        Path dir = tmp.resolve("exec-2");
        ExecStdio stdio = ExecStdio.forExecSync(dir, false);
        CompletableFuture<ExecOutput> output = stdio.collect(100);
        Thread.sleep(100);
        assertFalse(output.isDone());
        stdio.close();
        ExecOutput got = output.get(2, TimeUnit.SECONDS);
        assertEquals(0, got.stdout().length + got.stderr().length);
        assertFalse(Files.exists(dir));
        assertThrows(IllegalStateException.class, () -> stdio.collect(1));
    }

    @Test
    void theDirectoryMustBeFreshAndStdioIsUsedOnce() throws Exception {
        Path dir = tmp.resolve("exec-3");
        try (ExecStdio stdio = ExecStdio.forExecSync(dir, true)) {
            assertThrows(FileAlreadyExistsException.class, () -> ExecStdio.forExecSync(dir, true));
            stdio.collect(1);
            assertThrows(IllegalStateException.class, () -> stdio.session(new CompletableFuture<>(), ResizeHandler.NONE, () -> { }, () -> { }));
        }
    }

    @Test
    void outputStreamsTheClientDidNotAskForAreStillGivenToTheShimAndDropped() throws Exception {
        Path dir = tmp.resolve("exec-6");
        ExecStdio stdio = ExecStdio.create(dir, new StdioWiring(true, true, false, false));
        StdioPaths paths = stdio.paths();
        assertEquals(dir.resolve("stderr").toString(), paths.stderr(), "containerd's shim wants every output path");
        // 1 MiB on stderr, more than a pipe holds: the process would block if nobody read it.
        Process p = run("exec <\"$1\" >\"$2\" 2>\"$3\"; head -c 1048576 /dev/zero >&2; echo out", paths.stdin(), paths.stdout(),
                paths.stderr());
        StdioSession session = stdio.session(p.onExit().thenApply(Process::exitValue), ResizeHandler.NONE, () -> { }, () -> { });
        assertTrue(session.stderr().isEmpty());
        assertEquals("out\n", Streams.readExactly(session.stdout().orElseThrow(), 4));
        assertEquals(0, session.exit().get(5, TimeUnit.SECONDS));
        session.close();
    }

    @Test
    void streamingExecPassesStdinThroughAndEndsWithTheProcess() throws Exception {
        Path dir = tmp.resolve("exec-4");
        ExecStdio stdio = ExecStdio.create(dir, new StdioWiring(true, true, true, false));
        StdioPaths paths = stdio.paths();
        assertFalse(paths.stdin().isEmpty() || paths.stdout().isEmpty() || paths.stderr().isEmpty());
        Process p = run("exec <\"$1\" >\"$2\" 2>\"$3\"; cat; echo done >&2; exit 5", paths.stdin(), paths.stdout(), paths.stderr());
        AtomicInteger kills = new AtomicInteger();
        CompletableFuture<Integer> exit = p.onExit().thenApply(Process::exitValue);
        AtomicInteger shimTold = new AtomicInteger();
        StdioSession session = stdio.session(exit, ResizeHandler.NONE, kills::incrementAndGet, shimTold::incrementAndGet);
        CompletableFuture<String> err = Streams.readAll(session.stderr().orElseThrow());
        session.stdin().orElseThrow().write("ping\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("ping\n", Streams.readExactly(session.stdout().orElseThrow(), 5));
        session.stdin().orElseThrow().close(); // end of file for cat
        session.stdin().orElseThrow().close();
        assertEquals(1, shimTold.get(), "closing stdin tells the shim to close its end too, once");
        assertEquals(-1, session.stdout().orElseThrow().read());
        assertEquals("done\n", err.get(3, TimeUnit.SECONDS));
        assertEquals(5, session.exit().get(3, TimeUnit.SECONDS));
        session.close();
        assertEquals(0, kills.get(), "a process that exited is not killed");
        assertFalse(Files.exists(dir));
    }

    @Test
    void closingAStreamingExecBeforeItExitedKillsItAndResizeNeedsATerminal() throws Exception {
        Path dir = tmp.resolve("exec-5");
        ExecStdio stdio = ExecStdio.create(dir, new StdioWiring(false, true, false, true));
        assertEquals(new StdioPaths("", dir.resolve("stdout").toString(), "", true), stdio.paths());
        Process p = run("exec >\"$1\"; echo started; exec sleep 30", stdio.paths().stdout());
        List<String> sizes = new ArrayList<>();
        StdioSession session = stdio.session(p.onExit().thenApply(Process::exitValue), (w, h) -> sizes.add(w + "x" + h),
                p::destroy, () -> { });
        assertTrue(session.stdin().isEmpty() && session.stderr().isEmpty());
        assertEquals("started\n", Streams.readExactly(session.stdout().orElseThrow(), 8));
        session.resize(120, 40);
        assertEquals(List.of("120x40"), sizes);
        session.close();
        assertTrue(p.waitFor(3, TimeUnit.SECONDS), "the kill callback ran");
        assertEquals(-1, session.stdout().orElseThrow().read(), "a closed session's output ends");
        assertFalse(Files.exists(dir));
        session.resize(1, 1);
        assertEquals(List.of("120x40"), sizes);
    }

    @Test
    void streamingExecWithoutATerminalIgnoresResize() throws Exception {
        List<String> sizes = new ArrayList<>();
        try (ExecStdio stdio = ExecStdio.create(tmp.resolve("exec-6"), new StdioWiring(false, true, true, false))) {
            stdio.session(new CompletableFuture<>(), (w, h) -> sizes.add(w + "x" + h), () -> { }, () -> { }).resize(80, 24);
        }
        assertTrue(sizes.isEmpty());
    }
}
