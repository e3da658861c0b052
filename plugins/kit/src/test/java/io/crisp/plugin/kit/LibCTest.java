package io.crisp.plugin.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import com.sun.jna.NativeLong;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class LibCTest {
    @TempDir
    Path dir;

    @Test
    void aFifoCarriesBytesThroughBothReadAndWriteOverloads() throws Exception {
        String fifo = dir.resolve("f").toString();
        assertEquals(0, LibC.C.mkfifo(fifo, 0600));
        assertEquals(-1, LibC.C.mkfifo(fifo, 0600));
        assertEquals(LibC.EEXIST, LibC.errno());
        int r = (int) LibC.check(LibC.C.open(fifo, LibC.O_RDONLY | LibC.O_NONBLOCK | LibC.O_CLOEXEC, 0), "open reader");
        int w = (int) LibC.check(LibC.C.open(fifo, LibC.O_WRONLY | LibC.O_CLOEXEC), "open writer");
        try {
            assertFalse(LibC.poll(r, LibC.POLLIN, 10), "nothing written yet");
            byte[] hello = "hello".getBytes(StandardCharsets.UTF_8);
            assertEquals(5, LibC.C.write(w, hello, new NativeLong(5)).intValue());
            assertTrue(LibC.poll(r, LibC.POLLIN, 1000));
            try (Memory buf = new Memory(16)) {
                assertEquals(5, LibC.C.read(r, buf, new NativeLong(16)).intValue());
                assertEquals("hello", new String(buf.getByteArray(0, 5), StandardCharsets.UTF_8));
            }
            try (Memory out = new Memory(2)) {
                out.setByte(0, (byte) 'o');
                out.setByte(1, (byte) 'k');
                assertEquals(2, LibC.C.write(w, out, new NativeLong(2)).intValue());
            }
            byte[] in = new byte[8];
            assertEquals(2, LibC.C.read(r, in, new NativeLong(8)).intValue());
            assertEquals("ok", new String(in, 0, 2, StandardCharsets.UTF_8));
            assertEquals(-1, LibC.C.read(r, in, new NativeLong(8)).intValue());
            assertEquals(LibC.EAGAIN, LibC.errno());
        } finally {
            LibC.C.close(w);
            LibC.C.close(r);
        }
    }

    @Test
    void anEventfdBecomesReadableWhenWritten() throws Exception {
        int fd = (int) LibC.check(LibC.C.eventfd(0, LibC.EFD_NONBLOCK | LibC.EFD_CLOEXEC), "eventfd");
        try (Memory one = new Memory(8)) {
            one.setLong(0, 1);
            assertFalse(LibC.poll(fd, LibC.POLLIN, 0));
            assertEquals(8, LibC.C.write(fd, one, new NativeLong(8)).intValue());
            assertTrue(LibC.poll(fd, LibC.POLLIN, 0));
        } finally {
            LibC.C.close(fd);
        }
    }

    @Test
    void checkNamesTheCallAndErrno() {
        int bad = LibC.C.open(dir.resolve("missing").toString(), LibC.O_RDONLY);
        IOException e = assertThrows(IOException.class, () -> LibC.check(bad, "open missing"));
        assertEquals("open missing failed: errno 2", e.getMessage());
    }
}
