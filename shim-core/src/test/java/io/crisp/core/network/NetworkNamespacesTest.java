package io.crisp.core.network;

import static java.nio.file.LinkOption.NOFOLLOW_LINKS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.crisp.core.state.MountInfo;
import io.crisp.spi.BackendException;
import io.crisp.spi.BackendException.Kind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins real network namespaces, so most tests need root, {@code unshare}, {@code nsenter} and
 * {@code ip}; without them they are skipped, except with {@code CI=true} where they fail. The
 * directory has a space in its name, so mountinfo's {@code \040} escape is exercised. After each
 * test every pin is removed, and the directory is checked not to be a mount point.
 */
final class NetworkNamespacesTest {
    @TempDir
    Path tmp;

    private NetworkNamespaces namespaces;

    @AfterEach
    void removePinsAndUnmountDir() {
        if (namespaces == null) {
            return;
        }
        try {
            for (String id : namespaces.list()) {
                namespaces.remove(id);
            }
        } finally {
            namespaces.close();
        }
        assertNull(MountInfo.lastAt(namespaces.dir().toString()), "the directory is still a mount point");
    }

    @Test
    void createPinsAFreshNamespaceWithOnlyLoopback() throws Exception {
        NetworkNamespaces ns = open();
        Path file = ns.create("sb1");
        assertEquals(ns.dir().resolve("sb1"), file);
        assertEquals(file, ns.path("sb1"));
        assertTrue(ns.exists("sb1"));
        MountInfo.Mount mount = MountInfo.lastAt(file.toString());
        assertNotNull(mount);
        assertEquals("nsfs", mount.fsType());

        List<String> links = links(file);
        assertEquals(List.of("lo"), links, "links in the new namespace");
        assertNotEquals(inode(Path.of("/proc/self/ns/net")), inode(file), "the pin is the host's namespace");
    }

    @Test
    void twoCreatesGiveTwoNamespaces() throws Exception {
        NetworkNamespaces ns = open();
        Path a = ns.create("a");
        Path b = ns.create("b");
        assertNotEquals(inode(a), inode(b));
        assertEquals(List.of("a", "b"), ns.list());
    }

    @Test
    void creatingTwiceIsRefusedAndKeepsTheFirst() throws Exception {
        NetworkNamespaces ns = open();
        Path file = ns.create("sb");
        long inode = inode(file);
        BackendException e = assertThrows(BackendException.class, () -> ns.create("sb"));
        assertEquals(Kind.ALREADY_EXISTS, e.kind());
        assertTrue(ns.exists("sb"));
        assertEquals(inode, inode(file));
        assertEquals(1, MountInfo.read().stream().filter(m -> m.mountPoint().equals(file.toString())).count());
    }

    @Test
    void removeUnpinsAndDeletesAndIsIdempotent() throws Exception {
        NetworkNamespaces ns = open();
        Path file = ns.create("sb");
        ns.remove("sb");
        assertFalse(ns.exists("sb"));
        assertNull(MountInfo.lastAt(file.toString()));
        assertFalse(Files.exists(file, NOFOLLOW_LINKS));
        ns.remove("sb");
        ns.remove("never-created");
        assertEquals(List.of(), ns.list());
    }

    @Test
    void aPinnedNamespaceOutlivesEveryProcess() throws Exception {
        NetworkNamespaces ns = open();
        Path file = ns.create("lonely");
        long inode = inode(file);
        Thread.sleep(1000);
        assertTrue(ns.exists("lonely"));
        assertEquals(inode, inode(file));
        assertEquals(List.of("lo"), links(file));
    }

    @Test
    void aSymlinkToANamespaceIsNoPin() throws Exception {
        NetworkNamespaces ns = open();
        Files.createSymbolicLink(ns.dir().resolve("sneaky"), Path.of("/proc/self/ns/net"));
        assertFalse(ns.exists("sneaky"), "a pin is a mount at the file, never a link somewhere else");
        ns.create("real");
        assertTrue(ns.exists("real"));
    }

    @Test
    void listShowsPinsAndLeftoversAndALeftoverCanBeReusedOrRemoved() throws Exception {
        NetworkNamespaces ns = open();
        ns.create("pinned");
        Files.createFile(ns.dir().resolve("leftover")); // as after a reboot, on a persistent directory
        Files.createFile(ns.dir().resolve("reused"));
        assertEquals(List.of("leftover", "pinned", "reused"), ns.list());
        assertFalse(ns.exists("leftover"));

        ns.create("reused");
        assertTrue(ns.exists("reused"));

        ns.remove("leftover");
        assertFalse(Files.exists(ns.dir().resolve("leftover"), NOFOLLOW_LINKS));
        assertEquals(List.of("pinned", "reused"), ns.list());
    }

    @Test
    void badIdsAreRefused() throws Exception {
        NetworkNamespaces ns = open();
        for (String bad : new String[] {"../x", "a/b", "", ".hidden", "-x", "..", "a b", "x".repeat(129)}) {
            for (var call : List.<java.util.function.Consumer<String>>of(ns::path, ns::create, ns::exists, ns::remove)) {
                BackendException e = assertThrows(BackendException.class, () -> call.accept(bad), bad);
                assertEquals(Kind.INVALID_ARGUMENT, e.kind(), bad);
            }
        }
        assertThrows(BackendException.class, () -> ns.create(null));
        assertEquals(List.of(), ns.list());
        assertFalse(Files.exists(tmp.resolve("x"), NOFOLLOW_LINKS));
    }

    @Test
    void mountinfoLinesAreParsed() {
        MountInfo.Mount ns = MountInfo.parse(
                "95 26 0:4 net:[4026532253] /run/crisp/net\\040ns/a rw shared:2 master:1 - nsfs nsfs rw");
        assertEquals(new MountInfo.Mount("/run/crisp/net ns/a", "nsfs", true), ns);
        MountInfo.Mount plain = MountInfo.parse(
                "85 26 254:0 /tmp/x /tmp/x rw,relatime - ext4 /dev/vda rw");
        assertEquals(new MountInfo.Mount("/tmp/x", "ext4", false), plain);
        assertNull(MountInfo.parse(""));
        assertNull(MountInfo.parse("1 2 3 4 5 6 7"));
    }

    // ---- helpers ----

    private NetworkNamespaces open() throws Exception {
        boolean ready = isRoot() && onPath("unshare") && onPath("nsenter") && onPath("ip") && onPath("mount")
                && onPath("umount");
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(ready, "CI=true: this test needs root, unshare, nsenter, ip, mount and umount");
        }
        assumeTrue(ready, "needs root, unshare, nsenter, ip, mount and umount");
        namespaces = new NetworkNamespaces(tmp.resolve("net ns"));
        return namespaces;
    }

    /** Link names in the namespace pinned at {@code file}, by {@code nsenter --net=<file> ip -o link}. */
    private static List<String> links(Path file) throws Exception {
        String out = output("nsenter", "--net=" + file, "ip", "-o", "link", "show");
        List<String> names = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                // "1: lo: <LOOPBACK> mtu ..."
                names.add(line.split(":")[1].trim());
            }
        }
        return names;
    }

    private static long inode(Path path) throws IOException {
        return ((Number) Files.getAttribute(path, "unix:ino")).longValue();
    }

    private static String output(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ": " + out);
        return out;
    }

    private static boolean isRoot() throws Exception {
        Process p = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        return p.waitFor() == 0 && out.equals("0");
    }

    private static boolean onPath(String tool) {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"));
        return dirs.stream().anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }
}
