package io.crisp.core.image.snapshot;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mounts real overlays, so it runs as root. Everything lives on a tmpfs mounted for each test:
 * {@code /tmp} may itself be an overlay, which overlay refuses as an upper directory. The snapshots
 * root has a space in its name, so mountinfo's {@code \040} escape is exercised by every test.
 */
final class SnapshotServiceTest {
    @TempDir
    Path dir;

    private Path fs;
    private Path bottom;
    private Path top;
    private Path snapshotsRoot;
    private SnapshotService snapshots;

    @BeforeEach
    void mountTmpfsAndBuildLayers() throws IOException {
        fs = Files.createDirectory(dir.resolve("fs"));
        command("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", fs.toString());
        fs = fs.toRealPath();

        bottom = Files.createDirectories(fs.resolve("layers/bottom"));
        write(bottom.resolve("bin/a"), "bottom-a");
        write(bottom.resolve("etc/keep"), "keep");
        write(bottom.resolve("etc/gone"), "gone");
        write(bottom.resolve("dir/x"), "x");

        top = Files.createDirectories(fs.resolve("layers/top"));
        write(top.resolve("bin/a"), "top-a");
        Files.createDirectories(top.resolve("etc"));
        command("mknod", top.resolve("etc/gone").toString(), "c", "0", "0");
        write(top.resolve("dir/y"), "y");
        command("setfattr", "-n", "trusted.overlay.opaque", "-v", "y", top.resolve("dir").toString());

        snapshotsRoot = fs.resolve("snap shots");
        snapshots = new SnapshotService(snapshotsRoot);
    }

    @AfterEach
    void removeSnapshotsAndUnmount() throws IOException {
        try {
            if (snapshots != null) {
                for (String id : snapshots.list()) {
                    snapshots.remove(id);
                }
                snapshots.awaitDeleted(Duration.ofSeconds(60));
            }
        } finally {
            try {
                command("umount", fs.toString());
            } catch (IOException busy) {
                command("umount", "-l", fs.toString());
            }
        }
    }

    // ---- what the container sees ----

    @Test
    void mergesLayersTopFirstWithWhiteoutsAndOpaqueDirectories() throws IOException {
        Path rootfs = snapshots.prepare("c1", List.of(bottom, top), false);

        assertEquals(snapshotsRoot.resolve("c1/rootfs"), rootfs);
        assertTrue(snapshots.mounted("c1"));
        assertEquals("top-a", Files.readString(rootfs.resolve("bin/a")));
        assertTrue(Files.exists(rootfs.resolve("etc/keep")));
        assertFalse(Files.exists(rootfs.resolve("etc/gone"), NOFOLLOW_LINKS));
        assertEquals(List.of("y"), names(rootfs.resolve("dir")));
        assertTrue(mountinfo().contains(" " + rootfs.toString().replace(" ", "\\040") + " "));
    }

    @Test
    void writesLandInUpperAndNeverInTheLayers() throws IOException {
        Path rootfs = snapshots.prepare("c1", List.of(bottom, top), false);
        Path upper = snapshotsRoot.resolve("c1/upper");

        write(rootfs.resolve("new.txt"), "hello");

        assertEquals("hello", Files.readString(upper.resolve("new.txt")));
        assertFalse(Files.exists(top.resolve("new.txt")));
        assertFalse(Files.exists(bottom.resolve("new.txt")));
        assertEquals(5, snapshots.upperBytes("c1"));
        assertEquals(1, snapshots.upperInodes("c1"));

        write(rootfs.resolve("bin/a"), "changed");
        assertEquals("changed", Files.readString(upper.resolve("bin/a")));
        assertEquals("top-a", Files.readString(top.resolve("bin/a")));
        assertEquals("bottom-a", Files.readString(bottom.resolve("bin/a")));
        assertEquals(3, snapshots.upperInodes("c1")); // new.txt, bin and bin/a
    }

    @Test
    void readOnlySnapshotRefusesWrites() throws IOException {
        Path rootfs = snapshots.prepare("ro", List.of(bottom, top), true);

        assertEquals("top-a", Files.readString(rootfs.resolve("bin/a")));
        assertThrows(IOException.class, () -> Files.writeString(rootfs.resolve("new.txt"), "no"));
        assertThrows(IOException.class, () -> Files.writeString(rootfs.resolve("bin/a"), "no"));
        assertFalse(Files.exists(snapshotsRoot.resolve("ro/upper")));
        assertEquals(0, snapshots.upperBytes("ro"));
    }

    @Test
    void readOnlySnapshotOfASingleLayerGetsAnEmptyBottomLayer() throws IOException {
        Path rootfs = snapshots.prepare("ro1", List.of(bottom), true);

        assertEquals("bottom-a", Files.readString(rootfs.resolve("bin/a")));
        assertEquals(List.of(), names(snapshotsRoot.resolve("ro1/empty")));
        assertThrows(IOException.class, () -> Files.writeString(rootfs.resolve("new.txt"), "no"));
    }

    @Test
    void singleLayerReadWriteWorks() throws IOException {
        Path rootfs = snapshots.prepare("rw1", List.of(bottom), false);

        assertEquals(List.of("gone", "keep"), names(rootfs.resolve("etc")));
        write(rootfs.resolve("etc/new"), "n");
        assertFalse(Files.exists(bottom.resolve("etc/new")));
    }

    @Test
    void writableSnapshotsAreVolatileSoThatUnmountingThemSyncsNothing() throws IOException {
        Path rw = snapshots.prepare("rw1", List.of(bottom, top), false);
        Path ro = snapshots.prepare("ro1", List.of(bottom, top), true);

        // mountinfo: "... mount-point mount-options - fstype source super-options"
        String escaped = rw.toString().replace(" ", "\\040");
        String line = mountinfo().lines().filter(l -> l.contains(" " + escaped + " ")).findFirst().orElseThrow();
        List<String> superOptions = List.of(line.substring(line.indexOf(" - ")).split("[ ,]"));
        // Kernels from 6.6 on show it as fsync=volatile.
        assertTrue(superOptions.contains("volatile") || superOptions.contains("fsync=volatile"), line);
        String roLine = mountinfo().lines().filter(l -> l.contains(" " + ro.toString().replace(" ", "\\040") + " "))
                .findFirst().orElseThrow();
        assertFalse(roLine.contains("volatile"), roLine);
        write(rw.resolve("etc/new"), "n");
        snapshots.remove("rw1");
        assertFalse(Files.exists(snapshotsRoot.resolve("rw1"), NOFOLLOW_LINKS));
    }

    // ---- removal ----

    @Test
    void removeUnmountsDeletesAndIsIdempotent() throws IOException {
        Path rootfs = snapshots.prepare("c1", List.of(bottom, top), false);
        write(rootfs.resolve("new.txt"), "hello");

        snapshots.remove("c1");

        assertFalse(snapshots.mounted("c1"));
        assertFalse(mountinfo().contains(rootfs.toString().replace(" ", "\\040")));
        assertFalse(Files.exists(snapshotsRoot.resolve("c1"), NOFOLLOW_LINKS));
        assertEquals(List.of(), snapshots.list());
        assertTrue(snapshots.awaitDeleted(Duration.ofSeconds(60)));
        assertEquals(List.of(), names(snapshotsRoot.resolve(".trash")));
        assertDoesNotThrow(() -> snapshots.remove("c1"));
        assertEquals("top-a", Files.readString(top.resolve("bin/a")));
        assertEquals("bottom-a", Files.readString(bottom.resolve("bin/a")));
    }

    @Test
    void removeDetachesLazilyWhenTheRootfsIsBusy() throws IOException {
        Path rootfs = snapshots.prepare("busy", List.of(bottom, top), false);

        try (InputStream open = Files.newInputStream(rootfs.resolve("bin/a"))) {
            snapshots.remove("busy");

            assertFalse(snapshots.mounted("busy"));
            assertFalse(Files.exists(snapshotsRoot.resolve("busy"), NOFOLLOW_LINKS));
            assertEquals("top-a", new String(open.readAllBytes(), StandardCharsets.UTF_8)); // still alive for its user
        }
    }

    @Test
    void removeNeverFollowsSymlinksOutOfTheSnapshot() throws IOException {
        Path sentinel = Files.createDirectories(fs.resolve("sentinel/inner"));
        write(sentinel.resolve("precious"), "keep me");
        Path rootfs = snapshots.prepare("c1", List.of(bottom, top), false);
        Files.createSymbolicLink(rootfs.resolve("escape"), sentinel);
        Files.createDirectories(rootfs.resolve("deep/er"));
        Files.createSymbolicLink(rootfs.resolve("deep/er/escape"), sentinel.getParent());
        assertTrue(Files.isSymbolicLink(snapshotsRoot.resolve("c1/upper/escape")));

        snapshots.remove("c1");

        assertFalse(Files.exists(snapshotsRoot.resolve("c1"), NOFOLLOW_LINKS));
        assertTrue(snapshots.awaitDeleted(Duration.ofSeconds(60)));
        assertEquals(List.of(), names(snapshotsRoot.resolve(".trash")));
        assertEquals("keep me", Files.readString(sentinel.resolve("precious")));
        assertEquals(List.of("precious"), names(sentinel));
    }

    @Test
    void aTrashLeftByAKilledDaemonIsDeletedByTheNextWithoutFollowingSymlinks() throws IOException {
        Path sentinel = Files.createDirectories(fs.resolve("sentinel"));
        write(sentinel.resolve("precious"), "keep me");
        Path left = Files.createDirectories(snapshotsRoot.resolve(".trash/c7-1f/upper/deep"));
        write(left.resolve("file"), "the container's");
        Files.createSymbolicLink(left.resolve("escape"), sentinel);
        snapshots.prepare("c8", List.of(bottom), false);

        SnapshotService restarted = new SnapshotService(snapshotsRoot);

        assertTrue(restarted.awaitDeleted(Duration.ofSeconds(60)));
        assertEquals(List.of(), names(snapshotsRoot.resolve(".trash")));
        assertEquals(List.of("c8"), restarted.list()); // the trash is no snapshot
        assertTrue(restarted.mounted("c8"));
        assertEquals("keep me", Files.readString(sentinel.resolve("precious")));
    }

    @Test
    void removeUnmountsEveryMountStackedOnTheRootfs() throws IOException {
        Path rootfs = snapshots.prepare("c1", List.of(bottom, top), false);
        command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", rootfs.toString());
        command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", rootfs.toString());

        snapshots.remove("c1");

        assertFalse(mountinfo().contains(rootfs.toString().replace(" ", "\\040")));
        assertFalse(Files.exists(snapshotsRoot.resolve("c1"), NOFOLLOW_LINKS));
        assertEquals("top-a", Files.readString(top.resolve("bin/a")));
    }

    @Test
    void aSnapshotWithAMountUnderItIsNotDeleted() throws IOException {
        Path rootfs = snapshots.prepare("c1", List.of(bottom, top), false);
        Path extra = Files.createDirectories(snapshotsRoot.resolve("c1/extra"));
        command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", extra.toString());
        try {
            write(extra.resolve("theirs"), "not the snapshot's");

            BackendException e = assertThrows(BackendException.class, () -> snapshots.remove("c1"));

            assertEquals(Kind.FAILED_PRECONDITION, e.kind());
            assertTrue(e.getMessage().contains(extra.toString()), e.getMessage());
            assertFalse(snapshots.mounted("c1"));
            assertEquals("not the snapshot's", Files.readString(extra.resolve("theirs")));
            assertTrue(Files.isDirectory(rootfs.getParent().resolve("upper")));
        } finally {
            command("umount", extra.toString());
        }
        snapshots.remove("c1");
        assertFalse(Files.exists(snapshotsRoot.resolve("c1"), NOFOLLOW_LINKS));
    }

    // ---- refusals and recovery ----

    @Test
    void invalidIdsAreRefused() {
        for (String id : new String[] {"../x", "a/b", "", "..", ".hidden", "x".repeat(129)}) {
            BackendException e = assertThrows(BackendException.class, () -> snapshots.prepare(id, List.of(bottom), false), id);
            assertEquals(Kind.INVALID_ARGUMENT, e.kind(), id);
            assertEquals(Kind.INVALID_ARGUMENT, assertThrows(BackendException.class, () -> snapshots.remove(id)).kind(), id);
        }
        assertEquals(Kind.INVALID_ARGUMENT, assertThrows(BackendException.class, () -> snapshots.prepare(null, List.of(bottom), false)).kind());
        assertEquals(List.of(), snapshots.list());
    }

    @Test
    void missingOrUnusableLayersAreRefusedBeforeAnythingIsMade() throws IOException {
        Path missing = fs.resolve("layers/missing");
        BackendException e = assertThrows(BackendException.class, () -> snapshots.prepare("c1", List.of(bottom, missing), false));
        assertEquals(Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("c1"), e.getMessage());

        Path file = write(fs.resolve("layers/file"), "not a dir");
        assertEquals(Kind.INVALID_ARGUMENT, assertThrows(BackendException.class, () -> snapshots.prepare("c1", List.of(file), false)).kind());

        assertEquals(Kind.INVALID_ARGUMENT, assertThrows(BackendException.class, () -> snapshots.prepare("c1", List.of(), false)).kind());

        for (String name : new String[] {"with,comma", "with:colon"}) {
            Path odd = Files.createDirectories(fs.resolve("layers").resolve(name));
            BackendException refused = assertThrows(BackendException.class, () -> snapshots.prepare("c1", List.of(bottom, odd), false));
            assertEquals(Kind.INVALID_ARGUMENT, refused.kind());
            assertTrue(refused.getMessage().contains(odd.toString()), refused.getMessage());
        }
        assertEquals(List.of(), snapshots.list());
    }

    @Test
    void prepareOnAMountedIdIsAlreadyExistsAndLeavesItAlone() throws IOException {
        Path rootfs = snapshots.prepare("c1", List.of(bottom, top), false);
        write(rootfs.resolve("new.txt"), "hello");

        BackendException e = assertThrows(BackendException.class, () -> snapshots.prepare("c1", List.of(bottom), false));

        assertEquals(Kind.ALREADY_EXISTS, e.kind());
        assertTrue(snapshots.mounted("c1"));
        assertEquals("hello", Files.readString(rootfs.resolve("new.txt")));
    }

    @Test
    void aFailedMountLeavesNothingBehind() {
        List<Path> tooMany = new ArrayList<>(Collections.nCopies(600, bottom)); // overlay stacks at most 500 lowers

        BackendException e = assertThrows(BackendException.class, () -> snapshots.prepare("c1", tooMany, false));

        assertEquals(Kind.INTERNAL, e.kind());
        assertTrue(e.getMessage().contains("c1"), e.getMessage());
        assertFalse(snapshots.mounted("c1"));
        assertFalse(Files.exists(snapshotsRoot.resolve("c1"), NOFOLLOW_LINKS));
    }

    @Test
    void anUnmountedLeftoverIsReplaced() throws IOException {
        write(snapshotsRoot.resolve("c1/upper/stale"), "old");

        Path rootfs = snapshots.prepare("c1", List.of(bottom, top), false);

        assertFalse(Files.exists(rootfs.resolve("stale")));
        assertEquals("top-a", Files.readString(rootfs.resolve("bin/a")));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(snapshotsRoot.resolve("c1"))));
    }

    @Test
    void listShowsTheSnapshotsOnDisk() {
        snapshots.prepare("b-2", List.of(bottom, top), false);
        snapshots.prepare("a.1", List.of(bottom), true);

        assertEquals(List.of("a.1", "b-2"), snapshots.list());
        assertEquals(List.of("a.1", "b-2"), new SnapshotService(snapshotsRoot).list()); // as a restarted daemon sees them
        assertTrue(new SnapshotService(snapshotsRoot).mounted("b-2"));
    }

    @Test
    void mountinfoEscapesAreUndone() {
        assertEquals("/a b\tc\\d", io.crisp.core.state.MountInfo.unescape("/a\\040b\\011c\\134d"));
        assertEquals("/plain\\x", io.crisp.core.state.MountInfo.unescape("/plain\\x"));
        assertEquals("/caf\u00e9", io.crisp.core.state.MountInfo.unescape("/caf\u00c3\u00a9"));
    }

    // ---- helpers of this test ----

    private static Path write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        return Files.writeString(file, text);
    }

    private static List<String> names(Path directory) throws IOException {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static String mountinfo() throws IOException {
        return Files.readString(Path.of("/proc/self/mountinfo"), StandardCharsets.ISO_8859_1);
    }

    private static void command(String... command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        try {
            if (process.waitFor() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + output.strip());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted: " + String.join(" ", command), e);
        }
    }
}
