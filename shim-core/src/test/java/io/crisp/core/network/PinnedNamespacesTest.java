package io.crisp.core.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pins real IPC and UTS namespaces (root, {@code nsenter}, {@code unshare}; skipped without them,
 * failing under {@code CI=true}) and looks into them the way a container that joins the files would:
 * with {@code nsenter}. After each test nothing may stay mounted under the directory.
 */
final class PinnedNamespacesTest {
    @TempDir
    Path tmp;

    private PinnedNamespaces pins;
    private NetworkNamespaces nets;

    @AfterEach
    void removeEverything() {
        if (pins != null) {
            for (String id : pins.list()) {
                pins.remove(id);
            }
            assertEquals(List.of(), pins.list());
        }
        if (nets != null) {
            for (String id : nets.list()) {
                nets.remove(id);
            }
        }
        String root = tmp.toAbsolutePath().toString();
        assertEquals(List.of(), MountInfo.read().stream().map(MountInfo.Mount::mountPoint).filter(p -> p.startsWith(root)).toList(),
                "mounts left under the test's directory");
    }

    @Test
    void pinsFreshNamespacesWithTheHostnameAndSysctlsInThem() throws Exception {
        open();
        Path netns = nets.create("pod1");
        PinnedNamespaces.Pins made = pins.create("pod1", new PinnedNamespaces.Request(true, true, "pinned-host",
                Map.of("kernel.shm_rmid_forced", "1", "net.ipv4.ip_unprivileged_port_start", "42"), netns));

        assertTrue(pins.exists("pod1", true, true));
        assertEquals("nsfs", MountInfo.lastAt(made.ipc().toString()).fsType());
        assertNotEquals(inode(Path.of("/proc/self/ns/ipc")), inode(made.ipc()), "the IPC pin is the host's namespace");
        assertNotEquals(inode(Path.of("/proc/self/ns/uts")), inode(made.uts()), "the UTS pin is the host's namespace");
        assertEquals("pinned-host", output("nsenter", "--uts=" + made.uts(), "cat", "/proc/sys/kernel/hostname").trim());
        assertEquals("1", output("nsenter", "--ipc=" + made.ipc(), "cat", "/proc/sys/kernel/shm_rmid_forced").trim());
        assertEquals("42", output("nsenter", "--net=" + netns, "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start").trim());
        assertNotEquals("pinned-host", Files.readString(Path.of("/proc/sys/kernel/hostname")).trim(), "the node's hostname changed");
        assertNotEquals("42", Files.readString(Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start")).trim(),
                "the node's sysctl changed");

        pins.remove("pod1");
        assertFalse(pins.exists("pod1", true, true));
        assertNull(MountInfo.lastAt(made.ipc().toString()));
        assertFalse(Files.exists(made.ipc().getParent()), "the pod's directory is left");
        pins.remove("pod1"); // idempotent
    }

    @Test
    void aPodOnTheNodesNetworkGetsOnlyAnIpcNamespaceAndKeepsNetSysctlsOut() throws Exception {
        open();
        PinnedNamespaces.Pins made = pins.create("host-net", new PinnedNamespaces.Request(true, false, "ignored",
                Map.of("net.ipv4.ip_unprivileged_port_start", "43"), null));
        assertNull(made.uts());
        assertTrue(pins.exists("host-net", true, false));
        assertNotEquals("43", Files.readString(Path.of("/proc/sys/net/ipv4/ip_unprivileged_port_start")).trim());
    }

    @Test
    void withoutAHostnameTheUtsNamespaceKeepsTheNodesName() throws Exception {
        open();
        PinnedNamespaces.Pins made = pins.create("no-name", new PinnedNamespaces.Request(true, true, "", Map.of(), null));
        assertEquals(Files.readString(Path.of("/proc/sys/kernel/hostname")).trim(),
                output("nsenter", "--uts=" + made.uts(), "cat", "/proc/sys/kernel/hostname").trim());
        assertNotEquals(inode(Path.of("/proc/self/ns/uts")), inode(made.uts()));
    }

    @Test
    void aSysctlOutsideThePodsNamespacesIsRefusedAndNothingIsLeft() throws Exception {
        open();
        BackendException e = assertThrows(BackendException.class, () -> pins.create("bad", new PinnedNamespaces.Request(true, true, "",
                Map.of("vm.swappiness", "1"), null)));
        assertEquals(Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().contains("vm.swappiness"), e.getMessage());
        BackendException shm = assertThrows(BackendException.class, () -> pins.create("hostipc", new PinnedNamespaces.Request(false, true,
                "", Map.of("kernel.shm_rmid_forced", "1"), null)));
        assertEquals(Kind.INVALID_ARGUMENT, shm.kind());
        BackendException unknown = assertThrows(BackendException.class, () -> pins.create("unknown", new PinnedNamespaces.Request(true,
                true, "", Map.of("kernel.shm_no_such_key", "1"), null)));
        assertEquals(Kind.INVALID_ARGUMENT, unknown.kind());
        assertTrue(unknown.getMessage().contains("kernel.shm_no_such_key"), unknown.getMessage());
        assertEquals(List.of(), pins.list(), "a failed pin leaves its directory");
    }

    private void open() throws Exception {
        boolean ready = isRoot() && onPath("nsenter") && onPath("unshare");
        if ("true".equals(System.getenv("CI"))) {
            assertTrue(ready, "CI=true: this test needs root, nsenter and unshare");
        }
        assumeTrue(ready, "needs root, nsenter and unshare");
        pins = new PinnedNamespaces(tmp.resolve("pod ns"));
        nets = new NetworkNamespaces(tmp.resolve("netns"));
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
