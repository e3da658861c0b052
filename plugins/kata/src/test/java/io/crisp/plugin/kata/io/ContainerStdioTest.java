package io.crisp.plugin.kata.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.plugin.kit.log.CriLog;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.ContainerSpec;
import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A container's stdio with real FIFOs; {@code sh} processes play the shim's part. */
final class ContainerStdioTest {
    private static final StdioWiring OUT_AND_ERR = new StdioWiring(false, true, true, false);
    private static final StdioWiring IN_AND_OUT = new StdioWiring(true, true, false, false);

    @TempDir
    Path tmp;

    private final List<AutoCloseable> cleanup = new ArrayList<>();
    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (AutoCloseable c : cleanup) {
            c.close();
        }
    }

    private ContainerStdio create(StdioFlags flags, Path log) throws IOException {
        ContainerStdio stdio = ContainerStdio.create(tmp.resolve("io"), flags, Optional.ofNullable(log), ResizeHandler.NONE);
        cleanup.add(stdio);
        return stdio;
    }

    private Process shim(String script, String... paths) throws IOException {
        Path[] args = new Path[paths.length];
        for (int i = 0; i < paths.length; i++) {
            args[i] = Path.of(paths[i]);
        }
        Process p = Sh.start(script, args);
        processes.add(p);
        return p;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void fifosAndPathsFollowTheFlags() throws Exception {
        ContainerStdio plain = ContainerStdio.create(tmp.resolve("a"), new StdioFlags(false, false, false), Optional.empty(), ResizeHandler.NONE);
        ContainerStdio tty = ContainerStdio.create(tmp.resolve("b"), new StdioFlags(true, false, true), Optional.empty(), ResizeHandler.NONE);
        cleanup.add(plain);
        cleanup.add(tty);
        assertEquals(new StdioPaths("", tmp.resolve("a/stdout").toString(), tmp.resolve("a/stderr").toString(), false), plain.paths());
        assertEquals(new StdioPaths(tmp.resolve("b/stdin").toString(), tmp.resolve("b/stdout").toString(), "", true), tty.paths());
        assertTrue(Fifos.isFifo(tmp.resolve("b/stdin")) && Fifos.isFifo(tmp.resolve("b/stdout")));
        assertFalse(Files.exists(tmp.resolve("a/stdin")) || Files.exists(tmp.resolve("b/stderr")));

        ContainerSpec spec = new ContainerSpec("c1", "s1", "n", tmp, Optional.of(tmp.resolve("c.log")), true, true, false, Map.of());
        ContainerStdio fromSpec = ContainerStdio.create(tmp.resolve("c"), spec, ResizeHandler.NONE);
        cleanup.add(fromSpec);
        assertEquals(new StdioFlags(true, true, false), fromSpec.flags());
        assertTrue(Files.exists(tmp.resolve("c.log")), "the log is created at once");
    }

    @Test
    void fansOutputToTwoAttachmentsWhileLogging() throws Exception {
        Path log = tmp.resolve("c.log");
        ContainerStdio stdio = create(new StdioFlags(false, false, false), log);
        StdioSession both = stdio.attach(OUT_AND_ERR);
        StdioSession outOnly = stdio.attach(new StdioWiring(false, true, false, false));
        assertTrue(outOnly.stderr().isEmpty() && outOnly.stdin().isEmpty() && both.stdin().isEmpty());
        CompletableFuture<String> bothOut = Streams.readAll(both.stdout().orElseThrow());
        CompletableFuture<String> bothErr = Streams.readAll(both.stderr().orElseThrow());
        CompletableFuture<String> onlyOut = Streams.readAll(outOnly.stdout().orElseThrow());

        Process p = shim("exec >\"$1\" 2>\"$2\"; echo out; echo err >&2; printf 'more\\npartial'",
                stdio.paths().stdout(), stdio.paths().stderr());
        assertEquals(0, Sh.await(p));
        assertTrue(stdio.awaitOutputDrained(Duration.ofSeconds(3)));
        stdio.containerExited(3);

        assertEquals("out\nmore\npartial", bothOut.get(3, TimeUnit.SECONDS));
        assertEquals("err\n", bothErr.get(3, TimeUnit.SECONDS));
        assertEquals("out\nmore\npartial", onlyOut.get(3, TimeUnit.SECONDS));
        assertEquals(3, both.exit().get(3, TimeUnit.SECONDS));
        assertEquals(3, outOnly.exit().get(3, TimeUnit.SECONDS));
        CriLog parsed = CriLog.read(log);
        assertEquals("out\nmore\npartial", parsed.text("stdout"));
        assertTrue(parsed.lines().containsAll(List.of("stdout F out", "stderr F err", "stdout F more", "stdout P partial")),
                parsed.lines().toString());
    }

    @Test
    void attachmentsSeeOnlyOutputFromNowOn() throws Exception {
        ContainerStdio stdio = create(new StdioFlags(false, false, true), tmp.resolve("c.log"));
        Path go = tmp.resolve("go");
        Process p = shim("exec >\"$1\"; echo early; while [ ! -e \"$2\" ]; do sleep 0.02; done; echo late",
                stdio.paths().stdout(), go.toString());
        Streams.awaitTrue(() -> logHas("stdout F early"), 3000, "the early line in the log");
        StdioSession late = stdio.attach(new StdioWiring(false, true, false, true));
        CompletableFuture<String> out = Streams.readAll(late.stdout().orElseThrow());
        Files.createFile(go);
        assertEquals(0, Sh.await(p));
        assertEquals("late\n", out.get(3, TimeUnit.SECONDS));
    }

    private boolean logHas(String line) {
        try {
            return CriLog.read(tmp.resolve("c.log")).lines().contains(line);
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void stdinFromAnAttachmentReachesTheProcessAndStaysOpenWithoutStdinOnce() throws Exception {
        Path log = tmp.resolve("c.log");
        ContainerStdio stdio = create(new StdioFlags(true, false, false), log);
        Process cat = shim("exec cat <\"$1\" >\"$2\" 2>\"$3\"", stdio.paths().stdin(), stdio.paths().stdout(), stdio.paths().stderr());
        StdioSession session = stdio.attach(IN_AND_OUT);
        OutputStream in = session.stdin().orElseThrow();
        InputStream out = session.stdout().orElseThrow();
        in.write(bytes("hello\n"));
        in.flush();
        assertEquals("hello\n", Streams.readExactly(out, 6));
        in.close();
        session.close();
        Thread.sleep(200);
        assertTrue(cat.isAlive(), "without stdin_once, crisp keeps stdin open after the client let go");

        StdioSession again = stdio.attach(IN_AND_OUT);
        CompletableFuture<String> rest = Streams.readAll(again.stdout().orElseThrow());
        again.stdin().orElseThrow().write(bytes("second\n"));
        stdio.containerExited(0); // closes stdin: cat sees end of file and exits
        assertEquals(0, Sh.await(cat));
        assertEquals("second\n", rest.get(3, TimeUnit.SECONDS));
        assertEquals(0, again.exit().get(3, TimeUnit.SECONDS));
        assertTrue(stdio.awaitOutputDrained(Duration.ofSeconds(2)));
        assertEquals(List.of("stdout F hello", "stdout F second"), CriLog.read(log).lines());
    }

    @Test
    void stdinOnceClosesStdinWhenTheFirstAttachmentClosesIt() throws Exception {
        ContainerStdio stdio = create(new StdioFlags(true, true, false), tmp.resolve("c.log"));
        Process cat = shim("exec cat <\"$1\" >\"$2\" 2>\"$3\"", stdio.paths().stdin(), stdio.paths().stdout(), stdio.paths().stderr());
        StdioSession watcher = stdio.attach(IN_AND_OUT); // has stdin too, but never closes it
        StdioSession first = stdio.attach(IN_AND_OUT);
        CompletableFuture<String> seen = Streams.readAll(watcher.stdout().orElseThrow());
        OutputStream in = first.stdin().orElseThrow();
        in.write(bytes("bye\n"));
        Thread.sleep(100);
        assertTrue(cat.isAlive());
        in.close();
        assertEquals(0, Sh.await(cat), "cat saw end of file");
        assertEquals("bye\n", seen.get(3, TimeUnit.SECONDS));
        assertTrue(Files.exists(tmp.resolve("io/stdin.closed")), "a stdin closed for good is recorded for a restart");
        assertThrows(IOException.class, () -> watcher.stdin().orElseThrow().write(bytes("late\n")));
        StdioSession later = stdio.attach(IN_AND_OUT);
        assertThrows(IOException.class, () -> later.stdin().orElseThrow().write(bytes("late\n")));
    }

    @Test
    void stdinOnceClosesStdinWhenTheFirstAttachmentDetaches() throws Exception {
        ContainerStdio stdio = create(new StdioFlags(true, true, true), null);
        Process cat = shim("exec cat <\"$1\" >\"$2\"", stdio.paths().stdin(), stdio.paths().stdout());
        StdioSession session = stdio.attach(new StdioWiring(true, true, false, true));
        session.stdin().orElseThrow().write(bytes("x"));
        assertEquals("x", Streams.readExactly(session.stdout().orElseThrow(), 1));
        session.close();
        assertEquals(0, Sh.await(cat));
        assertTrue(stdio.awaitOutputDrained(Duration.ofSeconds(2)));
        stdio.close();

        ContainerStdio recovered = ContainerStdio.recover(tmp.resolve("io"), new StdioFlags(true, true, true), Optional.empty(),
                ResizeHandler.NONE);
        cleanup.add(recovered);
        assertEquals("", recovered.paths().stdin(), "stdin_once closed it before the restart");
        recovered.attach(new StdioWiring(true, true, false, true)).stdin().orElseThrow().write(bytes("dropped"));
    }

    @Test
    void inputWithoutContainerStdinIsDropped() throws Exception {
        ContainerStdio stdio = create(new StdioFlags(false, false, false), null);
        StdioSession session = stdio.attach(IN_AND_OUT);
        session.stdin().orElseThrow().write(bytes("ignored"));
        session.close();
        assertEquals(-1, session.exit().get(1, TimeUnit.SECONDS));
        assertEquals(-1, session.stdout().orElseThrow().read(), "a detached session's output ends");
    }

    @Test
    void resizeGoesToTheBackendOnlyWithATerminal() throws Exception {
        List<String> sizes = new ArrayList<>();
        ContainerStdio tty = ContainerStdio.create(tmp.resolve("t"), new StdioFlags(false, false, true), Optional.empty(),
                (w, h) -> sizes.add(w + "x" + h));
        ContainerStdio plain = ContainerStdio.create(tmp.resolve("p"), new StdioFlags(false, false, false), Optional.empty(),
                (w, h) -> sizes.add("plain " + w + "x" + h));
        cleanup.add(tty);
        cleanup.add(plain);
        StdioSession t = tty.attach(new StdioWiring(false, true, false, true));
        t.resize(80, 24);
        plain.attach(OUT_AND_ERR).resize(100, 50);
        t.close();
        t.resize(1, 1);
        assertEquals(List.of("80x24"), sizes);
    }

    @Test
    void aSlowClientIsDisconnectedWithoutStallingTheLogOrOthers() throws Exception {
        Path log = tmp.resolve("c.log");
        ContainerStdio stdio = create(new StdioFlags(false, false, true), log);
        StdioSession slow = stdio.attach(new StdioWiring(false, true, false, true)); // never read until the end
        StdioSession fast = stdio.attach(new StdioWiring(false, true, false, true));
        CompletableFuture<byte[]> fastOut = Streams.readAllBytes(fast.stdout().orElseThrow());
        int total = 3 << 20;
        Process p = shim("exec >\"$1\"; i=0; while [ $i -lt 48 ]; do head -c 65535 /dev/zero | tr '\\0' x; echo; i=$((i+1)); done",
                stdio.paths().stdout());
        assertEquals(0, Sh.await(p), "the process was never blocked by the slow client");
        assertEquals(-1, slow.exit().get(3, TimeUnit.SECONDS), "the slow client was disconnected");
        byte[] slowGot = slow.stdout().orElseThrow().readAllBytes();
        assertTrue(slowGot.length <= ContainerStdio.ATTACH_BUFFER_BYTES && slowGot.length > 0, "kept " + slowGot.length);
        assertEquals(total, fastOut.get(3, TimeUnit.SECONDS).length);
        assertTrue(stdio.awaitOutputDrained(Duration.ofSeconds(2)));
        assertEquals("x".repeat(65535) + "\n", CriLog.read(log).text("stdout").substring(0, 65536));
        assertEquals(total, CriLog.read(log).text("stdout").length());
    }

    @Test
    void attachingAfterTheOutputEndedEndsAtOnce() throws Exception {
        ContainerStdio stdio = create(new StdioFlags(false, false, true), null);
        Process p = shim("echo done > \"$1\"", stdio.paths().stdout());
        assertEquals(0, Sh.await(p));
        assertTrue(stdio.awaitOutputDrained(Duration.ofSeconds(2)));
        stdio.containerExited(7);
        StdioSession late = stdio.attach(new StdioWiring(false, true, false, true));
        assertEquals(-1, late.stdout().orElseThrow().read());
        assertEquals(7, late.exit().get(1, TimeUnit.SECONDS));
    }

    @Test
    void withoutAnExitCodeAttachmentsReportMinusOneSoonAfterTheOutputEnded() throws Exception {
        ContainerStdio stdio = create(new StdioFlags(false, false, true), null);
        StdioSession session = stdio.attach(new StdioWiring(false, true, false, true));
        Process p = shim("echo done > \"$1\"", stdio.paths().stdout());
        assertEquals(0, Sh.await(p));
        assertEquals(-1, session.exit().get(ContainerStdio.EXIT_CODE_WAIT.toMillis() + 2000, TimeUnit.MILLISECONDS));
    }

    @Test
    void closeWithoutAWriterEverComingStopsPromptly() throws Exception {
        ContainerStdio stdio = ContainerStdio.create(tmp.resolve("lonely"), new StdioFlags(true, false, false),
                Optional.of(tmp.resolve("c.log")), ResizeHandler.NONE);
        StdioSession session = stdio.attach(OUT_AND_ERR);
        assertEquals(2, Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().endsWith("-lonely")).count(),
                "a copier thread per output FIFO");
        long start = System.nanoTime();
        stdio.close();
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "no copier hung on a FIFO nobody opened");
        assertTrue(stdio.outputDone().isDone());
        assertEquals(-1, session.stdout().orElseThrow().read());
        assertEquals(-1, session.exit().get(ContainerStdio.EXIT_CODE_WAIT.toMillis() + 1000, TimeUnit.MILLISECONDS));
        assertTrue(Fifos.isFifo(Path.of(stdio.paths().stdout())), "close deletes nothing");
        assertThrows(IllegalStateException.class, () -> stdio.attach(OUT_AND_ERR));
        assertEquals(0, Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().endsWith("-lonely")).count(),
                "copier threads are gone");
    }

    @Test
    void recoverAfterARestartResumesCopying() throws Exception {
        Path log = tmp.resolve("c.log");
        Path dir = tmp.resolve("io");
        ContainerStdio first = ContainerStdio.create(dir, new StdioFlags(false, false, false), Optional.of(log), ResizeHandler.NONE);
        StdioPaths paths = first.paths();
        Path go1 = tmp.resolve("go1");
        Path wrote = tmp.resolve("wrote");
        Path go2 = tmp.resolve("go2");
        // Like containerd's shims, the "shim" holds a read side too, so writing while crisp is down does not fail.
        Process p = shim("exec 3<>\"$1\" 4<>\"$2\"; echo one >&3; echo e1 >&4;"
                        + " while [ ! -e \"$3\" ]; do sleep 0.02; done; echo two >&3; : > \"$4\";"
                        + " while [ ! -e \"$5\" ]; do sleep 0.02; done; echo three >&3; echo e2 >&4",
                paths.stdout(), paths.stderr(), go1.toString(), wrote.toString(), go2.toString());
        Streams.awaitTrue(() -> logHas("stdout F one") && logHas("stderr F e1"), 3000, "output before the restart");
        first.close(); // the daemon goes away
        Files.createFile(go1);
        Streams.awaitTrue(() -> Files.exists(wrote), 3000, "output written while the daemon is down");

        ContainerStdio second = ContainerStdio.recover(dir, new StdioFlags(false, false, false), Optional.of(log), ResizeHandler.NONE);
        cleanup.add(second);
        assertEquals(paths, second.paths());
        StdioSession session = second.attach(OUT_AND_ERR);
        CompletableFuture<String> out = Streams.readAll(session.stdout().orElseThrow());
        Thread.sleep(100);
        Files.createFile(go2);
        assertEquals(0, Sh.await(p));
        assertTrue(second.awaitOutputDrained(Duration.ofSeconds(3)));
        assertEquals("three\n", out.get(3, TimeUnit.SECONDS).replace("two\n", ""));
        CriLog parsed = CriLog.read(log);
        assertEquals("one\ntwo\nthree\n", parsed.text("stdout"));
        assertEquals("e1\ne2\n", parsed.text("stderr"));
    }

    @Test
    void recoverEndsAtOnceWhenTheShimIsGone() throws Exception {
        Path dir = tmp.resolve("io");
        ContainerStdio first = ContainerStdio.create(dir, new StdioFlags(true, false, false), Optional.empty(), ResizeHandler.NONE);
        first.close();
        ContainerStdio second = ContainerStdio.recover(dir, new StdioFlags(true, false, false), Optional.empty(), ResizeHandler.NONE);
        cleanup.add(second);
        assertTrue(second.awaitOutputDrained(Duration.ofSeconds(1)));
        assertEquals(first.paths(), second.paths());
        assertThrows(IOException.class, () -> ContainerStdio.recover(tmp.resolve("nothing"), new StdioFlags(false, false, false),
                Optional.empty(), ResizeHandler.NONE));
    }
}
