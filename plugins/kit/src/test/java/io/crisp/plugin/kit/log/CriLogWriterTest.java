package io.crisp.plugin.kit.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class CriLogWriterTest {
    @TempDir
    Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void fullLinesPartialTailsAndBothStreams() throws Exception {
        Path path = dir.resolve("c.log");
        try (CriLogWriter log = new CriLogWriter(path)) {
            CriLineSplitter out = new CriLineSplitter(log, StreamName.STDOUT);
            CriLineSplitter err = new CriLineSplitter(log, StreamName.STDERR);
            out.write(bytes("hello\nwor"), 0, 9);
            err.write(bytes("oops\n"), 0, 5);
            out.write(bytes("ld\n\nno newline"), 0, 14);
            out.finish();
            err.finish();
        }
        assertEquals(List.of("stdout F hello", "stderr F oops", "stdout F world", "stdout F ", "stdout P no newline"),
                CriLog.read(path).lines());
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(path)));
    }

    @Test
    void timestampsAreRfc3339NanoInUtc() throws Exception {
        Path path = dir.resolve("c.log");
        Instant at = Instant.parse("2026-11-28T09:10:11.123456789Z");
        try (CriLogWriter log = new CriLogWriter(path, Clock.fixed(at, ZoneOffset.ofHours(5)))) {
            log.write(StreamName.STDOUT, false, bytes("x"), 0, 1);
        }
        assertEquals("2026-11-28T09:10:11.123456789Z stdout F x\n", Files.readString(path));

        Instant before = Instant.now();
        try (CriLogWriter log = new CriLogWriter(path)) {
            log.write(StreamName.STDERR, true, bytes("y"), 0, 1);
        }
        Instant stamped = CriLog.read(path).records().get(1).time();
        assertTrue(!stamped.isBefore(before.minusMillis(1)) && !stamped.isAfter(Instant.now()), stamped.toString());
    }

    @Test
    void longLinesAreCutIntoPiecesOfAtMost16KiB() throws Exception {
        Path path = dir.resolve("c.log");
        int max = CriLogWriter.MAX_CONTENT;
        String exact = "e".repeat(max);
        String longer = "a".repeat(max) + "b".repeat(max) + "c".repeat(100);
        try (CriLogWriter log = new CriLogWriter(path)) {
            CriLineSplitter out = new CriLineSplitter(log, StreamName.STDOUT);
            byte[] data = bytes(exact + "\n" + longer + "\n");
            for (int off = 0; off < data.length; off += 1000) { // arrives in reads of any size
                out.write(data, off, Math.min(1000, data.length - off));
            }
            out.finish();
        }
        CriLog parsed = CriLog.read(path);
        assertEquals(List.of("F", "P", "P", "F"), parsed.records().stream().map(CriLog.Record::tag).toList());
        assertEquals(List.of(max, max, max, 100), parsed.records().stream().map(r -> r.content().length()).toList());
        assertEquals(exact + "\n" + longer + "\n", parsed.text("stdout"));
    }

    @Test
    void reopenAfterRenameWritesToANewFile() throws Exception {
        Path path = dir.resolve("c.log");
        Path rotated = dir.resolve("c.log.1");
        try (CriLogWriter log = new CriLogWriter(path)) {
            log.write(StreamName.STDOUT, false, bytes("one"), 0, 3);
            Files.move(path, rotated);
            log.write(StreamName.STDOUT, false, bytes("two"), 0, 3); // still the renamed file
            log.reopen();
            log.write(StreamName.STDOUT, false, bytes("three"), 0, 5);
        }
        assertEquals(List.of("stdout F one", "stdout F two"), CriLog.read(rotated).lines());
        assertEquals(List.of("stdout F three"), CriLog.read(path).lines());
    }

    @Test
    void appendsToAnExistingLog() throws Exception {
        Path path = dir.resolve("c.log");
        Files.writeString(path, "2026-01-01T00:00:00.000000000Z stdout F old\n");
        try (CriLogWriter log = new CriLogWriter(path)) {
            log.write(StreamName.STDOUT, false, bytes("new"), 0, 3);
        }
        assertEquals(List.of("stdout F old", "stdout F new"), CriLog.read(path).lines());
    }

    @Test
    void concurrentStreamsWriteWholeRecords() throws Exception {
        Path path = dir.resolve("c.log");
        int lines = 2000;
        try (CriLogWriter log = new CriLogWriter(path)) {
            Thread[] writers = new Thread[2];
            for (StreamName s : StreamName.values()) {
                writers[s.ordinal()] = new Thread(() -> {
                    CriLineSplitter split = new CriLineSplitter(log, s);
                    byte[] line = bytes((s + "-").repeat(200) + "\n");
                    try {
                        for (int i = 0; i < lines; i++) {
                            split.write(line, 0, line.length);
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                writers[s.ordinal()].start();
            }
            for (Thread t : writers) {
                t.join(TimeUnit.SECONDS.toMillis(5));
            }
        }
        CriLog parsed = CriLog.read(path);
        assertEquals(2 * lines, parsed.records().size());
        for (CriLog.Record r : parsed.records()) {
            assertEquals((r.stream().toUpperCase() + "-").repeat(200), r.content());
        }
    }
}
