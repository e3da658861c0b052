package io.crisp.plugin.kit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class FileTreesTest {
    @TempDir
    Path dir;

    @Test
    void deletesATreeButNotWhatItsLinksPointTo() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "x");
        Path top = Files.createDirectories(dir.resolve("top/a/b"));
        Files.writeString(top.resolve("f"), "y");
        Files.createSymbolicLink(dir.resolve("top/a/link"), outside);
        Files.createSymbolicLink(dir.resolve("top/file-link"), outside.resolve("keep"));

        FileTrees.deleteTree(dir.resolve("top"));

        assertFalse(Files.exists(dir.resolve("top"), LinkOption.NOFOLLOW_LINKS));
        assertEquals("x", Files.readString(outside.resolve("keep")));
    }

    @Test
    void aLinkAsTheTopIsDeletedAlone() throws Exception {
        Path outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "x");
        Path link = Files.createSymbolicLink(dir.resolve("link"), outside);

        FileTrees.deleteTree(link);

        assertFalse(Files.exists(link, LinkOption.NOFOLLOW_LINKS));
        assertTrue(Files.exists(outside.resolve("keep")));
    }

    @Test
    void aMissingTreeIsFine() throws Exception {
        FileTrees.deleteTree(dir.resolve("missing"));
        FileTrees.deleteTree(dir.resolve("missing/deeper"));
    }

    @Test
    void deletesWhatItCanAndThrowsTheFirstFailure() throws Exception {
        Path top = Files.createDirectories(dir.resolve("top"));
        Path locked = Files.createDirectories(top.resolve("locked"));
        Files.writeString(locked.resolve("f"), "x");
        Files.writeString(top.resolve("other"), "y");
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-x------"));
        try {
            if (Files.isWritable(locked) && "root".equals(System.getProperty("user.name"))) {
                return; // root ignores the mode: nothing fails
            }
            assertThrows(IOException.class, () -> FileTrees.deleteTree(top));
            assertFalse(Files.exists(top.resolve("other")), "deleted the rest");
            assertTrue(Files.exists(locked.resolve("f")));
        } finally {
            Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("rwx------"));
        }
    }
}
