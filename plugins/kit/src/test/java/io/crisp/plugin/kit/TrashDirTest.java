package io.crisp.plugin.kit;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrashDirTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path dir;

    @Test
    void aDiscardedDirectoryLeavesItsNameAtOnceAndIsDeletedWithoutFollowingSymlinks() throws IOException {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("precious"), "keep");
        Path objects = Files.createDirectories(dir.resolve("objects"));
        Path object = Files.createDirectories(objects.resolve("c1/sub"));
        Files.writeString(object.resolve("pid"), "42");
        Files.createSymbolicLink(object.resolve("link"), outside);
        TrashDir trash = new TrashDir(objects, "test-trash");

        trash.discard(objects.resolve("c1"));
        trash.discard(objects.resolve("never-there"));

        assertFalse(Files.exists(objects.resolve("c1"), NOFOLLOW_LINKS));
        assertTrue(trash.awaitDeleted(WAIT));
        assertEquals(List.of(), names(trash.directory()));
        assertEquals(List.of(".trash"), names(objects));
        assertEquals("keep", Files.readString(outside.resolve("precious")));
        trash.close();
    }

    @Test
    void whatAKilledDaemonLeftIsDeletedByTheNextOne() throws IOException {
        Path objects = Files.createDirectories(dir.resolve("objects"));
        Files.writeString(Files.createDirectories(objects.resolve(".trash/c2-17/deep")).resolve("exit"), "0");

        TrashDir trash = new TrashDir(objects, "test-trash");

        assertTrue(trash.awaitDeleted(WAIT));
        assertEquals(List.of(), names(trash.directory()));
        trash.close();
    }

    private static List<String> names(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
