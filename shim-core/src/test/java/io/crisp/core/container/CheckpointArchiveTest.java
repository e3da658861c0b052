package io.crisp.core.container;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The archive's root filesystem parts from a real overlay-style upper directory: a whiteout (the
 * 0/0 character device overlayfs leaves for a deleted file, made here with mknod) becomes a line of
 * {@code deleted.files}; files, directories and symlinks go into {@code rootfs-diff.tar} and come
 * back with their content, mode and owner; entries that would leave the target are refused.
 */
final class CheckpointArchiveTest {
    @TempDir
    Path dir;

    @Test
    void upperDirectoryBecomesADiffAndDeletedFilesThatApplyToAnotherRootfs() throws Exception {
        Path upper = Files.createDirectories(dir.resolve("upper/etc/app"));
        Files.writeString(upper.resolve("config"), "v2\n");
        Files.setPosixFilePermissions(upper.resolve("config"), PosixFilePermissions.fromString("rw-r-----"));
        Files.setAttribute(upper.resolve("config"), "unix:uid", 1000);
        Files.createSymbolicLink(dir.resolve("upper/etc/current"), Path.of("app/config"));
        Process mknod = new ProcessBuilder("mknod", dir.resolve("upper/etc/old.conf").toString(), "c", "0", "0").inheritIO().start();
        assertEquals(0, mknod.waitFor(), "mknod (needs root, as the daemon runs)");
        Path out = Files.createDirectories(dir.resolve("out"));

        CheckpointArchive.writeRootfsDiff(dir.resolve("upper"), out);

        assertEquals("[\"/etc/old.conf\"]", Files.readString(out.resolve(CheckpointArchive.DELETED_FILES)));
        Path rootfs = Files.createDirectories(dir.resolve("rootfs/etc"));
        Files.writeString(rootfs.resolve("old.conf"), "from the image\n");
        Files.writeString(rootfs.resolve("kept"), "untouched\n");
        CheckpointArchive.applyRootfsDiff(out, dir.resolve("rootfs"));
        assertFalse(Files.exists(rootfs.resolve("old.conf"), LinkOption.NOFOLLOW_LINKS), "deleted in the container, deleted again");
        assertEquals("untouched\n", Files.readString(rootfs.resolve("kept")));
        assertEquals("v2\n", Files.readString(rootfs.resolve("app/config")));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(rootfs.resolve("app/config"))));
        assertEquals(1000, Files.getAttribute(rootfs.resolve("app/config"), "unix:uid"));
        assertEquals(Path.of("app/config"), Files.readSymbolicLink(rootfs.resolve("current")));
    }

    @Test
    void entriesThatLeaveTheTargetAreRefused() throws Exception {
        Path target = Files.createDirectories(dir.resolve("target"));
        BackendException up = assertThrows(BackendException.class, () -> CheckpointArchive.unpack(tarWith("../escaped"), target));
        assertTrue(up.getMessage().contains("../escaped"), up.getMessage());
        assertFalse(Files.exists(dir.resolve("escaped")));
        Files.createSymbolicLink(target.resolve("link"), dir);
        BackendException through = assertThrows(BackendException.class, () -> CheckpointArchive.unpack(tarWith("link/escaped"), target));
        assertTrue(through.getMessage().contains("symlink"), through.getMessage());
        assertFalse(Files.exists(dir.resolve("escaped")));
    }

    private static InputStream tarWith(String name) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            TarArchiveEntry entry = new TarArchiveEntry(name, true);
            entry.setSize(2);
            tar.putArchiveEntry(entry);
            tar.write("x\n".getBytes());
            tar.closeArchiveEntry();
        }
        return new ByteArrayInputStream(bytes.toByteArray());
    }
}
