package io.crisp.core.stream.spdy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.client.stream.SpdyStreamClient;
import io.crisp.core.stream.session.ExecTarget;
import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.spi.model.StdioWiring;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.spdy.DefaultSpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyFrameCodec;
import io.netty.handler.codec.spdy.SpdySynStreamFrame;
import io.netty.handler.codec.spdy.SpdyVersion;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The bytes on the wire, read with a socket and no SPDY library: what client-go sees. */
@Timeout(30)
final class SpdyWireFormatTest {
    private static final StdioWiring STDOUT_ONLY = new StdioWiring(false, true, false, false);

    private final FakeSessions sessions = new FakeSessions();
    private TestServer server;

    @BeforeEach
    void start() throws InterruptedException {
        server = new TestServer(sessions, Duration.ofSeconds(5));
        server.target = new ExecTarget("c1", List.of("cat"), STDOUT_ONLY);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void noCommonVersionIsForbiddenWithTheAcceptedVersions() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            send(socket, List.of("v9.channel.k8s.io", "v5.channel.k8s.io"));
            String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 403 Forbidden\r\n"), response);
            List<String> accepted = response.lines()
                    .filter(l -> l.toLowerCase().startsWith("x-accepted-stream-protocol-versions:"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).toList();
            assertEquals(ProtocolVersions.STDIO, accepted);
            assertTrue(response.contains("unable to upgrade: unable to negotiate protocol: client supports "
                    + "[v9.channel.k8s.io v5.channel.k8s.io], server accepts [v4.channel.k8s.io v3.channel.k8s.io "
                    + "v2.channel.k8s.io channel.k8s.io]"), response);
        }
        IOException refused = assertThrows(IOException.class,
                () -> SpdyStreamClient.connect(server.url(), List.of("v9.channel.k8s.io")));
        assertTrue(refused.getMessage().contains("403 Forbidden"), refused.getMessage());
        assertTrue(refused.getMessage().contains("unable to negotiate protocol"), refused.getMessage());
    }

    @Test
    void portForwardOnlySpeaksItsOwnVersion() {
        server.target = new PortForwardTarget("pod1", List.of());
        IOException refused = assertThrows(IOException.class,
                () -> SpdyStreamClient.connect(server.url(), List.of(ProtocolVersions.V4)));
        assertTrue(refused.getMessage().contains("403"), refused.getMessage());
    }

    @Test
    void theServersPreferenceWinsAmongOfferedVersions() throws IOException {
        try (SpdyStreamClient client = SpdyStreamClient.connect(server.url(),
                List.of(ProtocolVersions.V1, "v5.channel.k8s.io", ProtocolVersions.V2, ProtocolVersions.V4))) {
            assertEquals(ProtocolVersions.V4, client.protocol());
        }
    }

    /**
     * An upgrade and an exec as spdystream does them: no SETTINGS, no WINDOW_UPDATE ever. The 101
     * is checked byte for byte; the server's frames are parsed by hand; a megabyte of stdout must
     * arrive although the client never opens a flow-control window.
     */
    @Test
    void spdystreamLikeClientWithoutFlowControl() throws IOException {
        sessions.process = FakeSessions.Process.prints("x".repeat(1024 * 1024), "", 0);
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            send(socket, List.of(ProtocolVersions.V4 + ", " + ProtocolVersions.V3));
            DataInputStream in = new DataInputStream(socket.getInputStream());
            String head = readHead(in);
            assertEquals("HTTP/1.1 101 Switching Protocols\r\n"
                    + "Connection: Upgrade\r\n"
                    + "Upgrade: SPDY/3.1\r\n"
                    + "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n", head);

            EmbeddedChannel encoder = new EmbeddedChannel(new SpdyFrameCodec(SpdyVersion.SPDY_3_1));
            OutputStream out = socket.getOutputStream();
            out.write(synStream(encoder, 1, "error"));
            out.write(synStream(encoder, 3, "stdout"));
            out.flush();

            Map<Integer, ByteArrayOutputStream> data = new HashMap<>();
            List<String> control = new ArrayList<>();
            boolean goAway = false;
            int fins = 0;
            while (!goAway) {
                int first = in.readInt();
                int second = in.readInt();
                int length = second & 0xffffff;
                byte[] payload = in.readNBytes(length);
                if (first < 0) {
                    int version = (first >>> 16) & 0x7fff;
                    int type = first & 0xffff;
                    assertEquals(3, version);
                    int streamId = length >= 4 ? ((payload[0] & 0x7f) << 24 | (payload[1] & 0xff) << 16
                            | (payload[2] & 0xff) << 8 | payload[3] & 0xff) : 0;
                    control.add(type + ":" + streamId);
                    goAway = type == 7;
                } else {
                    data.computeIfAbsent(first, id -> new ByteArrayOutputStream()).writeBytes(payload);
                    fins += (second >>> 24 & 1);
                    assertTrue(length <= 32 * 1024, "frames of at most 32 KiB");
                }
            }
            // SETTINGS (4) first, SYN_REPLY (2) for each stream, GOAWAY (7) last.
            assertEquals("4:" + control.get(0).substring(2), control.get(0));
            assertEquals(List.of("2:1", "2:3"), control.subList(1, 3));
            assertEquals(1024 * 1024, data.get(3).size());
            assertEquals("{\"metadata\":{},\"status\":\"Success\"}", data.get(1).toString(StandardCharsets.UTF_8));
            assertEquals(2, fins, "error and stdout half-closed");
            encoder.finishAndReleaseAll();
        }
    }

    private static byte[] synStream(EmbeddedChannel encoder, int id, String type) {
        SpdySynStreamFrame syn = new DefaultSpdySynStreamFrame(id, 0, (byte) 0);
        syn.headers().set("streamtype", type);
        encoder.writeOutbound(syn);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (ByteBuf buf = encoder.readOutbound(); buf != null; buf = encoder.readOutbound()) {
            byte[] chunk = new byte[buf.readableBytes()];
            buf.readBytes(chunk);
            bytes.writeBytes(chunk);
            buf.release();
        }
        return bytes.toByteArray();
    }

    private void send(Socket socket, List<String> versions) throws IOException {
        StringBuilder request = new StringBuilder("GET /exec/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Connection: Upgrade\r\nUpgrade: SPDY/3.1\r\n");
        versions.forEach(v -> request.append("X-Stream-Protocol-Version: ").append(v).append("\r\n"));
        socket.getOutputStream().write(request.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the response head: " + head);
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }
}
