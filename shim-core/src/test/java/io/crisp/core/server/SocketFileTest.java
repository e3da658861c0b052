package io.crisp.core.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class SocketFileTest {
    @TempDir
    Path dir;

    private static ServerSocketChannel listen(Path socket) throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        return server;
    }

    private static boolean isSocket(Path path) throws IOException {
        return Files.exists(path, LinkOption.NOFOLLOW_LINKS)
                && ((Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 0170000) == 0140000;
    }

    private static boolean connects(Path socket) {
        try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            client.connect(UnixDomainSocketAddress.of(socket));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void createsAMissingParentDirectory() throws Exception {
        Path socket = dir.resolve("run/crisp/crisp.sock");

        try (SocketFile file = SocketFile.prepare(socket)) {
            assertTrue(Files.isDirectory(socket.getParent()));
            Set<PosixFilePermission> mode = Files.getPosixFilePermissions(socket.getParent());
            assertFalse(mode.contains(PosixFilePermission.GROUP_WRITE), mode.toString());
            assertFalse(mode.contains(PosixFilePermission.OTHERS_WRITE), mode.toString());
            assertEquals(socket, file.path());
            assertFalse(Files.exists(socket), "prepare does not bind");
            assertTrue(Files.exists(socket.resolveSibling("crisp.sock.lock")));
        }
    }

    @Test
    void removesAStaleSocket() throws Exception {
        Path socket = dir.resolve("crisp.sock");
        listen(socket).close(); // the JDK does not unlink on close: what a crashed daemon leaves
        assertTrue(isSocket(socket));

        try (SocketFile file = SocketFile.prepare(socket)) {
            assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
            // The path can now be bound.
            listen(socket).close();
        }
    }

    @Test
    void refusesASocketSomeoneListensOn() throws Exception {
        Path socket = dir.resolve("crisp.sock");
        try (ServerSocketChannel other = listen(socket)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SocketFile.prepare(socket));

            assertTrue(e.getMessage().contains("another server is listening on " + socket), e.getMessage());
            assertTrue(isSocket(socket), "the other server's socket must not be removed");
            assertTrue(connects(socket), "the other server must stay reachable");
        }
        // The refusal released the lock: once the other server is gone, prepare works.
        try (SocketFile file = SocketFile.prepare(socket)) {
            assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        }
    }

    @Test
    void refusesARegularFileAndLeavesItAlone() throws Exception {
        Path socket = dir.resolve("crisp.sock");
        Files.writeString(socket, "precious");

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SocketFile.prepare(socket));

        assertTrue(e.getMessage().contains(socket + " exists and is not a socket"), e.getMessage());
        assertTrue(Files.isRegularFile(socket), "a file that is not a socket is never removed");
        assertEquals("precious", Files.readString(socket));
    }

    @Test
    void refusesADirectoryAndLeavesItAlone() throws Exception {
        Path socket = Files.createDirectory(dir.resolve("crisp.sock"));

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> SocketFile.prepare(socket));

        assertTrue(e.getMessage().contains("exists and is not a socket"), e.getMessage());
        assertTrue(Files.isDirectory(socket), "a directory at the socket path is never removed");
    }

    @Test
    void refusesASecondPrepareWhileTheFirstIsOpen() throws Exception {
        Path socket = dir.resolve("crisp.sock");
        try (SocketFile first = SocketFile.prepare(socket)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SocketFile.prepare(socket));

            assertNotNull(e.getMessage(), "the refusal must say why: " + e);
            assertTrue(e.getMessage().contains("another crisp daemon is serving " + socket), e.getMessage());
        }
    }

    /**
     * Another JVM: prepares the socket and holds it until its stdin closes, printing "ready"; or
     * prints "refused: <message>" when prepare refuses.
     */
    static final class OtherDaemon {
        public static void main(String[] args) throws Exception {
            SocketFile file;
            try {
                file = SocketFile.prepare(Path.of(args[0]));
            } catch (IllegalStateException e) {
                System.out.println("refused: " + e.getMessage());
                System.out.flush();
                return;
            }
            try (file) {
                System.out.println("ready");
                System.out.flush();
                while (System.in.read() != -1) {
                    // wait for the test to close our stdin
                }
            }
        }
    }

    private static Process otherDaemon(Path socket) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), OtherDaemon.class.getName(), socket.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
    }

    private static String firstLine(Process process) throws IOException {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
    }

    private static void stop(Process process) throws Exception {
        process.getOutputStream().close();
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the other process did not exit");
        assertEquals(0, process.exitValue());
    }

    @Test
    void anotherProcessIsRefusedWhileThisOneServes() throws Exception {
        Path socket = dir.resolve("crisp.sock");
        try (SocketFile first = SocketFile.prepare(socket)) {
            Process other = otherDaemon(socket);
            try {
                String line = firstLine(other);
                assertTrue(line != null && line.startsWith("refused: another crisp daemon is serving " + socket), String.valueOf(line));
            } finally {
                stop(other);
            }
        }
    }

    @Test
    void aRefusedSecondPrepareInTheSameProcessKeepsTheFirstLock() throws Exception {
        Path socket = dir.resolve("crisp.sock");
        try (SocketFile first = SocketFile.prepare(socket)) {
            assertThrows(IllegalStateException.class, () -> SocketFile.prepare(socket));

            // The refusal must not have dropped the first holder's lock: another process is still refused.
            Process other = otherDaemon(socket);
            try {
                String line = firstLine(other);
                assertTrue(line != null && line.startsWith("refused: another crisp daemon is serving"),
                        "another process got the lock while this one still serves: " + line);
            } finally {
                stop(other);
            }
        }
    }

    @Test
    void refusesToPrepareWhileAnotherProcessServes() throws Exception {
        Path socket = dir.resolve("crisp.sock");
        Process other = otherDaemon(socket);
        try {
            assertEquals("ready", firstLine(other), "the other process did not prepare the socket");

            IllegalStateException e = assertThrows(IllegalStateException.class, () -> SocketFile.prepare(socket));

            assertTrue(e.getMessage().contains("another crisp daemon is serving " + socket), e.getMessage());
            assertTrue(e.getMessage().contains(socket + ".lock"), e.getMessage());
        } finally {
            stop(other);
        }
        // Its lock went with it.
        SocketFile.prepare(socket).close();
    }

    @Test
    void closeRemovesTheSocketAndPrepareWorksAgain() throws Exception {
        Path socket = dir.resolve("crisp.sock");
        SocketFile file = SocketFile.prepare(socket);
        try (ServerSocketChannel server = listen(socket)) {
            file.secure();
        }
        assertTrue(isSocket(socket));

        file.close();

        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
        try (SocketFile again = SocketFile.prepare(socket); ServerSocketChannel server = listen(socket)) {
            again.secure();
            assertTrue(connects(socket));
        }
        assertFalse(Files.exists(socket, LinkOption.NOFOLLOW_LINKS));
    }

    @Test
    void secureMakesTheSocketRootOwnedAndGroupReadWrite() throws Exception {
        Path socket = dir.resolve("crisp.sock");
        try (SocketFile file = SocketFile.prepare(socket); ServerSocketChannel server = listen(socket)) {
            Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rwxrwxrwx"));

            file.secure();

            assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket, LinkOption.NOFOLLOW_LINKS)));
            int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            assertEquals(uid == 0, SocketFile.isRoot());
            if (uid == 0) {
                PosixFileAttributes attributes = Files.readAttributes(socket, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
                assertEquals("root", attributes.owner().getName());
                assertEquals("root", attributes.group().getName());
            }
            assertTrue(connects(socket), "securing the file keeps the socket usable for root");
        }
    }

    @Test
    void answersTellsLiveFromStale() throws Exception {
        Path live = dir.resolve("live.sock");
        Path stale = dir.resolve("stale.sock");
        listen(stale).close();
        try (ServerSocketChannel server = listen(live)) {
            assertTrue(SocketFile.answers(live));
            assertFalse(SocketFile.answers(stale));
            assertFalse(SocketFile.answers(dir.resolve("missing.sock")));
        }
    }
}
