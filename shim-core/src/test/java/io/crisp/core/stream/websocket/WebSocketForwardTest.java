package io.crisp.core.stream.websocket;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.client.stream.ForwardConnection;
import io.crisp.client.stream.WebSocketStreamClient;
import io.crisp.core.stream.session.PortForwardTarget;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

final class WebSocketForwardTest {
    private static final List<String> V4 = WebSocketStreamClient.FORWARD_PROTOCOLS;

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

    private URI forward(List<Integer> targetPorts, String query) {
        return server.serve(new PortForwardTarget("pod1", targetPorts), "/portforward/token" + query);
    }

    @Test
    void everyChannelStartsWithItsPortLittleEndian() throws Exception {
        BlockingQueue<byte[]> messages = new LinkedBlockingQueue<>();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .subprotocols("v4.channel.k8s.io")
                .buildAsync(forward(List.of(), "?ports=" + FakeSessions.SEND_PORT + "," + FakeSessions.ECHO_PORT),
                        new WebSocket.Listener() {
                            @Override
                            public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
                                byte[] bytes = new byte[data.remaining()];
                                data.get(bytes);
                                messages.add(bytes);
                                socket.request(1);
                                return null;
                            }
                        })
                .get(10, TimeUnit.SECONDS);
        try {
            assertEquals("v4.channel.k8s.io", ws.getSubprotocol());
            List<String> initial = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                byte[] m = messages.poll(5, TimeUnit.SECONDS);
                initial.add(Arrays.toString(m));
            }
            // 2000 = 0x07d0, 1000 = 0x03e8: channel, low byte, high byte
            assertEquals(List.of("[0, -48, 7]", "[1, -48, 7]", "[2, -24, 3]", "[3, -24, 3]"), initial);
        } finally {
            ws.abort();
        }
    }

    @Test
    void tenMegabytesRoundTripThroughAnEchoPort() throws Exception {
        int size = 10 * 1024 * 1024;
        try (ForwardConnection c = WebSocketStreamClient.openForward(forward(List.of(), ""), FakeSessions.ECHO_PORT, V4)) {
            CompletableFuture<byte[]> sent = CompletableFuture.supplyAsync(() -> {
                try {
                    MessageDigest digest = MessageDigest.getInstance("SHA-256");
                    byte[] chunk = new byte[50_000];
                    OutputStream out = c.output();
                    for (int at = 0; at < size; at += chunk.length) {
                        int n = Math.min(chunk.length, size - at);
                        for (int i = 0; i < n; i++) {
                            chunk[i] = FakeSessions.pattern(at + i);
                        }
                        out.write(chunk, 0, n);
                        digest.update(chunk, 0, n);
                    }
                    return digest.digest();
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            MessageDigest received = MessageDigest.getInstance("SHA-256");
            InputStream in = c.input();
            byte[] buffer = new byte[64 * 1024];
            long total = 0;
            while (total < size) {
                int n = in.read(buffer);
                assertTrue(n > 0, "input ended after " + total + " bytes");
                received.update(buffer, 0, n);
                total += n;
            }
            assertEquals(size, total);
            assertArrayEquals(sent.get(30, TimeUnit.SECONDS), received.digest());
        }
    }

    @Test
    void twoPortsShareOneWebSocket() throws Exception {
        sessions.sendBytes = 300_000;
        List<ForwardConnection> ports = WebSocketStreamClient.openForward(forward(List.of(), ""),
                List.of(FakeSessions.SEND_PORT, FakeSessions.ECHO_PORT), V4);
        try {
            ForwardConnection echo = ports.get(1);
            echo.output().write("ping".getBytes());
            byte[] pong = echo.input().readNBytes(4);
            assertEquals("ping", new String(pong));

            byte[] sent = ports.get(0).input().readNBytes(sessions.sendBytes);
            assertEquals(sessions.sendBytes, sent.length);
            for (int i = 0; i < sent.length; i++) {
                if (sent[i] != FakeSessions.pattern(i)) {
                    throw new AssertionError("byte " + i + " differs");
                }
            }
        } finally {
            ports.forEach(ForwardConnection::close);
        }
    }

    @Test
    void portsComeFromTheRequestWhenTheQueryHasNone() throws Exception {
        sessions.sendBytes = 10;
        URI url = forward(List.of(FakeSessions.SEND_PORT), "");
        // A raw client that names no ports: the target's ports apply.
        BlockingQueue<byte[]> messages = new LinkedBlockingQueue<>();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
                .subprotocols("v4.channel.k8s.io")
                .buildAsync(url, new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onBinary(WebSocket socket, ByteBuffer data, boolean last) {
                        byte[] bytes = new byte[data.remaining()];
                        data.get(bytes);
                        messages.add(bytes);
                        socket.request(1);
                        return null;
                    }
                })
                .get(10, TimeUnit.SECONDS);
        try {
            assertArrayEquals(new byte[] {0, (byte) 0xd0, 7}, messages.poll(5, TimeUnit.SECONDS));
        } finally {
            ws.abort();
        }
    }

    @Test
    void aPortThatCannotConnectReportsOnItsErrorChannelAndTheWebSocketCloses() throws Exception {
        try (ForwardConnection c = WebSocketStreamClient.openForward(forward(List.of(), ""), FakeSessions.REFUSED_PORT, V4)) {
            assertEquals("connection refused: port 3000", c.awaitError(Duration.ofSeconds(5)).orElseThrow());
            assertEquals(-1, c.input().read());
        }
    }

    @Test
    void missingPortsAreRefused() throws Exception {
        URI url = forward(List.of(), "");
        ExecutionException e = assertThrows(ExecutionException.class, () -> HttpClient.newHttpClient()
                .newWebSocketBuilder()
                .subprotocols("v4.channel.k8s.io")
                .buildAsync(url, new WebSocket.Listener() { })
                .get(10, TimeUnit.SECONDS));
        WebSocketHandshakeException refused = assertInstanceOf(WebSocketHandshakeException.class, e.getCause());
        assertEquals(400, refused.getResponse().statusCode());
    }

    @Test
    void anEmptyPortParameterIsRefusedByName() {
        URI url = forward(List.of(), "");
        // The client adds port=<n> unless the URL names ports: an empty value is refused by name.
        IOException e = assertThrows(IOException.class, () -> WebSocketStreamClient.openForward(
                URI.create(url + "?port="), FakeSessions.ECHO_PORT, V4));
        assertTrue(e.getMessage().contains("400"), e.getMessage());
        assertTrue(e.getMessage().contains("\"port\""), e.getMessage());
    }

    @Test
    void portForwardDoesNotSpeakV5() {
        IOException e = assertThrows(IOException.class, () -> WebSocketStreamClient.openForward(
                forward(List.of(), ""), FakeSessions.ECHO_PORT, List.of("v5.channel.k8s.io", "portforward.k8s.io")));
        assertTrue(e.getMessage().contains("403"), e.getMessage());
        assertTrue(e.getMessage().contains("v4.channel.k8s.io"), e.getMessage());
    }

    @Test
    void clientGoingAwayIsReported() throws Exception {
        ForwardConnection c = WebSocketStreamClient.openForward(forward(List.of(), ""), FakeSessions.ECHO_PORT, V4);
        c.close();
        assertTrue(sessions.forwardGone.await(5, TimeUnit.SECONDS));
    }
}
