package io.crisp.core.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.core.config.CrispConfig.StreamTls;
import io.crisp.core.stream.session.AttachTarget;
import io.crisp.core.stream.session.ExecTarget;
import io.crisp.core.stream.session.PortForwardTarget;
import io.crisp.core.stream.session.StreamTarget;
import io.crisp.core.stream.session.StreamUpgrade;
import io.crisp.spi.model.StdioWiring;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP side of the streaming server over a real socket: routing, token checks and the hand-off
 * to the protocol named by {@code Upgrade}, with a recording upgrade in place of SPDY/WebSocket.
 */
final class StreamServerTest {
    private final StreamTokens tokens = new StreamTokens();
    private final AtomicReference<StreamTarget> upgraded = new AtomicReference<>();
    private StreamServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    private StreamServer start(Duration idle) throws IOException {
        StreamUpgrade recording = (ctx, request, target) -> {
            upgraded.set(target);
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
                    Unpooled.copiedBuffer("upgraded\n", StandardCharsets.UTF_8))).addListener(ChannelFutureListener.CLOSE);
        };
        StreamUpgrade silent = (ctx, request, target) -> upgraded.set(target); // keeps the connection open
        server = StreamServer.start("127.0.0.1", 0, idle, Optional.empty(), tokens, Map.of("spdy/3.1", recording, "websocket", silent));
        return server;
    }

    @Test
    void listensOnLoopbackAndBuildsUrlsForIt() throws IOException {
        start(Duration.ofHours(4));
        assertTrue(server.localAddress().getAddress().isLoopbackAddress());
        assertEquals("http://127.0.0.1:" + server.localAddress().getPort() + "/exec/abc", server.url("exec", "abc"));
    }

    @Test
    void aValidTokenIsHandedToTheProtocolOnceThenRefused() throws IOException {
        start(Duration.ofHours(4));
        ExecTarget target = new ExecTarget("c1", List.of("ls"), new StdioWiring(false, true, true, false));
        String url = server.url("exec", tokens.issue(target));
        String path = url.substring(url.indexOf("/exec/"));
        assertTrue(request("POST", path, "SPDY/3.1").startsWith("HTTP/1.1 200"));
        assertSame(target, upgraded.get());
        String again = request("POST", path, "SPDY/3.1");
        assertTrue(again.startsWith("HTTP/1.1 404"), again);
        assertTrue(again.contains("unknown or expired exec token"), again);
    }

    @Test
    void wrongKindUnknownPathMissingUpgradeAndMethodAreRefused() throws IOException {
        start(Duration.ofHours(4));
        String token = tokens.issue(new AttachTarget("c1", new StdioWiring(false, true, false, false)));
        String noUpgrade = request("GET", "/attach/" + token, null);
        assertTrue(noUpgrade.startsWith("HTTP/1.1 400") && noUpgrade.contains("Upgrade: SPDY/3.1 or Upgrade: websocket"), noUpgrade);
        String wrongKind = request("GET", "/exec/" + token, "SPDY/3.1");
        assertTrue(wrongKind.startsWith("HTTP/1.1 404"), wrongKind);
        assertEquals(0, tokens.inFlight(), "a token used with the wrong kind is spent");
        assertTrue(request("GET", "/shell/x", "SPDY/3.1").startsWith("HTTP/1.1 404"));
        assertTrue(request("GET", "/exec/a/b", "SPDY/3.1").startsWith("HTTP/1.1 404"));
        assertTrue(request("DELETE", "/exec/x", "SPDY/3.1").startsWith("HTTP/1.1 405"));
        String h2c = request("GET", "/exec/x", "h2c");
        assertTrue(h2c.startsWith("HTTP/1.1 400") && h2c.contains("got 'h2c'"), h2c);
        assertEquals(null, upgraded.get());
    }

    @Test
    void anIdleConnectionIsClosed() throws IOException {
        start(Duration.ofMillis(300));
        String token = tokens.issue(new PortForwardTarget("p1", List.of(80)));
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.localAddress().getPort())) {
            socket.setSoTimeout(5000);
            send(socket.getOutputStream(), "GET", "/portforward/" + token, "websocket");
            long began = System.nanoTime();
            assertEquals(-1, socket.getInputStream().read(), "closed without a byte");
            long millis = (System.nanoTime() - began) / 1_000_000;
            assertTrue(millis >= 200 && millis < 4000, "closed after " + millis + " ms");
        }
        assertTrue(upgraded.get() instanceof PortForwardTarget);
    }

    @Test
    void servesHttpsWithTheConfiguredCertificate(@TempDir Path dir) throws Exception {
        // A self-signed certificate made with the JDK's keytool; the key is written out as PKCS#8 PEM.
        Path store = dir.resolve("stream.p12");
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-keyalg", "EC", "-groupname", "secp256r1", "-alias", "stream",
                "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore", store.toString(),
                "-storetype", "PKCS12", "-storepass", "changeit").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        KeyStore keys = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            keys.load(in, "changeit".toCharArray());
        }
        X509Certificate cert = (X509Certificate) keys.getCertificate("stream");
        PrivateKey key = (PrivateKey) keys.getKey("stream", "changeit".toCharArray());
        Path certFile = dir.resolve("stream.crt");
        Path keyFile = dir.resolve("stream.key");
        Files.writeString(certFile, pem("CERTIFICATE", cert.getEncoded()));
        Files.writeString(keyFile, pem("PRIVATE KEY", key.getEncoded()));

        server = StreamServer.start("127.0.0.1", 0, Duration.ofHours(4), Optional.of(new StreamTls(certFile, keyFile)), tokens,
                Map.of("spdy/3.1", (ctx, request, target) -> upgraded.set(target)));
        String url = server.url("exec", "abc");
        assertTrue(url.startsWith("https://127.0.0.1:"), url);

        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("stream", cert);
        trust.init(trusted);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(null, trust.getTrustManagers(), null);
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                server.localAddress().getPort())) {
            socket.setSoTimeout(5000);
            send(socket.getOutputStream(), "GET", "/exec/abc", "SPDY/3.1");
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(answer.startsWith("HTTP/1.1 404") && answer.contains("unknown or expired exec token"), answer);
        }
        // Plain HTTP to the TLS port gets nothing useful.
        String plain = request("GET", "/exec/abc", "SPDY/3.1");
        assertTrue(!plain.contains("unknown or expired"), plain);
    }

    @Test
    void unreadableTlsFilesAreNamed(@TempDir Path dir) {
        Path cert = dir.resolve("missing.crt");
        IOException e = org.junit.jupiter.api.Assertions.assertThrows(IOException.class, () -> StreamServer.start("127.0.0.1", 0,
                Duration.ofHours(4), Optional.of(new StreamTls(cert, dir.resolve("missing.key"))), tokens, Map.of()));
        assertTrue(e.getMessage().contains("stream_tls_cert " + cert), e.getMessage());
    }

    private static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
    }

    private String request(String method, String path, String upgrade) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.localAddress().getPort())) {
            socket.setSoTimeout(5000);
            send(socket.getOutputStream(), method, path, upgrade);
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static void send(OutputStream out, String method, String path, String upgrade) throws IOException {
        StringBuilder text = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if (upgrade != null) {
            text.append("Connection: Upgrade\r\nUpgrade: ").append(upgrade).append("\r\n");
        }
        text.append("Content-Length: 0\r\n\r\n");
        out.write(text.toString().getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }
}
