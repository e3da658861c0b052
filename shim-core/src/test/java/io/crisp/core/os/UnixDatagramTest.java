package io.crisp.core.os;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class UnixDatagramTest {
    @TempDir
    Path dir;

    private static short family(byte[] sockaddr) {
        return ByteBuffer.wrap(sockaddr).order(ByteOrder.nativeOrder()).getShort();
    }

    @Test
    void pathAddressEndsWithItsNul() {
        byte[] address = UnixDatagram.sockaddr("/run/x.sock");
        assertEquals(LibC.AF_UNIX, family(address));
        assertEquals(2 + "/run/x.sock".length() + 1, address.length);
        assertEquals('/', address[2]);
        assertEquals(0, address[address.length - 1]);
    }

    @Test
    void abstractAddressStartsWithNulAndHasNoTerminator() {
        byte[] address = UnixDatagram.sockaddr("@crisp/notify");
        assertEquals(LibC.AF_UNIX, family(address));
        assertEquals(2 + 1 + "crisp/notify".length(), address.length);
        assertEquals(0, address[2]);
        byte[] name = new byte[address.length - 3];
        System.arraycopy(address, 3, name, 0, name.length);
        assertArrayEquals("crisp/notify".getBytes(StandardCharsets.US_ASCII), name);
    }

    @Test
    void refusesEmptyRelativeAndTooLongAddresses() {
        assertThrows(IllegalArgumentException.class, () -> UnixDatagram.sockaddr(""));
        assertThrows(IllegalArgumentException.class, () -> UnixDatagram.sockaddr("@"));
        assertThrows(IllegalArgumentException.class, () -> UnixDatagram.sockaddr("run/x.sock"));
        assertThrows(IllegalArgumentException.class, () -> UnixDatagram.sockaddr("/" + "a".repeat(107)));
        assertEquals(2 + 108, UnixDatagram.sockaddr("/" + "a".repeat(106)).length);
        assertEquals(2 + 108, UnixDatagram.sockaddr("@" + "a".repeat(107)).length);
    }

    @Test
    void datagramReachesAPathSocket() throws Exception {
        Path socket = dir.resolve("notify.sock");
        try (UnixDatagram receiver = UnixDatagram.bind(socket.toString()); UnixDatagram sender = UnixDatagram.open()) {
            assertTrue(Files.exists(socket));
            sender.send(socket.toString(), "READY=1\n".getBytes(StandardCharsets.UTF_8));
            Optional<byte[]> got = receiver.receive(Duration.ofSeconds(5));
            assertEquals("READY=1\n", new String(got.orElseThrow(), StandardCharsets.UTF_8));
            assertTrue(receiver.receive(Duration.ofMillis(50)).isEmpty(), "only one datagram was sent");
        }
    }

    @Test
    void datagramReachesAnAbstractSocketAndNoFileAppears() throws Exception {
        String name = "@crisp-test-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        try (UnixDatagram receiver = UnixDatagram.bind(name); UnixDatagram sender = UnixDatagram.open()) {
            sender.send(name, "STATUS=hello".getBytes(StandardCharsets.UTF_8));
            assertEquals("STATUS=hello", new String(receiver.receive(Duration.ofSeconds(5)).orElseThrow(), StandardCharsets.UTF_8));
            // The same name as a path: nothing listens there.
            assertThrows(java.io.IOException.class, () -> sender.send("/" + name.substring(1), new byte[] {1}));
        }
    }

    @Test
    void sendingToNobodyIsAnError() throws Exception {
        try (UnixDatagram sender = UnixDatagram.open()) {
            assertThrows(java.io.IOException.class, () -> sender.send(dir.resolve("none.sock").toString(), new byte[] {1}));
        }
    }
}
