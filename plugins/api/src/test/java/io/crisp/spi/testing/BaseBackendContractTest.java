package io.crisp.spi.testing;

import static io.crisp.spi.testing.ContractHarness.await;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException.Kind;
import io.crisp.spi.Capability;
import io.crisp.spi.StdioSession;
import io.crisp.spi.model.ContainerState.Phase;
import io.crisp.spi.model.ContainerStatsSample;
import io.crisp.spi.model.ExecResult;
import io.crisp.spi.model.ExecSpec;
import io.crisp.spi.model.SandboxState;
import io.crisp.spi.model.StdioWiring;
import io.crisp.spi.model.StreamExecSpec;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The backend contract suite a plugin runs by subclassing this class once (see README, "Writing a
 * plugin"): the lifecycle contract of {@link LifecycleContract}, plus exec, streaming exec, attach,
 * stats, logs and resources here. See {@link BackendContractFixture} for what a subclass supplies.
 */
public abstract class BaseBackendContractTest extends LifecycleContract {
    // ---- exec ---------------------------------------------------------------------------------

    @Test
    void execSyncReturnsStdoutStderrAndTheExitCode() throws Exception {
        requires(Capability.EXEC_SYNC);
        String c = running(runSandbox(harness.sandboxId()), "sleep 1000");
        ExecResult r = backend.execSync(execSpec(c, List.of("sh", "-c", "echo $GREETING; pwd; echo err >&2; exit 5"),
                LONG, false, ExecSpec.CRI_MAX_OUTPUT_BYTES));
        assertEquals(5, r.exitCode());
        assertEquals("hello from env\n/tmp\n", new String(r.stdout(), UTF_8), "the container's env and cwd");
        assertEquals("err\n", new String(r.stderr(), UTF_8));
    }

    @Test
    void execSyncPastItsTimeoutIsDeadlineExceededAndKillsTheCommand() throws Exception {
        requires(Capability.EXEC_SYNC);
        String c = running(runSandbox(harness.sandboxId()), "sleep 1000");
        assertKindNaming(Kind.DEADLINE_EXCEEDED, c,
                () -> backend.execSync(execSpec(c, List.of("sleep", "4242"), Duration.ofMillis(500), false, 100)));
        ExecResult ps = backend.execSync(execSpec(c, List.of("ps"), LONG, false, ExecSpec.CRI_MAX_OUTPUT_BYTES));
        assertFalse(new String(ps.stdout(), UTF_8).contains("4242"), () -> "killed: " + new String(ps.stdout(), UTF_8));
    }

    @Test
    void execSyncKeepsAtMostMaxOutputBytesOfEachStream() throws Exception {
        requires(Capability.EXEC_SYNC);
        String c = running(runSandbox(harness.sandboxId()), "sleep 1000");
        ExecResult r = backend.execSync(execSpec(c, List.of("sh", "-c", "head -c 100000 /dev/zero; echo 0123456789 >&2"),
                LONG, false, 10));
        assertEquals(0, r.exitCode(), "the command ran to its end");
        assertEquals(10, r.stdout().length);
        assertEquals("0123456789", new String(r.stderr(), UTF_8));
    }

    @Test
    void execAndAttachInAContainerThatIsNotRunningAreFailedPrecondition() throws Exception {
        requires(Capability.EXEC_SYNC);
        SandboxState pod = runSandbox(harness.sandboxId());
        String c = harness.containerId();
        createContainer(c, pod, "sleep 1000");
        for (int round = 0; round < 2; round++) { // created, then exited
            assertKind(Kind.FAILED_PRECONDITION, () -> backend.execSync(execSpec(c, List.of("true"), LONG, false, 10)));
            if (supportedCapabilities().contains(Capability.EXEC)) {
                assertKind(Kind.FAILED_PRECONDITION, () -> backend.exec(streamExecSpec(c, List.of("true"), IN_OUT)));
            }
            if (supportedCapabilities().contains(Capability.ATTACH)) {
                assertKind(Kind.FAILED_PRECONDITION, () -> backend.attach(c, IN_OUT));
            }
            if (round == 0) {
                backend.startContainer(c);
                backend.stopContainer(c, SIGKILL, Duration.ZERO);
            }
        }
    }

    @Test
    void streamingExecPassesStdinToTheCommandAndEndsAtEof() throws Exception {
        requires(Capability.EXEC);
        String c = running(runSandbox(harness.sandboxId()), "sleep 1000");
        try (StdioSession s = backend.exec(streamExecSpec(c, List.of("sh", "-c", "cat; exit 4"), IN_OUT))) {
            assertTrue(s.stderr().isEmpty(), "only the streams asked for");
            StreamCollector out = new StreamCollector(s.stdout().orElseThrow(), "exec-out");
            OutputStream in = s.stdin().orElseThrow();
            in.write("ping\n".getBytes(UTF_8));
            in.flush();
            out.awaitContains("ping\n");
            in.close();
            assertEquals("ping\n", out.atEnd(), "stdout ends after the command exited");
            assertEquals(4, s.exit().get(LONG.toSeconds(), TimeUnit.SECONDS));
        }
    }

    @Test
    void streamingExecWithATtyHasItsOutputOnStdoutOnly() throws Exception {
        requires(Capability.EXEC);
        String c = running(runSandbox(harness.sandboxId()), "sleep 1000");
        StdioWiring tty = new StdioWiring(false, true, false, true);
        try (StdioSession s = backend.exec(streamExecSpec(c, List.of("sh", "-c", "echo out; echo err >&2; exit 3"), tty))) {
            assertTrue(s.stderr().isEmpty() && s.stdin().isEmpty(), "a terminal has no separate stderr");
            s.resize(100, 30);
            // A terminal ends lines with \r\n; how many \r is the runtime's business.
            List<String> lines = List.of(new StreamCollector(s.stdout().orElseThrow(), "tty-out").atEnd().replace("\r", "")
                    .split("\n"));
            assertEquals(List.of("out", "err"), lines, "both streams on the terminal");
            assertEquals(3, s.exit().get(LONG.toSeconds(), TimeUnit.SECONDS));
        }
    }

    // ---- attach -------------------------------------------------------------------------------

    @Test
    void attachConnectsToTheContainersStdioAndDetachLeavesItRunningWithStdinOpen() throws Exception {
        requires(Capability.ATTACH);
        String c = running(runSandbox(harness.sandboxId()), "cat", true, false);
        for (String line : List.of("one\n", "two\n")) { // detach, then attach again: stdin is still open
            try (StdioSession s = backend.attach(c, IN_OUT)) {
                StreamCollector out = new StreamCollector(s.stdout().orElseThrow(), "attach-out");
                OutputStream in = s.stdin().orElseThrow();
                in.write(line.getBytes(UTF_8));
                in.flush();
                out.awaitContains(line);
            }
            assertEquals(Phase.RUNNING, backend.containerState(c).phase(), "detaching does not stop the container");
        }
    }

    @Test
    void severalAttachmentsAllSeeTheOutput() throws Exception {
        requires(Capability.ATTACH);
        String c = running(runSandbox(harness.sandboxId()), "cat", true, false);
        try (StdioSession first = backend.attach(c, IN_OUT);
                StdioSession second = backend.attach(c, new StdioWiring(false, true, false, false))) {
            assertTrue(second.stdin().isEmpty(), "only the streams asked for");
            StreamCollector firstOut = new StreamCollector(first.stdout().orElseThrow(), "first");
            StreamCollector secondOut = new StreamCollector(second.stdout().orElseThrow(), "second");
            OutputStream in = first.stdin().orElseThrow();
            in.write("both\n".getBytes(UTF_8));
            in.flush();
            firstOut.awaitContains("both\n");
            secondOut.awaitContains("both\n");
        }
    }

    @Test
    void attachWithStdinOnceClosingStdinEndsTheContainer() throws Exception {
        requires(Capability.ATTACH);
        String c = running(runSandbox(harness.sandboxId()), "cat; exit 6", true, true);
        try (StdioSession s = backend.attach(c, IN_OUT)) {
            StreamCollector out = new StreamCollector(s.stdout().orElseThrow(), "attach-out");
            OutputStream in = s.stdin().orElseThrow();
            in.write("pong\n".getBytes(UTF_8));
            in.flush();
            out.awaitContains("pong\n");
            in.close();
            assertEquals("pong\n", out.atEnd());
            assertEquals(6, s.exit().get(LONG.toSeconds(), TimeUnit.SECONDS));
        }
        await("exit of " + c, () -> backend.containerState(c).phase() == Phase.EXITED);
    }

    // ---- stats --------------------------------------------------------------------------------

    @Test
    void statsOfARunningContainerOrSandboxAndNotOfAStoppedOne() throws Exception {
        requires(Capability.STATS);
        SandboxState pod = runSandbox(harness.sandboxId());
        assertEquals(pod.id(), backend.containerStats(pod.id()).containerId(), "a sandbox id: its infra process");
        String c = running(pod, "sleep 1000");
        ContainerStatsSample sample = backend.containerStats(c);
        assertEquals(c, sample.containerId());
        assertTrue(sample.timestampNanos() > 0);
        assertTrue(sample.cpuUsageCoreNanos() >= 0 || sample.cpuUsageCoreNanos() == ContainerStatsSample.UNKNOWN);
        assertTrue(sample.memory().usageBytes() > 0, () -> "memory in use: " + sample.memory());
        backend.stopContainer(c, SIGKILL, Duration.ZERO);
        assertKind(Kind.FAILED_PRECONDITION, () -> backend.containerStats(c));
    }


    // ---- logs and resources -------------------------------------------------------------------

    @Test
    void reopenContainerLogStartsANewFileAfterRotation() throws Exception {
        requires(Capability.REOPEN_LOG);
        String c = running(runSandbox(harness.sandboxId()), "while true; do echo tick; sleep 0.1; done");
        Path log = harness.log(c);
        await("first ticks in " + log, () -> log.toFile().length() > 0);
        Files.move(log, log.resolveSibling(c + ".log.1"));
        backend.reopenContainerLog(c);
        await("ticks in the reopened " + log, () -> log.toFile().length() > 0);
        assertTrue(Files.readString(log).contains(" stdout F tick"), () -> "CRI format: " + log);
    }

    @Test
    void updateResourcesOfARunningContainerAndNotOfAStoppedOne() throws Exception {
        requires(Capability.UPDATE_RESOURCES);
        String c = running(runSandbox(harness.sandboxId()), "sleep 1000");
        String resources = "{\"memory\":{\"limit\":104857600}}";
        backend.updateContainerResources(c, resources);
        backend.stopContainer(c, SIGKILL, Duration.ZERO);
        assertKind(Kind.FAILED_PRECONDITION, () -> backend.updateContainerResources(c, resources));
    }
}
