package io.crisp.core.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.cri.v1.VersionRequest;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CRI socket: mode and owner, one daemon per socket, stale files replaced, removed on SIGTERM. */
final class SocketIT {
    @TempDir
    Path dir;

    @Test
    void socketIsRootOwnedWithMode0660() throws Exception {
        try (DaemonProcess daemon = new DaemonProcess(dir.resolve("nested/run")).start()) {
            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(daemon.socket, LinkOption.NOFOLLOW_LINKS)));
            if (Crisp.isRoot()) {
                assertEquals(0, Files.getAttribute(daemon.socket, "unix:uid", LinkOption.NOFOLLOW_LINKS));
                assertEquals(0, Files.getAttribute(daemon.socket, "unix:gid", LinkOption.NOFOLLOW_LINKS));
            } else {
                assertFalse(Crisp.CI, "CI runs the integration tests as root; the socket owner check needs it");
            }
        }
    }

    @Test
    void secondDaemonOnTheSameSocketIsRefusedAndTheFirstKeepsServing() {
        try (DaemonProcess first = new DaemonProcess(dir.resolve("a")).start();
             DaemonProcess second = new DaemonProcess(dir.resolve("b"))) {
            second.spawn("--listen", "unix://" + first.socket);
            assertEquals(1, second.waitForExit(Duration.ofSeconds(30)), second.logs());
            assertTrue(second.logs().contains("another crisp daemon is serving " + first.socket), second.logs());
            assertFalse(second.logs().contains("Loaded plugin") || second.logs().contains("Streaming server"),
                    "refused on the socket's lock before loading plugins or opening ports: " + second.logs());
            assertEquals("crisp", first.client().runtime().version(VersionRequest.getDefaultInstance()).getRuntimeName());
        }
    }

    @Test
    void anotherServerOnTheSocketIsRefused() throws Exception {
        Path socket = dir.resolve("other.sock");
        try (ServerSocketChannel other = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            other.bind(UnixDomainSocketAddress.of(socket));
            try (DaemonProcess daemon = new DaemonProcess(dir.resolve("d"))) {
                daemon.spawn("--listen", "unix://" + socket);
                assertEquals(1, daemon.waitForExit(Duration.ofSeconds(30)), daemon.logs());
                assertTrue(daemon.logs().contains("another server is listening on " + socket), daemon.logs());
                assertTrue(Files.exists(socket), "the other server's socket must stay");
            }
        }
    }

    @Test
    void staleSocketFromACrashedDaemonIsReplaced() throws Exception {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            // A bound-then-closed socket leaves its file behind, as a killed daemon does.
            try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
                dead.bind(UnixDomainSocketAddress.of(daemon.socket));
            }
            assertTrue(Files.exists(daemon.socket));
            daemon.start();
            assertEquals("crisp", daemon.client().runtime().version(VersionRequest.getDefaultInstance()).getRuntimeName());
        }
    }

    @Test
    void killedDaemonIsReplacedByTheNextOne() {
        try (DaemonProcess daemon = new DaemonProcess(dir).start()) {
            daemon.signal("KILL");
            daemon.waitForExit(Duration.ofSeconds(10));
            assertTrue(Files.exists(daemon.socket), "SIGKILL leaves the socket file behind");
        }
        try (DaemonProcess again = new DaemonProcess(dir).start()) {
            assertEquals("crisp", again.client().runtime().version(VersionRequest.getDefaultInstance()).getRuntimeName());
        }
    }

    @Test
    void fileThatIsNotASocketIsNeverReplaced() throws Exception {
        try (DaemonProcess daemon = new DaemonProcess(dir)) {
            Files.writeString(daemon.socket, "precious");
            daemon.spawn();
            assertEquals(1, daemon.waitForExit(Duration.ofSeconds(30)), daemon.logs());
            assertTrue(daemon.logs().contains(daemon.socket + " exists and is not a socket"), daemon.logs());
            assertEquals("precious", Files.readString(daemon.socket));
        }
    }

    @Test
    void sigtermStopsCleanlyAndRemovesSocketAndPidFile() {
        try (DaemonProcess daemon = new DaemonProcess(dir).start()) {
            assertTrue(Files.exists(daemon.state.resolve("crisp.pid")));
            daemon.signal("TERM");
            assertEquals(0, daemon.waitForExit(Duration.ofSeconds(15)), daemon.logs());
            assertFalse(Files.exists(daemon.socket), "socket removed on SIGTERM");
            assertFalse(Files.exists(daemon.state.resolve("crisp.pid")), "pid file removed on SIGTERM");
        }
    }

    @Test
    void sigintStopsCleanlyToo() {
        try (DaemonProcess daemon = new DaemonProcess(dir).start()) {
            daemon.signal("INT");
            daemon.waitForExit(Duration.ofSeconds(15));
            assertFalse(Files.exists(daemon.socket), "socket removed on SIGINT");
        }
    }
}
