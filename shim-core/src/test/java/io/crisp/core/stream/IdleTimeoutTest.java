package io.crisp.core.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.client.stream.SpdyStreamClient;
import io.crisp.client.stream.StdioConnection;
import io.crisp.client.stream.WebSocketStreamClient;
import io.crisp.core.stream.session.ExecTarget;
import io.crisp.core.stream.session.ForwardClient;
import io.crisp.core.stream.session.ForwardListener;
import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.core.stream.session.StdioClient;
import io.crisp.core.stream.session.StdioListener;
import io.crisp.core.stream.session.StdioOutcome;
import io.crisp.core.stream.session.StdioTarget;
import io.crisp.core.stream.session.StreamFailure;
import io.crisp.core.stream.session.StreamSessions;
import io.crisp.core.stream.spdy.SpdyStreamUpgrade;
import io.crisp.core.stream.websocket.WebSocketStreamUpgrade;
import io.crisp.spi.model.StdioWiring;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The idle timeout closes silent connections only: a session that keeps talking outlives it, over
 * either protocol (the idle handler sits before the protocol handlers an upgrade installs).
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
final class IdleTimeoutTest {
    private static final Duration IDLE = Duration.ofMillis(400);
    private static final StdioWiring OUT = new StdioWiring(false, true, false, false);

    private StreamServer server;
    private final StreamTokens tokens = new StreamTokens();

    /** A process that prints a tick every 100 ms for {@code ticks} times, then exits 0; or never prints. */
    private static StreamSessions ticking(int ticks) {
        return new StreamSessions() {
            @Override
            public StdioListener startStdio(StdioTarget target, StdioClient client) {
                Thread t = new Thread(() -> {
                    try {
                        for (int i = 0; i < ticks; i++) {
                            byte[] tick = ("tick " + i + "\n").getBytes(StandardCharsets.UTF_8);
                            client.write(StdioClient.Output.STDOUT, tick, 0, tick.length);
                            Thread.sleep(100);
                        }
                        client.finish(StdioOutcome.success());
                    } catch (IOException | InterruptedException e) {
                        // the client went away
                    }
                });
                t.setDaemon(true);
                t.start();
                return new StdioListener() {
                    @Override
                    public void stdin(byte[] data) {
                    }

                    @Override
                    public void stdinClosed() {
                    }

                    @Override
                    public void resize(int width, int height) {
                    }

                    @Override
                    public void clientGone() {
                        t.interrupt();
                    }
                };
            }

            @Override
            public ForwardListener startForward(PortForwardTarget target, int port, ForwardClient client) {
                throw new StreamFailure("no forwarding here");
            }
        };
    }

    private void start(StreamSessions sessions) throws IOException {
        server = StreamServer.start("127.0.0.1", 0, IDLE, Optional.empty(), tokens, Map.of(
                "spdy/3.1", new SpdyStreamUpgrade(sessions, Duration.ofSeconds(5)),
                "websocket", new WebSocketStreamUpgrade(sessions, Duration.ofSeconds(5))));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private URI url() {
        return URI.create(server.url("exec", tokens.issue(new ExecTarget("c1", List.of("ticker"), OUT))));
    }

    @Test
    void aTalkingSessionOutlivesTheIdleTimeoutOverBothProtocols() throws IOException {
        start(ticking(15)); // 1.5 s of output, idle timeout 0.4 s
        try (StdioConnection spdy = SpdyStreamClient.exec(url(), OUT, List.of("v4.channel.k8s.io"))) {
            String out = new String(spdy.stdout().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(out.contains("tick 14"), out);
            assertTrue(spdy.awaitStatus(Duration.ofSeconds(5)).orElseThrow().contains("Success"));
        }
        try (StdioConnection ws = WebSocketStreamClient.openStdio(url(), OUT, List.of("v4.channel.k8s.io"))) {
            String out = new String(ws.stdout().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(out.contains("tick 14"), out);
            assertTrue(ws.awaitStatus(Duration.ofSeconds(5)).orElseThrow().contains("Success"));
        }
    }

    @Test
    void aSilentSessionIsClosed() throws IOException {
        StreamSessions silent = new StreamSessions() {
            @Override
            public StdioListener startStdio(StdioTarget target, StdioClient client) {
                return new StdioListener() {
                    @Override
                    public void stdin(byte[] data) {
                    }

                    @Override
                    public void stdinClosed() {
                    }

                    @Override
                    public void resize(int width, int height) {
                    }

                    @Override
                    public void clientGone() {
                    }
                };
            }

            @Override
            public ForwardListener startForward(PortForwardTarget target, int port, ForwardClient client) {
                throw new StreamFailure("no forwarding here");
            }
        };
        start(silent);
        long began = System.nanoTime();
        try (StdioConnection spdy = SpdyStreamClient.exec(url(), OUT, List.of("v4.channel.k8s.io"))) {
            assertEquals(-1, spdy.stdout().read(), "the stream ends when the idle connection is closed");
        }
        long millis = (System.nanoTime() - began) / 1_000_000;
        assertTrue(millis >= 300 && millis < 5000, "closed after " + millis + " ms");
    }
}
