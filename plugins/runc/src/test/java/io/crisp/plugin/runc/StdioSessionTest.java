package io.crisp.plugin.runc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.StdioSession;
import io.crisp.spi.model.SandboxState;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Interactive exec and attach against the real runc and conmon. Needs root; see TestBundles. */
final class StdioSessionTest {
    private static final StdioWiring OUT = new StdioWiring(false, true, false, false);
    private static final StdioWiring OUT_ERR = new StdioWiring(false, true, true, false);
    private static final StdioWiring ALL = new StdioWiring(true, true, true, false);
    private static final StdioWiring TTY = new StdioWiring(true, true, false, true);

    private RuncFixture fx;
    private RuncBackend backend;
    private String sandbox;
    private SandboxState sandboxState;

    @BeforeEach
    void setUp() throws IOException {
        fx = new RuncFixture();
        backend = fx.backend();
        sandbox = fx.newId("sb");
        sandboxState = fx.sandbox(backend, sandbox);
    }

    @AfterEach
    void tearDown() throws IOException {
        if (fx != null) {
            fx.close();
        }
    }

    @AfterAll
    static void removeParentCgroups() throws IOException {
        RuncFixture.removeParentCgroups();
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
        assertTrue(s.exit().isDone());
        assertFalse(new RuntimeCli(fx.config).run(c, null, "ps", c).output().contains("4244"));

        StdioSession tty = backend.exec(new StreamExecSpec(c, List.of("sleep", "4245"), TTY));
        RuncFixture.await("tty exec'd process", () -> RuncFixture.hostProcessWithArgs("sleep", "4245"));
        tty.close();
        assertFalse(RuncFixture.hostProcessWithArgs("sleep", "4245"), "tty exec'd process is gone");
        assertEquals(-1, tty.stdout().orElseThrow().read());
    }
}
