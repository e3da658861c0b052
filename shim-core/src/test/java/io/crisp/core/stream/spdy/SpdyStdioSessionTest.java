package io.crisp.core.stream.spdy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.client.stream.SpdyStreamClient;
import io.crisp.client.stream.StdioConnection;
import io.crisp.core.stream.session.ExecTarget;
import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
final class SpdyStdioSessionTest {
    private static final List<String> KUBECTL = List.of(ProtocolVersions.V4, ProtocolVersions.V3, ProtocolVersions.V2,
            ProtocolVersions.V1);
    private static final StdioWiring OUT_ERR = new StdioWiring(false, true, true, false);
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final FakeSessions sessions = new FakeSessions();
    private TestServer server;

    @BeforeEach
    void start() throws InterruptedException {
        server = new TestServer(sessions, Duration.ofMillis(500));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private void target(StdioWiring stdio) {
        server.target = new ExecTarget("c1", List.of("sh"), stdio);
    }

    @Test
    void stdoutStderrAndSuccessStatus() throws IOException {
        target(OUT_ERR);
        sessions.process = FakeSessions.Process.prints("hello\n", "oops\n", 0);
        try (StdioConnection exec = SpdyStreamClient.exec(server.url(), OUT_ERR, KUBECTL)) {
            assertEquals(ProtocolVersions.V4, exec.protocol());
            assertEquals("hello\n", readAll(exec.stdout()));
            assertEquals("oops\n", readAll(exec.stderr()));
            assertEquals(Optional.of("{\"metadata\":{},\"status\":\"Success\"}"), exec.awaitStatus(WAIT));
        }
    }

    @Test
    void nonZeroExitIsAnExitCodeCause() throws IOException {
        target(OUT_ERR);
        sessions.process = FakeSessions.Process.prints("", "", 3);
        try (StdioConnection exec = SpdyStreamClient.exec(server.url(), OUT_ERR, KUBECTL)) {
            JsonNode status = new ObjectMapper().readTree(exec.awaitStatus(WAIT).orElseThrow());
            assertEquals("Failure", status.path("status").asText());
            assertEquals("NonZeroExitCode", status.path("reason").asText());
            assertEquals("ExitCode", status.path("details").path("causes").path(0).path("reason").asText());
            assertEquals("3", status.path("details").path("causes").path(0).path("message").asText());
            assertTrue(status.path("message").asText().startsWith("command terminated with non-zero exit code"));
        }
    }

    @Test
    void failureToStartIsAnInternalError() throws IOException {
        target(OUT_ERR);
        sessions.failToStart = true;
        try (StdioConnection exec = SpdyStreamClient.exec(server.url(), OUT_ERR, KUBECTL)) {
            JsonNode status = new ObjectMapper().readTree(exec.awaitStatus(WAIT).orElseThrow());
            assertEquals("Failure", status.path("status").asText());
            assertEquals("InternalError", status.path("reason").asText());
            assertEquals("container is not running", status.path("message").asText());
        }
    }

    @Test
    void beforeV4TheErrorStreamIsPlainTextAndEmptyOnSuccess() throws IOException {
        target(OUT_ERR);
        sessions.process = FakeSessions.Process.prints("x", "", 3);
        try (StdioConnection exec = SpdyStreamClient.exec(server.url(), OUT_ERR, List.of(ProtocolVersions.V2))) {
            assertEquals(ProtocolVersions.V2, exec.protocol());
            assertEquals("x", readAll(exec.stdout()));
            assertEquals(Optional.of("command terminated with non-zero exit code: exit status 3"), exec.awaitStatus(WAIT));
        }
        sessions.process = FakeSessions.Process.prints("y", "", 0);
        try (StdioConnection exec = SpdyStreamClient.exec(server.url(), OUT_ERR, List.of(ProtocolVersions.V1))) {
            assertEquals(ProtocolVersions.V1, exec.protocol());
            assertEquals("y", readAll(exec.stdout()));
            assertEquals(Optional.empty(), exec.awaitStatus(WAIT));
        }
    }

    @Test
    void stdinIsEchoedUntilClosed() throws IOException {
        StdioWiring wiring = new StdioWiring(true, true, false, false);
        target(wiring);
        sessions.process = FakeSessions.Process.echo();
        try (StdioConnection exec = SpdyStreamClient.exec(server.url(), wiring, KUBECTL)) {
            exec.stdin("ping ".getBytes(StandardCharsets.UTF_8));
            exec.stdin("pong".getBytes(StandardCharsets.UTF_8));
            exec.closeStdin();
            assertEquals("ping pong", readAll(exec.stdout()));
            assertEquals(Optional.of("{\"metadata\":{},\"status\":\"Success\"}"), exec.awaitStatus(WAIT));
        }
    }

    @Test
    void resizesReachTheSession() throws IOException {
        StdioWiring tty = new StdioWiring(true, true, false, true);
        target(tty);
        sessions.process = new FakeSessions.Process("", "", false, 2, false, 0, null);
        try (StdioConnection exec = SpdyStreamClient.exec(server.url(), tty, KUBECTL)) {
            exec.resize(80, 24);
            exec.resize(132, 43);
            exec.awaitStatus(WAIT);
        }
        assertEquals(2, sessions.resizes.size());
        assertEquals(List.of(80, 24), List.of(sessions.resizes.get(0)[0], sessions.resizes.get(0)[1]));
        assertEquals(List.of(132, 43), List.of(sessions.resizes.get(1)[0], sessions.resizes.get(1)[1]));
    }

    @Test
    void missingStreamsCloseTheConnectionAfterTheCreationTimeout() throws IOException {
        target(OUT_ERR);
        // Offers v4 but opens only the error stream: stdout and stderr never come.
        SpdyStreamClient client = SpdyStreamClient.connect(server.url(), KUBECTL);
        try (StdioConnection partial = client.openStdio(new StdioWiring(false, false, false, false))) {
            long started = System.nanoTime();
            JsonNode status = new ObjectMapper().readTree(partial.awaitStatus(WAIT).orElseThrow());
            assertEquals(SpdyStdioSession.TIMEOUT_MESSAGE, status.path("message").asText());
            assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(300));
            for (int i = 0; i < 100 && client.isOpen(); i++) {
                sleep(100);
            }
            assertFalse(client.isOpen(), "the server closes the connection");
        }
        assertEquals(1, sessions.clientGone.getCount(), "no session started");
    }

    @Test
    void clientGoingAwayIsReported() throws Exception {
        target(OUT_ERR);
        sessions.process = new FakeSessions.Process("started\n", "", false, 0, true, 0, null);
        StdioConnection exec = SpdyStreamClient.exec(server.url(), OUT_ERR, KUBECTL);
        byte[] line = new byte[8];
        assertEquals(8, exec.stdout().readNBytes(line, 0, 8));
        exec.close();
        assertTrue(sessions.clientGone.await(10, TimeUnit.SECONDS));
        assertThrows(IOException.class, () -> exec.awaitStatus(Duration.ofSeconds(1)));
    }

    static String readAll(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
