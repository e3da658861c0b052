package io.crisp.core.network;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Dials into real network namespaces pinned by {@link NetworkNamespaces}: a listener bound to
 * 127.0.0.1 inside a namespace is reachable through the dialer and not from the host, and the
 * daemon's threads stay in the host's namespace. Needs root, unshare, nsenter and ip (skipped
 * without them, failing under CI=true).
 */
final class NetnsDialerTest {
    @TempDir
    Path tmp;

    private NetworkNamespaces namespaces;
    private final NetnsDialer dialer = new NetnsDialer();

    @AfterEach
    void cleanUp() {
        dialer.close();
        if (namespaces != null) {
            try {
                for (String id : namespaces.list()) {
                    namespaces.remove(id);
                }
            } finally {
                namespaces.close();
            }
        }
    }

    @Test
    void reachesALoopbackListenerInsideThePodNamespaceOnly() throws Exception {
        Path ns = podNamespace("pod1");
        try (ServerSocketChannel server = dialer.inNamespace(ns,
                () -> ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0)))) {
            int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
            try (SocketChannel client = dialer.connect(ns, port); SocketChannel accepted = server.accept()) {
                client.write(ByteBuffer.wrap("ping".getBytes(StandardCharsets.US_ASCII)));
                ByteBuffer in = ByteBuffer.allocate(4);
                while (in.hasRemaining() && accepted.read(in) >= 0) {
                    // read all four bytes
                }
                assertArrayEquals("ping".getBytes(StandardCharsets.US_ASCII), in.array());
            }
            // The host's loopback is another interface: the same port there is not this listener.
            IOException fromHost = assertThrows(IOException.class, () -> dialer.connect(null, port));
            assertTrue(fromHost.getMessage().toLowerCase().contains("refused"), fromHost.getMessage());
        }
        assertEquals(hostNamespace(), Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
    }

    @Test
    void refusedPortIsAnIOExceptionAndTheDialerStaysUsable() throws Exception {
        Path ns = podNamespace("pod2");
        IOException refused = assertThrows(IOException.class, () -> dialer.connect(ns, 1));
        assertTrue(refused.getMessage().toLowerCase().contains("refused"), refused.getMessage());
        // The dialer thread went back to the host namespace: a socket it makes now is the host's.
        String socketNs = dialer.inNamespace(ns, () -> Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
        assertTrue(!socketNs.equals(hostNamespace()), "inside the pod namespace while the action runs");
        try (ServerSocketChannel hostServer = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            int port = ((InetSocketAddress) hostServer.getLocalAddress()).getPort();
            try (SocketChannel c = dialer.connect(null, port)) {
                assertTrue(c.isConnected());
            }
        }
    }

    @Test
    void aMissingNamespaceIsReportedByPath() throws Exception {
        requirePrerequisites();
        Path gone = tmp.resolve("no-such-netns");
        IOException e = assertThrows(IOException.class, () -> dialer.connect(gone, 80));
        assertTrue(e.getMessage().contains(gone.toString()), e.getMessage());
        assertThrows(IOException.class, () -> dialer.connect(null, 0));
    }

    private Path podNamespace(String id) throws Exception {
        requirePrerequisites();
        namespaces = namespaces == null ? new NetworkNamespaces(tmp.resolve("netns")) : namespaces;
        Path ns = namespaces.create(id);
        Process up = new ProcessBuilder("nsenter", "--net=" + ns, "ip", "link", "set", "lo", "up").inheritIO().start();
        assertTrue(up.waitFor(10, TimeUnit.SECONDS) && up.exitValue() == 0, "ip link set lo up in " + ns);
        return ns;
    }

    private static String hostNamespace() throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
    }

    private static void requirePrerequisites() {
        boolean ready = "root".equals(System.getProperty("user.name")) && Files.isExecutable(Path.of("/usr/bin/unshare"))
                && Files.isExecutable(Path.of("/usr/bin/nsenter")) && (Files.isExecutable(Path.of("/usr/sbin/ip"))
                || Files.isExecutable(Path.of("/sbin/ip")) || Files.isExecutable(Path.of("/usr/bin/ip")));
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(ready, "CI=true: this test needs root, unshare, nsenter and ip");
        }
        assumeTrue(ready, "needs root, unshare, nsenter and ip");
    }
}
