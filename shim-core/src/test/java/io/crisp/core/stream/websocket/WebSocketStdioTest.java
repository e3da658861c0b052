package io.crisp.core.stream.websocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crisp.client.stream.StdioConnection;
import io.crisp.client.stream.WebSocketStreamClient;
import io.crisp.core.stream.session.ExecTarget;
import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

final class WebSocketStdioTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final StdioWiring OUT_ERR = new StdioWiring(false, true, true, false);
    private static final StdioWiring IN_OUT = new StdioWiring(true, true, false, false);
    private static final ObjectMapper JSON = new ObjectMapper();

    private FakeSessions sessions;
    private TestStreamServer server;

    @BeforeEach
    void start() throws InterruptedException {
        sessions = new FakeSessions();
        server = new TestStreamServer(sessions);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private URI exec(StdioWiring stdio, String... command) {
        return server.serve(new ExecTarget("c1", List.of(command), stdio), "/exec/token");
    }

    @Test
    void prefersV5WhenOffered() throws IOException {
        try (StdioConnection c = WebSocketStreamClient.openStdio(exec(OUT_ERR, "print", "", "", "0"), OUT_ERR,
                List.of("v4.channel.k8s.io", "v5.channel.k8s.io"))) {
            assertEquals("v5.channel.k8s.io", c.protocol());
        }
    }

    @Test
    void speaksV4WhenOnlyThatIsOffered() throws IOException {
        try (StdioConnection c = WebSocketStreamClient.openStdio(exec(OUT_ERR, "print", "", "", "0"), OUT_ERR,
                List.of("v4.channel.k8s.io"))) {
            assertEquals("v4.channel.k8s.io", c.protocol());
            assertEquals(Optional.of("{\"metadata\":{},\"status\":\"Success\"}"), c.awaitStatus(WAIT));
        }
    }

    @Test
    void refusesWhenNoProtocolIsInCommon() {
        IOException e = assertThrows(IOException.class, () -> WebSocketStreamClient.openStdio(
                exec(OUT_ERR, "print", "", "", "0"), OUT_ERR, List.of("v9.channel.k8s.io")));
        assertTrue(e.getMessage().contains("403"), e.getMessage());
        assertTrue(e.getMessage().contains("v5.channel.k8s.io"), e.getMessage());
    }

    @Test
    void execReportsStdoutStderrAndSuccess() throws IOException {
        try (StdioConnection c = WebSocketStreamClient.openStdio(exec(OUT_ERR, "print", "out text", "err text", "0"),
                OUT_ERR, WebSocketStreamClient.STDIO_PROTOCOLS)) {
            assertEquals("out text", new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals("err text", new String(c.stderr().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(Optional.of("{\"metadata\":{},\"status\":\"Success\"}"), c.awaitStatus(WAIT));
        }
    }

    @Test
    void nonZeroExitIsAnExitCodeCause() throws IOException {
        try (StdioConnection c = WebSocketStreamClient.openStdio(exec(OUT_ERR, "print", "", "oops", "3"), OUT_ERR,
                WebSocketStreamClient.STDIO_PROTOCOLS)) {
            JsonNode status = JSON.readTree(c.awaitStatus(WAIT).orElseThrow());
            assertEquals("Failure", status.get("status").asText());
            assertEquals("NonZeroExitCode", status.get("reason").asText());
            assertTrue(status.get("message").asText().startsWith("command terminated with non-zero exit code: "));
            JsonNode cause = status.get("details").get("causes").get(0);
            assertEquals("ExitCode", cause.get("reason").asText());
            assertEquals("3", cause.get("message").asText());
        }
    }

    @Test
    void olderVersionsReportPlainTextAndNothingOnSuccess() throws IOException {
        try (StdioConnection c = WebSocketStreamClient.openStdio(exec(OUT_ERR, "print", "", "", "3"), OUT_ERR,
                List.of("channel.k8s.io"))) {
            assertEquals(Optional.of("command terminated with non-zero exit code: exit status 3"), c.awaitStatus(WAIT));
        }
        try (StdioConnection c = WebSocketStreamClient.openStdio(exec(OUT_ERR, "print", "", "", "0"), OUT_ERR,
                List.of("v3.channel.k8s.io"))) {
            assertEquals(Optional.empty(), c.awaitStatus(WAIT));
        }
    }

    @Test
    void failureToStartIsAnInternalErrorStatus() throws IOException {
        try (StdioConnection c = WebSocketStreamClient.openStdio(exec(OUT_ERR, "fail", "no such container"), OUT_ERR,
                WebSocketStreamClient.STDIO_PROTOCOLS)) {
            JsonNode status = JSON.readTree(c.awaitStatus(WAIT).orElseThrow());
            assertEquals("Failure", status.get("status").asText());
            assertEquals("InternalError", status.get("reason").asText());
            assertEquals("no such container", status.get("message").asText());
        }
    }

    @Test
    void stdinIsEchoedUntilTheV5CloseSignal() throws IOException {
        try (StdioConnection c = WebSocketStreamClient.openStdio(exec(IN_OUT, "echo"), IN_OUT,
                WebSocketStreamClient.STDIO_PROTOCOLS)) {
            byte[] big = new byte[100_000];
            for (int i = 0; i < big.length; i++) {
                big[i] = (byte) i;
            }
            c.stdin("hello ".getBytes(StandardCharsets.UTF_8));
            c.stdin(big);
            c.closeStdin();
            byte[] out = c.stdout().readAllBytes();
            assertEquals("hello ", new String(out, 0, 6, StandardCharsets.UTF_8));
            assertArrayEquals(big, java.util.Arrays.copyOfRange(out, 6, out.length));
            assertEquals(Optional.of("{\"metadata\":{},\"status\":\"Success\"}"), c.awaitStatus(WAIT));
        }
    }

    @Test
    void v4HasNoStdinCloseSignal() throws IOException {
        try (StdioConnection c = WebSocketStreamClient.openStdio(exec(IN_OUT, "echo"), IN_OUT,
                List.of("v4.channel.k8s.io"))) {
            assertThrows(IOException.class, c::closeStdin);
        }
    }

    @Test
    void resizeIsDelivered() throws Exception {
        StdioWiring tty = new StdioWiring(true, true, false, true);
        try (StdioConnection c = WebSocketStreamClient.openStdio(exec(tty, "resize"), tty,
                WebSocketStreamClient.STDIO_PROTOCOLS)) {
            c.resize(120, 40);
            assertEquals(Optional.of("{\"metadata\":{},\"status\":\"Success\"}"), c.awaitStatus(WAIT));
            assertArrayEquals(new int[] {120, 40}, sessions.resizes.poll(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void clientGoingAwayIsReported() throws Exception {
        StdioConnection c = WebSocketStreamClient.openStdio(exec(IN_OUT, "wait"), IN_OUT,
                WebSocketStreamClient.STDIO_PROTOCOLS);
        c.close();
        assertTrue(sessions.stdioGone.await(5, TimeUnit.SECONDS));
    }

    @Test
    void base64ProtocolCarriesTheSameStreams() throws IOException {
        try (StdioConnection c = WebSocketStreamClient.openStdio(exec(OUT_ERR, "print", "out", "err", "0"), OUT_ERR,
                List.of("v4.base64.channel.k8s.io"))) {
            assertEquals("v4.base64.channel.k8s.io", c.protocol());
            assertEquals("out", new String(c.stdout().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals("err", new String(c.stderr().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals(Optional.of("{\"metadata\":{},\"status\":\"Success\"}"), c.awaitStatus(WAIT));
        }
    }
}
