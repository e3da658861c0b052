package io.crisp.plugin.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class AtomicFilesTest {
    @TempDir
    Path dir;

    private Path file() {
        return dir.resolve("record.json");
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private List<Path> entries() throws IOException {
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.sorted().toList();
        }
    }

    @Test
    void writeKeepsTheOriginalsPermissions() throws Exception {
        Files.writeString(file(), "{}");
        Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-r-----"));
        AtomicFiles.writeAtomically(file(), utf8("one"));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(file())));

        Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("r--------"));
        AtomicFiles.writeAtomically(file(), utf8("two"));
        assertEquals("r--------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file())));
        assertEquals("two", Files.readString(file()));
    }

    @Test
    void newFileIsOwnerOnly() throws Exception {
        AtomicFiles.writeAtomically(file(), utf8("x"));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file())));
    }

    @Test
    void writeReplacesTheFileInsteadOfRewritingIt() throws Exception {
        Files.writeString(file(), "old");
        Path link = dir.resolve("old-inode");
        Files.createLink(link, file());

        AtomicFiles.writeAtomically(file(), utf8("new"));
        assertEquals("old", Files.readString(link));
        assertEquals("new", Files.readString(file()));
    }

    @Test
    void failedWriteLeavesNoTemporaryFile() throws Exception {
        Files.createDirectory(file());
        Files.writeString(file().resolve("keep"), "x");

        assertThrows(IOException.class, () -> AtomicFiles.writeAtomically(file(), utf8("a")));
        assertEquals(List.of(file()), entries());
    }
}
