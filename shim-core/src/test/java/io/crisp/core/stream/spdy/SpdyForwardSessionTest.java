package io.crisp.core.stream.spdy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.client.stream.ForwardConnection;
import io.crisp.client.stream.SpdyStreamClient;
import io.crisp.core.stream.session.PortForwardTarget;
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

@Timeout(60)
final class SpdyForwardSessionTest {
    private static final List<String> PROTOCOLS = List.of(ProtocolVersions.PORT_FORWARD);

    private final FakeSessions sessions = new FakeSessions();
    private TestServer server;

    @BeforeEach
    void start() throws InterruptedException {
        server = new TestServer(sessions, Duration.ofMillis(500));
        server.target = new PortForwardTarget("pod1", List.of());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void twoConcurrentConnectionsEchoIndependently() throws IOException {
        try (SpdyStreamClient client = SpdyStreamClient.connect(server.url(), PROTOCOLS)) {
            assertEquals(ProtocolVersions.PORT_FORWARD, client.protocol());
            ForwardConnection a = client.openForward(8080);
            ForwardConnection b = client.openForward(9090);
            a.output().write("first to a;".getBytes(StandardCharsets.UTF_8));
            b.output().write("only to b".getBytes(StandardCharsets.UTF_8));
            a.output().write("second to a".getBytes(StandardCharsets.UTF_8));
            b.output().close();
            a.output().close();
            assertEquals("only to b", read(b.input()));
            assertEquals("first to a;second to a", read(a.input()));
            assertEquals(Optional.empty(), a.awaitError(Duration.ofSeconds(5)));
            assertEquals(Optional.empty(), b.error());
            assertEquals(List.of(8080, 9090), sessions.ports);
        }
    }

    @Test
    void halfCloseInBothDirections() throws Exception {
        sessions.port = FakeSessions.Port.SEND;
        sessions.sendBytes = 5;
        try (SpdyStreamClient client = SpdyStreamClient.connect(server.url(), PROTOCOLS)) {
            ForwardConnection conn = client.openForward(80);
            // The pod closed its side first: the client can still send.
            assertEquals(5, conn.input().readAllBytes().length);
            conn.output().write(new byte[] {1, 2, 3});
            conn.output().close();
            assertTrue(sessions.dataClosed.await(5, TimeUnit.SECONDS), "the pod side heard the client's half-close");
            assertEquals(Optional.empty(), conn.awaitError(Duration.ofSeconds(5)));
        }
    }

    @Test
    void invalidPortIsReportedOnTheErrorStream() throws IOException {
        try (SpdyStreamClient client = SpdyStreamClient.connect(server.url(), PROTOCOLS)) {
            ForwardConnection conn = client.openForward("http");
            assertEquals(Optional.of("unable to parse \"http\" as a port"), conn.awaitError(Duration.ofSeconds(5)));
            assertEquals(-1, conn.input().read());
            ForwardConnection zero = client.openForward(0);
            assertTrue(zero.awaitError(Duration.ofSeconds(5)).orElseThrow().contains("must be between 1 and 65535"));
            assertEquals(List.of(), sessions.ports);
        }
    }

    @Test
    void refusedConnectionIsReportedOnTheErrorStream() throws IOException {
        sessions.port = FakeSessions.Port.REFUSE;
        try (SpdyStreamClient client = SpdyStreamClient.connect(server.url(), PROTOCOLS)) {
            ForwardConnection conn = client.openForward(5432);
            assertEquals(Optional.of("connection refused by port 5432"), conn.awaitError(Duration.ofSeconds(5)));
        }
    }

    @Test
    void clientClosingTheConnectionIsReported() throws Exception {
        SpdyStreamClient client = SpdyStreamClient.connect(server.url(), PROTOCOLS);
        client.openForward(80).output().write(1);
        client.close();
        assertTrue(sessions.clientGone.await(5, TimeUnit.SECONDS));
    }

    @Test
    void largeTransferDoesNotStallAndTheWriterWaitsForTheReader() throws Exception {
        long total = 24L * 1024 * 1024;
        sessions.port = FakeSessions.Port.SEND;
        sessions.sendBytes = total;
        try (SpdyStreamClient client = SpdyStreamClient.connect(server.url(), PROTOCOLS)) {
            ForwardConnection conn = client.openForward(80);
            // Nobody reads for a while: the blocking writes must stop well short of everything.
            Thread.sleep(1500);
            long early = sessions.sent.get();
            assertTrue(early < 20L * 1024 * 1024, "the writer ran ahead of the reader: " + early);
            byte[] buffer = new byte[64 * 1024];
            long received = 0;
            InputStream in = conn.input();
            for (int n = in.read(buffer); n > 0; n = in.read(buffer)) {
                for (int i = 0; i < n; i++) {
                    if (buffer[i] != (byte) (received + i)) {
                        throw new AssertionError("byte " + (received + i) + " is wrong");
                    }
                }
                received += n;
            }
            assertEquals(total, received);
        }
    }

    @Test
    void tenMegabytesEchoedThroughTheForward() throws Exception {
        int size = 10 * 1024 * 1024;
        byte[] payload = new byte[size];
        new java.util.Random(7).nextBytes(payload);
        try (SpdyStreamClient client = SpdyStreamClient.connect(server.url(), PROTOCOLS)) {
            ForwardConnection conn = client.openForward(80);
            Thread writer = new Thread(() -> {
                try {
                    conn.output().write(payload);
                    conn.output().close();
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            writer.start();
            byte[] echoed = conn.input().readAllBytes();
            writer.join();
            assertArrayEquals(payload, echoed);
        }
    }

    private static String read(InputStream in) throws IOException {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
}
