package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.plugin.kit.conmon.ConmonBackend;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.ContainerState.Phase;
import io.crisp.spi.model.SandboxState;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Interactive exec and attach against the real runc and conmon. Needs root; see TestBundles. */
final class StdioSessionTest {
    private static final StdioWiring OUT = new StdioWiring(false, true, false, false);
    private static final StdioWiring OUT_ERR = new StdioWiring(false, true, true, false);
    private static final StdioWiring ALL = new StdioWiring(true, true, true, false);
    private static final StdioWiring TTY = new StdioWiring(true, true, false, true);

    @RegisterExtension
    final RuncFixture fx = new RuncFixture();
    private ConmonBackend backend;
    private String sandbox;
    private SandboxState sandboxState;

    @BeforeEach
    void setUp() throws IOException {
        backend = fx.backend();
        sandbox = fx.newId("sb");
        sandboxState = fx.sandbox(backend, sandbox);
    }


    private String running(String script, boolean stdin, boolean stdinOnce, boolean tty) throws IOException {
        String id = fx.newId("c");
        fx.container(backend, id, sandbox, sandboxState.pid(), script, 0, stdin, stdinOnce, tty);
        backend.startContainer(id);
        return id;
    }

    private static int exitOf(StdioSession s) throws Exception {
        return s.exit().get(30, TimeUnit.SECONDS);
    }

    private static void write(OutputStream out, String text) throws IOException {
        out.write(text.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Test
    void execEchoesToStdout() throws Exception {
        String c = running("sleep 1000", false, false, false);
        try (StdioSession s = backend.exec(new StreamExecSpec(c, List.of("echo", "hello"), OUT))) {
            assertTrue(s.stdin().isEmpty());
            assertTrue(s.stderr().isEmpty());
            OutputCollector out = new OutputCollector(s.stdout().orElseThrow(), "out");
            assertEquals(0, exitOf(s));
            assertEquals("hello\n", out.end().get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void execStderrAndExitCode() throws Exception {
        String c = running("sleep 1000", false, false, false);
        try (StdioSession s = backend.exec(new StreamExecSpec(c, List.of("sh", "-c", "echo out; echo err >&2; exit 3"), OUT_ERR))) {
            OutputCollector out = new OutputCollector(s.stdout().orElseThrow(), "out");
            OutputCollector err = new OutputCollector(s.stderr().orElseThrow(), "err");
            assertEquals(3, exitOf(s));
            assertEquals("out\n", out.end().get(10, TimeUnit.SECONDS));
            assertEquals("err\n", err.end().get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void execCatEchoesStdinUntilItIsClosed() throws Exception {
        String c = running("sleep 1000", false, false, false);
        try (StdioSession s = backend.exec(new StreamExecSpec(c, List.of("cat"), ALL))) {
            OutputCollector out = new OutputCollector(s.stdout().orElseThrow(), "out");
            OutputStream in = s.stdin().orElseThrow();
            write(in, "first line\n");
            out.awaitContains("first line\n");
            write(in, "second\n");
            in.close();
            assertEquals(0, exitOf(s));
            assertEquals("first line\nsecond\n", out.end().get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void ttyExecSeesItsInitialSizeAndResizes() throws Exception {
        String c = running("sleep 1000", false, false, false);
        String script = "i=0; while [ $i -lt 200 ]; do s=$(stty size); echo \"size $s\"; "
                + "[ \"$s\" = \"40 100\" ] && exit 4; sleep 0.1; i=$((i+1)); done";
        try (StdioSession s = backend.exec(new StreamExecSpec(c, List.of("sh", "-c", script), TTY))) {
            assertTrue(s.stderr().isEmpty());
            OutputCollector out = new OutputCollector(s.stdout().orElseThrow(), "tty");
            out.awaitContains("size 24 80\r\n");
            s.resize(100, 40);
            assertEquals(4, exitOf(s));
            out.awaitContains("size 40 100\r\n");
        }
    }

    @Test
    void ttyExecStdinCloseSendsEndOfFile() throws Exception {
        String c = running("sleep 1000", false, false, false);
        try (StdioSession s = backend.exec(new StreamExecSpec(c, List.of("sh", "-c", "cat; echo done"), TTY))) {
            OutputCollector out = new OutputCollector(s.stdout().orElseThrow(), "tty");
            OutputStream in = s.stdin().orElseThrow();
            write(in, "typed\r");
            out.awaitContains("typed\r\n");
            in.close();
            assertEquals(0, exitOf(s));
            out.awaitContains("done\r\n");
        }
    }

    @Test
    void closingAnExecKillsItsProcesses() throws Exception {
        String c = running("sleep 1000", false, false, false);
        StdioSession s = backend.exec(new StreamExecSpec(c, List.of("sh", "-c", "sleep 4243 & sleep 4244"), OUT));
        RuncFixture.await("exec'd processes", () -> RuncFixture.hostProcessWithArgs("sleep", "4244")
                && RuncFixture.hostProcessWithArgs("sleep", "4243"));
        s.close();
        s.close();
        assertFalse(RuncFixture.hostProcessWithArgs("sleep", "4244"), "exec'd process is gone");
        assertFalse(RuncFixture.hostProcessWithArgs("sleep", "4243"), "its child is gone");
        // The exit is reported by the process reaper, a moment after the kill (close does not promise it synchronously).
        s.exit().get(5, java.util.concurrent.TimeUnit.SECONDS);
        assertFalse(RuncFixture.runc(fx.config, "ps", c).contains("4244"));

        StdioSession tty = backend.exec(new StreamExecSpec(c, List.of("sleep", "4245"), TTY));
        RuncFixture.await("tty exec'd process", () -> RuncFixture.hostProcessWithArgs("sleep", "4245"));
        tty.close();
        assertFalse(RuncFixture.hostProcessWithArgs("sleep", "4245"), "tty exec'd process is gone");
        assertEquals(-1, tty.stdout().orElseThrow().read());
    }

    @Test
    void attachToATerminalRunningAShell() throws Exception {
        String c = running("sh", true, false, true);
        try (StdioSession s = backend.attach(c, TTY)) {
            assertTrue(s.stderr().isEmpty());
            OutputCollector out = new OutputCollector(s.stdout().orElseThrow(), "attach-tty");
            OutputStream in = s.stdin().orElseThrow();
            write(in, "echo hel''lo\n");
            out.awaitContains("hello\r\n");
            s.resize(100, 40);
            RuncFixture.await("the new size inside the container", () -> {
                try {
                    write(in, "stty size\n");
                    Thread.sleep(200);
                } catch (IOException | InterruptedException e) {
                    throw new AssertionError(e);
                }
                return out.text().contains("40 100\r\n");
            });
            write(in, "exit 5\n");
            assertEquals(5, exitOf(s));
            out.end().get(10, TimeUnit.SECONDS);
        }
        RuncFixture.await("the exit", () -> backend.containerState(c).phase() == Phase.EXITED);
        String log = Files.readString(fx.log(c));
        assertTrue(log.contains(" stdout ") && log.contains("hello"), "conmon logs a terminal's output: " + log);
    }

    @Test
    void attachWithStdinEchoesThroughCatAndStdinOnceEndsIt() throws Exception {
        String c = running("cat; echo cat ended >&2", true, true, false);
        try (StdioSession s = backend.attach(c, ALL)) {
            OutputCollector out = new OutputCollector(s.stdout().orElseThrow(), "attach-out");
            OutputCollector err = new OutputCollector(s.stderr().orElseThrow(), "attach-err");
            OutputStream in = s.stdin().orElseThrow();
            write(in, "ping\n");
            out.awaitContains("ping\n");
            in.close();
            assertEquals(0, exitOf(s));
            assertEquals("ping\n", out.end().get(10, TimeUnit.SECONDS));
            assertEquals("cat ended\n", err.end().get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void detachingLeavesStdinOpenWithoutStdinOnce() throws Exception {
        String c = running("cat", true, false, false);
        StdioSession first = backend.attach(c, ALL);
        OutputCollector firstOut = new OutputCollector(first.stdout().orElseThrow(), "first");
        write(first.stdin().orElseThrow(), "one\n");
        firstOut.awaitContains("one\n");
        first.close();
        first.close();
        assertEquals(-1, first.exit().get(10, TimeUnit.SECONDS));
        assertEquals(Phase.RUNNING, backend.containerState(c).phase());
        try (StdioSession second = backend.attach(c, ALL)) {
            OutputCollector out = new OutputCollector(second.stdout().orElseThrow(), "second");
            write(second.stdin().orElseThrow(), "two\n");
            out.awaitContains("two\n");
        }
    }

    @Test
    void attachWithoutStdinSeesLaterOutputAndTheExit() throws Exception {
        String c = running("i=0; while [ $i -lt 15 ]; do echo tick $i; i=$((i+1)); sleep 0.2; done; exit 7",
                false, false, false);
        try (StdioSession s = backend.attach(c, new StdioWiring(true, true, false, false))) {
            assertTrue(s.stderr().isEmpty());
            write(s.stdin().orElseThrow(), "dropped: the container has no stdin\n");
            s.stdin().orElseThrow().close();
            OutputCollector out = new OutputCollector(s.stdout().orElseThrow(), "ticks");
            out.awaitContains("tick 14\n");
            assertEquals(7, exitOf(s));
            String seen = out.end().get(10, TimeUnit.SECONDS);
            assertTrue(seen.matches("(?s).*tick \\d+\n.*tick \\d+\n.*"), seen);
        }
    }

    @Test
    void attachNeedsARunningContainer() throws Exception {
        String created = fx.newId("created");
        fx.container(backend, created, sandbox, sandboxState.pid(), "true", 0, true, false, false);
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class, () -> backend.attach(created, OUT)).kind());
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class,
                () -> backend.exec(new StreamExecSpec(created, List.of("true"), OUT))).kind());
        String done = running("true", false, false, false);
        RuncFixture.await("exit", () -> backend.containerState(done).phase() == Phase.EXITED);
        assertEquals(Kind.FAILED_PRECONDITION, assertThrows(BackendException.class, () -> backend.attach(done, OUT)).kind());
    }
}
