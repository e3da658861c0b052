package io.crisp.plugin.kata.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class FifoReaderWriterTest {
    @TempDir
    Path dir;

    @Test
    void makesOwnerOnlyFifos() throws Exception {
        List<Path> made = Fifos.makeAll(dir.resolve("io"), List.of("stdout", "stderr"));
        assertEquals(List.of(dir.resolve("io/stdout"), dir.resolve("io/stderr")), made);
        for (Path p : made) {
            assertTrue(Fifos.isFifo(p), p + " is a FIFO");
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
        }
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("io"))));
        assertFalse(Fifos.isFifo(dir));
        assertThrows(IOException.class, () -> Fifos.make(made.get(0)));
    }

    @Test
    void readerWaitsForALateWriterAndEndsWhenItLeaves() throws Exception {
        Path fifo = dir.resolve("out");
        Fifos.make(fifo);
        try (FifoReader reader = FifoReader.awaitWriter(fifo)) {
            CompletableFuture<String> text = Streams.readAll(reader);
            Thread.sleep(200);
            assertFalse(text.isDone(), "no writer yet: the read waits instead of seeing end of file");
            Process writer = Sh.start("printf 'a\\nbb' > \"$1\"", fifo);
            assertEquals(0, Sh.await(writer));
            assertEquals("a\nbb", text.get(5, TimeUnit.SECONDS));
        }
    }

    @Test
    void closingCancelsAReadWhoseWriterNeverComes() throws Exception {
        Path fifo = dir.resolve("out");
        Fifos.make(fifo);
        FifoReader reader = FifoReader.awaitWriter(fifo);
        CompletableFuture<String> text = Streams.readAll(reader);
        Thread.sleep(100);
        assertFalse(text.isDone());
        long start = System.nanoTime();
        reader.close();
        assertEquals("", text.get(2, TimeUnit.SECONDS));
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "cancelled promptly");
        assertEquals(-1, reader.read(), "reads after close end at once");
    }

    @Test
    void closingCancelsAReadWhileTheWriterStaysSilent() throws Exception {
        Path fifo = dir.resolve("out");
        Fifos.make(fifo);
        FifoReader reader = FifoReader.awaitWriter(fifo);
        Process writer = Sh.start("exec 3>\"$1\"; printf x >&3; sleep 30", fifo);
        try {
            byte[] one = new byte[10];
            assertEquals(1, reader.read(one));
            CompletableFuture<String> rest = Streams.readAll(reader);
            Thread.sleep(100);
            assertFalse(rest.isDone(), "the writer is still there");
            reader.close();
            assertEquals("", rest.get(2, TimeUnit.SECONDS));
        } finally {
            writer.destroyForcibly();
        }
    }

    @Test
    void resumeEndsAtOnceWhenNoWriterIsLeft() throws Exception {
        Path fifo = dir.resolve("out");
        Fifos.make(fifo);
        try (FifoReader reader = FifoReader.resume(fifo)) {
            assertEquals("", Streams.readAll(reader).get(2, TimeUnit.SECONDS));
        }
    }

    @Test
    void resumeReadsWhileTheWriterStaysAndEndsWhenItLeaves() throws Exception {
        Path fifo = dir.resolve("out");
        Fifos.make(fifo);
        // The "shim": holds the FIFO's write side (and a read side, as containerd's shims do) before we open.
        Process shim = Sh.start("exec 4<>\"$1\" 3>\"$1\"; sleep 0.3; printf 'later' >&3; sleep 0.3; exec 3>&- 4<&-; sleep 30", fifo);
        try {
            Thread.sleep(150);
            try (FifoReader reader = FifoReader.resume(fifo)) {
                CompletableFuture<String> text = Streams.readAll(reader);
                assertEquals("later", text.get(3, TimeUnit.SECONDS));
            }
        } finally {
            shim.destroyForcibly();
        }
    }

    @Test
    void writerNeedsNoReaderYetAndClosingSendsEndOfFile() throws Exception {
        Path fifo = dir.resolve("in");
        Path out = dir.resolve("copied");
        Fifos.make(fifo);
        try (FifoWriter writer = FifoWriter.open(fifo)) {
            writer.write("before the reader\n".getBytes(StandardCharsets.UTF_8));
            Process cat = Sh.start("cat \"$1\" > \"$2\"", fifo, out);
            writer.write("after\n".getBytes(StandardCharsets.UTF_8));
            Thread.sleep(100);
            assertTrue(cat.isAlive(), "cat waits for more input while we hold the write side");
            writer.close();
            assertEquals(0, Sh.await(cat));
        }
        assertEquals("before the reader\nafter\n", Files.readString(out));
    }

    @Test
    void aWriteBlockedOnAFullPipeFailsWhenClosed() throws Exception {
        Path fifo = dir.resolve("in");
        Fifos.make(fifo);
        FifoWriter writer = FifoWriter.open(fifo);
        CompletableFuture<Void> writing = CompletableFuture.runAsync(() -> {
            try {
                writer.write(new byte[4 << 20]); // far more than a pipe holds, and nobody reads
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(200);
        assertFalse(writing.isDone(), "blocked on the full pipe");
        writer.close();
        Exception e = assertThrows(Exception.class, () -> writing.get(2, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof RuntimeException && e.getCause().getCause() instanceof IOException, e.toString());
        assertTrue(writer.isClosed());
    }
}
