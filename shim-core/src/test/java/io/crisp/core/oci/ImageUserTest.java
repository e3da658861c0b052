package io.crisp.core.oci;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

final class ImageUserTest {
    private static final String FIELD = "config.linux.security_context";

    @TempDir
    Path tmp;

    private ImageUser image(Path rootfs, String user) {
        return ImageUser.resolve(rootfs, user, -1, "", -1, List.of(), FIELD);
    }

    @Test
    void imageUserForms() throws Exception {
        Path rootfs = Fixtures.rootfs(tmp);
        assertEquals(new ImageUser(0, 0, List.of(), "/root"), image(rootfs, ""));
        assertEquals(new ImageUser(33, 33, List.of(2000L), "/var/www"), image(rootfs, "www"));
        assertEquals(new ImageUser(1000, 1000, List.of(2000L), "/home/app"), image(rootfs, "1000"));
        assertEquals(new ImageUser(1000, 50, List.of(2000L), "/home/app"), image(rootfs, "1000:50"));
        assertEquals(new ImageUser(33, 50, List.of(2000L), "/var/www"), image(rootfs, "www:staff"));
        assertEquals(new ImageUser(4242, 0, List.of(), "/"), image(rootfs, "4242"));
        assertEquals(new ImageUser(4242, 7, List.of(), "/"), image(rootfs, "4242:7"));
    }

    @Test
    void securityContextOverridesTheImage() throws Exception {
        Path rootfs = Fixtures.rootfs(tmp);
        assertEquals(new ImageUser(1000, 1000, List.of(2000L, 5L), "/home/app"),
                ImageUser.resolve(rootfs, "www", 1000, "", -1, List.of(5L), FIELD));
        assertEquals(new ImageUser(33, 9, List.of(2000L), "/var/www"),
                ImageUser.resolve(rootfs, "1000:1000", -1, "www", 9, List.of(), FIELD));
        assertEquals(new ImageUser(0, 1000, List.of(), "/root"), ImageUser.resolve(rootfs, "www", 0, "", 1000, List.of(), FIELD));
    }

    @Test
    void strictPolicyLeavesOutTheImagesGroupMemberships() throws Exception {
        Path rootfs = Fixtures.rootfs(tmp);
        assertEquals(new ImageUser(1000, 1000, List.of(5L), "/home/app"),
                ImageUser.resolve(rootfs, "www", 1000, "", -1, List.of(5L), FIELD, true));
        assertEquals(new ImageUser(33, 9, List.of(), "/var/www"),
                ImageUser.resolve(rootfs, "", -1, "www", 9, List.of(), FIELD, true));
        assertEquals(new ImageUser(33, 33, List.of(2000L), "/var/www"),
                ImageUser.resolve(rootfs, "www", -1, "", -1, List.of(), FIELD, false), "Merge: as before");
    }

    @Test
    void unknownNamesAreRefusedWithTheField() throws Exception {
        Path rootfs = Fixtures.rootfs(tmp);
        BackendException e = assertThrows(BackendException.class,
                () -> ImageUser.resolve(rootfs, "", -1, "nobody", -1, List.of(), FIELD));
        assertEquals(BackendException.Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith(FIELD + ".run_as_username: user 'nobody'"), e.getMessage());
        e = assertThrows(BackendException.class, () -> image(rootfs, "www:wheel"));
        assertTrue(e.getMessage().contains("group 'wheel'"), e.getMessage());
    }

    @Test
    void missingFilesAreFineForNumericUsers() {
        assertEquals(new ImageUser(1000, 1000, List.of(), "/"), image(tmp, "1000:1000"));
        assertEquals(new ImageUser(0, 0, List.of(), "/"), image(tmp, ""));
        assertThrows(BackendException.class, () -> image(tmp, "app"));
    }

    @Test
    void anAbsoluteSymlinkToTheHostsPasswdStaysInTheRootfs() throws Exception {
        // The host's /etc/passwd has root; an image whose /etc/passwd points at it must not see it.
        assertTrue(Files.readString(Path.of("/etc/passwd")).startsWith("root:"));
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
        Files.createDirectories(rootfs.resolve("etc"));
        Files.createSymbolicLink(rootfs.resolve("etc/passwd"), Path.of("/etc/passwd"));
        Files.createSymbolicLink(rootfs.resolve("etc/group"), Path.of("../../../../../../../../etc/os-release"));
        // Inside the rootfs, /etc/passwd -> /etc/passwd is a loop: refused, not read from the host.
        BackendException e = assertThrows(BackendException.class, () -> image(rootfs, "root"));
        assertEquals(BackendException.Kind.FAILED_PRECONDITION, e.kind());
        assertThrows(java.io.IOException.class, () -> RootfsFiles.read(rootfs, "/etc/passwd"));
        // .. stops at the rootfs: the group link names <rootfs>/etc/os-release, which does not exist.
        assertTrue(RootfsFiles.read(rootfs, "/etc/group").isEmpty());
        Files.delete(rootfs.resolve("etc/passwd"));
        Files.createSymbolicLink(rootfs.resolve("etc/passwd"), Path.of("/etc/../../etc/passwd-host"));
        assertTrue(RootfsFiles.read(rootfs, "/etc/passwd").isEmpty());
        assertThrows(BackendException.class, () -> image(rootfs, "root"), "the host's passwd was read");
        assertEquals(new ImageUser(0, 0, List.of(), "/"), image(rootfs, "0"));
    }

    @Test
    void symlinksAreFollowedInsideTheRootfs() throws Exception {
        Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
        Fixtures.rootfs(rootfs.resolve("real"));
        Files.createSymbolicLink(rootfs.resolve("etc"), Path.of("/real/etc"));
        assertEquals(33, image(rootfs, "www").uid());
        Files.createSymbolicLink(rootfs.resolve("loop"), Path.of("/loop"));
        assertThrows(java.io.IOException.class, () -> RootfsFiles.read(rootfs, "/loop/x"));
        assertEquals(rootfs.resolve("real/etc/passwd"), RootfsFiles.resolve(rootfs, "/etc/../etc/./passwd").orElseThrow());
    }
}
